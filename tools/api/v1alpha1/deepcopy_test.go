package v1alpha1

import (
	"reflect"
	"testing"

	fuzz "github.com/google/gofuzz"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestDeepCopyCoversEveryField fills every field of every intent type with
// random values and checks that DeepCopy returns an equal object that
// shares no memory with the original. A field added without regenerating
// zz_generated.deepcopy.go (`make generate`) fails here.
func TestDeepCopyCoversEveryField(t *testing.T) {
	f := fuzz.NewWithSeed(7).NilChance(0).NumElements(1, 3).Funcs(
		func(q *resource.Quantity, c fuzz.Continue) {
			*q = *resource.NewQuantity(c.Int63n(1000), resource.DecimalSI)
		},
	)
	for _, obj := range []runtime.Object{&Fleet{}, &Cluster{}, &App{}, &EdgeGroup{}} {
		for i := 0; i < 20; i++ {
			f.Fuzz(obj)
			cp := obj.DeepCopyObject()
			if !reflect.DeepEqual(obj, cp) {
				t.Fatalf("%T: DeepCopy differs from the original", obj)
			}
			if p, ok := sharedPointer(reflect.ValueOf(obj), reflect.ValueOf(cp)); ok {
				t.Fatalf("%T: DeepCopy shares memory at %s", obj, p)
			}
		}
	}
}

// sharedPointer finds a pointer, slice or map that both values reference.
func sharedPointer(a, b reflect.Value) (string, bool) {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return "", false
		}
		if a.Pointer() == b.Pointer() {
			return a.Type().String(), true
		}
		return sharedPointer(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return a.Type().String(), true
		}
		for i := 0; i < a.Len(); i++ {
			if p, ok := sharedPointer(a.Index(i), b.Index(i)); ok {
				return p, ok
			}
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return a.Type().String(), true
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeOf(resource.Quantity{}) {
			return "", false // immutable value semantics, copied by DeepCopy
		}
		for i := 0; i < a.NumField(); i++ {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if p, ok := sharedPointer(a.Field(i), b.Field(i)); ok {
				return a.Type().Field(i).Name + "." + p, ok
			}
		}
	}
	return "", false
}
