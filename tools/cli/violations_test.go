package cli

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/report"
)

// violationsFleet seeds one violation of every policy rule (and of every
// exception finding); its EXPECTED file lists what lint must report.
const violationsFleet = "../../tests/fleets/violations"

// expectedFindings is the content of the fleet's EXPECTED file.
type expectedFindings struct {
	// lines are the findings, "RULE-ID file:line object", sorted.
	lines []string
	// unreachable maps a rule id to why no valid repository triggers it
	// ("# not reachable: RULE-ID reason").
	unreachable map[string]string
	// wrongLines maps a finding as it is reported today to the EXPECTED
	// line it should be ("# wrong line: RULE-ID file:line object got N reason").
	wrongLines map[string]wrongLine
}

type wrongLine struct {
	want, reason string
}

func readExpected(t *testing.T) expectedFindings {
	t.Helper()
	f, err := os.Open(filepath.Join(violationsFleet, "EXPECTED"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	exp := expectedFindings{unreachable: map[string]string{}, wrongLines: map[string]wrongLine{}}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "# not reachable:"):
			rule, reason, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "# not reachable:")), " ")
			if strings.TrimSpace(reason) == "" {
				t.Fatalf("EXPECTED:%d: %s is not reachable without a reason", n, rule)
			}
			exp.unreachable[rule] = reason
		case strings.HasPrefix(line, "# wrong line:"):
			// RULE-ID file:line object got N reason...
			f := strings.Fields(strings.TrimPrefix(line, "# wrong line:"))
			if len(f) < 6 || f[3] != "got" {
				t.Fatalf("EXPECTED:%d: want `# wrong line: RULE-ID file:line object got N reason`, got %q", n, line)
			}
			file, _, ok := strings.Cut(f[1], ":")
			if _, err := strconv.Atoi(f[4]); err != nil || !ok {
				t.Fatalf("EXPECTED:%d: bad position in %q", n, line)
			}
			want := strings.Join(f[:3], " ")
			got := fmt.Sprintf("%s %s:%s %s", f[0], file, f[4], f[2])
			exp.wrongLines[got] = wrongLine{want: want, reason: strings.Join(f[5:], " ")}
		case strings.HasPrefix(line, "#"):
		default:
			if len(strings.Fields(line)) != 3 {
				t.Fatalf("EXPECTED:%d: want `RULE-ID file:line object`, got %q", n, line)
			}
			exp.lines = append(exp.lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(exp.lines) {
		t.Errorf("EXPECTED is not sorted")
	}
	for _, w := range exp.wrongLines {
		if !slices.Contains(exp.lines, w.want) {
			t.Errorf("EXPECTED: wrong-line entry %q names no finding of the list", w.want)
		}
	}
	return exp
}

// findingLine formats a finding as EXPECTED lists it.
func findingLine(f report.Finding) string {
	return fmt.Sprintf("%s %s:%d %s", f.Rule, f.File, f.Line, f.Object)
}

// seededRules returns the rule ids named in "seeded: RULE-ID" comments of
// the fleet's YAML.
func seededRules(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`#.*\bseeded: ([A-Z]+-[0-9]+)`)
	out := map[string]bool{}
	err := filepath.WalkDir(violationsFleet, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(p) != ".yaml" && filepath.Ext(p) != ".yml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			out[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lineDiff lists the lines only in want ("-") or only in got ("+"),
// counting duplicates.
func lineDiff(want, got []string) string {
	count := map[string]int{}
	for _, l := range got {
		count[l]++
	}
	var b strings.Builder
	for _, l := range want {
		if count[l] > 0 {
			count[l]--
			continue
		}
		fmt.Fprintf(&b, "- %s\n", l)
	}
	for _, l := range got {
		if count[l] > 0 {
			count[l]--
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}

func TestSeededViolations(t *testing.T) {
	exp := readExpected(t)
	code, out, errOut := run(t, "lint", "--repo", violationsFleet, "-o", "json")
	if code != ExitFindings {
		t.Fatalf("lint: exit %d, want %d\n%s", code, ExitFindings, errOut)
	}
	var rep struct {
		Findings   []report.Finding `json:"findings"`
		Suppressed []report.Finding `json:"suppressed"`
		Rules      []report.Rule    `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("lint -o json: %v\n%s", err, out)
	}

	var got []string
	mapped := map[string]bool{}
	for _, f := range rep.Findings {
		l := findingLine(f)
		if w, ok := exp.wrongLines[l]; ok {
			t.Logf("known wrong line: %s is reported at %s:%d (%s)", w.want, f.File, f.Line, w.reason)
			mapped[l] = true
			l = w.want
		}
		got = append(got, l)
	}
	slices.Sort(got)
	if !slices.Equal(got, exp.lines) {
		t.Errorf("lint findings differ from %s/EXPECTED (- expected, + reported):\n%s", violationsFleet, lineDiff(exp.lines, got))
	}
	for l, w := range exp.wrongLines {
		if !mapped[l] {
			t.Errorf("EXPECTED says %s is reported at the wrong line (%s), but no finding was reported there: if the engine now reports the right line, remove the `# wrong line:` entry", w.want, l)
		}
	}

	// Every rule of the pack (and every exception finding) fires, or
	// EXPECTED says why it cannot.
	fired := map[string]bool{}
	for _, f := range rep.Findings {
		fired[f.Rule] = true
	}
	known := map[string]bool{}
	for _, r := range rep.Rules {
		known[r.ID] = true
		reason, unreachable := exp.unreachable[r.ID]
		switch {
		case !fired[r.ID] && !unreachable:
			t.Errorf("rule %s (%s) has no finding in the fleet and EXPECTED does not list it as not reachable", r.ID, r.Title)
		case fired[r.ID] && unreachable:
			t.Errorf("rule %s fires, but EXPECTED lists it as not reachable (%s): remove that entry", r.ID, reason)
		}
	}
	if len(rep.Rules) == 0 {
		t.Errorf("the report lists no rules")
	}
	for id := range exp.unreachable {
		if !known[id] {
			t.Errorf("EXPECTED lists %s as not reachable, but the pack has no such rule", id)
		}
	}

	// Each expected rule is seeded by a commented violation, and each
	// seeded comment is either reported or explained.
	seeded := seededRules(t)
	for _, l := range exp.lines {
		if rule, _, _ := strings.Cut(l, " "); !seeded[rule] {
			t.Errorf("EXPECTED lists %s, but no `# seeded: %s` comment in the fleet says where it comes from", l, rule)
		}
	}
	for rule := range seeded {
		if _, ok := exp.unreachable[rule]; !fired[rule] && !ok {
			t.Errorf("the fleet seeds %s, which lint does not report and EXPECTED does not explain", rule)
		}
	}

	// Exceptions that accept collateral findings are used, and no more.
	for _, f := range rep.Suppressed {
		if f.Exception == "" {
			t.Errorf("suppressed finding without its exception's reason: %s", findingLine(f))
		}
	}
}

// sarifDoc is the part of SARIF 2.1.0 the test reads.
type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID string `json:"id"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			Suppressions []json.RawMessage `json:"suppressions"`
		} `json:"results"`
	} `json:"runs"`
}

// junitDoc is the JUnit XML flotilla writes.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestSeededViolationsSARIFAndJUnit(t *testing.T) {
	exp := readExpected(t)

	code, out, errOut := run(t, "lint", "--repo", violationsFleet, "-o", "sarif")
	if code != ExitFindings {
		t.Fatalf("lint -o sarif: exit %d, want %d\n%s", code, ExitFindings, errOut)
	}
	var sarif sarifDoc
	if err := json.Unmarshal([]byte(out), &sarif); err != nil {
		t.Fatalf("lint -o sarif: %v", err)
	}
	if sarif.Version != "2.1.0" || len(sarif.Runs) != 1 {
		t.Fatalf("SARIF version %q with %d runs, want 2.1.0 with 1", sarif.Version, len(sarif.Runs))
	}
	run0 := sarif.Runs[0]
	// Rules with active error findings, for the JUnit check.
	errorLocations := map[string][]string{}
	active := 0
	for i, r := range run0.Results {
		if r.RuleID == "" {
			t.Errorf("result %d has no ruleId", i)
			continue
		}
		if r.RuleIndex < 0 || r.RuleIndex >= len(run0.Tool.Driver.Rules) || run0.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d (%s): ruleIndex %d does not point at its rule", i, r.RuleID, r.RuleIndex)
		}
		if len(r.Locations) == 0 || r.Locations[0].PhysicalLocation == nil {
			t.Errorf("result %d (%s) has no physicalLocation", i, r.RuleID)
			continue
		}
		pl := r.Locations[0].PhysicalLocation
		if pl.Region == nil || pl.Region.StartLine <= 0 {
			t.Errorf("result %d (%s) at %s has no startLine", i, r.RuleID, pl.ArtifactLocation.URI)
		}
		uri := pl.ArtifactLocation.URI
		if uri == "" || filepath.IsAbs(uri) || strings.HasPrefix(uri, "rendered/") {
			t.Errorf("result %d (%s): location %q is not a source file of the repository", i, r.RuleID, uri)
		} else if st, err := os.Stat(filepath.Join(violationsFleet, filepath.FromSlash(uri))); err != nil || st.IsDir() {
			t.Errorf("result %d (%s): location %q is not a file of the fleet", i, r.RuleID, uri)
		}
		if len(r.Suppressions) > 0 {
			continue
		}
		active++
		if r.Level == "error" && pl.Region != nil {
			errorLocations[r.RuleID] = append(errorLocations[r.RuleID], fmt.Sprintf("%s:%d", uri, pl.Region.StartLine))
		}
	}
	if active != len(exp.lines) {
		t.Errorf("SARIF has %d unsuppressed results, EXPECTED lists %d findings", active, len(exp.lines))
	}
	if len(errorLocations) == 0 {
		t.Fatalf("SARIF has no error results")
	}

	code, out, errOut = run(t, "lint", "--repo", violationsFleet, "-o", "junit")
	if code != ExitFindings {
		t.Fatalf("lint -o junit: exit %d, want %d\n%s", code, ExitFindings, errOut)
	}
	var junit junitDoc
	if err := xml.Unmarshal([]byte(out), &junit); err != nil {
		t.Fatalf("lint -o junit does not parse: %v", err)
	}
	failed := map[string]string{} // rule id -> failure text
	total := 0
	for _, s := range junit.Suites {
		n := 0
		for _, c := range s.Cases {
			if c.Failure == nil {
				continue
			}
			n++
			id, _, _ := strings.Cut(c.Name, " ")
			failed[id] = c.Failure.Text
		}
		if n != s.Failures {
			t.Errorf("suite %s: failures=%d, but %d cases fail", s.Name, s.Failures, n)
		}
		total += n
	}
	if total != junit.Failures {
		t.Errorf("testsuites failures=%d, but %d cases fail", junit.Failures, total)
	}
	for rule, locs := range errorLocations {
		text, ok := failed[rule]
		if !ok {
			t.Errorf("JUnit: rule %s has error findings but its test case does not fail", rule)
			continue
		}
		for _, loc := range locs {
			if !strings.Contains(text, loc+":") {
				t.Errorf("JUnit: the failure of %s does not name %s", rule, loc)
			}
		}
	}
	for rule := range failed {
		if _, ok := errorLocations[rule]; !ok {
			t.Errorf("JUnit: test case %s fails, but it has no error finding", rule)
		}
	}
}
