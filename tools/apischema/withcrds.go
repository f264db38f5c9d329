package apischema

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// CRDKind is the kind of a CustomResourceDefinition object.
var CRDKind = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")

// WithCRDs returns a validator that also serves the CRDs among objs — the
// CustomResourceDefinitions a folder ships beside its custom resources —
// as a server does once they are created: defaulted, with a served kind
// per served version. A CRD for a group and kind the validator already
// serves (an engine's CRD, at another release) replaces it, as installing
// it would. Objects that are not CRDs are ignored. A CRD that does not
// decode or whose schema the server could not serve is left out and named
// in the error (its own validation says why); the rest are served.
// v is unchanged.
func (v *Validator) WithCRDs(objs []*unstructured.Unstructured) (*Validator, error) {
	out := &Validator{kinds: maps.Clone(v.kinds), byGK: map[schema.GroupKind][]string{}, crds: slices.Clone(v.crds),
		lazy: maps.Clone(v.lazy), embedded: slices.Clone(v.embedded), scheme: v.scheme, hooks: v.hooks}
	for gk, vs := range v.byGK {
		out.byGK[gk] = slices.Clone(vs)
	}
	var errs []error
	for _, o := range objs {
		if o.GroupVersionKind() != CRDKind {
			continue
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			errs = append(errs, fmt.Errorf("CRD %s: %w", o.GetName(), err))
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		strict, err := kjson.UnmarshalStrict(data, crd)
		if err = errors.Join(append(strict, err)...); err != nil {
			errs = append(errs, fmt.Errorf("CRD %s does not decode: %w", o.GetName(), err))
			continue
		}
		v.scheme.Default(crd)
		ks, err := newCRDKinds(crd, v.hooks)
		if err != nil {
			errs = append(errs, fmt.Errorf("CRD %s cannot be served: %w", o.GetName(), err))
			continue
		}
		gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
		for _, ver := range out.byGK[gk] {
			delete(out.kinds, gk.WithVersion(ver))
			delete(out.lazy, gk.WithVersion(ver))
		}
		delete(out.byGK, gk)
		out.crds = slices.DeleteFunc(out.crds, func(c *apiextensionsv1.CustomResourceDefinition) bool { return c.Name == crd.Name })
		out.embedded = slices.DeleteFunc(out.embedded, func(l *lazyCRD) bool {
			return l.entry.Name == crd.Name || l.entry.Group == gk.Group && l.entry.Kind == gk.Kind
		})
		for _, k := range ks {
			out.kinds[k.gvk] = k
			out.byGK[gk] = append(out.byGK[gk], k.gvk.Version)
		}
		slices.Sort(out.byGK[gk])
		out.crds = append(out.crds, crd)
	}
	return out, errors.Join(errs...)
}
