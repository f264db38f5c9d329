package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/validate"
)

func newValidateCommand(g *globalOptions, streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Validate the rendered objects offline against the engines' real schemas",
		Long: `Validate renders the repository in memory and checks every object the way
the engines' API servers would: built-in kinds with Kubernetes' own decoding
and validation, custom resources with the CRD schemas of Karmada, Argo CD,
Velero, KubeEdge and Prometheus Operator (structure, unknown fields, CEL
rules), and Karmada policies with Karmada's admission webhooks. No network
is used. Each finding names the intent or manifest line and the rendered file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(g.output, "text", "json"); err != nil {
				return err
			}
			eng, r, err := g.renderRepo(cmd.Context(), "")
			if err != nil {
				return err
			}
			fs, err := eng.Validate(cmd.Context(), r)
			if err != nil {
				return err
			}
			if g.output == "json" {
				if fs == nil {
					fs = []validate.Finding{}
				}
				if err := writeJSON(streams.Out, map[string]any{"objects": len(r.Output.Objects), "findings": fs}); err != nil {
					return err
				}
			} else if len(fs) == 0 {
				fmt.Fprintf(streams.Out, "validated %d objects: no findings\n", len(r.Output.Objects))
			} else {
				printFindings(streams.Out, fs)
				fmt.Fprintf(streams.Out, "\n%d finding(s) in %d objects\n", len(fs), len(r.Output.Objects))
			}
			if len(fs) > 0 {
				return findings("%d finding(s)", len(fs))
			}
			return nil
		},
	}
}
