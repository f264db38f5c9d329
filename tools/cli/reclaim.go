package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/reclaim"
	"github.com/flotilla-gitops/flotilla/tools/termtable"
)

type reclaimOptions struct {
	reclaim.Options
	yes, restore bool
}

// newFleetReclaim takes spot capacity away from a living member as a
// cloud interruption does (tools/reclaim), or brings it back.
func newFleetReclaim(g *globalOptions, fo *fleetOptions, streams IO) *cobra.Command {
	o := &reclaimOptions{}
	cmd := &cobra.Command{
		Use:   "reclaim CLUSTER",
		Short: "Take a member's spot nodes away as a cloud interruption does (notice, evictions, termination), or --restore them",
		Long: `Reclaim chooses Ready nodes of the capacity type (all, --count N or
--percent P, in name order), gives them the interruption notice
(Karpenter's karpenter.sh/disrupted:NoSchedule taint and a SpotInterruption
condition), evicts their pods through the Eviction API — so
PodDisruptionBudgets hold what they must — for as long as the notice lasts,
and deletes the nodes when it runs out, with whatever still runs there.
Without --yes it shows what would be lost. --restore brings back the nodes
reclaimed from the cluster.`,
		Example: `  flotilla fleet reclaim cloud-us-east-1-spot --percent 50
  flotilla fleet reclaim cloud-us-east-1-spot --percent 50 --notice 30s --yes
  flotilla fleet reclaim cloud-us-east-1-spot --restore --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := fleet.Load(fo.stateDir(g))
			if err != nil {
				return inputError(err)
			}
			cluster := args[0]
			var members []string
			for _, c := range f.Clusters {
				if c.Member {
					members = append(members, c.Name)
				}
			}
			if !slices.Contains(members, cluster) {
				return inputError(fmt.Errorf("%s is not a member of the local fleet (members: %s)", cluster, strings.Join(members, ", ")))
			}
			c, err := f.Client(cluster)
			if err != nil {
				return err
			}
			saved := filepath.Join(f.Dir, "reclaimed", cluster+".json")
			kept, err := readReclaimed(saved)
			if err != nil {
				return err
			}
			if o.restore {
				if !o.yes {
					fmt.Fprintf(streams.Out, "would bring back %d reclaimed node(s) of %s (run with --yes)\n", len(kept), cluster)
					return nil
				}
				n, err := reclaim.Restore(cmd.Context(), c, kept)
				if err != nil {
					return err
				}
				if err := os.Remove(saved); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
				fmt.Fprintf(streams.Out, "%d node(s) of %s back (kwok makes them Ready)\n", n, cluster)
				return nil
			}
			p, err := reclaim.Select(cmd.Context(), c, cluster, o.Options)
			if err != nil {
				return inputError(err)
			}
			if !o.yes {
				if g.output == "json" {
					return writeJSON(streams.Out, p)
				}
				printReclaimPlan(streams, p)
				fmt.Fprintln(streams.Out, "preview: run with --yes to reclaim")
				return nil
			}
			// Saved first: a reclaim interrupted half-way can still be
			// restored.
			if err := writeReclaimed(saved, append(kept, p.Kept...)); err != nil {
				return err
			}
			res, err := reclaim.Run(cmd.Context(), c, p, func(msg string) {
				fmt.Fprintf(streams.ErrOut, "%s %s\n", time.Now().Format(time.TimeOnly), msg)
			})
			if res != nil {
				if g.output == "json" {
					if werr := writeJSON(streams.Out, res); werr != nil {
						return werr
					}
				} else {
					printReclaimPlan(streams, p)
					fmt.Fprintf(streams.Out, "%d node(s) terminated after a %s notice: %d pod(s) evicted in time, %d lost with their node (and %d DaemonSet pods)\n",
						len(p.Nodes), time.Duration(p.Notice), len(res.Evicted), len(res.Killed), res.DaemonPods)
					for _, k := range res.Killed {
						fmt.Fprintf(streams.Out, "  lost: %s\n", k)
					}
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&o.CapacityType, "capacity-type", "spot", "karpenter.sh/capacity-type of the nodes to take: spot, on-demand, or any (every node: the whole cluster's capacity)")
	cmd.Flags().IntVar(&o.Count, "count", 0, "take N nodes (default: all of the capacity type)")
	cmd.Flags().IntVar(&o.Percent, "percent", 0, "take P percent of them (rounded up)")
	cmd.Flags().DurationVar(&o.Notice, "notice", reclaim.DefaultNotice, "how long the nodes live after the notice (EC2 gives spot two minutes)")
	cmd.Flags().BoolVar(&o.yes, "yes", false, "act (without it: show what would be lost)")
	cmd.Flags().BoolVar(&o.restore, "restore", false, "bring back the nodes reclaimed from the cluster")
	return cmd
}

func printReclaimPlan(streams IO, p *reclaim.Plan) {
	fmt.Fprintf(streams.Out, "%s: %d of %d Ready %s node(s), notice %s\n", p.Cluster, len(p.Nodes), p.Matching, p.CapacityType, time.Duration(p.Notice))
	t := &termtable.Table{Header: []string{"NODE", "INSTANCE TYPE", "ZONE", "PODS"}}
	for _, n := range p.Nodes {
		t.Rows = append(t.Rows, []string{n.Node, n.InstanceType, n.Zone, strings.Join(n.Pods, ", ")})
	}
	_ = t.Write(streams.Out)
}

// readReclaimed reads the nodes reclaimed from a cluster (none when the
// file does not exist).
func readReclaimed(path string) ([]corev1.Node, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var nodes []corev1.Node
	if err := json.Unmarshal(data, &nodes); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return nodes, nil
}

func writeReclaimed(path string, nodes []corev1.Node) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(nodes, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
