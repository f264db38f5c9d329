package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/renderfs"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/validate"
)

// Rule ids of findings that do not come from the policy pack.
const (
	RuleRenderStale = "RENDER-001"
	RuleValidate    = "VALIDATE"
	RulePolicyTest  = "POLICY-TEST"
)

type lintOptions struct {
	plainFlags
	policies  []string
	failOn    string
	rules     []string
	skipRules []string
}

func (o *lintOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&o.policies, "policy", nil, "another policy folder with the pack's conventions (repeatable)")
	cmd.Flags().StringVar(&o.failOn, "fail-on", "error", "lowest severity that fails the run: error or warning")
	cmd.Flags().StringSliceVar(&o.rules, "rule", nil, "run only these rules: ids or families, globs allowed (SEC-002, 'SEC-*', go_runtime; repeatable or comma-separated)")
	cmd.Flags().StringSliceVar(&o.skipRules, "skip-rule", nil, "do not run these rules (same patterns as --rule)")
	o.plainFlags.add(cmd)
}

// loadPack loads the policy pack of the repository at root (the built-in
// pack when root is empty) plus --policy folders, restricted to --rule and
// --skip-rule.
func (o *lintOptions) loadPack(root string) (*lint.Pack, error) {
	pack, err := lint.LoadPack(pipeline.PolicySources(root, o.policies)...)
	if err != nil {
		return nil, err
	}
	return pack.Select(o.rules, o.skipRules)
}

func (o *lintOptions) failSeverity() (report.Severity, error) {
	switch o.failOn {
	case "error":
		return report.Error, nil
	case "warning":
		return report.Warning, nil
	}
	return "", &ExitError{Code: ExitInput, Err: fmt.Errorf("--fail-on must be error or warning, not %q", o.failOn)}
}

func writeReport(w io.Writer, format string, rep *report.Report, color bool) error {
	rep.Tool, rep.Version = "flotilla", version
	return report.Write(w, format, rep, report.Options{Color: format == "text" && color})
}

// isTerminal reports whether w is a terminal (colour is only for people).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newLintCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Check rendered objects (or any Kubernetes YAML) against the OPA policy pack",
		Long: `Lint runs the policy pack (policies/ of the repository, or the built-in pack)
over every object the repository renders, each with where it lands: the
facts of its target clusters, the object as Karmada's overrides make it on
each, and the whole rendered set. Given paths that are not a Flotilla
repository, it lints the plain Kubernetes YAML in them; placement-aware
rules then have nothing to say.

Exceptions: the annotation flotilla.io/exceptions on an object (or on its
App), a JSON list of {"rule": "SEC-002", "reason": "...", "expires":
"2027-06-30"}. Expired, malformed and unused exceptions are findings.

Output formats: text, json, sarif (2.1.0), junit, github (workflow
annotations). Exit codes: 0 clean, 1 error findings (warnings too with
--fail-on warning), 2 input error.`,
		Example: `  flotilla lint                          # the repository you stand in
  flotilla lint -o sarif > flotilla.sarif
  flotilla lint ./manifests --policy ./team-policies`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			failOn, err := o.failSeverity()
			if err != nil {
				return err
			}
			rep, err := runLint(cmd.Context(), g, o, args)
			if err != nil {
				return inputError(err)
			}
			if err := writeReport(streams.Out, g.output, rep, g.colorFor(streams, streams.Out)); err != nil {
				return err
			}
			return reportExit(rep, failOn)
		},
	}
	o.addFlags(cmd)
	return cmd
}

// runLint lints the repository (no paths, or a path that is a repository)
// or plain YAML.
func runLint(ctx context.Context, g *globalOptions, o *lintOptions, args []string) (*report.Report, error) {
	repoRoot, plain, err := splitPaths(args)
	if err != nil {
		return nil, err
	}
	if len(plain) > 0 {
		pack, err := o.loadPack("")
		if err != nil {
			return nil, err
		}
		// Lint needs no schemas: an engine without them.
		eng := &pipeline.Engine{Parallelism: g.parallelism, Bounds: g.bounds}
		p, err := eng.LoadPlain(plain, o.options())
		if err != nil {
			return nil, err
		}
		rep, err := eng.LintPlain(ctx, p, pack, nil)
		if err != nil {
			return nil, err
		}
		plainReport(rep, p)
		return rep, nil
	}
	if repoRoot == "" {
		root, err := g.root()
		if err != nil {
			return nil, err
		}
		repoRoot = root
	}
	pack, err := o.loadPack(repoRoot)
	if err != nil {
		return nil, err
	}
	eng, r, err := g.renderRepo(ctx, repoRoot)
	if err != nil {
		return nil, err
	}
	return eng.Lint(ctx, r, pipeline.LintOptions{Pack: pack})
}

// splitPaths tells a repository (a folder holding fleet.yaml) from plain
// YAML paths: lint, validate and check take one or the other. Neither
// (no arguments) means the repository of --repo or the working directory.
func splitPaths(args []string) (repoRoot string, plain []string, err error) {
	for _, a := range args {
		if _, err := os.Stat(filepath.Join(a, intent.FleetFile)); err == nil {
			if repoRoot != "" {
				return "", nil, fmt.Errorf("one repository at a time (%s and %s)", repoRoot, a)
			}
			repoRoot = a
			continue
		}
		if _, err := os.Stat(a); err != nil {
			return "", nil, err
		}
		plain = append(plain, a)
	}
	if repoRoot != "" && len(plain) > 0 {
		return "", nil, fmt.Errorf("either a repository (%s) or plain YAML paths (%s), not both", repoRoot, strings.Join(plain, ", "))
	}
	return repoRoot, plain, nil
}

type policyTestOptions struct {
	policies    []string
	minCoverage float64
}

func newPolicyCommand(g *globalOptions, streams IO) *cobra.Command {
	policy := &cobra.Command{Use: "policy", Short: "Work with the policy pack"}
	o := &policyTestOptions{}
	test := &cobra.Command{
		Use:   "test",
		Short: "Run the policy pack's Rego tests (*_test.rego) with OPA's tester, with coverage",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			root, err := g.root()
			if err != nil {
				root = "" // outside a repository: the built-in pack
			}
			srcs := pipeline.PolicySources(root, o.policies)
			pack, err := lint.LoadPack(srcs...)
			if err != nil {
				return inputError(err)
			}
			// Say which pack is tested: outside a repository (or in one
			// without policies/) it is the built-in one, which a user
			// meaning their own would otherwise never learn.
			names := make([]string, len(srcs))
			for i, s := range srcs {
				names[i] = s.Name
				if strings.HasPrefix(s.Name, "builtin:") {
					names[i] = "flotilla's built-in pack"
				} else if i == 0 && root != "" {
					names[i] = filepath.Join(root, s.Name)
				}
			}
			fmt.Fprintf(streams.ErrOut, "testing %s\n", strings.Join(names, " + "))
			tr, err := lint.Test(cmd.Context(), pack)
			if err != nil {
				return inputError(err)
			}
			if g.output == "json" {
				if err := writeJSON(streams.Out, tr); err != nil {
					return err
				}
			} else {
				printTests(streams.Out, tr)
			}
			switch {
			case tr.Failed > 0:
				return findings("%d policy test(s) failed", tr.Failed)
			case tr.Coverage < o.minCoverage:
				return findings("coverage %.1f%% is below --min-coverage %.1f%%", tr.Coverage, o.minCoverage)
			}
			return nil
		},
	}
	test.Flags().StringArrayVar(&o.policies, "policy", nil, "another policy folder (repeatable)")
	test.Flags().Float64Var(&o.minCoverage, "min-coverage", 0, "fail when policy line coverage is below this percentage")
	policy.AddCommand(test)
	return policy
}

func printTests(w io.Writer, tr *lint.TestReport) {
	for _, r := range tr.Results {
		if r.Pass || r.Skip {
			continue
		}
		why := r.FailedAt
		if r.Error != "" {
			why = r.Error
		}
		fmt.Fprintf(w, "FAIL %s:%d: %s.%s: %s\n", r.File, r.Line, r.Package, r.Name, why)
	}
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped; policy line coverage %.1f%%\n", tr.Passed, tr.Failed, tr.Skipped, tr.Coverage)
}

func newCheckCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &lintOptions{}
	progress := false
	cmd := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "The one CI gate: render --check, validate, lint and policy test",
		Long: `Check runs everything a pull request must pass, and reports it as one set of
findings (any output format of lint):

  RENDER-001   rendered/ differs from a fresh render
  VALIDATE     a rendered object an API server would refuse
  <rule ids>   policy findings (lint)
  POLICY-TEST  a failing Rego test of the policy pack

Given paths that are not a Flotilla repository, check validates and lints
the plain Kubernetes YAML in them (what kubeconform and conftest do, with
the engines' CRD schemas built in); the Rego tests then run only when
--policy brings policies of your own.

Exit codes: 0 clean, 1 findings, 2 input errors (a file that cannot be read
as written: syntax, unknown or duplicate fields, wrong types; the report
still lists everything).`,
		Example: `  flotilla check                                  # the repository you stand in
  flotilla check -o sarif > flotilla.sarif
  flotilla check ./manifests --policy ./team-policies
  flotilla check ./manifests --rule 'SEC-*' --skip-rule SEC-007`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			failOn, err := o.failSeverity()
			if err != nil {
				return err
			}
			// Each stage's line as it ends, on a terminal (a check takes
			// seconds) or when asked; quiet in CI otherwise.
			var live func(string)
			if progress || isTerminal(streams.ErrOut) {
				live = func(line string) { fmt.Fprintln(streams.ErrOut, line) }
			}
			rep, summary, err := runCheck(cmd.Context(), g, o, args, live)
			if err != nil {
				return inputError(err)
			}
			// Shown already, on the same terminal: not twice.
			shown := live != nil && isTerminal(streams.Out) && isTerminal(streams.ErrOut)
			if g.output == "text" && !shown {
				for _, s := range summary {
					fmt.Fprintln(streams.Out, s)
				}
				fmt.Fprintln(streams.Out)
			}
			if err := writeReport(streams.Out, g.output, rep, g.colorFor(streams, streams.Out)); err != nil {
				return err
			}
			return reportExit(rep, failOn)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVar(&progress, "progress", false, "print each stage's line to stderr as it ends (default: when stderr is a terminal)")
	return cmd
}

// stageLines collects check's summary, one line per stage, and hands
// each to live (when set) as its stage ends.
type stageLines struct {
	lines []string
	live  func(string)
}

func (s *stageLines) add(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	s.lines = append(s.lines, line)
	if s.live != nil {
		s.live(line)
	}
}

// addCacheLine says how many results of earlier runs the engine reused,
// per stage, and from where, when it keeps them (not with --no-cache):
// the last stage line, so a CI job shows whether its restored cache
// served.
func addCacheLine(summary *stageLines, eng *pipeline.Engine) {
	if eng.Results == nil {
		return
	}
	stats := eng.Results.Stats()
	var parts []string
	for _, st := range []struct{ stage, what string }{{pipeline.StagePreviews, "ApplicationSet expansions"}, {pipeline.StageValidate, "validations"}, {pipeline.StageLint, "policy evaluations"}, {pipeline.StageTests, "policy test runs"}} {
		if hm, ok := stats[st.stage]; ok {
			parts = append(parts, fmt.Sprintf("%d of %d %s reused", hm[0], hm[0]+hm[1], st.what))
		}
	}
	if len(parts) > 0 {
		summary.add("cache     %s (%s)", strings.Join(parts, ", "), eng.Results.Root())
	}
}

// runCheck runs every stage and merges their findings; live, when set,
// gets each stage's summary line as the stage ends.
func runCheck(ctx context.Context, g *globalOptions, o *lintOptions, args []string, live func(string)) (*report.Report, []string, error) {
	root, plain, err := splitPaths(args)
	if err != nil {
		return nil, nil, err
	}
	if len(plain) > 0 {
		return runCheckPlain(ctx, g, o, plain, live)
	}
	if root == "" {
		if root, err = g.root(); err != nil {
			return nil, nil, err
		}
	}
	pack, err := o.loadPack(root)
	if err != nil {
		return nil, nil, err
	}
	eng, r, err := g.renderRepo(ctx, root)
	if err != nil {
		return nil, nil, err
	}
	summary := &stageLines{live: live}

	// render --check
	files, err := r.Output.Files()
	if err != nil {
		return nil, nil, err
	}
	// validate first: with input errors the fresh render is not the one
	// to commit (a workload whose pod spec does not decode gets no
	// OverridePolicy), so rendered/ is not compared with it.
	vf, err := eng.Validate(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	valid := validateFindings(vf)
	var stale []report.Finding
	if slices.ContainsFunc(vf, validate.Finding.InputError) {
		summary.add("render    %d objects, %d files; not compared with rendered/ (input errors)", len(r.Output.Objects), len(files))
	} else {
		changes, err := renderfs.Compare(ctx, root, render.RenderedDir, files, renderfs.LockOptions{Wait: renderfs.DefaultLockWait, Holder: "flotilla check"})
		if err != nil {
			return nil, nil, err
		}
		for _, c := range changes {
			stale = append(stale, report.Finding{Rule: RuleRenderStale, Severity: report.Error, Category: report.CategoryRender, File: c.Path,
				Message: fmt.Sprintf("%s: rendered/ differs from a fresh render (%s); run `flotilla render` and commit the result", c.Path, c.Kind)})
		}
		summary.add("render    %d objects, %d files; %d stale", len(r.Output.Objects), len(files), len(changes))
	}
	summary.add("validate  %d objects against the engines' schemas; %s", len(r.Output.Objects), report.Plural(len(vf), "finding"))

	// lint
	rep, err := eng.Lint(ctx, r, pipeline.LintOptions{Pack: pack})
	if err != nil {
		return nil, nil, err
	}
	// The rule count is said once, by the report's last line, over every
	// rule the check ran (the pack's, exceptions' and check's own).
	summary.add("lint      %d objects; %d errors, %d warnings, %d accepted by exceptions",
		rep.Objects, rep.Count(report.Error), rep.Count(report.Warning), len(rep.Suppressed))

	// policy test
	tests, tr, err := policyTestFindings(ctx, eng, pack)
	if err != nil {
		return nil, nil, err
	}
	summary.add("policies  %d tests passed, %d failed; line coverage %.1f%%", tr.Passed, tr.Failed, tr.Coverage)
	addCacheLine(summary, eng)

	rep.Findings = slices.Concat(rep.Findings, stale, valid, tests)
	rep.Rules = append(rep.Rules, checkRules...)
	rep.Sort()
	return rep, summary.lines, nil
}

// checkRules describe the findings check adds to lint's.
var checkRules = []report.Rule{
	{ID: RuleRenderStale, Title: "rendered/ is stale", Severity: report.Error, Family: "render", Remediation: "Run `flotilla render` and commit rendered/."},
	{ID: RuleValidate, Title: "Rendered object refused by the engine's schema", Severity: report.Error, Family: "validate", Remediation: "Fix the field in the source the finding points at."},
	{ID: RulePolicyTest, Title: "Policy test failed", Severity: report.Error, Family: "policy-test", Remediation: "Fix the policy or its test."},
}

// runCheckPlain checks plain YAML: validate and lint, and the policy tests
// when --policy brings policies of the user's own (the built-in pack's
// tests ran when flotilla was built).
func runCheckPlain(ctx context.Context, g *globalOptions, o *lintOptions, paths []string, live func(string)) (*report.Report, []string, error) {
	summary := &stageLines{live: live}
	pack, err := o.loadPack("")
	if err != nil {
		return nil, nil, err
	}
	eng, err := g.newEngine()
	if err != nil {
		return nil, nil, err
	}
	p, err := eng.LoadPlain(paths, o.options())
	if err != nil {
		return nil, nil, err
	}
	read := fmt.Sprintf("read      %s, %s", report.Plural(p.Files, "file"), report.Plural(len(p.Objects), "object"))
	if len(p.Problems) > 0 {
		read += "; " + report.Plural(len(p.Problems), "input error")
	}
	if len(p.Skipped) > 0 {
		read += "; " + report.Plural(len(p.Skipped), "file") + " skipped"
	}
	summary.add("%s", read)
	vf, err := eng.ValidatePlain(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	vf, unchecked := o.missingSchemas(vf)
	p.Skipped = append(p.Skipped, unchecked...)
	summary.add("validate  %d objects against the engines' schemas; %s", len(p.Objects), report.Plural(len(vf), "finding"))
	rep, err := eng.LintPlain(ctx, p, pack, nil)
	if err != nil {
		return nil, nil, err
	}
	// The rule count is said once, by the report's last line, over every
	// rule the check ran (the pack's, exceptions' and check's own).
	summary.add("lint      %d objects; %d errors, %d warnings, %d accepted by exceptions",
		rep.Objects, rep.Count(report.Error), rep.Count(report.Warning), len(rep.Suppressed))
	var tests []report.Finding
	if len(o.policies) > 0 {
		var tr *lint.TestReport
		if tests, tr, err = policyTestFindings(ctx, eng, pack); err != nil {
			return nil, nil, err
		}
		summary.add("policies  %d tests passed, %d failed; line coverage %.1f%%", tr.Passed, tr.Failed, tr.Coverage)
	}
	addCacheLine(summary, eng)
	rep.Findings = slices.Concat(rep.Findings, validateFindings(vf), tests)
	rep.Rules = append(rep.Rules, slices.DeleteFunc(slices.Clone(checkRules), func(r report.Rule) bool { return r.ID == RuleRenderStale })...)
	plainReport(rep, p)
	return rep, summary.lines, nil
}

// validateFindings reports schema findings as check findings.
func validateFindings(vf []validate.Finding) []report.Finding {
	var out []report.Finding
	for _, f := range vf {
		msg := f.Source.Msg
		if f.Source.Field != "" && !strings.Contains(msg, f.Source.Field) {
			msg = f.Source.Field + ": " + msg
		}
		rendered := f.Rendered
		if rendered == f.Source.File {
			rendered = "" // plain YAML: the object is its own source
		}
		out = append(out, report.Finding{Rule: RuleValidate, Severity: report.Error, Category: report.CategoryValidate,
			Message: msg, File: f.Source.File, Line: f.Source.Line, Column: f.Source.Column,
			Object: f.Source.Object, Field: f.Source.Field, Rendered: rendered, Input: f.InputError()})
	}
	return out
}

// policyTestFindings runs the pack's Rego tests and reports each failing
// one as a finding.
func policyTestFindings(ctx context.Context, eng *pipeline.Engine, pack *lint.Pack) ([]report.Finding, *lint.TestReport, error) {
	tr, err := eng.TestPack(ctx, pack)
	if err != nil {
		return nil, nil, err
	}
	var tests []report.Finding
	for _, t := range tr.Results {
		if t.Pass || t.Skip {
			continue
		}
		msg := "test failed"
		if t.FailedAt != "" {
			msg += " at " + t.FailedAt
		}
		if t.Error != "" {
			msg = "test error: " + t.Error
		}
		tests = append(tests, report.Finding{Rule: RulePolicyTest, Severity: report.Error, Category: report.CategoryPolicyTest,
			Message: t.Package + "." + t.Name + ": " + msg, File: t.File, Line: t.Line})
	}
	return tests, tr, nil
}
