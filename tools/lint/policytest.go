package lint

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego test.
type TestResult struct {
	Package string `json:"package"`
	Name    string `json:"name"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Pass    bool   `json:"pass"`
	Skip    bool   `json:"skip,omitempty"`
	// Error is set when the test could not be evaluated.
	Error string `json:"error,omitempty"`
	// FailedAt is the expression that was false.
	FailedAt string `json:"failedAt,omitempty"`
	Millis   int64  `json:"millis"`
}

// TestReport is the outcome of a pack's tests.
type TestReport struct {
	Results []TestResult `json:"results"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	Skipped int          `json:"skipped"`
	// Coverage is the share of policy (non-test) lines the tests ran, 0-100.
	Coverage float64 `json:"coverage"`
	// Uncovered maps files to the lines no test ran.
	Uncovered map[string][]int `json:"uncovered,omitempty"`
}

// Test runs every test_ rule of the pack's *_test.rego files with OPA's
// tester, measuring which policy lines they cover.
func Test(ctx context.Context, p *Pack) (*TestReport, error) {
	if len(p.TestModules) == 0 {
		return nil, fmt.Errorf("no tests (*_test.rego) in the policy folders")
	}
	cov := cover.New()
	all := make(map[string]*ast.Module, len(p.Modules)+len(p.TestModules))
	for k, m := range p.Modules {
		all[k] = m
	}
	for k, m := range p.TestModules {
		all[k] = m
	}
	// The tester compiles the modules itself, with its own stages (it
	// renames duplicate test names, injects test-case functions): on a
	// compiler of its own, not the pack's, which engines share — with the
	// pack's capabilities, so a test can no more reach the network than
	// a policy.
	c := ast.NewCompiler().WithCapabilities(Capabilities()).WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(c).
		SetStore(inmem.New()).
		SetModules(all).
		SetCoverageQueryTracer(cov).
		RunTests(ctx, nil)
	if err != nil {
		return nil, err
	}
	rep := &TestReport{}
	for r := range ch {
		tr := TestResult{Package: strings.TrimPrefix(r.Package, "data."), Name: r.Name, Millis: r.Duration.Milliseconds(), Skip: r.Skip}
		if r.Location != nil {
			tr.File, tr.Line = r.Location.File, r.Location.Row
		}
		switch {
		case r.Skip:
			rep.Skipped++
		case r.Error != nil:
			tr.Error = r.Error.Error()
			rep.Failed++
		case r.Fail:
			if r.FailedAt != nil {
				tr.FailedAt = r.FailedAt.String()
			}
			rep.Failed++
		default:
			tr.Pass = true
			rep.Passed++
		}
		rep.Results = append(rep.Results, tr)
	}
	slices.SortFunc(rep.Results, func(a, b TestResult) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	cr := cov.Report(p.Modules)
	rep.Coverage = cr.Coverage
	for file, fr := range cr.Files {
		for _, rng := range fr.NotCovered {
			for l := rng.Start.Row; l <= rng.End.Row; l++ {
				if rep.Uncovered == nil {
					rep.Uncovered = map[string][]int{}
				}
				rep.Uncovered[file] = append(rep.Uncovered[file], l)
			}
		}
	}
	return rep, nil
}
