package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/validate"
)

// RuleInput is the rule of plain YAML's input errors: a file or document
// that cannot be read as Kubernetes objects.
const RuleInput = "INPUT"

var inputRule = report.Rule{ID: RuleInput, Title: "File cannot be read as Kubernetes objects", Severity: report.Error, Family: "input",
	Description: "YAML that does not parse, a document that is not a mapping or has no kind, a List item that is not an object, or a file the repository jail refuses. The run reads every other file and exits 2.",
	Remediation: "Fix the file, or leave it out with --exclude (Helm chart templates are left out unless --helm-templates)."}

// plainFlags choose what plain YAML paths leave out.
type plainFlags struct {
	exclude              []string
	helmTemplates        bool
	crds                 []string
	ignoreMissingSchemas bool
}

func (p *plainFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&p.exclude, "exclude", nil, "plain YAML: leave out files and folders matching these globs (by path under the folder named, or by name; repeatable)")
	cmd.Flags().BoolVar(&p.helmTemplates, "helm-templates", false, "plain YAML: read Helm charts' templates/ too (skipped by default: Go templates, not YAML)")
	cmd.Flags().StringSliceVar(&p.crds, "crd", nil, "plain YAML: files or folders of CustomResourceDefinitions to validate custom resources with (CRDs among the paths checked are used too; repeatable)")
	cmd.Flags().BoolVar(&p.ignoreMissingSchemas, "ignore-missing-schemas", false, "plain YAML: an object of a kind no schema serves is skipped (and listed), not a finding")
}

func (p *plainFlags) options() pipeline.PlainOptions {
	return pipeline.PlainOptions{Exclude: p.exclude, HelmTemplates: p.helmTemplates, CRDs: p.crds}
}

// inputFindings reports plain YAML's problems as findings of RuleInput.
func inputFindings(problems diag.List) []report.Finding {
	out := make([]report.Finding, 0, len(problems))
	for _, e := range problems {
		out = append(out, report.Finding{Rule: RuleInput, Severity: report.Error, Category: "input", Message: e.Msg,
			File: e.File, Line: e.Line, Column: e.Column, Object: e.Object, Field: e.Field, Input: true})
	}
	return out
}

// problemFindings reports plain YAML's problems as validation findings.
func problemFindings(problems diag.List) []validate.Finding {
	out := make([]validate.Finding, 0, len(problems))
	for _, e := range problems {
		out = append(out, validate.Finding{Source: *e, Type: validate.TypeUnreadable})
	}
	return out
}

// plainReport adds what reading plain YAML met to a report: its problems
// as findings (with their rule) and the files skipped.
func plainReport(rep *report.Report, p *pipeline.Plain) {
	rep.Findings = append(rep.Findings, inputFindings(p.Problems)...)
	rep.Rules = append(rep.Rules, inputRule)
	for _, s := range p.Skipped {
		rep.Skipped = append(rep.Skipped, report.Skipped{File: s.File, Reason: s.Reason})
	}
	rep.Sort()
}

// missingSchemas takes the findings of objects no schema serves out of fs
// when --ignore-missing-schemas asks, as skipped objects: still counted
// and shown, no longer findings.
func (p *plainFlags) missingSchemas(fs []validate.Finding) ([]validate.Finding, []lint.Skipped) {
	if !p.ignoreMissingSchemas {
		return fs, nil
	}
	var kept []validate.Finding
	var skipped []lint.Skipped
	for _, f := range fs {
		if f.Type != apischema.TypeNoSchema {
			kept = append(kept, f)
			continue
		}
		skipped = append(skipped, lint.Skipped{File: fmt.Sprintf("%s:%d", f.Source.File, f.Source.Line),
			Reason: f.Source.Object + ": not validated, " + f.Source.Msg + " (--ignore-missing-schemas)"})
	}
	return kept, skipped
}
