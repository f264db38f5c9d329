package pipeline_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/renderfs"
)

const exampleRepo = "../.."

// TestExampleFleetMatchesCommittedRender is the golden test of the example
// fleet: the committed rendered/ is reviewed output, and a fresh render
// must reproduce it byte for byte. When a change alters it on purpose, run
// `flotilla render`, review the diff, and commit it with the change.
func TestExampleFleetMatchesCommittedRender(t *testing.T) {
	eng := sharedEngine(t)
	r, err := eng.Render(context.Background(), exampleRepo)
	if err != nil {
		t.Fatalf("example fleet: %v", err)
	}
	files, err := r.Output.Files()
	if err != nil {
		t.Fatal(err)
	}
	changes, err := renderfs.Compare(context.Background(), exampleRepo, render.RenderedDir, files, renderfs.LockOptions{Wait: renderfs.DefaultLockWait, Holder: "pipeline golden test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		t.Errorf("%s %s: rendered/ differs from a fresh render (run `flotilla render`, review, commit)", c.Kind, c.Path)
	}
}

// TestRenderIsDeterministic renders the example fleet with different
// parallelism and compares every byte.
func TestRenderIsDeterministic(t *testing.T) {
	requireDeterministicRender(t, exampleRepo, 1, 8, 3)
}

// requireDeterministicRender renders root at each parallelism and fails
// the test unless every run writes the very same files.
func requireDeterministicRender(t *testing.T, root string, parallelisms ...int) {
	t.Helper()
	var first map[string][]byte
	for _, par := range parallelisms {
		eng := &pipeline.Engine{Schema: sharedEngine(t).Schema, Parallelism: par}
		r, err := eng.Render(context.Background(), root)
		if err != nil {
			t.Fatal(err)
		}
		files, err := r.Output.Files()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = files
			continue
		}
		if len(files) != len(first) {
			t.Fatalf("parallelism %d: %d files, want %d", par, len(files), len(first))
		}
		for p, data := range files {
			if !bytes.Equal(data, first[p]) {
				t.Errorf("parallelism %d: %s differs", par, p)
			}
		}
	}
}
