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

// TestKeyFollowsWhatIsBuilt: a family's cache key changes with its go.sum,
// with the binaries it builds, and with Go source its module holds, so a
// changed engine is never taken from the cache.
func TestKeyFollowsWhatIsBuilt(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "scripts", "engines", "x")
	if err := os.MkdirAll(filepath.Join(dir, "cmd"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.sum", "a v1 h1:x\n")
	write("cmd/main.go", "package main\n")
	f := Family{Name: "x", Module: "example.com/x", Version: "v1", Binaries: []Binary{{"x", "example.com/x/cmd"}}}
	key := func(f Family) string {
		t.Helper()
		k, err := key(root, f)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(f)
	if key(f) != base {
		t.Fatal("the key is not stable")
	}
	write("cmd/main.go", "package main\n\nfunc main() {}\n")
	src := key(f)
	if src == base {
		t.Error("the key ignores the module's own Go source")
	}
	write("go.sum", "a v2 h1:y\n")
	sum := key(f)
	if sum == src {
		t.Error("the key ignores go.sum")
	}
	f.Binaries = append(f.Binaries, Binary{"y", "example.com/y"})
	if key(f) == sum {
		t.Error("the key ignores the binaries built")
	}
}
