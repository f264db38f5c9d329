package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records whether the check failed.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}

func TestCheck(t *testing.T) {
	t.Chdir(t.TempDir())
	// -update writes the file; the same output then matches it.
	Check(t, "sub/out.txt", []byte("a\n"), true)
	if data, err := os.ReadFile(filepath.Join("testdata", "sub", "out.txt")); err != nil || string(data) != "a\n" {
		t.Fatalf("not written: %q, %v", data, err)
	}
	Check(t, "sub/out.txt", []byte("a\n"), false)
	// Different output fails, and the file stays as reviewed.
	r := &recorder{TB: t}
	Check(r, "sub/out.txt", []byte("b\n"), false)
	if !r.failed {
		t.Error("different output passed")
	}
	if data, _ := os.ReadFile(filepath.Join("testdata", "sub", "out.txt")); string(data) != "a\n" {
		t.Errorf("the golden file changed without -update: %q", data)
	}
}
