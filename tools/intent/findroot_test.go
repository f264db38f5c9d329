package intent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindRootSaysWhatIsWrongWithTheFolder: --repo naming a folder that
// does not exist, or a file, says so, rather than "no fleet.yaml in …".
func TestFindRootSaysWhatIsWrongWithTheFolder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "fleet.yml")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "missing"): filepath.Join(dir, "missing") + " does not exist",
		file:                          file + " is not a folder",
		dir:                           "no fleet.yaml in " + dir + " or any parent folder",
	} {
		if _, err := FindRoot(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("FindRoot(%s) = %v, want %q", path, err, want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, FleetFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "apps"), 0o755); err != nil {
		t.Fatal(err)
	}
	if root, err := FindRoot(filepath.Join(dir, "apps")); err != nil || root != dir {
		t.Errorf("FindRoot(apps) = %s, %v; want %s", root, err, dir)
	}
}
