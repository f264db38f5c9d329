package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSyntaxErrorsShowTheLineWithACaret: a tab on line 17 of a manifest
// and a dedented key on line 10 of another are reported by one render at
// their own line and column, in plain words, each with the line shown and
// a caret under the character.
func TestSyntaxErrorsShowTheLineWithACaret(t *testing.T) {
	root := copyTree(t, minimalFleet)
	editLine(t, root, "apps/web/manifests/deployment.yaml", 17, "          image", "\t  image")
	editLine(t, root, "apps/web/manifests/service.yaml", 10, "      targetPort", "     targetPort")
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"--repo", root, "render"}, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	want := `apps/web/manifests/deployment.yaml:17:1: invalid YAML: a tab character in the indentation: YAML indents with spaces, never tabs
    17 | →  image: registry.example.com/web:1.2.3
       | ^
apps/web/manifests/service.yaml:10:6: invalid YAML: bad indentation: this line is indented by 5 space(s), which lines up with no key above it
    10 |      targetPort: 8080
       |      ^
2 errors
`
	if code != ExitInput || errOut.String() != want {
		t.Errorf("exit %d, stderr:\n%s\nwant exit %d and:\n%s", code, errOut.String(), ExitInput, want)
	}
}
