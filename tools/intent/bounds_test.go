package intent_test

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
)

func schema(t *testing.T) *apischema.Validator {
	t.Helper()
	v, err := apischema.New(apischema.Options{ExtraCRDs: []fs.FS{v1alpha1.CRDs()}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func errorTexts(t *testing.T, err error) []string {
	t.Helper()
	var list diag.List
	if !errors.As(err, &list) {
		t.Fatalf("want a diag.List, got %v", err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Error())
	}
	return out
}

// TestObjectsBoundCrossesAtTheSameDocument: the minimal fleet holds eight
// documents; with a bound of five, the sixth (in file order:
// clusters/edge-x.yaml's) is the one reported, at any parallelism.
func TestObjectsBoundCrossesAtTheSameDocument(t *testing.T) {
	v := schema(t)
	fsys := readFleet(t)
	var first []string
	for _, p := range []int{1, 2, 8} {
		_, err := intent.LoadFS(context.Background(), fsys, "", intent.Options{Schema: v, Parallelism: p, Bounds: bounds.Input{Objects: 5}})
		got := errorTexts(t, err)
		if len(got) != 1 || !strings.HasPrefix(got[0], "clusters/edge-x.yaml:") || !strings.HasSuffix(got[0], ": more than 5 objects are read by here, over the objects-per-render bound (raise it with --max-objects)") {
			t.Fatalf("parallelism %d: %q", p, got)
		}
		if first == nil {
			first = got
		} else if !slices.Equal(got, first) {
			t.Errorf("parallelism %d: %q, with 1: %q", p, got, first)
		}
	}
	if _, err := intent.LoadFS(context.Background(), fsys, "", intent.Options{Schema: v, Bounds: bounds.Input{Objects: 8}}); err != nil {
		t.Errorf("eight documents within a bound of eight: %v", err)
	}
}

// TestLoadReadsThroughTheJail: intent files linked out of the repository
// are errors at the file — fleet.yaml included, which is not "missing".
func TestLoadReadsThroughTheJail(t *testing.T) {
	m := readFleet(t)
	m["fleet.yaml"] = &fstest.MapFile{Data: []byte("/etc/passwd"), Mode: fs.ModeSymlink | 0o777}
	m["clusters/x.yaml"] = &fstest.MapFile{Data: []byte("../../outside.yaml"), Mode: fs.ModeSymlink | 0o777}
	_, err := intent.LoadFS(context.Background(), repofs.Tree(m, 0), "", intent.Options{Schema: schema(t)})
	want := []string{
		"clusters/x.yaml: leaves the repository: symbolic link clusters/x.yaml points to ../../outside.yaml",
		"fleet.yaml: leaves the repository: symbolic link fleet.yaml points to /etc/passwd",
	}
	if got := errorTexts(t, err); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestFuzzBaseLoads: FuzzLoad's starting fleet, drill plan included, is
// valid, so the fuzzer mutates valid files.
func TestFuzzBaseLoads(t *testing.T) {
	m := readFleet(t)
	m["backup/drills/web-cloud-a.yaml"] = &fstest.MapFile{Data: []byte(drillPlan)}
	repo, err := intent.LoadFS(context.Background(), m, "", intent.Options{Schema: schema(t)})
	if err != nil {
		t.Fatal(err)
	}
	if repo.Drill("web-cloud-a") == nil {
		t.Error("the drill plan did not load")
	}
}
