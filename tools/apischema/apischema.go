package apischema

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/kubernetes/pkg/capabilities"
	sigsyaml "sigs.k8s.io/yaml"
)

// Options configures New.
type Options struct {
	// ExtraCRDs are more file trees holding CustomResourceDefinition YAML
	// (or JSON) files, e.g. flotilla's own CRDs. Every *.yaml, *.yml and
	// *.json file is read; a file may hold several documents.
	ExtraCRDs []fs.FS
}

// Types of FieldError that are not a field.ErrorType: errors a real
// apiserver reports as a whole-request failure (HTTP 400/403/404) instead of
// as a cause of a 422 Invalid response.
const (
	// TypeNoSchema: no built-in kind, CRD or aggregated API serves the
	// object's apiVersion and kind (a real server answers 404 NotFound).
	TypeNoSchema = "NoSchema"
	// TypeUnknownField: strict decoding found a field the schema does not
	// declare. The server answers 400 BadRequest with
	// `... strict decoding error: unknown field "<path>"`.
	TypeUnknownField = "UnknownField"
	// TypeDuplicateField: strict decoding found the same key twice in one
	// object (`duplicate field "<path>"` for JSON bodies, `key "<k>"
	// already set in map` for YAML bodies).
	TypeDuplicateField = "DuplicateField"
	// TypeBadRequest: the body cannot be decoded into the kind at all
	// (malformed JSON/YAML, a value of the wrong JSON type for a Go field,
	// ...). The server answers 400 BadRequest.
	TypeBadRequest = "BadRequest"
	// TypeAdmissionDenied: an admission webhook (Karmada's) rejected the
	// object without a field error list we could recover.
	TypeAdmissionDenied = "AdmissionDenied"
)

// Origins of a FieldError: which step of the apiserver's create path
// produced it.
const (
	// OriginRequest: routing the request (no such kind/version).
	OriginRequest = "request"
	// OriginDecode: strict decoding of the body (unknown, duplicate and
	// malformed fields) — the request stops there.
	OriginDecode = "decode"
	// OriginStrategy: the registry strategy's Validate (built-in Go
	// validation, or for CRDs the OpenAPI schema, embedded ObjectMeta,
	// list-type invariants and CEL rules).
	OriginStrategy = "strategy"
	// OriginMetadata: the generic ObjectMeta validation rest.BeforeCreate
	// runs after a strategy accepted the object.
	OriginMetadata = "metadata"
	// OriginCreate: any other refusal of the create path (namespace
	// mismatch, internal errors).
	OriginCreate = "create"
	// OriginAdmission prefixes the name of the admission webhook that
	// refused the object: "admission:<webhook name>".
	OriginAdmission = "admission:"
)

// FieldError is one reason the apiserver would refuse an object.
type FieldError struct {
	// Field is the Kubernetes field path, e.g.
	// spec.template.spec.containers[0].image; "" for object-level errors.
	Field string `json:"field"`
	// Type is the field.ErrorType (e.g. "FieldValueRequired") for
	// validation errors, or one of the Type* constants of this package.
	Type string `json:"type"`
	// Detail is field.Error.Detail for validation errors; for other
	// errors it is empty.
	Detail string `json:"detail,omitempty"`
	// Message is exactly field.Error.Error() for validation errors
	// (including those behind a Karmada webhook denial), and otherwise the
	// part of the apiserver's response message that names this error: for
	// strict decoding e.g. `unknown field "spec.foo"`, for a webhook denial
	// without a field list the full `admission webhook "<name>" denied the
	// request: ...`. It is always a substring of what a real server prints.
	Message string `json:"message"`
	// Origin is the step that produced the error: one of the Origin*
	// constants ("admission:<webhook>" for webhooks).
	Origin string `json:"origin"`
}

// Validator validates objects as kube-apiserver v1.31 (with the embedded
// CRDs installed and Karmada's aggregated apiserver and webhooks in front)
// would on create with fieldValidation=Strict. It is safe for concurrent
// use; everything is prepared by New.
type Validator struct {
	kinds map[schema.GroupVersionKind]*kind
	// byGK finds a kind's other versions, to tell "version not served"
	// from "unknown kind".
	byGK map[schema.GroupKind][]string
	crds []*apiextensionsv1.CustomResourceDefinition
	// lazy serves the embedded CRDs' kinds, built on first use; embedded
	// lists them by name (CRDs() order).
	lazy     map[schema.GroupVersionKind]*lazyCRD
	embedded []*lazyCRD
	// scheme defaults CRDs as the server does on create; hooks are
	// Karmada's webhooks, for CRDs added later (WithCRDs).
	scheme *runtime.Scheme
	hooks  map[schema.GroupVersionResource]karmadaHooks
}

// New parses the embedded CRDs, opts.ExtraCRDs and the built-in kinds, and
// builds for each served version the machinery the apiserver builds when
// it starts serving it.
func New(opts Options) (*Validator, error) {
	// Pod validation reads the apiserver's --allow-privileged from a
	// process-wide setting (k8s.io/kubernetes/pkg/capabilities). Every
	// Karmada installer (operator, karmadactl init, Helm chart) runs
	// karmada-apiserver with --allow-privileged=true, and so does the local
	// fleet; Initialize sets it once per process.
	capabilities.Initialize(capabilities.Capabilities{AllowPrivileged: true})
	v := &Validator{
		kinds: map[schema.GroupVersionKind]*kind{},
		byGK:  map[schema.GroupKind][]string{},
		lazy:  map[schema.GroupVersionKind]*lazyCRD{},
	}
	typed, err := newTypedKinds()
	if err != nil {
		return nil, fmt.Errorf("apischema: built-in kinds: %w", err)
	}
	for _, k := range typed.kinds {
		if err := v.add(k); err != nil {
			return nil, err
		}
	}

	// The embedded CRDs are indexed now and built on first use.
	index, err := readIndex()
	if err != nil {
		return nil, fmt.Errorf("apischema: %w", err)
	}
	names := map[string]string{}
	for _, e := range index {
		l := &lazyCRD{entry: e}
		v.embedded = append(v.embedded, l)
		names[e.Name] = "embedded: " + e.File
		for _, ver := range e.Versions {
			gvk := schema.GroupVersionKind{Group: e.Group, Version: ver, Kind: e.Kind}
			if _, dup := v.kinds[gvk]; dup {
				return nil, fmt.Errorf("apischema: %s is served twice (%s and CRD %s)", gvk, v.kinds[gvk].source, e.Name)
			}
			if _, dup := v.lazy[gvk]; dup {
				return nil, fmt.Errorf("apischema: %s is served twice (CRD %s and CRD %s)", gvk, v.lazy[gvk].entry.Name, e.Name)
			}
			v.lazy[gvk] = l
			v.byGK[gvk.GroupKind()] = append(v.byGK[gvk.GroupKind()], ver)
		}
	}
	var sources []crdSource
	for i, f := range opts.ExtraCRDs {
		sources = append(sources, crdSource{name: fmt.Sprintf("ExtraCRDs[%d]", i), fsys: f})
	}
	crds, err := loadCRDs(typed.scheme, sources)
	if err != nil {
		return nil, fmt.Errorf("apischema: %w", err)
	}
	hooks := karmadaWebhooks()
	for _, crd := range crds {
		if prev, dup := names[crd.Name]; dup {
			return nil, fmt.Errorf("apischema: reading CRDs: CRD %s is already defined in %s", crd.Name, prev)
		}
		ks, err := newCRDKinds(crd, hooks)
		if err != nil {
			return nil, fmt.Errorf("apischema: CRD %s: %w", crd.Name, err)
		}
		for _, k := range ks {
			if err := v.add(k); err != nil {
				return nil, err
			}
		}
	}
	v.crds = crds
	v.scheme, v.hooks = typed.scheme, hooks
	for gk := range v.byGK {
		sort.Strings(v.byGK[gk])
	}
	return v, nil
}

func (v *Validator) add(k *kind) error {
	if prev, ok := v.kinds[k.gvk]; ok {
		return fmt.Errorf("apischema: %s is served twice (%s and %s)", k.gvk, prev.source, k.source)
	}
	if l, ok := v.lazy[k.gvk]; ok {
		return fmt.Errorf("apischema: %s is served twice (CRD %s and %s)", k.gvk, l.entry.Name, k.source)
	}
	v.kinds[k.gvk] = k
	v.byGK[k.gvk.GroupKind()] = append(v.byGK[k.gvk.GroupKind()], k.gvk.Version)
	return nil
}

// Known reports whether gvk is served: a built-in kind, a served version of
// a CRD, or Karmada's aggregated Cluster.
func (v *Validator) Known(gvk schema.GroupVersionKind) bool {
	_, ok := v.kinds[gvk]
	_, lazy := v.lazy[gvk]
	return ok || lazy
}

// CRDs returns copies of every CRD the validator serves (embedded first,
// then ExtraCRDs, each sorted by name), defaulted as the apiserver stores
// them, for installing into a real server.
// Every embedded CRD is built for it; one that cannot be is an error.
func (v *Validator) CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, l := range v.embedded {
		if err := l.load(v); err != nil {
			return nil, fmt.Errorf("apischema: %w", err)
		}
		out = append(out, l.crd.DeepCopy())
	}
	for _, c := range v.crds {
		out = append(out, c.DeepCopy())
	}
	return out, nil
}

// Validate returns why a real apiserver would refuse to create obj, or nil.
// obj is sent to the create path as its JSON encoding, the way a client
// sends it; obj itself is never modified.
func (v *Validator) Validate(ctx context.Context, obj *unstructured.Unstructured) []FieldError {
	if obj == nil {
		return []FieldError{{Field: "", Type: TypeBadRequest, Message: "no object", Origin: OriginRequest}}
	}
	// Marshalling only reads obj, so the caller's object stays untouched;
	// every later step works on the decoded copy.
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return []FieldError{{Type: TypeBadRequest, Message: fmt.Sprintf("cannot encode object as JSON: %v", err), Origin: OriginRequest}}
	}
	return v.ValidateEncoded(ctx, obj, data)
}

// ValidateEncoded is Validate for a caller that has encoded obj already:
// data must be json.Marshal(obj.Object).
func (v *Validator) ValidateEncoded(ctx context.Context, obj *unstructured.Unstructured, data []byte) []FieldError {
	// The object already knows its apiVersion and kind; reading them from
	// the JSON again is only needed when they are not plain strings.
	var gvk *schema.GroupVersionKind
	if g := obj.GroupVersionKind(); g.Kind != "" && g.Version != "" && obj.GetAPIVersion() == g.GroupVersion().String() {
		gvk = &g
	}
	return v.validate(ctx, data, false, gvk)
}

// ValidateRaw validates one request body, JSON or YAML, exactly as the
// server decodes it: a body starting with "{" as application/json,
// anything else as application/yaml. Unlike Validate it sees duplicate
// keys, which are lost once a document is decoded into a map.
func (v *Validator) ValidateRaw(ctx context.Context, body []byte) []FieldError {
	return v.validate(ctx, body, !utilyaml.IsJSONBuffer(body), nil)
}

func (v *Validator) validate(ctx context.Context, body []byte, isYAML bool, known *schema.GroupVersionKind) []FieldError {
	var gvk schema.GroupVersionKind
	if known != nil {
		gvk = *known
	} else {
		var errs []FieldError
		if gvk, errs = peekGVK(body, isYAML); errs != nil {
			return errs
		}
	}
	k, err := v.kind(gvk)
	if err != nil {
		return []FieldError{{Field: "kind", Type: string(field.ErrorTypeInternal), Message: fmt.Sprintf("the schema of %s cannot be built: %v", gvk, err), Origin: OriginRequest}}
	}
	if k == nil {
		msg := fmt.Sprintf("no schema for %s", gvk)
		if vs := v.byGK[gvk.GroupKind()]; len(vs) > 0 {
			msg += fmt.Sprintf(" (served versions of %s: %v)", gvk.GroupKind(), vs)
		}
		return []FieldError{{Field: "kind", Type: TypeNoSchema, Message: msg, Origin: OriginRequest}}
	}
	return k.create(ctx, body, isYAML)
}

// peekGVK reads apiVersion and kind, as the apiserver's router would from
// the URL a client builds from them.
func peekGVK(body []byte, isYAML bool) (schema.GroupVersionKind, []FieldError) {
	data := body
	if isYAML {
		j, err := sigsyaml.YAMLToJSON(body)
		if err != nil {
			return schema.GroupVersionKind{}, []FieldError{{Type: TypeBadRequest, Message: err.Error(), Origin: OriginRequest}}
		}
		data = j
	}
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(data, &tm); err != nil {
		return schema.GroupVersionKind{}, []FieldError{{Type: TypeBadRequest, Message: err.Error(), Origin: OriginRequest}}
	}
	var errs []FieldError
	if tm.APIVersion == "" {
		errs = append(errs, FieldError{Field: "apiVersion", Type: "FieldValueRequired", Message: "apiVersion: Required value", Origin: OriginRequest})
	}
	if tm.Kind == "" {
		errs = append(errs, FieldError{Field: "kind", Type: "FieldValueRequired", Message: "kind: Required value", Origin: OriginRequest})
	}
	if errs != nil {
		return schema.GroupVersionKind{}, errs
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		return schema.GroupVersionKind{}, []FieldError{{Field: "apiVersion", Type: "FieldValueInvalid", Message: err.Error(), Origin: OriginRequest}}
	}
	return gv.WithKind(tm.Kind), nil
}
