package apischema_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// TestEmbeddedCRDsAreCurrent fails when crds/ differs from what `go
// generate` (internal/crdsync) writes from the engines' modules at the
// pinned versions: a hand edit, a missing regeneration after a version
// bump, or a file dropped upstream.
func TestEmbeddedCRDsAreCurrent(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH, so internal/crdsync cannot locate the engines' modules; crds/ was not checked")
	}
	out := t.TempDir()
	cmd := exec.Command(goBin, "run", "./internal/crdsync", "-out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run ./internal/crdsync: %v\n%s", err, stderr.String())
	}
	want, got := readTree(t, out), readTree(t, "crds")
	for _, name := range sortedKeys(want) {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("crds/%s is missing; run go generate ./tools/apischema", name)
		case !bytes.Equal(g, want[name]):
			t.Errorf("crds/%s differs from what internal/crdsync writes; run go generate ./tools/apischema", name)
		}
	}
	for _, name := range sortedKeys(got) {
		if _, ok := want[name]; !ok {
			t.Errorf("crds/%s is not written by internal/crdsync; remove it or add its source", name)
		}
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
