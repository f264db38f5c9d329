package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/phaseview"
	"github.com/flotilla-gitops/flotilla/tools/renderfs"
	"github.com/flotilla-gitops/flotilla/tools/spot/rebalance"
	"github.com/flotilla-gitops/flotilla/tools/spot/replay"
	"github.com/flotilla-gitops/flotilla/tools/spot/simreport"
)

func newSpotCommand(g *globalOptions, streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "spot",
		Short: "Spot capacity across clusters: rebalance weights from price and interruption signals, replay traces",
		Long: `Spot capacity has two speeds. Inside each cluster, the NodePools, Cluster
Autoscaler priorities, KEDA ScaledObjects and CronFederatedHPAs that
'flotilla render' produces answer a reclaim within its notice. Across
clusters, 'flotilla spot rebalance' moves Karmada weights and hedge
replicas toward cheap capacity through a reviewed commit, and 'flotilla
spot simulate' replays traces to show what that costs and risks.`,
	}
	cmd.AddCommand(newSpotRebalanceCommand(g, streams), newSpotSimulateCommand(g, streams))
	return cmd
}

type spotRebalanceOptions struct {
	signals  string
	now      string
	write    bool
	commit   bool
	lockWait time.Duration
	maxNames int
}

func newSpotRebalanceCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &spotRebalanceOptions{}
	cmd := &cobra.Command{
		Use:   "rebalance --signals FILE [--now RFC3339] [--write | --commit]",
		Short: "Plan each spot app's division from price and interruption signals; write and commit it on request",
		Long: `Rebalance plans, for every app with spec.spot.objective, the division of its
replicas over the clusters its placement admits — on-demand, spot and hedge
replicas per cluster, and the Karmada static weights that say the same —
at the lowest expected cost that keeps minReady replicas ready for the
target share of minutes, within the caps, the on-demand floor and the
rebalancing limits (minimum saving, minimum interval, moves per day,
counted from earlier rebalance commits: their "Flotilla-Spot-Rebalance:
<app>" trailers).

Prices and risk come from the SpotSignals file (docs:
tools/spot/signals/README.md); how they map onto the clusters is in
tools/spot/intentmap's documentation. An unknown signal is never free.

By default nothing is written: the plan of every app is printed, each move
with its figures. --write edits each moved app's app.yaml in place
(spec.spot.division and spec.placement.replicas.weights, comments kept),
renders rendered/ as 'flotilla render' does (under its lock, all or
nothing) and prints the plan of the change against HEAD. --commit does the
same from HEAD's intent and makes one commit, dated --now, whose message
explains each move: the same HEAD and signals make the same commit. It
refuses a work tree with changes other than the files rebalance writes.

Exit codes: 0 planned (and written), 1 an app cannot meet its objective
(nothing written), 2 bad input.`,
		Example: `  flotilla spot rebalance --signals spot/signals.yaml
  flotilla spot rebalance --signals spot/signals.yaml --now 2025-03-04T12:00:00Z -o markdown
  flotilla spot rebalance --signals spot/signals.yaml --commit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			opts, err := o.options()
			if err != nil {
				return inputError(err)
			}
			if opts.Root, err = g.root(); err != nil {
				return inputError(err)
			}
			if opts.Engine, err = g.newEngine(); err != nil {
				return err
			}
			if isTerminal(streams.ErrOut) {
				opts.Progress = func(step string) { fmt.Fprintf(streams.ErrOut, "spot rebalance: %s…\n", step) }
			}
			opts.Waiting = func(h string) {
				fmt.Fprintf(streams.ErrOut, "waiting up to %s for rendered/, locked by another render (%s)\n", o.lockWait, h)
			}
			res, runErr := rebalance.Run(cmd.Context(), opts)
			var objErr *rebalance.ObjectiveError
			if runErr != nil && !errors.As(runErr, &objErr) {
				return inputError(runErr)
			}
			if res != nil {
				if err := writeRebalance(streams, g.output, res, rebalance.ReportOptions{Mode: opts.Mode, Color: g.colorFor(streams, streams.Out), MaxNames: o.maxNames}); err != nil {
					return err
				}
			}
			if objErr != nil {
				if len(objErr.Errors) > 0 {
					printError(streams, objErr.Errors)
				}
				return &ExitError{Code: ExitFindings, Err: objErr}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.signals, "signals", "", "the SpotSignals file (required)")
	f.StringVar(&o.now, "now", "", "the time of the decision, RFC 3339 (default: now); with --commit also the commit's date")
	f.BoolVar(&o.write, "write", false, "edit the apps' intent files and render rendered/")
	f.BoolVar(&o.commit, "commit", false, "write, then commit the change (one commit, dated --now)")
	f.DurationVar(&o.lockWait, "lock-wait", renderfs.DefaultLockWait, "how long to wait for another render holding rendered/")
	f.IntVar(&o.maxNames, "max-names", 8, "cluster names listed per line of the change's plan before 'and N more' (0: all)")
	return cmd
}

// options checks the flags and builds the library's options.
func (o *spotRebalanceOptions) options() (rebalance.Options, error) {
	out := rebalance.Options{Signals: o.signals, LockWait: o.lockWait, Now: time.Now().UTC().Truncate(time.Second)}
	var problems []string
	if o.signals == "" {
		problems = append(problems, "--signals is required (the SpotSignals file, e.g. spot/signals.yaml)")
	}
	if o.write && o.commit {
		problems = append(problems, "--write and --commit: choose one (--commit writes too)")
	}
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			problems = append(problems, fmt.Sprintf("--now %q: want an RFC 3339 time such as 2025-03-04T12:00:00Z", o.now))
		}
		out.Now = t.UTC()
	}
	switch {
	case o.commit:
		out.Mode = rebalance.Commit
	case o.write:
		out.Mode = rebalance.Write
	}
	if len(problems) > 0 {
		return out, errors.New(strings.Join(problems, "\n"))
	}
	return out, nil
}

func writeRebalance(streams IO, format string, res *rebalance.Result, o rebalance.ReportOptions) error {
	switch format {
	case "json":
		return writeJSON(streams.Out, res)
	case "markdown":
		return rebalance.WriteMarkdown(streams.Out, res, o)
	}
	return rebalance.WriteText(streams.Out, res, o)
}

type spotSimulateOptions struct {
	signals   string
	from, to  string
	reportDir string
}

func newSpotSimulateCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &spotSimulateOptions{}
	cmd := &cobra.Command{
		Use:   "simulate --signals FILE [--from T --to T] [--report-dir DIR]",
		Short: "Replay the signals' traces against the repository's spot apps under seven policies",
		Long: `Simulate replays the availability traces of the SpotSignals file minute by
minute against the repository's apps with a spot objective and the clusters
they may use (mapped as tools/spot/sim/README.md says), under seven
policies on the same traces: on-demand only, today's static weights, a
Karpenter-like policy, Karmada's dynamic weights, SpotHedge, flotilla's
rebalance (with the interruption notice, start-up, failover and the
Git → Argo CD → Karmada delay of its commits) and an oracle with perfect
foresight. It reports per policy the cost against on-demand, the share of
the oracle's saving, replica-minutes lost, minutes with fewer than N
ready, interruptions absorbed and commits per day.

Markdown (default) or JSON on stdout; --report-dir also writes report.md,
report.json and report.svg (cost against availability for every policy,
and a timeline) there. Progress goes to stderr.`,
		Example: `  flotilla spot simulate --signals spot/signals.yaml
  flotilla spot simulate --signals spot/signals.yaml --from 2025-03-02T00:00:00Z --to 2025-03-04T00:00:00Z --report-dir /tmp/spot`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format := g.output
			if !cmd.Flags().Changed("output") && !cmd.Root().PersistentFlags().Changed("output") {
				format = "markdown"
			}
			if err := checkFormat(cmd, format); err != nil {
				return err
			}
			opts := replay.Options{Signals: o.signals, Parallelism: g.parallelism}
			var problems []string
			if o.signals == "" {
				problems = append(problems, "--signals is required (the SpotSignals file, e.g. spot/signals.yaml)")
			}
			for _, f := range []struct {
				name, v string
				t       *time.Time
			}{{"--from", o.from, &opts.From}, {"--to", o.to, &opts.To}} {
				if f.v == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, f.v)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s %q: want an RFC 3339 time such as 2025-03-02T00:00:00Z", f.name, f.v))
				}
				*f.t = t.UTC()
			}
			if !opts.From.IsZero() && !opts.To.IsZero() && !opts.To.After(opts.From) {
				problems = append(problems, "--to must be after --from")
			}
			if len(problems) > 0 {
				return inputError(errors.New(strings.Join(problems, "\n")))
			}
			root, err := g.root()
			if err != nil {
				return inputError(err)
			}
			opts.Root = root
			if opts.Engine, err = g.newEngine(); err != nil {
				return err
			}
			view := phaseview.New(streams.ErrOut, phaseview.Options{Title: "spot simulate", TTY: isTerminal(streams.ErrOut)})
			opts.Phase = func(phase string) func(msg string, err error) {
				view.Begin(phase)
				start := time.Now()
				return func(msg string, err error) {
					e := ""
					if err != nil {
						e = err.Error()
					}
					view.End(phase, time.Since(start), e, msg)
				}
			}
			res, err := replay.Run(cmd.Context(), opts)
			view.Close()
			if err != nil {
				return inputError(err)
			}
			for _, n := range res.Notes {
				fmt.Fprintf(streams.ErrOut, "note: %s\n", n)
			}
			if o.reportDir != "" {
				if err := simreport.WriteDir(o.reportDir, res.Result); err != nil {
					return err
				}
				fmt.Fprintf(streams.ErrOut, "wrote %s/report.md, report.json and report.svg\n", o.reportDir)
			}
			if format == "json" {
				return simreport.JSON(streams.Out, res.Result)
			}
			return simreport.Markdown(streams.Out, res.Result)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.signals, "signals", "", "the SpotSignals file (required)")
	f.StringVar(&o.from, "from", "", "the replay's start, RFC 3339 (default: the latest start of the traces)")
	f.StringVar(&o.to, "to", "", "the replay's end, RFC 3339 (default: the first end of the traces)")
	f.StringVar(&o.reportDir, "report-dir", "", "also write report.md, report.json and report.svg into this folder")
	return cmd
}
