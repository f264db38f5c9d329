package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML as CI systems read it: a test suite per rule family, a test
// case per rule. A rule with error findings fails, with every finding in
// the failure text; warnings are listed in the case's output.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, r *Report) error {
	byRule := map[string][]Finding{}
	for _, f := range r.Findings {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	rules := r.Rules
	known := map[string]bool{}
	for _, rule := range rules {
		known[rule.ID] = true
	}
	// Findings of rules not in the rule list (stages, exceptions) still get
	// a case.
	for _, f := range r.Findings {
		if !known[f.Rule] {
			known[f.Rule] = true
			rules = append(rules, Rule{ID: f.Rule, Title: f.Rule, Severity: f.Severity, Family: f.Category})
		}
	}
	out := junitSuites{Name: "flotilla"}
	suiteIndex := map[string]int{}
	for _, rule := range rules {
		family := rule.Family
		if family == "" {
			family = "flotilla"
		}
		i, ok := suiteIndex[family]
		if !ok {
			i = len(out.Suites)
			suiteIndex[family] = i
			out.Suites = append(out.Suites, junitSuite{Name: family})
		}
		tc := junitCase{Name: strings.TrimSpace(rule.ID + " " + rule.Title), Classname: family}
		var errs, warns []string
		for _, f := range byRule[rule.ID] {
			line := fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Object, f.Message)
			if f.Severity == Error {
				errs = append(errs, line)
			} else {
				warns = append(warns, line)
			}
		}
		if len(errs) > 0 {
			tc.Failure = &junitFailure{Message: fmt.Sprintf("%d violation(s)", len(errs)), Type: "error", Text: strings.Join(errs, "\n")}
			out.Suites[i].Failures++
			out.Failures++
		}
		if len(warns) > 0 {
			tc.SystemOut = "warnings:\n" + strings.Join(warns, "\n")
		}
		out.Suites[i].Cases = append(out.Suites[i].Cases, tc)
		out.Suites[i].Tests++
		out.Tests++
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
