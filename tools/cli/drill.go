package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/flotilla-gitops/flotilla/tools/drill"
	"github.com/flotilla-gitops/flotilla/tools/engines"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/phaseview"
)

type drillOptions struct {
	yes          bool
	state        string
	reportDir    string
	fastSync     bool
	timeout      time.Duration
	kubeconfig   string
	controlPlane string
	cleanup      bool
}

func newDrillCommand(g *globalOptions, streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Disaster-recovery rehearsals with real Velero: run a DrillPlan and report RTO and RPO",
	}
	cmd.AddCommand(newDrillRun(g, streams), newVerifyBackups(g, streams))
	return cmd
}

func newDrillRun(g *globalOptions, streams IO) *cobra.Command {
	o := &drillOptions{}
	cmd := &cobra.Command{
		Use:   "run NAME|FILE",
		Short: "Back up, inject the failure, restore into the recovery cluster, verify, clean up (preview unless --yes)",
		Long: `Run carries out a DrillPlan of backup/drills/, named or given by its file:
preflight (both sides' storage locations, the recovery side's ReadOnly,
every object of the apps on the source as Karmada placed it), a Velero backup of the
apps' namespaces on the source, the declared failure, the backup reaching
the recovery side, a Velero restore there (namespaces mapped as the plan
says), verification of every backed-up object against its restored copy
and the plan's readiness checks, and cleanup (the failure lifted, what was
restored removed, the drill's backup deleted).

Without --yes it prints the steps and changes nothing. The state is
recorded (--state) as each phase starts and ends: re-running after an
interruption resumes where it stopped; --cleanup abandons it instead
(lifts the failure, removes what was restored). It never restores into the source,
and changes nothing there but the declared failure, which it undoes.

Clusters are reached through the kubeconfig, each by its Cluster's
spec.access.context (default: its name), the control plane by --context.
When the local fleet runs (flotilla fleet up --with-backup), the drill uses
it and starts each side's Velero server as a phase needs it.

Reports: Markdown on stdout (-o json: the whole result), and with
--report-dir report.md, report.json, junit.xml and timeline.svg.
Exit codes: 0 passed (or previewed), 1 failed, 2 error.`,
		Example: `  flotilla drill run inference-eu-central
  flotilla drill run backup/drills/inference-eu-central.yaml
  flotilla drill run inference-eu-central --yes --report-dir drill-report`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			_, r, err := g.renderRepo(cmd.Context(), "")
			if err != nil {
				return err
			}
			name, err := resolveName(r.Repo, "DrillPlan", args[0], drillNames(r.Repo))
			if err != nil {
				return inputError(err)
			}
			d := r.Repo.Drill(name)
			do := drill.Options{Repo: r.Repo, Drill: d, Yes: o.yes, FastSync: o.fastSync, PhaseTimeout: o.timeout, ControlPlane: o.controlPlane, CleanupOnly: o.cleanup}
			do.StateFile = o.state
			if do.StateFile == "" {
				do.StateFile = filepath.Join(r.Repo.Root, ".flotilla", "drills", d.Name+".json")
				if o.yes || o.cleanup {
					// flotilla's own folder: private, even when an older
					// flotilla made it 0755 (a --state folder is the
					// user's to choose).
					if err := privateDir(filepath.Dir(do.StateFile)); err != nil {
						return err
					}
				}
			}
			acc, err := reachClusters(g, streams, o.kubeconfig, r.Repo, o.controlPlane)
			if err != nil {
				return err
			}
			do.Config, do.ControlPlane, do.Servers = acc.config, acc.controlPlane, acc.servers
			if acc.local != nil {
				do.APIServers = acc.local
			}
			if o.yes {
				view := phaseview.New(streams.ErrOut, phaseview.Options{Title: "drill", TTY: isTerminal(streams.ErrOut)})
				defer view.Close()
				do.Progress = progressTo(view)
			}
			res, runErr := drill.Run(cmd.Context(), do)
			if res == nil {
				return runErr
			}
			if err := writeDrill(streams, g.output, res, o.reportDir); err != nil {
				return err
			}
			if res.Report != nil && !res.Report.Passed {
				return findings("drill %s failed", d.Name)
			}
			return runErr
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.yes, "yes", false, "act (without it: print the steps, change nothing)")
	f.StringVar(&o.state, "state", "", "state file (default: .flotilla/drills/NAME.json in the repository)")
	f.StringVar(&o.reportDir, "report-dir", "", "write report.md, report.json, junit.xml and timeline.svg here")
	f.BoolVar(&o.fastSync, "fast-sync", false, "preset the recovery side's location Available so Velero lists the backup at once, not on its first one-minute sync cycle (the report says which)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "longest wait of any phase")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig with a context per cluster (default: $KUBECONFIG, else the local fleet)")
	f.StringVar(&o.controlPlane, "context", "karmada-apiserver", "kubeconfig context of the Karmada control plane (for TaintNoExecute)")
	f.BoolVar(&o.cleanup, "cleanup", false, "only clean up an interrupted run recorded in the state file (lift the failure, remove what was restored), instead of resuming it")
	return cmd
}

// privateDir makes dir, and makes it 0700 if it exists.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

func orNoneList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// progressTo shows a run's phases in a view.
func progressTo(view *phaseview.View) func(drill.PhaseRecord) {
	return func(p drill.PhaseRecord) {
		if p.Ended == nil {
			view.Begin(string(p.Phase))
			return
		}
		view.End(string(p.Phase), p.Ended.Sub(p.Started), p.Error, p.Message)
	}
}

// access is how a drill reaches the clusters: a kubeconfig context per
// cluster, or the local fleet (which also runs each side's Velero server
// and can stop a member's API server).
type access struct {
	config       func(string) (*rest.Config, error)
	controlPlane string
	servers      drill.Servers
	local        *localFleet
}

// reachClusters uses the repository's local fleet when it runs, `flotilla
// fleet up` recorded it (fleet.Load refuses a state.json it did not
// write: its components name programs to start) and no kubeconfig is
// given; the kubeconfig's contexts otherwise (chosen as every live
// command chooses it: chooseKubeconfig).
func reachClusters(g *globalOptions, streams IO, kubeconfig string, repo *intent.Repo, controlPlane string) (access, error) {
	root := repo.Root
	fleetDir := filepath.Join(root, ".fleet")
	if kubeconfig == "" && streams.getenv("KUBECONFIG") == "" {
		f, err := fleet.Load(fleetDir)
		var nr *fleet.NotRecordedError
		switch {
		case err == nil && fleet.Running(fleetDir):
			set, err := engines.Locate(root)
			if err != nil {
				return access{}, inputError(err)
			}
			fmt.Fprintf(streams.ErrOut, "using the local fleet of %s (started by flotilla fleet up)\n", f.Dir)
			l := &localFleet{f: f, set: set}
			return access{config: f.RESTConfig, controlPlane: fleet.HostName, servers: l, local: l}, nil
		case errors.As(err, &nr):
			fmt.Fprintf(streams.ErrOut, "ignoring %v\n", err)
		}
	}
	return access{config: kubeContexts(lazyKubeconfig(g, kubeconfig, streams), repo, controlPlane), controlPlane: controlPlane}, nil
}

// localFleet starts a member's Velero server, and stops and starts its
// API server, on the local fleet.
type localFleet struct {
	f   *fleet.Fleet
	set *engines.Set
}

func (l *localFleet) Ensure(ctx context.Context, cluster string) error {
	return l.f.StartVelero(ctx, l.set, cluster, false)
}

// StopAPIServer kills the API server: an outage is abrupt, and a
// graceful stop waits out its in-flight requests.
func (l *localFleet) StopAPIServer(_ context.Context, cluster string) error {
	return l.f.KillComponent(fleet.APIServerName(cluster))
}

func (l *localFleet) StartAPIServer(ctx context.Context, cluster string) error {
	return l.f.StartComponent(ctx, fleet.APIServerName(cluster), false)
}

// kubeContexts reaches a cluster through the kubeconfig context its
// Cluster names (spec.access.context, default its name), the control plane
// through its own context, in the kubeconfig every live command would
// choose (chosen once, on first use).
func kubeContexts(kc func() (*kubeconfig, error), repo interface {
	ClusterContext(string) string
}, controlPlane string) func(string) (*rest.Config, error) {
	return func(name string) (*rest.Config, error) {
		ctxName := name
		if name != controlPlane {
			ctxName = repo.ClusterContext(name)
		}
		k, err := kc()
		if err != nil {
			return nil, err
		}
		cfg, err := k.restConfig(ctxName)
		if err != nil {
			return nil, fmt.Errorf("context %q (cluster %s): %w", ctxName, name, err)
		}
		// A restore creates objects one by one: more than the live
		// commands' default rate.
		cfg.QPS, cfg.Burst = 200, 400
		return cfg, nil
	}
}

func writeDrill(streams IO, format string, res *drill.Result, dir string) error {
	if format == "json" {
		return writeJSON(streams.Out, res)
	}
	if res.Preview {
		if res.State.Spot != nil {
			fmt.Fprintf(streams.Out, "Drill %s: %s loses %s capacity (preview: nothing done; --yes to run)\n", res.State.Drill, res.State.Source, res.State.Spot.CapacityType)
		} else {
			fmt.Fprintf(streams.Out, "Drill %s: %s → %s (preview: nothing done; --yes to run)\n", res.State.Drill, res.State.Source, res.State.Recovery)
		}
		for i, s := range res.Steps {
			fmt.Fprintf(streams.Out, "  %d. %-14s %s\n", i+1, s.Phase, s.Action)
		}
		return nil
	}
	if err := drill.WriteMarkdown(streams.Out, res.Report); err != nil {
		return err
	}
	if dir == "" {
		return nil
	}
	return writeFiles(dir, map[string]func(io.Writer) error{
		"report.md":    func(w io.Writer) error { return drill.WriteMarkdown(w, res.Report) },
		"report.json":  func(w io.Writer) error { return writeJSON(w, res.Report) },
		"junit.xml":    func(w io.Writer) error { return drill.WriteJUnit(w, res.Report) },
		"timeline.svg": func(w io.Writer) error { return drill.WriteSVG(w, res.Report) },
	})
}

type verifyBackupsOptions struct {
	yes        bool
	apps       []string
	clusters   []string
	links      int
	grace      time.Duration
	fastSync   bool
	timeout    time.Duration
	kubeconfig string
	reportDir  string
}

func newVerifyBackups(g *globalOptions, streams IO) *cobra.Command {
	o := &verifyBackupsOptions{}
	cmd := &cobra.Command{
		Use:   "verify-backups",
		Short: "Check every app's Velero schedule chain and restore its latest backup into a scratch namespace (preview unless --yes)",
		Long: `Verify-backups checks the backups of every app with backup intent, on
every cluster it backs up on (--app and --cluster narrow it):

  chain            the app's Velero Schedule (velero/APP) has, for each of
                   its last --links fires (its cron, from the Schedule's
                   creation and within the backups' TTL), a backup labelled
                   with the schedule's name, and each is Completed; a fire
                   younger than --grace may still be running.
  restore dry-run  with --yes: the latest Completed backup is restored on
                   the app's recovery cluster — through its read-only copy
                   of the source's location, as a real recovery would —
                   into a scratch namespace, every object compared with
                   what the backup holds (read through Velero's
                   DownloadRequest), and the scratch namespace removed.

Without --yes it reads the chains (nothing is changed) and prints the
dry-runs it would make. Re-running is safe: each run restores into a new
scratch namespace, and removes what an interrupted earlier run left.

Output: Markdown (-o text), JSON, or JUnit (-o junit), and with
--report-dir report.md, report.json and junit.xml.
Exit codes: 0 every chain unbroken and every dry-run verified, 1 findings,
2 error.`,
		Example: `  flotilla drill verify-backups
  flotilla drill verify-backups --app paddle-inference --cluster cloud-eu-central-1 --yes -o junit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			_, r, err := g.renderRepo(cmd.Context(), "")
			if err != nil {
				return err
			}
			apps, err := resolveNames(r.Repo, "App", o.apps, appNames(r.Repo))
			if err != nil {
				return inputError(err)
			}
			clusters, err := resolveNames(r.Repo, "Cluster", o.clusters, clusterNamesOf(r.Repo))
			if err != nil {
				return inputError(err)
			}
			acc, err := reachClusters(g, streams, o.kubeconfig, r.Repo, "")
			if err != nil {
				return err
			}
			vo := drill.VerifyOptions{Repo: r.Repo, Config: acc.config, Servers: acc.servers, Apps: apps, Clusters: clusters,
				Chain: drill.ChainOptions{Links: o.links, Grace: o.grace}, Yes: o.yes, FastSync: o.fastSync, Timeout: o.timeout}
			view := phaseview.New(streams.ErrOut, phaseview.Options{Title: "verify-backups", TTY: isTerminal(streams.ErrOut)})
			defer view.Close()
			vo.Progress = progressTo(view)
			rep, err := drill.VerifyBackups(cmd.Context(), vo)
			if rep == nil {
				return inputError(err)
			}
			if werr := writeBackups(streams, g.output, rep, o.reportDir); werr != nil {
				return werr
			}
			if err != nil {
				return err
			}
			if !rep.Passed {
				return findings("backups: %d schedule(s) checked, not all passed", len(rep.Schedules))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.yes, "yes", false, "run the restore dry-runs (without it: read the chains, change nothing)")
	f.StringSliceVar(&o.apps, "app", nil, "check only these apps (repeatable)")
	f.StringSliceVar(&o.clusters, "cluster", nil, "check only these source clusters (repeatable)")
	f.IntVar(&o.links, "links", 3, "how many of each schedule's latest fires must each have a Completed backup")
	f.DurationVar(&o.grace, "grace", 10*time.Minute, "how long after a fire its backup may still be missing or running")
	f.BoolVar(&o.fastSync, "fast-sync", false, "preset the recovery side's location Available so Velero lists the backup at once (as drill run --fast-sync)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "longest wait of any step")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig with a context per cluster (default: $KUBECONFIG, else the local fleet)")
	f.StringVar(&o.reportDir, "report-dir", "", "write report.md, report.json and junit.xml here")
	return cmd
}

func writeBackups(streams IO, format string, rep *drill.BackupsReport, dir string) error {
	switch format {
	case "json":
		if err := writeJSON(streams.Out, rep); err != nil {
			return err
		}
	case "junit":
		if err := drill.WriteBackupsJUnit(streams.Out, rep); err != nil {
			return err
		}
	default:
		if err := drill.WriteBackupsMarkdown(streams.Out, rep); err != nil {
			return err
		}
	}
	if dir == "" {
		return nil
	}
	return writeFiles(dir, map[string]func(io.Writer) error{
		"report.md":   func(w io.Writer) error { return drill.WriteBackupsMarkdown(w, rep) },
		"report.json": func(w io.Writer) error { return writeJSON(w, rep) },
		"junit.xml":   func(w io.Writer) error { return drill.WriteBackupsJUnit(w, rep) },
	})
}

// writeFiles writes report files into dir.
func writeFiles(dir string, files map[string]func(io.Writer) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		werr := files[name](f)
		if err := f.Close(); werr == nil {
			werr = err
		}
		if werr != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, name), werr)
		}
	}
	return nil
}
