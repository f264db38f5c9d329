package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/fleetgen"
)

func newDevCommand(_ *globalOptions, streams IO) *cobra.Command {
	dev := &cobra.Command{
		Use:    "dev",
		Short:  "Developer tools (synthetic fleets for benchmarks)",
		Hidden: true,
	}
	o := fleetgen.Options{}
	gen := &cobra.Command{
		Use:   "gen-fleet DIR",
		Short: "Write a synthetic control repository of the given size into DIR",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := fleetgen.Generate(args[0], o); err != nil {
				return inputError(err)
			}
			fmt.Fprintf(streams.Out, "wrote a synthetic fleet of %d clusters and %d apps to %s\n", o.Clusters, o.Apps, args[0])
			return nil
		},
	}
	gen.Flags().IntVar(&o.Clusters, "clusters", 1000, "member clusters")
	gen.Flags().IntVar(&o.Apps, "apps", 200, "apps")
	gen.Flags().Uint64Var(&o.Seed, "seed", 1, "seed (the same seed writes the same fleet)")
	dev.AddCommand(gen)
	return dev
}
