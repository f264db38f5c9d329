package apischema_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
)

// TestEmbeddedCRDsAreValid sends every embedded CRD through the
// apiextensions.k8s.io/v1 create path: a real server would accept them.
func TestEmbeddedCRDsAreValid(t *testing.T) {
	v := validator(t)
	crds := allCRDs(t, v)
	if len(crds) < 50 {
		t.Fatalf("only %d embedded CRDs", len(crds))
	}
	for _, crd := range crds {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd)
		if err != nil {
			t.Fatal(err)
		}
		if errs := v.Validate(context.Background(), &unstructured.Unstructured{Object: m}); len(errs) > 0 {
			t.Errorf("%s:\n%s", crd.Name, dump(errs))
		}
	}
}

func TestCRDsReturnsCopies(t *testing.T) {
	v := validator(t)
	a := allCRDs(t, v)
	a[0].Spec.Group = "changed.example.com"
	if b := allCRDs(t, v); b[0].Spec.Group == "changed.example.com" {
		t.Fatal("CRDs() exposes the validator's own CRDs")
	}
}

// TestFlotillaCRDs loads flotilla's own CRDs through Options.ExtraCRDs.
func TestFlotillaCRDs(t *testing.T) {
	dir := "../api/v1alpha1/crds"
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		t.Skip("no", dir)
	}
	v, err := apischema.New(apischema.Options{ExtraCRDs: []fs.FS{os.DirFS(dir)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(allCRDs(t, v)) <= len(allCRDs(t, validator(t))) {
		t.Fatal("ExtraCRDs added no CRD")
	}
}

func TestDuplicateCRDIsAnError(t *testing.T) {
	extra := os.DirFS("crds/velero")
	if _, err := apischema.New(apischema.Options{ExtraCRDs: []fs.FS{extra}}); err == nil {
		t.Fatal("New accepted a CRD defined twice")
	}
}

// TestValidateDoesNotMutate validates objects that defaulting, status
// clearing and Karmada's mutating webhook all change, and checks that the
// caller's object is untouched.
func TestValidateDoesNotMutate(t *testing.T) {
	v := validator(t)
	for _, c := range append(readCorpus(t, "valid"), readCorpus(t, "invalid")...) {
		if c.wantType == apischema.TypeDuplicateField {
			continue
		}
		obj := decodeYAML(t, c.body)
		before := obj.DeepCopy()
		v.Validate(context.Background(), obj)
		if !reflect.DeepEqual(before.Object, obj.Object) {
			t.Errorf("%s: Validate modified its input", c.file)
		}
	}
}

// TestConcurrentValidate runs the corpus from many goroutines at once
// (run with -race) and expects the same answers as one at a time.
func TestConcurrentValidate(t *testing.T) {
	v := validator(t)
	cases := append(readCorpus(t, "valid"), readCorpus(t, "invalid")...)
	type key struct{ field, typ, origin string }
	summarize := func(errs []apischema.FieldError) []key {
		var out []key
		for _, e := range errs {
			out = append(out, key{e.Field, e.Type, e.Origin})
		}
		return out
	}
	want := make([][]key, len(cases))
	for i, c := range cases {
		want[i] = summarize(v.ValidateRaw(context.Background(), c.body))
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := 0; n < len(cases); n++ {
				i := (n + g*7) % len(cases)
				if got := summarize(v.ValidateRaw(context.Background(), cases[i].body)); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("%s: concurrent result %v, serial %v", cases[i].file, got, want[i])
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestValidateNil(t *testing.T) {
	if errs := validator(t).Validate(context.Background(), nil); len(errs) != 1 || errs[0].Type != apischema.TypeBadRequest {
		t.Fatalf("Validate(nil) = %v", errs)
	}
}

func TestNamespaced(t *testing.T) {
	v := validator(t)
	for _, c := range []struct {
		gvk                  schema.GroupVersionKind
		namespaced, knownGVK bool
	}{
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, true, true},
		{schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, false, true},
		{schema.GroupVersionKind{Group: "cluster.karmada.io", Version: "v1alpha1", Kind: "Cluster"}, false, true},
		{schema.GroupVersionKind{Group: "policy.karmada.io", Version: "v1alpha1", Kind: "PropagationPolicy"}, true, true},
		{schema.GroupVersionKind{Group: "policy.karmada.io", Version: "v1alpha1", Kind: "ClusterPropagationPolicy"}, false, true},
		{schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Gadget"}, false, false},
	} {
		if ns, known := v.Namespaced(c.gvk); ns != c.namespaced || known != c.knownGVK {
			t.Errorf("Namespaced(%s) = %v, %v; want %v, %v", c.gvk, ns, known, c.namespaced, c.knownGVK)
		}
	}
}

func allCRDs(t *testing.T, v *apischema.Validator) []*apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	crds, err := v.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	return crds
}

// TestEmbeddedCRDsAreBuiltOnFirstUse: the index names every embedded CRD's
// kinds without parsing it; each kind validates the same whichever is
// used first, and the CRDs list in name order.
func TestEmbeddedCRDsAreBuiltOnFirstUse(t *testing.T) {
	v, err := apischema.New(apischema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gvk := schema.GroupVersionKind{Group: "velero.io", Version: "v2alpha1", Kind: "DataUpload"}
	if !v.Known(gvk) {
		t.Fatalf("%s is not known before use", gvk)
	}
	if ns, known := v.Namespaced(gvk); !ns || !known {
		t.Errorf("Namespaced(%s) = %v, %v", gvk, ns, known)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "velero.io/v2alpha1", "kind": "DataUpload",
		"metadata": map[string]any{"name": "d", "namespace": "velero"}, "spec": map[string]any{"snapshotTyp": "CSI"}}}
	errs := v.Validate(context.Background(), u)
	if len(errs) == 0 || errs[0].Type != apischema.TypeUnknownField || errs[0].Field != "spec.snapshotTyp" {
		t.Errorf("DataUpload with a typo: %s", dump(errs))
	}
	if hint := v.FieldHint(gvk, "spec.snapshotTyp"); !strings.Contains(hint, `"snapshotType"`) {
		t.Errorf("FieldHint = %q", hint)
	}
	crds := allCRDs(t, v)
	for i := 1; i < len(crds); i++ {
		if crds[i-1].Name >= crds[i].Name {
			t.Fatalf("CRDs out of name order: %s before %s", crds[i-1].Name, crds[i].Name)
		}
	}
}
