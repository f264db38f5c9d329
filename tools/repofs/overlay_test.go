package repofs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWithReplacesFilesOnly(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "apps", "a"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "apps", "a", "app.yaml"), []byte("old\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "apps", "a", "other.yaml"), []byte("other\n"), 0o644))
	must(os.Symlink("a", filepath.Join(dir, "apps", "link")))
	base, err := Dir(dir, 0)
	must(err)
	over, err := base.With(map[string][]byte{"apps/a/app.yaml": []byte("new content\n")})
	must(err)
	if got, err := over.ReadFile("apps/a/app.yaml"); err != nil || string(got) != "new content\n" {
		t.Errorf("replaced file reads %q %v", got, err)
	}
	if got, err := over.ReadFile("apps/link/app.yaml"); err != nil || string(got) != "new content\n" {
		t.Errorf("through the link: %q %v", got, err)
	}
	if got, _ := over.ReadFile("apps/a/other.yaml"); string(got) != "other\n" {
		t.Errorf("other file reads %q", got)
	}
	entries, err := over.ReadDir("apps/a")
	must(err)
	info, err := entries[0].Info()
	must(err)
	if entries[0].Name() != "app.yaml" || info.Size() != int64(len("new content\n")) {
		t.Errorf("listing shows %s of %d bytes", entries[0].Name(), info.Size())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "apps", "a", "app.yaml")); string(got) != "old\n" {
		t.Errorf("the disk changed: %q", got)
	}
	for _, bad := range []string{"apps/link/app.yaml", "apps/a", "apps/a/missing.yaml", "../x", ".git/config"} {
		if _, err := base.With(map[string][]byte{bad: nil}); err == nil {
			t.Errorf("With(%s) accepted", bad)
		}
	}
	_, err = base.With(map[string][]byte{"apps/link/app.yaml": nil})
	if !errors.Is(err, ErrNotRegular) {
		t.Errorf("through a link: %v", err)
	}
	if _, err := fs.Stat(over, "apps/a/app.yaml"); err != nil {
		t.Error(err)
	}
}
