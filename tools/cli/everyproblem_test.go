package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// editLine replaces the start of a line of a file in root (from must be
// what the line starts with; to may hold several lines).
func editLine(t *testing.T, root, file string, line int, from, to string) {
	t.Helper()
	path := filepath.Join(root, file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if !strings.HasPrefix(lines[line-1], from) {
		t.Fatalf("%s:%d is %q, not %q…", file, line, lines[line-1], from)
	}
	lines[line-1] = to + strings.TrimPrefix(lines[line-1], from)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runIn(root string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append([]string{"--repo", root}, args...), IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

// TestEveryManifestProblemInOneRun: a manifest with three mistakes — a
// value of the wrong type, a misspelt field, a wrong type deep in the pod
// template — gets all three from one render and one check, each at its own
// line and column, in words without Go type names; the run exits 2 (input
// errors) and writes nothing.
func TestEveryManifestProblemInOneRun(t *testing.T) {
	root := copyTree(t, minimalFleet)
	const file = "apps/web/manifests/deployment.yaml"
	editLine(t, root, file, 17, "          image: registry.example.com/web:1.2.3", "          image: registry.example.com/web:1.2.3\n          imagePullPolicy: 3")
	editLine(t, root, file, 6, "  replicas: 6", "  replicas: six\n  progressDeadlineSecond: 60")
	want := []string{
		file + `:6:3: Deployment/web/web: spec.replicas: expected numeric (int or float), got string "six"`,
		file + `:7:3: Deployment/web/web: spec.progressDeadlineSecond: unknown field "spec.progressDeadlineSecond" (did you mean "progressDeadlineSeconds"?)`,
		file + `:19:11: Deployment/web/web: spec.template.spec.containers[name="web"].imagePullPolicy: expected string, got number 3`,
	}
	code, out, errOut := runIn(root, "render")
	if code != ExitInput {
		t.Errorf("render: exit %d, want %d\n%s%s", code, ExitInput, out, errOut)
	}
	at := -1
	for _, w := range want {
		i := strings.Index(out, w)
		if i < 0 {
			t.Errorf("render does not say\n  %s\nin:\n%s", w, out)
		} else if i < at {
			t.Errorf("render says %q out of line order:\n%s", w, out)
		}
		at = max(at, i)
	}
	if !strings.Contains(out, "3 validation findings (3 input errors): rendered/ left untouched") {
		t.Errorf("render does not count the findings:\n%s", out)
	}
	if strings.Contains(out+errOut, "Go struct") || strings.Contains(out+errOut, "int32") {
		t.Errorf("render speaks of Go types:\n%s%s", out, errOut)
	}
	if _, err := os.Stat(filepath.Join(root, "rendered")); !os.IsNotExist(err) {
		t.Errorf("render wrote rendered/ (%v)", err)
	}

	code, out, errOut = runIn(root, "check")
	if code != ExitInput {
		t.Errorf("check: exit %d, want %d\n%s%s", code, ExitInput, out, errOut)
	}
	for _, w := range []string{"6:3 ", "7:3 ", "19:11 ", "errors (3 input errors)", "not compared with rendered/ (input errors)"} {
		if !strings.Contains(out, w) {
			t.Errorf("check does not say %q:\n%s", w, out)
		}
	}
}

// TestOneExitCodeRule: the same kind of mistake exits the same way in a
// manifest and in intent — a misspelt field or a value of the wrong type
// is an input error (2) in both — while a well-formed value the API
// server's validation refuses is a finding (1).
func TestOneExitCodeRule(t *testing.T) {
	for _, c := range []struct {
		name, file string
		line       int
		from, to   string
		want       int
	}{
		{"manifest typo", "apps/web/manifests/deployment.yaml", 6, "  replicas", "  replica", ExitInput},
		{"intent typo", "clusters/cloud-a.yaml", 10, "  region", "  regoin", ExitInput},
		{"manifest wrong type", "apps/web/manifests/deployment.yaml", 6, "  replicas: 6", "  replicas: six", ExitInput},
		{"intent wrong type", "clusters/cloud-b.yaml", 13, "    nodes:", "    nodes: many #", ExitInput},
		{"manifest invalid value", "apps/web/manifests/deployment.yaml", 6, "  replicas: 6", "  replicas: -1", ExitFindings},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := copyTree(t, minimalFleet)
			editLine(t, root, c.file, c.line, c.from, c.to)
			for _, cmd := range []string{"render", "check", "validate"} {
				if code, out, errOut := runIn(root, cmd); code != c.want {
					t.Errorf("%s: exit %d, want %d\n%s%s", cmd, code, c.want, out, errOut)
				}
			}
		})
	}
}
