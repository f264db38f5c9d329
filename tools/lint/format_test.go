package lint

import (
	"bytes"
	"io/fs"
	"path"
	"strconv"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"

	flotilla "github.com/flotilla-gitops/flotilla"
)

// TestPackIsFormatted holds the built-in pack to `opa fmt` (Rego v1), as
// policies/README.md promises: OPA's own formatter leaves every file as
// it is.
func TestPackIsFormatted(t *testing.T) {
	pack := flotilla.DefaultPolicies()
	n := 0
	err := fs.WalkDir(pack, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".rego" {
			return err
		}
		src, err := fs.ReadFile(pack, name)
		if err != nil {
			return err
		}
		n++
		got, err := format.SourceWithOpts(name, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return nil
		}
		if !bytes.Equal(got, src) {
			t.Errorf("policies/%s is not formatted: run opa fmt -w policies (or see the formatter's output below)\n%s", name, firstDiff(src, got))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no policies found")
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(al) && i < len(bl); i++ {
		if !bytes.Equal(al[i], bl[i]) {
			return "line " + strconv.Itoa(i+1) + ":\n  have: " + string(al[i]) + "\n  want: " + string(bl[i])
		}
	}
	return "lengths differ"
}
