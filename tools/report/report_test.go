package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/flotilla-gitops/flotilla/tools/junit"
)

func sample() *Report {
	r := &Report{
		Tool: "flotilla", Version: "test", Objects: 3,
		Rules: []Rule{
			{ID: "GO-001", Title: "Go container with a memory limit but no GOMEMLIMIT", Description: "why", Severity: Error, Remediation: "set it", HelpURI: "https://go.dev/doc/gc-guide#Memory_limit", Family: "go_runtime", Tags: []string{"scope:object"}},
			{ID: "SPOT-002", Title: "No preStop hook", Severity: Warning, Family: "spot"},
		},
		Findings: []Finding{
			{Rule: "SPOT-002", Severity: Warning, Category: CategoryLint, Message: "no preStop, hook: 100%", File: "apps/b.yaml", Line: 9, Column: 3, Object: "Deployment/ns/b"},
			{Rule: "GO-001", Severity: Error, Category: CategoryLint, Message: "container \"server\" has no GOMEMLIMIT", File: "apps/a/deploy.yaml", Line: 23, Column: 9, Object: "Deployment/ns/a", Field: "spec.template.spec.containers[0].env", Rendered: "rendered/p/apps/a/deployment-a.yaml"},
			{Rule: "RENDER-001", Severity: Error, Category: CategoryRender, Message: "stale", File: "rendered/p/x.yaml"},
		},
		Suppressed: []Finding{
			{Rule: "GO-001", Severity: Error, Category: CategoryLint, Message: "accepted", File: "apps/c.yaml", Line: 4, Object: "Deployment/ns/c", Exception: "legacy image, replaced in Q3"},
		},
	}
	r.Sort()
	return r
}

// sarifSchema fetches the OASIS SARIF 2.1.0 schema. It is not copied into
// this repository: gosec's module carries the official file as test data,
// and the Go module proxy serves it.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/securego/gosec/v2@v2.30.0").Output()
	if err != nil {
		t.Fatalf("download the module holding the SARIF schema: %v", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %s", out)
	}
	f, err := os.Open(filepath.Join(mod.Dir, "report", "sarif", "testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestSARIFValidatesAgainstTheSchemaAndPointsAtSources(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "sarif", sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifSchema(t).Validate(inst); err != nil {
		t.Fatalf("SARIF does not validate against 2.1.0:\n%v\n%s", err, b.String())
	}
	var log sarifLog
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results
	if len(res) != 4 {
		t.Fatalf("%d results, want 3 findings + 1 suppressed", len(res))
	}
	// Sorted by source file: apps/a/deploy.yaml first.
	go1 := res[0]
	if go1.RuleID != "GO-001" || go1.Locations[0].PhysicalLocation.ArtifactLocation.URI != "apps/a/deploy.yaml" ||
		go1.Locations[0].PhysicalLocation.Region.StartLine != 23 || go1.RelatedLocations[0].PhysicalLocation.ArtifactLocation.URI != "rendered/p/apps/a/deployment-a.yaml" {
		t.Errorf("GO-001 result does not point at the source with the rendered file related: %+v", go1)
	}
	if log.Runs[0].Tool.Driver.Rules[go1.RuleIndex].ID != "GO-001" {
		t.Errorf("ruleIndex does not point at GO-001")
	}
	last := res[3]
	if len(last.Suppressions) != 1 || last.Suppressions[0].Justification != "legacy image, replaced in Q3" {
		t.Errorf("suppressed finding lacks its justification: %+v", last)
	}
	for _, r := range res {
		if r.RuleID == "RENDER-001" && r.Locations[0].PhysicalLocation.Region != nil {
			t.Errorf("a finding without a line must have no region (startLine must be >= 1)")
		}
	}
}

func TestJUnitHasAFailurePerRuleWithErrors(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "junit", sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	var s junit.Suites
	if err := xml.Unmarshal(b.Bytes(), &s); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	// GO-001 and RENDER-001 fail; SPOT-002 (a warning) passes with output.
	if s.Tests != 3 || s.Failures != 2 {
		t.Fatalf("tests=%d failures=%d, want 3 and 2\n%s", s.Tests, s.Failures, b.String())
	}
	for _, suite := range s.Suites {
		for _, c := range suite.Cases {
			if strings.HasPrefix(c.Name, "SPOT-002") && (c.Failure != nil || !strings.Contains(c.SystemOut, "apps/b.yaml:9")) {
				t.Errorf("warning case: %+v", c)
			}
			if strings.HasPrefix(c.Name, "GO-001") && (c.Failure == nil || !strings.Contains(c.Failure.Text, "apps/a/deploy.yaml:23")) {
				t.Errorf("error case: %+v", c)
			}
		}
	}
}

func TestGitHubAnnotationsEscapeData(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "github", sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{
		`::error file=apps/a/deploy.yaml,line=23,col=9,title=GO-001 Deployment/ns/a::container "server" has no GOMEMLIMIT (rendered as rendered/p/apps/a/deployment-a.yaml)`,
		`::warning file=apps/b.yaml,line=9,col=3,title=SPOT-002 Deployment/ns/b::no preStop, hook: 100%25`,
		`::error file=rendered/p/x.yaml,title=RENDER-001::stale`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestTextGroupsByFileAndCounts(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "text", sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"apps/a/deploy.yaml\n  23:9     error    GO-001      Deployment/ns/a: container \"server\" has no GOMEMLIMIT\n           rendered as rendered/p/apps/a/deployment-a.yaml\n",
		"2 errors, 1 warning, 1 accepted by exceptions in 3 objects, 2 rules\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour without a terminal")
	}
	var col bytes.Buffer
	Write(&col, "text", sample(), Options{Color: true})
	if !strings.Contains(col.String(), ansiRed) {
		t.Errorf("no colour with Color set")
	}
}

func TestFailedHonoursFailOn(t *testing.T) {
	r := &Report{Findings: []Finding{{Severity: Warning}}}
	if r.Failed(Error) || !r.Failed(Warning) {
		t.Errorf("warnings alone fail only with fail-on warning")
	}
	if err := Write(&bytes.Buffer{}, "yaml", r, Options{}); err == nil {
		t.Errorf("unknown format accepted")
	}
}
