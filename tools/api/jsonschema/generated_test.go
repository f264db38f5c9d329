package jsonschema_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/api/jsonschema"
	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
)

const repoRoot = "../../.."

// TestEditorSchemasAreCurrent fails when tools/api/v1alpha1/schemas/ differs
// from what the CRDs generate (run `make generate`).
func TestEditorSchemasAreCurrent(t *testing.T) {
	files, err := jsonschema.FromCRDs(v1alpha1.CRDs())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 5 {
		t.Fatalf("got %d schemas, want one per intent kind (5)", len(files))
	}
	dir := filepath.Join(repoRoot, "tools/api/v1alpha1/schemas")
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Errorf("%s: %v (run `make generate`)", f.Name, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s is stale: run `make generate`", f.Name)
		}
	}
}

// TestIntentCRDsAreCurrent runs controller-gen over the intent types into a
// temporary folder and compares with the committed CRDs.
func TestIntentCRDsAreCurrent(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	out := t.TempDir()
	cmd := exec.Command("go", "tool", "-modfile=scripts/gotools/go.mod", "controller-gen",
		"crd:crdVersions=v1", "paths=./tools/api/v1alpha1/...", "output:crd:artifacts:config="+out)
	cmd.Dir = repoRoot
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen: %v\n%s", err, msg)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, _ := os.ReadDir(filepath.Join(repoRoot, "tools/api/v1alpha1/crds"))
	if len(entries) != len(committed) {
		t.Errorf("controller-gen wrote %d CRDs, %d are committed (run `make generate`)", len(entries), len(committed))
	}
	for _, e := range entries {
		want, _ := os.ReadFile(filepath.Join(out, e.Name()))
		got, err := os.ReadFile(filepath.Join(repoRoot, "tools/api/v1alpha1/crds", e.Name()))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("tools/api/v1alpha1/crds/%s is stale: run `make generate`", e.Name())
		}
	}
}
