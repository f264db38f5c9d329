package apischema

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/internal/suggest"
)

// FieldHint is " (did you mean "replicas"?)" for an unknown field path of
// a served kind — the declared field of the same object nearest to the
// mistyped name — or "". The hint is ours: a server's message has none, so
// it is kept out of FieldError.Message.
func (v *Validator) FieldHint(gvk schema.GroupVersionKind, path string) string {
	k, err := v.kind(gvk)
	if err != nil || k == nil || k.fieldHint == nil {
		return ""
	}
	return k.fieldHint(path)
}

// typedFieldHint finds the hint in a Go type's JSON field names.
func typedFieldHint(t reflect.Type) func(string) string {
	return func(path string) string { return suggest.FieldOf(t, path) }
}

// structuralFieldHint finds the hint in a CRD version's structural schema.
func structuralFieldHint(s *structuralschema.Structural) func(string) string {
	return func(path string) string {
		if s == nil || path == "" {
			return ""
		}
		segs := strings.Split(path, ".")
		cur := s
		for _, seg := range segs[:len(segs)-1] {
			name, rest, indexed := strings.Cut(seg, "[")
			next, ok := cur.Properties[name]
			if !ok {
				return ""
			}
			cur = &next
			// Each [..] steps into a list's items or a map's values.
			for ; indexed; _, rest, indexed = strings.Cut(rest, "[") {
				switch {
				case cur.Items != nil:
					cur = cur.Items
				case cur.AdditionalProperties != nil && cur.AdditionalProperties.Structural != nil:
					cur = cur.AdditionalProperties.Structural
				default:
					return ""
				}
			}
		}
		last, _, _ := strings.Cut(segs[len(segs)-1], "[")
		return suggest.DidYouMean(last, slices.Sorted(maps.Keys(cur.Properties)))
	}
}
