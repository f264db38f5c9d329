package apischema

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	genericvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// kind is everything the apiserver prepares to serve one
// group/version/kind: the request scope's decoder, the registry strategy
// and, for Karmada's policies, the admission webhooks in front of it.
type kind struct {
	gvk        schema.GroupVersionKind
	resource   schema.GroupVersionResource
	namespaced bool
	// source says where the kind comes from, for error messages.
	source string

	// jsonDecoder and yamlDecoder are the request scope's
	// DecoderToVersion(StrictSerializer, hub version) for
	// application/json and application/yaml bodies.
	jsonDecoder runtime.Decoder
	yamlDecoder runtime.Decoder
	// newHub returns the empty object the handler decodes into
	// (rest.Storage.New(): the internal type for built-in kinds, a
	// versioned Unstructured for custom resources).
	newHub func() runtime.Object
	// typer replaces the strategy's own ObjectTyper: the Kubernetes
	// strategies type objects with legacyscheme.Scheme, which this package
	// leaves empty (see doc.go).
	typer    runtime.ObjectTyper
	strategy rest.RESTCreateStrategy

	// beginCreate is the storage's BeginCreate hook, which
	// registry.Store.create runs before rest.BeforeCreate (nil for most
	// kinds).
	beginCreate func(obj runtime.Object)

	// types, for Kubernetes' own kinds, lists every type error of a body
	// the decoder refused (nil: the decoder's first error stands).
	types *typeChecker
	// fieldHint names the declared field nearest to an unknown one
	// (Validator.FieldHint).
	fieldHint func(path string) string

	// mutating and validating are the admission webhooks configured for
	// the resource on a real control plane, in order.
	mutating   []*webhookStep
	validating []*webhookStep
	// reDecode turns a mutating webhook's patched JSON back into the hub
	// object, as the mutating dispatcher does (decode, then default).
	reDecode func(data []byte) (runtime.Object, error)
}

var namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// create follows the apiserver's create path for one request body:
// handlers.createHandler (decode, namespace), mutating admission,
// registry.Store.create (system fields, rest.BeforeCreate) and validating
// admission. Storage is where a dry-run stops, so this is where we stop.
func (k *kind) create(ctx context.Context, body []byte, isYAML bool) (errs []FieldError) {
	// A panic inside an engine's code is reported, not propagated.
	defer func() {
		if r := recover(); r != nil {
			errs = []FieldError{{Type: string(field.ErrorTypeInternal), Message: fmt.Sprintf("internal error validating %s: %v", k.gvk, r), Origin: OriginCreate}}
		}
	}()

	// handlers.createHandler: decode with the strict serializer into the
	// hub version. With fieldValidation=Strict any strict decoding error
	// ends the request with 400 BadRequest.
	dec := k.jsonDecoder
	if isYAML {
		dec = k.yamlDecoder
	}
	defaultGVK := k.gvk
	obj, gvk, err := dec.Decode(body, &defaultGVK, k.newHub())
	if err != nil {
		_, strict := runtime.AsStrictDecodingError(err)
		if !strict || obj == nil {
			if k.types != nil {
				// A value of the wrong type: list every one, and the
				// unknown fields the decoder dropped with them.
				if all := k.types.check(body, isYAML); len(all) > 0 {
					return all
				}
				if strings.Contains(err.Error(), "illegal base64 data") {
					if all := base64Errors(body, isYAML, k.gvk.Kind); len(all) > 0 {
						return all
					}
				}
			}
			return decodeErrors(err, body, isYAML, gvk, k.gvk)
		}
		// Only unknown or duplicate fields. fieldValidation=Strict ends
		// the request here; the same request with fieldValidation=Warn
		// goes on with the object as decoded (the unknown fields dropped,
		// the last of duplicates kept), as the apiserver's decoder hands
		// it over with the error. Going on as Warn does reports what the
		// server would refuse next, so one run shows every problem.
		unknown := decodeErrors(err, body, isYAML, gvk, k.gvk)
		defer func() { errs = append(unknown, errs...) }()
	}
	objectMeta, err := meta.Accessor(obj)
	if err != nil {
		return createError(err)
	}

	// The request namespace is the one a client puts in the URL: the
	// object's own, or "default" for a namespaced object without one
	// (kubectl's behaviour), and none for cluster-scoped resources.
	namespace := ""
	if k.namespaced {
		namespace = objectMeta.GetNamespace()
		if namespace == "" {
			namespace = metav1.NamespaceDefault
		}
	}
	name := objectMeta.GetName()
	if namespace == "" && k.resource == namespaceGVR {
		namespace = name
	}
	rest.WipeObjectMetaSystemFields(objectMeta)
	// For a cluster-scoped resource this clears metadata.namespace rather
	// than refusing it, exactly like the server.
	if err := rest.EnsureObjectNamespaceMatchesRequestNamespace(rest.ExpectedNamespaceForResource(namespace, k.resource), objectMeta); err != nil {
		return createError(err)
	}
	ctx = genericapirequest.WithNamespace(ctx, namespace)
	// The request's own description, which the server's filters put in
	// the context: strategies read the version asked for (a core/v1
	// Event is validated by the legacy rules, an events.k8s.io/v1 one by
	// the new).
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: "create", APIPrefix: apiPrefix(k.gvk.Group),
		APIGroup: k.gvk.Group, APIVersion: k.gvk.Version, Namespace: namespace, Resource: k.resource.Resource, Name: name,
	})

	// Mutating admission.
	for _, w := range k.mutating {
		var errs []FieldError
		obj, errs = w.mutate(ctx, k, obj, namespace)
		if errs != nil {
			return errs
		}
	}

	// registry.Store.create: system fields, generated name, BeforeCreate.
	if objectMeta, err = meta.Accessor(obj); err != nil {
		return createError(err)
	}
	rest.FillObjectMetaSystemFields(objectMeta)
	if len(objectMeta.GetGenerateName()) > 0 && len(objectMeta.GetName()) == 0 {
		objectMeta.SetName(k.strategy.GenerateName(objectMeta.GetGenerateName()))
	}
	if k.beginCreate != nil {
		k.beginCreate(obj)
	}
	rec := &recordingStrategy{RESTCreateStrategy: k.strategy, typer: k.typer}
	if err := rest.BeforeCreate(rec, ctx, obj); err != nil {
		if len(rec.errs) > 0 {
			return fieldErrors(rec.errs, OriginStrategy)
		}
		if apierrors.IsInvalid(err) {
			// The strategy accepted the object, so the error comes from
			// the generic ObjectMeta validation BeforeCreate runs next.
			// Its StatusError keeps only the causes' text; the same call
			// on the same object gives back the field.ErrorList.
			if fe := genericvalidation.ValidateObjectMetaAccessor(objectMeta, k.strategy.NamespaceScoped(), path.ValidatePathSegmentName, field.NewPath("metadata")); len(fe) > 0 {
				return fieldErrors(fe, OriginMetadata)
			}
		}
		return createError(err)
	}

	// Validating admission sees a copy of the fully formed object.
	for _, w := range k.validating {
		if errs := w.validate(ctx, k, obj.DeepCopyObject(), namespace); errs != nil {
			return errs
		}
	}
	return nil
}

// recordingStrategy is the real strategy with two changes: objects are
// typed with our scheme, and the field.ErrorList its Validate returns is
// kept, because rest.BeforeCreate flattens it into a StatusError.
type recordingStrategy struct {
	rest.RESTCreateStrategy
	typer runtime.ObjectTyper
	errs  field.ErrorList
}

func (s *recordingStrategy) ObjectKinds(obj runtime.Object) ([]schema.GroupVersionKind, bool, error) {
	return s.typer.ObjectKinds(obj)
}

func (s *recordingStrategy) Recognizes(gvk schema.GroupVersionKind) bool {
	return s.typer.Recognizes(gvk)
}

func (s *recordingStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	s.errs = s.RESTCreateStrategy.Validate(ctx, obj)
	return s.errs
}

func fieldErrors(list field.ErrorList, origin string) []FieldError {
	out := make([]FieldError, 0, len(list))
	for _, e := range list {
		fieldPath := e.Field
		if fieldPath == "<nil>" {
			// A nil *field.Path (object-level error, e.g. CEL rules
			// skipped after other errors); Message keeps the server's text.
			fieldPath = ""
		}
		out = append(out, FieldError{
			Field:   fieldPath,
			Type:    string(e.Type),
			Detail:  e.Detail,
			Message: e.Error(),
			Origin:  origin,
		})
	}
	return out
}

// createError reports a refusal that is not a field error list (bad
// request, internal error), with the server's status reason as Type.
func createError(err error) []FieldError {
	typ := string(apierrors.ReasonForError(err))
	if typ == "" || typ == string(metav1.StatusReasonUnknown) {
		typ = string(field.ErrorTypeInternal)
	}
	return []FieldError{{Type: typ, Message: err.Error(), Origin: OriginCreate}}
}

// apiPrefix is the URL prefix of a group: "api" for the core group, "apis"
// for the others.
func apiPrefix(group string) string {
	if group == "" {
		return "api"
	}
	return "apis"
}
