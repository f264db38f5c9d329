package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
)

const (
	minimalFleet = "../../tests/fleets/minimal"
	badCorpus    = "../../tests/bad-intent"
)

var (
	engineOnce sync.Once
	engine     *pipeline.Engine
	engineErr  error
)

// sharedEngine prepares the schemas once for the whole package.
func sharedEngine(t testing.TB) *pipeline.Engine {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = pipeline.NewEngine(0) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

// copyTree copies a fleet into a fresh folder.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// overlay applies a txtar case to a fleet: each file replaces or adds a
// file; a file whose content is "DELETE" removes it. The "want" section is
// returned instead of written.
func overlay(t testing.TB, root string, ar *txtar.Archive) []string {
	t.Helper()
	var want []string
	for _, f := range ar.Files {
		if f.Name == "want" {
			for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					want = append(want, l)
				}
			}
			continue
		}
		writeOrDelete(t, root, f)
	}
	return want
}

// writeOrDelete writes a txtar file under root, or removes the path when
// its content is "DELETE".
func writeOrDelete(t testing.TB, root string, f txtar.File) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(f.Name))
	if strings.TrimSpace(string(f.Data)) == "DELETE" {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, f.Data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMinimalFleetRendersClean is the corpus' baseline: the unbroken fleet
// loads, cross-checks, renders and validates without a finding.
func TestMinimalFleetRendersClean(t *testing.T) {
	eng := sharedEngine(t)
	r, err := eng.Render(context.Background(), copyTree(t, minimalFleet))
	if err != nil {
		t.Fatalf("minimal fleet: %v", err)
	}
	fs, err := eng.Validate(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Errorf("finding: %s", f.Error())
	}
}

// TestBadIntentCorpus breaks the minimal fleet one way per case and checks
// the exact errors: file, line, column, object, field and message, all of
// them, sorted.
func TestBadIntentCorpus(t *testing.T) {
	eng := sharedEngine(t)
	cases, err := filepath.Glob(filepath.Join(badCorpus, "*.txtar"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases in %s: %v", badCorpus, err)
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(c), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(c)
			if err != nil {
				t.Fatal(err)
			}
			root := copyTree(t, minimalFleet)
			want := overlay(t, root, ar)
			_, err = eng.Render(context.Background(), root)
			var list diag.List
			if !errors.As(err, &list) {
				t.Fatalf("want errors\n%s\ngot %v", strings.Join(want, "\n"), err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if len(want) == 0 {
				t.Fatalf("case has no want section; it produces:\n%s", strings.Join(got, "\n"))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors differ\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, e := range list {
				// Every error has a file; only a missing file and a folder
				// (named with its trailing "/") have no line.
				if e.File == "" || (e.Line == 0 && !strings.Contains(e.Msg, "missing") && !strings.HasSuffix(e.File, "/")) {
					t.Errorf("error without file and line: %s", e.Error())
				}
			}
		})
	}
}
