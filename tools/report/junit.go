package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/flotilla-gitops/flotilla/tools/junit"
)

// writeJUnit writes JUnit XML as CI systems read it: a test suite per rule
// family, a test case per rule. A rule with error findings fails, with
// every finding in the failure text; warnings are listed in the case's
// output.
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
	out := junit.Suites{Name: "flotilla"}
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
			out.Suites = append(out.Suites, junit.Suite{Name: family})
		}
		tc := junit.Case{Name: strings.TrimSpace(rule.ID + " " + rule.Title), Classname: family}
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
			tc.Failure = &junit.Failure{Message: fmt.Sprintf("%d violation(s)", len(errs)), Type: "error", Text: strings.Join(errs, "\n")}
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
	return junit.Write(w, &out)
}
