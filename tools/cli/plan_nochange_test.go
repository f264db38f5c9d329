package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanOfAChangeOutsideTheFleet: a pull request that touches no fleet
// file (documentation, CI configuration) or nothing at all has a plan —
// "no change to the fleet", exit 0, with --detailed-exitcode too — and
// never an error, so a plan job wired as the README shows passes it.
func TestPlanOfAChangeOutsideTheFleet(t *testing.T) {
	root := copyTree(t, minimalFleet)
	gitIn(t, root, "init", "-q", "-b", "main")
	gitIn(t, root, "add", ".")
	gitIn(t, root, "commit", "-q", "-m", "base")
	commit := func(file, text string) {
		t.Helper()
		path := filepath.Join(root, file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		gitIn(t, root, "add", ".")
		gitIn(t, root, "commit", "-q", "-m", "edit "+file)
	}
	plan := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append([]string{"--repo", root, "plan"}, args...), IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		return code, out.String(), errOut.String()
	}
	for _, c := range []struct {
		name  string
		setup func()
		base  string
	}{
		{"empty diff", func() {}, "HEAD"},
		{"documentation only", func() { commit("docs/notes.md", "a note\n") }, "HEAD~1"},
		{"CI only", func() { commit(".github/workflows/plan.yaml", "on: pull_request\n") }, "HEAD~1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.setup()
			for _, extra := range [][]string{nil, {"--detailed-exitcode"}, {"-o", "markdown"}} {
				code, out, errOut := plan(append([]string{"--base", c.base}, extra...)...)
				if code != 0 || !strings.Contains(strings.ToLower(out), "no change to the fleet") {
					t.Errorf("plan --base %s %v: exit %d, want 0 and \"no change to the fleet\"\nstdout: %s\nstderr: %s", c.base, extra, code, out, errOut)
				}
			}
		})
	}
}
