package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
)

// TestRepositoryPoliciesAreReadThroughTheJail: a policy file linked out of
// the repository is refused, not compiled (a Rego parse error would quote
// the outside file).
func TestRepositoryPoliciesAreReadThroughTheJail(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.rego")
	if err := os.WriteFile(outside, []byte("package x\nsecret := \"s3cr3t\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "policies", "leak.rego")); err != nil {
		t.Fatal(err)
	}
	_, err := lint.LoadPack(pipeline.PolicySources(root, nil)...)
	if err == nil || !strings.Contains(err.Error(), "leak.rego: leaves the repository: symbolic link") {
		t.Errorf("LoadPack = %v, want the link refused", err)
	}
}
