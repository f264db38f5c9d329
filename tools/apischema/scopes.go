package apischema

import "k8s.io/apimachinery/pkg/runtime/schema"

// Namespaced reports whether the kind is namespaced, and whether the
// validator serves it at all (render uses it to put objects into their
// app's namespace).
func (v *Validator) Namespaced(gvk schema.GroupVersionKind) (namespaced, known bool) {
	k, ok := v.kinds[gvk]
	if !ok {
		return false, false
	}
	return k.namespaced, true
}
