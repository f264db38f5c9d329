package intent

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/internal/suggest"
)

// intentTypes are the Go types of the intent kinds, whose JSON field
// names are what an unknown field is compared with.
var intentTypes = map[string]reflect.Type{
	v1alpha1.KindFleet:      reflect.TypeFor[v1alpha1.Fleet](),
	v1alpha1.KindCluster:    reflect.TypeFor[v1alpha1.Cluster](),
	v1alpha1.KindApp:        reflect.TypeFor[v1alpha1.App](),
	v1alpha1.KindEdgeGroup:  reflect.TypeFor[v1alpha1.EdgeGroup](),
	v1alpha1.KindDrillPlan:  reflect.TypeFor[v1alpha1.DrillPlan](),
	"BackupStorageLocation": reflect.TypeFor[velerov1.BackupStorageLocation](),
}

// fieldHint is " (did you mean "region"?)" for an unknown field path
// ("spec.regoin", "spec.spot.pools[0].zonez") of kind: the field of the
// same object nearest to the mistyped name, by the kind's Go type.
func fieldHint(kind, path string) string {
	t, ok := intentTypes[kind]
	if !ok || path == "" {
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
	return suggest.DidYouMean(last, slices.Sorted(maps.Keys(jsonFields(t))))
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
