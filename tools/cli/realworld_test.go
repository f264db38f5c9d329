package cli

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/report"
)

// realWorld is a hand-written folder of the YAML public repositories hold
// beside their manifests: a Helm chart, a kustomization (built) and one
// with a remote base (refused), a documentation
// snippet that is not YAML, a docker-compose file, a document without a
// kind, Lists inside Lists with a string item, a complex map key, a Secret
// with a value that is not base64, and a vendored file that does not parse.
const realWorld = "testdata/realworld"

// goTypeNames are what a message must never show a user.
var goTypeNames = regexp.MustCompile(`map\[|interface \{\}|\bint32\b|\bint64\b|Go struct|\[\]interface|\*v1\.|&\{`)

// TestRealWorldFolderIsReadToTheEnd: validate, lint and check on a folder
// mixing valid manifests with files that cannot be read report every
// object and every problem, each at its file, line and column, skip and
// list what is not Kubernetes YAML, exit 2 (input errors), and fill every
// output format.
func TestRealWorldFolderIsReadToTheEnd(t *testing.T) {
	code, out, errOut := run(t, "validate", realWorld, "--exclude", "vendor")
	if code != ExitInput {
		t.Fatalf("validate: exit %d, want %d\n%s%s", code, ExitInput, out, errOut)
	}
	p := realWorld + "/"
	for _, want := range []string{
		"skipped " + p + "chart/Chart.yaml: Helm chart metadata",
		"skipped " + p + "chart/values.yaml: Helm chart metadata",
		"skipped " + p + "chart/templates/deployment.yaml: a Helm chart template",
		"skipped " + p + "vendor/: excluded by --exclude",
		p + "complex-key.yaml:6:5: data: a key is a mapping",
		p + "compose.yml:1:1: not a Kubernetes object: no apiVersion and no kind",
		p + "docs/snippet.yaml:7:",
		p + `lists.yaml:10:16: ConfigMap/inner: data.a: expected string, got number 1`,
		p + `lists.yaml:11:5: items[1]: a List item is string "just a string", not a Kubernetes object`,
		p + `lists.yaml:16:26: Service/svc: spec.ports[0].protocl: unknown field "spec.ports[0].protocl" (did you mean "protocol"?)`,
		p + "nokind.yaml:1:1: not a Kubernetes object: no kind (it has apiVersion v1)",
		// The kustomization is built: its ConfigMap is checked as built,
		// at its own line, and the generated one too (7 objects).
		p + `k/cm.yaml:4:1: ConfigMap/k: immutible: unknown field "immutible" (did you mean "immutable"?)`,
		p + `remote/kustomization.yaml:3:5: resources[0]: "https://example.com/base.yaml" is a remote reference`,
		p + "secret.yaml:8:3: Secret/x/s: data[bad]: illegal base64 data at input byte 3",
		"10 validation findings (10 input errors) in 7 objects",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate does not say\n  %s\nin:\n%s", want, out)
		}
	}
	if strings.Contains(out, "web.yaml") || strings.Contains(out, "generated") {
		t.Errorf("validate reports the valid files:\n%s", out)
	}

	// Without --exclude the vendored file is one more problem, and the
	// rest is read all the same.
	code, out, _ = run(t, "validate", realWorld)
	if code != ExitInput || !strings.Contains(out, p+"vendor/broken.yaml:2") || !strings.Contains(out, "11 validation findings (11 input errors) in 7 objects") {
		t.Errorf("validate without --exclude: exit %d\n%s", code, out)
	}

	code, out, errOut = run(t, "check", realWorld, "--exclude", "vendor", "-o", "json")
	if code != ExitInput {
		t.Fatalf("check -o json: exit %d, want %d\n%s", code, ExitInput, errOut)
	}
	var rep struct {
		Objects  int              `json:"objects"`
		Findings []report.Finding `json:"findings"`
		Skipped  []report.Skipped `json:"skipped"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var input []string
	for _, f := range rep.Findings {
		if f.Input {
			input = append(input, fmt.Sprintf("%s %s:%d", f.Rule, strings.TrimPrefix(f.File, p), f.Line))
		}
	}
	wantInput := []string{
		"INPUT complex-key.yaml:6", "INPUT compose.yml:1", "INPUT docs/snippet.yaml:7", "VALIDATE k/cm.yaml:4",
		"VALIDATE lists.yaml:10", "INPUT lists.yaml:11", "VALIDATE lists.yaml:16",
		"INPUT nokind.yaml:1", "INPUT remote/kustomization.yaml:3", "VALIDATE secret.yaml:8",
	}
	if !slices.Equal(input, wantInput) {
		t.Errorf("check's input errors:\n%s\nwant:\n%s", strings.Join(input, "\n"), strings.Join(wantInput, "\n"))
	}
	if rep.Objects != 7 || len(rep.Skipped) != 4 {
		t.Errorf("check: %d objects, %d skipped; want 7 and 4: %+v", rep.Objects, len(rep.Skipped), rep.Skipped)
	}

	all := out
	for format, want := range map[string]string{
		"text":   "INPUT       not a Kubernetes object: no kind",
		"sarif":  `"ruleId": "INPUT"`,
		"junit":  "INPUT",
		"github": "::error file=" + p + "nokind.yaml,line=1",
	} {
		for _, cmd := range []string{"check", "lint"} {
			code, out, errOut := run(t, cmd, realWorld, "--exclude", "vendor", "-o", format)
			all += out + errOut
			if code != ExitInput || !strings.Contains(out, want) {
				t.Errorf("%s -o %s: exit %d, output lacks %q:\n%s%s", cmd, format, code, want, out, errOut)
			}
		}
	}
	if m := goTypeNames.FindString(all); m != "" {
		t.Errorf("a message shows a Go type (%q):\n%s", m, all)
	}
}
