package suggest

import (
	"maps"
	"reflect"
	"slices"
	"strings"
)

// FieldOf is " (did you mean "region"?)" for an unknown field path
// ("spec.regoin", "spec.pools[0].zonez") of an object of Go type t: the
// field of the same struct nearest to the mistyped name, by the JSON names
// of t's fields; "" when none is near or the path leaves t's structs.
func FieldOf(t reflect.Type, path string) string {
	if t == nil || path == "" {
		return ""
	}
	segs := strings.Split(path, ".")
	for _, seg := range segs[:len(segs)-1] {
		name, _, _ := strings.Cut(seg, "[")
		f, ok := jsonFields(t)[name]
		if !ok {
			return ""
		}
		t = f
	}
	last, _, _ := strings.Cut(segs[len(segs)-1], "[")
	// Sorted, so a tie between two candidates resolves the same way
	// every time.
	return DidYouMean(last, slices.Sorted(maps.Keys(jsonFields(t))))
}

// jsonFields maps the JSON names of a struct's fields (inlined structs
// flattened) to their types, with pointers, slices and arrays looked
// through to their element; a map or a scalar has none.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	t = elem(t)
	out := map[string]reflect.Type{}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case name == "-":
		case name == "" && (f.Anonymous || strings.Contains(opts, "inline")):
			for n, ft := range jsonFields(f.Type) {
				out[n] = ft
			}
		case name != "":
			out[name] = elem(f.Type)
		}
	}
	return out
}

func elem(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	return t
}
