package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/validate"
)

func newValidateCommand(g *globalOptions, streams IO) *cobra.Command {
	return &cobra.Command{
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
with the engines' CRD schemas and Karmada's webhooks built in.`,
		Example: `  flotilla validate                 # the repository you stand in
  flotilla validate ./manifests     # any folder of Kubernetes YAML`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			fs, objects, err := runValidate(cmd.Context(), g, args)
			if err != nil {
				return err
			}
			if g.output == "json" {
				if fs == nil {
					fs = []validate.Finding{}
				}
				if err := writeJSON(streams.Out, map[string]any{"objects": objects, "findings": fs}); err != nil {
					return err
				}
			} else if len(fs) == 0 {
				fmt.Fprintf(streams.Out, "validated %d objects: no findings\n", objects)
			} else {
				printFindings(streams.Out, fs)
				fmt.Fprintf(streams.Out, "\n%s in %s\n", findingsSummary(fs), report.Plural(objects, "object"))
			}
			return validateExit(fs)
		},
	}
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
func runValidate(ctx context.Context, g *globalOptions, args []string) ([]validate.Finding, int, error) {
	root, plain, err := splitPaths(args)
	if err != nil {
		return nil, 0, inputError(err)
	}
	if len(plain) > 0 {
		eng, err := g.newEngine()
		if err != nil {
			return nil, 0, err
		}
		p, err := eng.LoadPlain(plain)
		if err != nil {
			return nil, 0, inputError(err)
		}
		fs, err := eng.ValidatePlain(ctx, p)
		return fs, len(p.Objects), err
	}
	eng, r, err := g.renderRepo(ctx, root)
	if err != nil {
		return nil, 0, err
	}
	// An object render cannot write (a string sigs.k8s.io/yaml refuses, a
	// name that is no file name) fails validation as it fails render.
	if _, err := r.Output.Files(); err != nil {
		return nil, 0, inputError(err)
	}
	fs, err := eng.Validate(ctx, r)
	return fs, len(r.Output.Objects), err
}
