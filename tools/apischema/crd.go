package apischema

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	goruntime "runtime"
	"sort"

	"golang.org/x/sync/errgroup"
	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/crdserverscheme"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/versioning"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// crdFiles holds the CRDs copied from the engines' modules by
// internal/crdsync (see crds/SOURCES.md).
//
//go:embed crds
var crdFiles embed.FS

func embeddedCRDs() fs.FS {
	sub, err := fs.Sub(crdFiles, "crds")
	if err != nil {
		// fs.Sub only fails on an invalid path; "crds" is valid.
		panic(err)
	}
	return sub
}

type crdSource struct {
	name string
	fsys fs.FS
}

// loadCRDs reads every CRD of every source, strictly, and defaults it as
// the apiserver does when the CRD is created.
func loadCRDs(scheme *runtime.Scheme, sources []crdSource) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var all []*apiextensionsv1.CustomResourceDefinition
	seen := map[string]string{}
	for _, src := range sources {
		// Read every file, then parse them in parallel (YAML parsing is
		// most of building a Validator) and merge in walk order.
		type file struct {
			path string
			data []byte
			crds []*apiextensionsv1.CustomResourceDefinition
		}
		var files []*file
		err := fs.WalkDir(src.fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch path.Ext(p) {
			case ".yaml", ".yml", ".json":
			default:
				return nil
			}
			if d.IsDir() {
				return nil
			}
			data, err := fs.ReadFile(src.fsys, p)
			if err != nil {
				return err
			}
			files = append(files, &file{path: p, data: data})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading CRDs: %w", err)
		}
		var g errgroup.Group
		g.SetLimit(goruntime.GOMAXPROCS(0))
		for _, f := range files {
			g.Go(func() error {
				got, err := parseCRDs(scheme, f.data)
				if err != nil {
					return fmt.Errorf("reading CRDs: %s: %s: %w", src.name, f.path, err)
				}
				f.crds = got
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		var crds []*apiextensionsv1.CustomResourceDefinition
		for _, f := range files {
			for _, c := range f.crds {
				if prev, dup := seen[c.Name]; dup {
					return nil, fmt.Errorf("reading CRDs: %s: %s: CRD %s is already defined in %s", src.name, f.path, c.Name, prev)
				}
				seen[c.Name] = src.name + ": " + f.path
			}
			crds = append(crds, f.crds...)
		}
		sort.Slice(crds, func(i, j int) bool { return crds[i].Name < crds[j].Name })
		all = append(all, crds...)
	}
	return all, nil
}

func parseCRDs(scheme *runtime.Scheme, data []byte) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		j, err := sigsyaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if t := bytes.TrimSpace(j); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			continue // empty document (comments only)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		strictErrs, err := kjson.UnmarshalStrict(j, crd)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(strictErrs) > 0 {
			return nil, fmt.Errorf("document %d: %w", i, errors.Join(strictErrs...))
		}
		if crd.APIVersion != apiextensionsv1.SchemeGroupVersion.String() || crd.Kind != "CustomResourceDefinition" {
			return nil, fmt.Errorf("document %d: not an apiextensions.k8s.io/v1 CustomResourceDefinition but %s %s", i, crd.APIVersion, crd.Kind)
		}
		// SetDefaults_CustomResourceDefinition & co., as on create.
		scheme.Default(crd)
		out = append(out, crd)
	}
}

// newCRDKinds builds, for every served version of crd, what
// crdHandler.getOrCreateServingInfoFor builds
// (k8s.io/apiextensions-apiserver/pkg/apiserver/customresource_handler.go):
// the structural schemas with pruned defaults, the schema validators and
// customresource.NewStrategy, plus the serializer chain of
// unstructuredNegotiatedSerializer.DecoderToVersion.
func newCRDKinds(crd *apiextensionsv1.CustomResourceDefinition, hooks map[schema.GroupVersionResource]karmadaHooks) ([]*kind, error) {
	// Like the server, the names come from spec.names (which the naming
	// controller copies to status.acceptedNames once they are accepted).
	names := crd.Spec.Names
	gk := schema.GroupKind{Group: crd.Spec.Group, Kind: names.Kind}

	structuralSchemas := map[string]*structuralschema.Structural{}
	for _, v := range crd.Spec.Versions {
		val, err := apihelpers.GetSchemaForVersion(crd, v.Name)
		if err != nil {
			return nil, err
		}
		if val == nil {
			continue
		}
		internalValidation := &apiextensionsinternal.CustomResourceValidation{}
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(val, internalValidation, nil); err != nil {
			return nil, fmt.Errorf("failed converting CRD validation to internal version: %w", err)
		}
		s, err := structuralschema.NewStructural(internalValidation.OpenAPIV3Schema)
		if !crd.Spec.PreserveUnknownFields && err != nil {
			return nil, fmt.Errorf("version %s: schema is not structural: %w", v.Name, err)
		}
		if !crd.Spec.PreserveUnknownFields {
			s = s.DeepCopy()
			if err := structuraldefaulting.PruneDefaults(s); err != nil {
				return nil, fmt.Errorf("version %s: failed to prune defaults: %w", v.Name, err)
			}
		}
		structuralSchemas[v.Name] = s
	}

	typer := crdserverscheme.NewUnstructuredObjectTyper()
	// Converting an Unstructured into an Unstructured of the same version
	// is a copy in any runtime.Scheme; the server's converter does the
	// same for a single-version request (HubGroupVersion is the request
	// version).
	convertor := runtime.UnsafeObjectConvertor(runtime.NewScheme())
	defaulter := unstructuredDefaulter{structuralSchemas: structuralSchemas, gk: gk}
	coercer := &schemaCoercer{structuralSchemas: structuralSchemas, gk: gk, preserveUnknownFields: crd.Spec.PreserveUnknownFields}
	namespaced := crd.Spec.Scope == apiextensionsv1.NamespaceScoped

	var out []*kind
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		gvk := gk.WithVersion(v.Name)
		gv := gvk.GroupVersion()

		validationSchema, err := apihelpers.GetSchemaForVersion(crd, v.Name)
		if err != nil {
			return nil, err
		}
		var internalSchemaProps *apiextensionsinternal.JSONSchemaProps
		var internalValidationSchema *apiextensionsinternal.CustomResourceValidation
		if validationSchema != nil {
			internalValidationSchema = &apiextensionsinternal.CustomResourceValidation{}
			if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(validationSchema, internalValidationSchema, nil); err != nil {
				return nil, fmt.Errorf("failed to convert CRD validation to internal version: %w", err)
			}
			internalSchemaProps = internalValidationSchema.OpenAPIV3Schema
		}
		validator, _, err := apiservervalidation.NewSchemaValidator(internalSchemaProps)
		if err != nil {
			return nil, err
		}

		var statusSpec *apiextensionsinternal.CustomResourceSubresourceStatus
		var statusValidator apiservervalidation.SchemaValidator
		subresources, err := apihelpers.GetSubresourcesForVersion(crd, v.Name)
		if err != nil {
			return nil, err
		}
		if subresources != nil && subresources.Status != nil {
			statusSpec = &apiextensionsinternal.CustomResourceSubresourceStatus{}
			if err := apiextensionsv1.Convert_v1_CustomResourceSubresourceStatus_To_apiextensions_CustomResourceSubresourceStatus(subresources.Status, statusSpec, nil); err != nil {
				return nil, fmt.Errorf("failed converting CRD status subresource to internal version: %w", err)
			}
			if internalValidationSchema != nil && internalValidationSchema.OpenAPIV3Schema != nil && internalValidationSchema.OpenAPIV3Schema.Properties != nil {
				if statusSchema, ok := internalValidationSchema.OpenAPIV3Schema.Properties["status"]; ok {
					statusValidator, _, err = apiservervalidation.NewSchemaValidator(&statusSchema)
					if err != nil {
						return nil, err
					}
				}
			}
		}
		var scaleSpec *apiextensionsinternal.CustomResourceSubresourceScale
		if subresources != nil && subresources.Scale != nil {
			scaleSpec = &apiextensionsinternal.CustomResourceSubresourceScale{}
			if err := apiextensionsv1.Convert_v1_CustomResourceSubresourceScale_To_apiextensions_CustomResourceSubresourceScale(subresources.Scale, scaleSpec, nil); err != nil {
				return nil, fmt.Errorf("failed converting CRD scale subresource to internal version: %w", err)
			}
		}

		// The strategy compiles the CEL rules (x-kubernetes-validations)
		// once, here.
		strategy := customresource.NewStrategy(typer, namespaced, gvk, validator, statusValidator, structuralSchemas[v.Name], statusSpec, scaleSpec, v.SelectableFields)

		// unstructuredNegotiatedSerializer: the strict JSON and YAML
		// serializers, wrapped by the schema-coercing decoder (pruning
		// with unknown-field tracking) and a versioning codec that
		// defaults with the structural schema.
		creator := unstructuredCreator{}
		newDecoder := func(yaml bool) runtime.Decoder {
			strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, creator, typer, json.SerializerOptions{Yaml: yaml, Strict: true})
			d := schemaCoercingDecoder{delegate: strict, coercer: coercer}
			return versioning.NewCodec(nil, d, convertor, creator, typer, defaulter, nil, gv, "apischema-crd")
		}
		// The mutating webhook dispatcher decodes a patched object with a
		// plain (non-strict) JSON serializer, then defaults it.
		plain := json.NewSerializer(json.DefaultMetaFactory, creator, typer, false)
		reDecode := func(data []byte) (runtime.Object, error) {
			obj, _, err := plain.Decode(data, nil, &unstructured.Unstructured{})
			if err != nil {
				return nil, err
			}
			defaulter.Default(obj)
			return obj, nil
		}

		k := &kind{
			gvk:         gvk,
			resource:    gv.WithResource(names.Plural),
			namespaced:  namespaced,
			source:      "CRD " + crd.Name,
			jsonDecoder: newDecoder(false),
			yamlDecoder: newDecoder(true),
			newHub: func() runtime.Object {
				u := &unstructured.Unstructured{}
				u.SetGroupVersionKind(gvk)
				return u
			},
			typer:     typer,
			strategy:  strategy,
			reDecode:  reDecode,
			fieldHint: structuralFieldHint(structuralSchemas[v.Name]),
		}
		if h, ok := hooks[k.resource]; ok {
			k.mutating, k.validating = h.mutating, h.validating
		}
		out = append(out, k)
	}
	return out, nil
}

type unstructuredCreator struct{}

func (unstructuredCreator) New(kind schema.GroupVersionKind) (runtime.Object, error) {
	ret := &unstructured.Unstructured{}
	ret.SetGroupVersionKind(kind)
	return ret, nil
}

// unstructuredDefaulter is the apiserver's unstructuredDefaulter:
// structural defaulting for objects of the CRD's group and kind.
type unstructuredDefaulter struct {
	structuralSchemas map[string]*structuralschema.Structural
	gk                schema.GroupKind
}

func (d unstructuredDefaulter) Default(in runtime.Object) {
	u, ok := in.(runtime.Unstructured)
	if !ok || u.GetObjectKind().GroupVersionKind().GroupKind() != d.gk {
		// The server delegates to its scheme, which has no defaulter for
		// anything reaching here.
		return
	}
	structuraldefaulting.Default(u.UnstructuredContent(), d.structuralSchemas[u.GetObjectKind().GroupVersionKind().Version])
}

// schemaCoercingDecoder is the apiserver's schemaCoercingDecoder with a
// strict serializer (fieldValidation=Strict), so returnUnknownFieldPaths
// is true. The original is unexported; this is its code.
type schemaCoercingDecoder struct {
	delegate runtime.Decoder
	coercer  *schemaCoercer
}

func (d schemaCoercingDecoder) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	var decodingStrictErrs []error
	obj, gvk, err := d.delegate.Decode(data, defaults, into)
	if err != nil {
		decodeStrictErr, ok := runtime.AsStrictDecodingError(err)
		if !ok || obj == nil {
			return nil, gvk, err
		}
		decodingStrictErrs = decodeStrictErr.Errors()
	}
	var unknownFields []string
	if u, ok := obj.(*unstructured.Unstructured); ok {
		unknownFields, err = d.coercer.apply(u)
		if err != nil {
			return nil, gvk, err
		}
	}
	if len(decodingStrictErrs) > 0 || len(unknownFields) > 0 {
		for _, unknownField := range unknownFields {
			decodingStrictErrs = append(decodingStrictErrs, unknownFieldError{path: unknownField})
		}
		return obj, gvk, runtime.NewStrictDecodingError(decodingStrictErrs)
	}
	return obj, gvk, nil
}

// schemaCoercer is the apiserver's unstructuredSchemaCoercer for request
// bodies: dropInvalidMetadata and repairGeneration are false (they are
// only set when reading from etcd), returnUnknownFieldPaths is true.
type schemaCoercer struct {
	structuralSchemas     map[string]*structuralschema.Structural
	gk                    schema.GroupKind
	preserveUnknownFields bool
}

func (v *schemaCoercer) apply(u *unstructured.Unstructured) (unknownFieldPaths []string, err error) {
	// save implicit meta fields that don't have to be specified in the validation spec
	kind, foundKind, err := unstructured.NestedString(u.UnstructuredContent(), "kind")
	if err != nil {
		return nil, err
	}
	apiVersion, foundAPIVersion, err := unstructured.NestedString(u.UnstructuredContent(), "apiVersion")
	if err != nil {
		return nil, err
	}
	objectMeta, foundObjectMeta, metaUnknownFields, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{
		ReturnUnknownFieldPaths: true,
	})
	if err != nil {
		return nil, err
	}
	unknownFieldPaths = append(unknownFieldPaths, metaUnknownFields...)

	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	if gv.Group == v.gk.Group && kind == v.gk.Kind {
		if !v.preserveUnknownFields {
			pruneOpts := structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}
			unknownFieldPaths = append(unknownFieldPaths, structuralpruning.PruneWithOptions(u.Object, v.structuralSchemas[gv.Version], true, pruneOpts)...)
			structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, v.structuralSchemas[gv.Version])
		}
		ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, u.Object, v.structuralSchemas[gv.Version], false, schemaobjectmeta.CoerceOptions{
			ReturnUnknownFieldPaths: true,
		})
		if ferr != nil {
			return nil, ferr
		}
		unknownFieldPaths = append(unknownFieldPaths, paths...)
	}

	// restore meta fields, starting clean
	if foundKind {
		u.SetKind(kind)
	}
	if foundAPIVersion {
		u.SetAPIVersion(apiVersion)
	}
	if foundObjectMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, objectMeta); err != nil {
			return nil, err
		}
	}
	return unknownFieldPaths, nil
}
