package engines

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestFamiliesMatchTheirModules: each family's module file requires the
// module at the version the family names (the cache key and the fleet's
// reported versions come from Families), and names every binary's package
// as a tool.
func TestFamiliesMatchTheirModules(t *testing.T) {
	for _, f := range Families() {
		data, err := os.ReadFile(filepath.Join("..", "..", "scripts", "engines", f.Name, "go.mod"))
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		req := regexp.MustCompile(`(?m)^\s*(require\s+)?` + regexp.QuoteMeta(f.Module) + `\s+` + regexp.QuoteMeta(f.Version) + `(\s|$)`)
		if !req.Match(data) {
			t.Errorf("%s: go.mod does not require %s %s", f.Name, f.Module, f.Version)
		}
		for _, b := range f.Binaries {
			tool := regexp.MustCompile(`(?m)^\s*(tool\s+)?` + regexp.QuoteMeta(b.Package) + `\s*$`)
			if !tool.Match(data) {
				t.Errorf("%s: go.mod has no tool %s (for %s)", f.Name, b.Package, b.Name)
			}
		}
		if _, err := os.Stat(filepath.Join("..", "..", "scripts", "engines", f.Name, "go.sum")); err != nil {
			t.Errorf("%s: no go.sum committed: %v", f.Name, err)
		}
	}
}
