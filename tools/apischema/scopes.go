package apischema

import "k8s.io/apimachinery/pkg/runtime/schema"

// Namespaced reports whether the kind is namespaced, and whether the
// validator serves it at all (render uses it to put objects into their
// app's namespace).
func (v *Validator) Namespaced(gvk schema.GroupVersionKind) (namespaced, known bool) {
	if k, ok := v.kinds[gvk]; ok {
		return k.namespaced, true
	}
	if l, ok := v.lazy[gvk]; ok {
		return l.entry.Namespaced, true
	}
	return false, false
}
