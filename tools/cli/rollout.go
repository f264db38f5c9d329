package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha1 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/gitsnap"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/rollout"
	"github.com/flotilla-gitops/flotilla/tools/termtable"
)

type rolloutOptions struct {
	live    liveOptions
	plane   string
	yes     bool
	timeout time.Duration
}

func (o *rolloutOptions) addFlags(cmd *cobra.Command, acts bool) {
	o.live.addFlags(cmd, "kubeconfig context of the Karmada API server (default: karmada-apiserver on the local fleet)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 2*time.Minute, "bound on each wait")
	if acts {
		cmd.Flags().BoolVar(&o.yes, "yes", false, "act (without it: preview only)")
	}
}

// rolloutClient reaches the Karmada API server with the types a rollout
// reads (policies, bindings, Works).
func (o *rolloutOptions) client(g *globalOptions, streams IO) (client.Client, error) {
	c, err := o.live.client(g, streams)
	if err != nil {
		return nil, inputError(err)
	}
	s := c.Scheme()
	for _, add := range []func(*runtime.Scheme) error{policyv1alpha1.Install, workv1alpha1.Install, workv1alpha2.Install} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// run is how every rollout command runs: check the format, reach the
// control plane, run the operation, print its result.
func (o *rolloutOptions) run(g *globalOptions, streams IO, op func(context.Context, rollout.Options) (*rollout.Result, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(cmd, g.output); err != nil {
			return err
		}
		c, err := o.client(g, streams)
		if err != nil {
			return err
		}
		res, err := op(cmd.Context(), rollout.Options{Client: c, Yes: o.yes, Timeout: o.timeout,
			Progress: func(s string) { fmt.Fprintln(streams.ErrOut, "·", s) }})
		return finishRollout(streams, g, res, err, o.yes)
	}
}

func newRolloutCommand(g *globalOptions, streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Roll a merged revision out to a Karmada control plane wave by wave (status, start, promote, pause, resume, abort)",
		Long: `Rollout releases a revision to the clusters of one control plane in the order
of their waves (Cluster spec.wave). Later waves are held back with Karmada's
own gate, spec.suspension.dispatchingOnClusters on the revision's
propagation policies: Karmada updates their Works but does not dispatch
them, so those members keep running the previous revision. 'promote'
releases the next wave once the current one has been healthy (Karmada's
aggregated status, on the current template everywhere) for the soak time.

The rollout's state is kept in the control plane (ConfigMap
flotilla-system/flotilla-rollout), so any machine with access can continue
it. Every command that changes something previews unless given --yes, and
is safe to re-run.

Exit codes: 0 done (or previewed), 1 blocked (e.g. the wave is not healthy
yet), 2 error.`,
	}
	cmd.AddCommand(newRolloutStartCommand(g, streams), newRolloutStatusCommand(g, streams), newRolloutPromoteCommand(g, streams),
		newRolloutPauseCommand(g, streams, true), newRolloutPauseCommand(g, streams, false), newRolloutAbortCommand(g, streams))
	return cmd
}

func newRolloutStartCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &rolloutOptions{}
	var revision, previous string
	var soak time.Duration
	cmd := &cobra.Command{
		Use:   "start [--revision REF] [--previous REF]",
		Short: "Hold later waves back and apply a revision: only the first wave receives it",
		Example: `  flotilla rollout start --previous HEAD~1            # preview
  flotilla rollout start --previous HEAD~1 --soak 10m --yes`,
		Args: cobra.NoArgs,
		RunE: o.run(g, streams, func(ctx context.Context, opts rollout.Options) (*rollout.Result, error) {
			if previous == "" {
				rec, err := rollout.Store{Client: opts.Client}.Load(ctx)
				if err != nil {
					return nil, err
				}
				if rec.State == nil || rec.State.Phase != rollout.Completed {
					return nil, inputError(fmt.Errorf("no completed rollout is recorded: name the revision the fleet runs now with --previous"))
				}
				previous = rec.State.Revision
			}
			r, commit, err := g.renderRevision(ctx, revision, "")
			if err != nil {
				return nil, err
			}
			// The previous revision is rendered, not only resolved: abort
			// returns to it, so it must be known to render before anything
			// is gated.
			_, prevCommit, err := g.renderRevision(ctx, previous, "--previous")
			if err != nil {
				return nil, err
			}
			plane, err := choosePlane(r, o.plane)
			if err != nil {
				return nil, err
			}
			for _, p := range r.Repo.Fleet.Spec.ControlPlanes {
				if p.Name == plane && p.Delivery == v1alpha1.DeliveryPerCluster {
					return nil, inputError(fmt.Errorf("control plane %s is delivered per cluster: Argo CD's RollingSync strategy (rendered/argocd/applicationset-%s.yaml) rolls it out wave by wave, not Karmada", plane, plane))
				}
			}
			return rollout.Start(ctx, rollout.StartOptions{Options: opts, Plane: plane, Revision: commit, Previous: prevCommit,
				Clusters: planeClusters(r, plane), Objects: PlaneObjects(r, plane), Soak: soak})
		}),
	}
	o.addFlags(cmd, true)
	cmd.Flags().StringVar(&o.plane, "plane", "", "control plane (default: the only one)")
	cmd.Flags().StringVar(&revision, "revision", "HEAD", "the merged revision to roll out")
	cmd.Flags().StringVar(&previous, "previous", "", "the revision the fleet runs now, which abort returns to (default: the last completed rollout's)")
	cmd.Flags().DurationVar(&soak, "soak", 5*time.Minute, "how long a wave must stay healthy before the next is released")
	return cmd
}

func newRolloutStatusCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &rolloutOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each wave: its clusters, what is held or applied, and health from Karmada's bindings",
		Args:  cobra.NoArgs,
		RunE: o.run(g, streams, func(ctx context.Context, opts rollout.Options) (*rollout.Result, error) {
			return rollout.StatusOf(ctx, opts)
		}),
	}
	o.addFlags(cmd, false)
	return cmd
}

func newRolloutPromoteCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &rolloutOptions{}
	var wait bool
	cmd := &cobra.Command{
		Use:   "promote",
		Short: "Release the next wave once the current one has been healthy for the soak time",
		Example: `  flotilla rollout promote                 # would it go? why not?
  flotilla rollout promote --yes --wait --timeout 30m`,
		Args: cobra.NoArgs,
		RunE: o.run(g, streams, func(ctx context.Context, opts rollout.Options) (*rollout.Result, error) {
			return rollout.Promote(ctx, rollout.PromoteOptions{Options: opts, Wait: wait})
		}),
	}
	o.addFlags(cmd, true)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait (up to --timeout) for the wave to be healthy for the soak time")
	return cmd
}

func newRolloutPauseCommand(g *globalOptions, streams IO, pause bool) *cobra.Command {
	o := &rolloutOptions{}
	var reason string
	use, short := "pause", "Stop promotions (the gate stays; nothing is dispatched to held waves)"
	if !pause {
		use, short = "resume", "Allow promotions again"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: o.run(g, streams, func(ctx context.Context, opts rollout.Options) (*rollout.Result, error) {
			return rollout.SetPaused(ctx, opts, pause, reason)
		}),
	}
	o.addFlags(cmd, true)
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the rollout's history")
	return cmd
}

func newRolloutAbortCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &rolloutOptions{}
	cmd := &cobra.Command{
		Use:   "abort",
		Short: "Return every cluster to the previous revision and end the rollout",
		Long: `Abort re-applies the previous revision (rendered from Git at the commit the
rollout recorded), deletes what the aborted revision added, waits until
Karmada has rendered the previous templates into every Work, and only then
lifts the gate: held waves never see the aborted revision. In production,
also merge the revert in Git, or Argo CD will sync the aborted revision back.`,
		Args: cobra.NoArgs,
		RunE: o.run(g, streams, func(ctx context.Context, opts rollout.Options) (*rollout.Result, error) {
			rec, err := rollout.Store{Client: opts.Client}.Load(ctx)
			if err != nil {
				return nil, err
			}
			var previous []*unstructured.Unstructured
			if st := rec.State; st != nil && st.Phase.InProgress() {
				if st.Previous == "" {
					return nil, inputError(fmt.Errorf("the rollout of %s recorded no previous revision to return to", st.Revision))
				}
				r, _, err := g.renderRevision(ctx, st.Previous, "")
				if err != nil {
					return nil, err
				}
				previous = PlaneObjects(r, st.Plane)
			}
			return rollout.Abort(ctx, rollout.AbortOptions{Options: opts, Previous: previous})
		}),
	}
	o.addFlags(cmd, true)
	return cmd
}

// choosePlane returns the named control plane, or the only one.
func choosePlane(r *pipeline.Rendered, plane string) (string, error) {
	planes := r.Repo.Fleet.Spec.ControlPlanes
	if plane == "" {
		if len(planes) != 1 {
			return "", inputError(fmt.Errorf("the fleet has %d control planes: choose one with --plane", len(planes)))
		}
		return planes[0].Name, nil
	}
	for _, p := range planes {
		if p.Name == plane {
			return plane, nil
		}
	}
	return "", inputError(fmt.Errorf("no control plane %q in fleet.yaml", plane))
}

// planeClusters lists the plane's member clusters and their waves.
func planeClusters(r *pipeline.Rendered, plane string) []rollout.Cluster {
	var out []rollout.Cluster
	for _, c := range r.Repo.Clusters {
		if cp := c.Cluster.Spec.ControlPlane; cp == plane || cp == "" && len(r.Repo.Fleet.Spec.ControlPlanes) == 1 {
			out = append(out, rollout.Cluster{Name: c.Cluster.Name, Wave: c.Cluster.Spec.Wave})
		}
	}
	return out
}

// finishRollout prints a result and turns "blocked" into exit code 1.
func finishRollout(streams IO, g *globalOptions, res *rollout.Result, err error, yes bool) error {
	if res != nil {
		if g.output == "json" {
			if werr := writeJSON(streams.Out, res); werr != nil {
				return werr
			}
		} else {
			printRollout(streams.Out, res, yes)
		}
	}
	if err != nil {
		return err
	}
	if res.Blocked != "" {
		return findings("%s", res.Blocked)
	}
	return nil
}

func printRollout(w io.Writer, res *rollout.Result, yes bool) {
	if st := res.State; st != nil {
		fmt.Fprintf(w, "Rollout of %s on %s: %s at wave %d of %d, soak %s\n", gitsnap.Short(st.Revision), st.Plane, st.Phase, st.Current, len(st.Waves), st.Soak.Duration)
	}
	if s := res.Status; s != nil && res.State != nil {
		t := &termtable.Table{Header: []string{"WAVE", "CLUSTERS", "STATE", "HELD", "APPLIED", "UPDATED", "HEALTHY"}, Right: map[int]bool{0: true, 3: true, 4: true, 5: true, 6: true}}
		for _, ws := range s.Waves {
			state := "held"
			switch {
			case ws.Wave < res.State.Current:
				state = "released"
			case ws.Wave == res.State.Current:
				state = "current"
			}
			if ws.Released && len(ws.Problems) > 0 {
				state += ", not healthy"
			}
			t.Rows = append(t.Rows, []string{strconv.Itoa(int(ws.Wave)), strings.Join(ws.Clusters, ", "), state,
				fmt.Sprintf("%d/%d", ws.Held, ws.Targets), fmt.Sprintf("%d/%d", ws.Applied, ws.Targets),
				fmt.Sprintf("%d/%d", ws.Updated, ws.Targets), fmt.Sprintf("%d/%d", ws.Healthy, ws.Targets)})
		}
		if !t.Fits(termtable.Width(w)) {
			// Name the first cluster of each wave and count the rest.
			for i, ws := range s.Waves {
				if len(ws.Clusters) > 1 {
					t.Rows[i][1] = fmt.Sprintf("%s +%d", ws.Clusters[0], len(ws.Clusters)-1)
				}
			}
		}
		fmt.Fprintln(w)
		t.Write(w)
		for _, ws := range s.Waves {
			for i, p := range ws.Problems {
				if i == 5 {
					fmt.Fprintf(w, "  wave %d: … and %d more\n", ws.Wave, len(ws.Problems)-5)
					break
				}
				fmt.Fprintf(w, "  wave %d: %s on %s: %s\n", ws.Wave, p.Object, p.Cluster, p.Reason)
			}
		}
	}
	if len(res.Steps) > 0 {
		verb := "Would"
		if res.Acted {
			verb = "Did"
		}
		fmt.Fprintf(w, "\n%s:\n", verb)
		for _, s := range res.Steps {
			fmt.Fprintf(w, "  - %s\n", s)
		}
	}
	if a := res.Apply; a != nil && !res.Acted {
		fmt.Fprintf(w, "  (%d objects would be created, %d configured, %d unchanged)\n", a.Count("created"), a.Count("configured"), a.Count("unchanged"))
	}
	if res.State == nil && res.Blocked == "" {
		fmt.Fprintln(w, "no rollout recorded on this control plane")
	}
	if res.Blocked != "" {
		fmt.Fprintf(w, "\nblocked: %s\n", res.Blocked)
	} else if !res.Acted && !yes && len(res.Steps) > 0 {
		fmt.Fprintln(w, "\npreview only: add --yes to act")
	}
}
