package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/report"
)

// plainManifest is a folder of Kubernetes YAML that is no Flotilla
// repository: a Deployment with a field no API server accepts (line 9)
// and a container without resources or a pinned image (lines 17-18).
const plainManifest = `# a team's hand-written manifest
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  replica: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
`

func writePlain(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(plainManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestValidatePlainYAMLNamesFileLineAndField(t *testing.T) {
	dir := writePlain(t)
	code, out, errOut := run(t, "validate", dir)
	// An unknown field is an input error, as in intent.
	if code != ExitInput {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitInput, out, errOut)
	}
	want := filepath.ToSlash(filepath.Join(dir, "web.yaml")) + ":9"
	if !strings.Contains(out, want) || !strings.Contains(out, "spec.replica") || !strings.Contains(out, "Deployment/shop/web") {
		t.Errorf("output does not name %s, the field and the object:\n%s", want, out)
	}
	if !strings.Contains(out, "1 validation finding (1 input error) in 1 object\n") {
		t.Errorf("output does not count one finding in one object:\n%s", out)
	}
}

func TestCheckPlainYAMLWithSelectedRules(t *testing.T) {
	dir := writePlain(t)
	code, out, errOut := run(t, "check", dir, "--rule", "SEC-005,SEC-006", "-o", "json")
	if code != ExitInput {
		t.Fatalf("exit %d, want %d (the unknown field is an input error)\n%s%s", code, ExitInput, out, errOut)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Rule+" "+filepath.Base(f.File)+":"+strconv.Itoa(f.Line)+" "+f.Field)
	}
	want := []string{
		"VALIDATE web.yaml:9 spec.replica",
		"SEC-005 web.yaml:17 spec.template.spec.containers[0].resources",
		"SEC-006 web.yaml:18 spec.template.spec.containers[0].image",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range rep.Rules {
		if r.ID == "SEC-002" || r.ID == RuleRenderStale {
			t.Errorf("report lists rule %s, which did not run", r.ID)
		}
	}

	// Without a selection the whole pack runs: more findings than the two
	// selected rules give.
	code, out, _ = run(t, "check", dir, "-o", "json")
	var all report.Report
	if err := json.Unmarshal([]byte(out), &all); code != ExitInput || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	if len(all.Findings) <= len(rep.Findings) {
		t.Errorf("whole pack found %d findings, selection %d", len(all.Findings), len(rep.Findings))
	}

	code, _, errOut = run(t, "check", dir, "--rule", "SEC-99*")
	if code != ExitInput || !strings.Contains(errOut, `"SEC-99*" matches no rule`) {
		t.Errorf("unknown rule pattern: exit %d, %q", code, errOut)
	}
	code, _, errOut = run(t, "lint", filepath.Join(dir, "missing"))
	if code != ExitInput || !strings.Contains(errOut, "missing") {
		t.Errorf("missing path: exit %d, %q", code, errOut)
	}
}
