package race

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module's root, from this package's directory.
const repoRoot = "../../.."

// packagesFile lists, one per line, the packages `make unit` runs under
// the race detector.
const packagesFile = "packages.txt"

// TestPackagesListsWhereConcurrencyLives holds packages.txt equal to the
// packages that start goroutines — a go statement, or Go on an errgroup or
// WaitGroup — in their code or their tests, or whose tests run in
// parallel. The race detector costs five to ten times the CPU; spent on
// packages with nothing concurrent it finds nothing. A package that gains
// a goroutine fails this test until it is listed.
func TestPackagesListsWhereConcurrencyLives(t *testing.T) {
	want, err := concurrentPackages(repoRoot, "tools", "tests")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readPackages(packagesFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range want {
		if !slices.Contains(got, p) {
			t.Errorf("%s starts goroutines or runs tests in parallel: add %q to tools/internal/race/%s", p, p, packagesFile)
		}
	}
	for _, p := range got {
		if !slices.Contains(want, p) {
			t.Errorf("tools/internal/race/%s lists %q, which starts no goroutine and runs no test in parallel: remove it", packagesFile, p)
		}
	}
}

// TestConcurrentPackagesSeesEveryForm checks the finder on a small tree
// with one package per form, and one with none.
func TestConcurrentPackagesSeesEveryForm(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"tools/gostmt/a.go":          "package gostmt\nfunc f() { go f() }\n",
		"tools/errgroup/a.go":        "package errgroup\nimport \"golang.org/x/sync/errgroup\"\nfunc f() { var g errgroup.Group; g.Go(nil) }\n",
		"tools/waitgroup/a.go":       "package waitgroup\nimport \"sync\"\nfunc f() { var wg sync.WaitGroup; wg.Go(func() {}) }\n",
		"tools/intest/a.go":          "package intest\n",
		"tools/intest/a_test.go":     "package intest\nimport \"testing\"\nfunc TestX(t *testing.T) { done := make(chan int); go func() { close(done) }(); <-done }\n",
		"tools/parallel/a_test.go":   "package parallel\nimport \"testing\"\nfunc TestX(t *testing.T) { t.Parallel() }\n",
		"tools/serial/a.go":          "package serial\nimport \"strings\"\nfunc f() { var b strings.Builder; b.Grow(1) }\ntype x struct{}\nfunc (x) Go() {}\nfunc g() { x{}.Go() }\n",
		"tools/serial/testdata/b.go": "package b\nfunc f() { go f() }\n",
	}
	for name, src := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := concurrentPackages(root, "tools")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"./tools/errgroup", "./tools/gostmt", "./tools/intest", "./tools/parallel", "./tools/waitgroup"}
	if !slices.Equal(got, want) {
		t.Errorf("concurrentPackages = %q, want %q", got, want)
	}
}

// concurrentPackages returns, sorted, the directories under root's tops
// (as "./dir") holding a package that starts goroutines or runs its tests
// in parallel. testdata and hidden directories are not packages.
func concurrentPackages(root string, tops ...string) ([]string, error) {
	var out []string
	for _, top := range tops {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name := d.Name(); name == "testdata" || strings.HasPrefix(name, ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") {
				return nil
			}
			concurrent, err := fileIsConcurrent(path)
			if err != nil {
				return err
			}
			if concurrent {
				rel, err := filepath.Rel(root, filepath.Dir(path))
				if err != nil {
					return err
				}
				if p := "./" + filepath.ToSlash(rel); !slices.Contains(out, p) {
					out = append(out, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return out, nil
}

// fileIsConcurrent reports whether a Go file has a go statement, calls Go
// on a value in a file importing sync or errgroup, or (a test) calls
// Parallel.
func fileIsConcurrent(path string) (bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return false, err
	}
	groups := false
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "sync" || p == "golang.org/x/sync/errgroup" {
			groups = true
		}
	}
	test := strings.HasSuffix(path, "_test.go")
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			found = true
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
				if (sel.Sel.Name == "Go" && groups) || (sel.Sel.Name == "Parallel" && test && len(n.Args) == 0) {
					found = true
				}
			}
		}
		return !found
	})
	return found, nil
}

// readPackages reads packages.txt: one "./dir" per line; blank lines and
// lines starting with # are comments.
func readPackages(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for line := range strings.Lines(string(data)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, nil
}
