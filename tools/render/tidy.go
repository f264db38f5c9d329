package render

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// tidy removes what converting an engine's Go type adds but a person would
// never write: zero values of struct fields that lack omitempty. Only these
// named fields are touched; a generic "drop empty values" would destroy
// meaningful empties (a node selector's "" value, an explicit {}).
func tidy(u *unstructured.Unstructured) {
	for _, f := range []string{"labels", "annotations"} {
		if m, ok, _ := unstructured.NestedMap(u.Object, "metadata", f); ok && len(m) == 0 {
			unstructured.RemoveNestedField(u.Object, "metadata", f)
		}
	}
	gvk := u.GroupVersionKind()
	switch {
	case gvk.Group == "policy.karmada.io" && (gvk.Kind == "OverridePolicy" || gvk.Kind == "ClusterOverridePolicy"):
		// Deprecated top-level overriders: empty when overrideRules are used.
		removeIfEmptyMap(u, "spec", "overriders")
	case gvk.Group == "velero.io" && gvk.Kind == "Schedule":
		for _, f := range []string{"csiSnapshotTimeout", "itemOperationTimeout"} {
			// Velero applies its defaults to a zero duration.
			if v, ok, _ := unstructured.NestedString(u.Object, "spec", "template", f); ok && v == "0s" {
				unstructured.RemoveNestedField(u.Object, "spec", "template", f)
			}
		}
		removeIfEmptyMap(u, "spec", "template", "hooks")
		removeIfEmptyMap(u, "spec", "template", "metadata")
	case gvk.Group == "argoproj.io" && gvk.Kind == "ApplicationSet":
		// A generator's own template overrides the ApplicationSet's only in
		// the fields it sets; the converter writes an all-empty one.
		gens, _, _ := unstructured.NestedSlice(u.Object, "spec", "generators")
		tidyGenerators(gens)
		if len(gens) > 0 {
			_ = unstructured.SetNestedSlice(u.Object, gens, "spec", "generators")
		}
	}
}

// tidyGenerators drops the all-empty templates the converter writes into
// generators, down through matrix and merge generators' children.
func tidyGenerators(gens []any) {
	for _, g := range gens {
		gm, ok := g.(map[string]any)
		if !ok {
			continue
		}
		for _, kind := range []string{"git", "list", "matrix", "merge"} {
			inner, ok := gm[kind].(map[string]any)
			if !ok {
				continue
			}
			if emptyTemplate(inner["template"]) {
				delete(inner, "template")
			}
			if children, ok := inner["generators"].([]any); ok {
				tidyGenerators(children)
			}
		}
	}
}

func removeIfEmptyMap(u *unstructured.Unstructured, path ...string) {
	if m, ok, _ := unstructured.NestedMap(u.Object, path...); ok && len(m) == 0 {
		unstructured.RemoveNestedField(u.Object, path...)
	}
}

// emptyTemplate reports whether an ApplicationSet template sets nothing.
func emptyTemplate(t any) bool {
	m, ok := t.(map[string]any)
	if !ok {
		return t == nil
	}
	for k, v := range m {
		switch k {
		case "metadata":
			if mm, ok := v.(map[string]any); !ok || len(mm) != 0 {
				return false
			}
		case "spec":
			spec, ok := v.(map[string]any)
			if !ok {
				return false
			}
			for sk, sv := range spec {
				switch sk {
				case "destination":
					if dm, ok := sv.(map[string]any); !ok || len(dm) != 0 {
						return false
					}
				case "project":
					if sv != "" {
						return false
					}
				default:
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}
