package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyTestSaysWhichPack: `policy test` names the pack it tests —
// the repository's policies/ inside one, flotilla's built-in pack outside
// (which a user meaning their own would otherwise never learn).
func TestPolicyTestSaysWhichPack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole pack's tests twice")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dir, want string
	}{
		{"in the repository", repo, "testing " + filepath.Join(repo, "policies") + "\n"},
		{"outside any repository", t.TempDir(), "testing flotilla's built-in pack\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(c.dir)
			var out, errOut bytes.Buffer
			code := Run(context.Background(), []string{"policy", "test"}, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			if code != ExitOK || !strings.HasPrefix(errOut.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want 0 and %q first", code, errOut.String(), c.want)
			}
		})
	}
}
