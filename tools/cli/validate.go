package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/validate"
)

func newValidateCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &plainFlags{}
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Validate the rendered objects offline against the engines' real schemas",
		Long: `Validate renders the repository in memory and checks every object the way
the engines' API servers would: built-in kinds with Kubernetes' own decoding
and validation, custom resources with the CRD schemas of Karmada, Argo CD,
Velero, KubeEdge and Prometheus Operator (structure, unknown fields, CEL
rules), and Karmada policies with Karmada's admission webhooks. No network
is used. Each finding names the intent or manifest line and the rendered file.

Given paths that are not a Flotilla repository, validate checks the plain
Kubernetes YAML in them (*.yaml, *.yml, *.json), as kubeconform does but
with the engines' CRD schemas and Karmada's webhooks built in. A file that
cannot be read as objects is reported and the others are still checked;
a kustomization is built and its output checked; Helm chart templates and
chart metadata are skipped and listed, and --exclude leaves out more.

Exit codes: 0 no findings, 1 findings, 2 input errors (a file that cannot be
read as written: syntax, no kind, unknown or duplicate fields, wrong types).`,
		Example: `  flotilla validate                 # the repository you stand in
  flotilla validate ./manifests     # any folder of Kubernetes YAML
  flotilla validate ./deploy --exclude 'docs/*' --exclude '*.schema.json'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			fs, objects, skipped, err := runValidate(cmd.Context(), g, o, args)
			if err != nil {
				return err
			}
			if g.output == "json" {
				if fs == nil {
					fs = []validate.Finding{}
				}
				out := map[string]any{"objects": objects, "findings": fs}
				if len(skipped) > 0 {
					out["skipped"] = skipped
				}
				if err := writeJSON(streams.Out, out); err != nil {
					return err
				}
				return validateExit(fs)
			}
			for _, s := range skipped {
				fmt.Fprintf(streams.Out, "skipped %s: %s\n", s.File, s.Reason)
			}
			if len(fs) == 0 {
				fmt.Fprintf(streams.Out, "validated %s: no findings\n", report.Plural(objects, "object"))
			} else {
				printFindings(streams.Out, fs)
				fmt.Fprintf(streams.Out, "\n%s in %s\n", findingsSummary(fs), report.Plural(objects, "object"))
			}
			return validateExit(fs)
		},
	}
	o.add(cmd)
	return cmd
}

// findingsSummary counts validation findings, naming the input errors
// among them (they decide exit code 2): "3 validation findings (2 input
// errors)".
func findingsSummary(fs []validate.Finding) string {
	input := 0
	for _, f := range fs {
		if f.InputError() {
			input++
		}
	}
	s := report.Plural(len(fs), "validation finding")
	if input > 0 {
		s += " (" + report.Plural(input, "input error") + ")"
	}
	return s
}

// runValidate validates the repository (no paths, or a path that is a
// repository) or plain YAML, and returns the findings and how many objects
// were validated.
func runValidate(ctx context.Context, g *globalOptions, o *plainFlags, args []string) ([]validate.Finding, int, []lint.Skipped, error) {
	root, plain, err := splitPaths(args)
	if err != nil {
		return nil, 0, nil, inputError(err)
	}
	if len(plain) > 0 {
		eng, err := g.newEngine()
		if err != nil {
			return nil, 0, nil, err
		}
		p, err := eng.LoadPlain(plain, o.options())
		if err != nil {
			return nil, 0, nil, inputError(err)
		}
		fs, err := eng.ValidatePlain(ctx, p)
		fs, unchecked := o.missingSchemas(fs)
		return append(problemFindings(p.Problems), fs...), len(p.Objects), append(p.Skipped, unchecked...), err
	}
	eng, r, err := g.renderRepo(ctx, root)
	if err != nil {
		return nil, 0, nil, err
	}
	// An object render cannot write (a string sigs.k8s.io/yaml refuses, a
	// name that is no file name) fails validation as it fails render.
	if _, err := r.Output.Files(); err != nil {
		return nil, 0, nil, inputError(err)
	}
	fs, err := eng.Validate(ctx, r)
	return fs, len(r.Output.Objects), nil, err
}
