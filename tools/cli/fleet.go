package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/engines"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/termtable"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type fleetOptions struct {
	state      string
	clusters   int
	nodes      int
	withBackup bool
	living     bool
}

// stateDir is where the local fleet keeps its state: --state, else
// .fleet/ in the repository (or the current folder outside one).
func (o *fleetOptions) stateDir(g *globalOptions) string {
	if o.state != "" {
		return o.state
	}
	if root, err := g.root(); err == nil {
		return filepath.Join(root, ".fleet")
	}
	return ".fleet"
}

func newFleetCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &fleetOptions{}
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "A real local Karmada fleet on this machine: build, up, down, status, env",
		Long: `The local fleet runs a Karmada control plane (etcd, kube-apiserver,
karmada-aggregated-apiserver, karmada-webhook, karmada-controller-manager,
karmada-scheduler, kube-controller-manager) and one member per Cluster of
the repository — each a kube-apiserver with its own etcd, the nodes its
Cluster declares (kwok), a kube-scheduler and kube-controller-manager's
workload controllers, so pods are scheduled, run and become ready — on
127.0.0.1, from binaries built from their Go modules (flotilla fleet build).`,
	}
	cmd.PersistentFlags().StringVar(&o.state, "state", "", "folder for the fleet's state (default: .fleet/ in the repository)")
	cmd.AddCommand(newFleetBuild(g, streams), newFleetUp(g, o, streams), newFleetDown(g, o, streams), newFleetStatus(g, o, streams), newFleetEnv(g, o, streams), newFleetReclaim(g, o, streams))
	return cmd
}

// repoRootForEngines finds the checkout holding scripts/engines.
func repoRootForEngines(g *globalOptions) (string, error) {
	root, err := g.root()
	if err != nil {
		return "", err
	}
	if err := engines.CheckRepoRoot(root); err != nil {
		return "", err
	}
	return root, nil
}

func newFleetBuild(g *globalOptions, streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "build",
		Short: "Build the engine binaries from their Go modules (cached: a second run takes seconds)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := repoRootForEngines(g)
			if err != nil {
				return inputError(err)
			}
			start := time.Now()
			if _, err := engines.Build(cmd.Context(), root, streams.Out); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "engine binaries ready in %s\n", time.Since(start).Round(time.Second))
			return nil
		},
	}
}

func newFleetUp(g *globalOptions, o *fleetOptions, streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a local Karmada fleet: one member per Cluster of the repository (or --clusters N)",
		Args:  cobra.NoArgs,
		Example: `  flotilla fleet up
  eval "$(flotilla fleet env)"
  kubectl --context karmada-apiserver get clusters`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := repoRootForEngines(g)
			if err != nil {
				return inputError(err)
			}
			set, err := engines.Locate(root)
			if err != nil {
				return inputError(err)
			}
			members, groups, err := fleetMembers(cmd.Context(), g, o.clusters)
			if err != nil {
				return inputError(err)
			}
			hostCRDs, memberCRDs, err := FleetCRDs()
			if err != nil {
				return err
			}
			prog := newProgress(streams.ErrOut)
			var backup *fleet.BackupOptions
			if o.withBackup {
				if backup, err = fleetBackup(cmd.Context(), g); err != nil {
					return inputError(err)
				}
			}
			fo := fleet.Options{
				StateDir: o.stateDir(g), Engines: set, Members: members, HostCRDs: hostCRDs, MemberCRDs: memberCRDs,
				Living: o.living, EdgeGroups: groups, Nodes: o.nodes, Backup: backup, Progress: prog.step,
			}
			if o.living && cmd.Flags().Changed("nodes") {
				return inputError(fmt.Errorf("--nodes is for --living=false: a living fleet's members get the nodes their Cluster declares"))
			}
			if o.living && o.clusters == 0 {
				// Volumes for the storage classes the workloads claim.
				_, r, err := g.renderRepo(cmd.Context(), "")
				if err != nil {
					return err
				}
				var objs []*unstructured.Unstructured
				for _, p := range r.Repo.Fleet.Spec.ControlPlanes {
					objs = append(objs, PlaneObjects(r, p.Name)...)
				}
				fo.StorageClasses = fleet.StorageClassesOf(objs)
			}
			f, err := fleet.Up(cmd.Context(), fo)
			prog.done()
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "local fleet up in %.1fs: Karmada control plane + %d members\n", f.Startup, len(members))
			fmt.Fprintf(streams.Out, "  kubeconfig: %s\n  use it:     eval \"$(flotilla fleet env)\"\n", f.Kubeconfig)
			fmt.Fprintf(streams.Out, "  contexts:   karmada-apiserver")
			for _, c := range f.Clusters {
				if c.Member {
					fmt.Fprintf(streams.Out, ", %s", c.Context)
				}
			}
			fmt.Fprintln(streams.Out)
			return nil
		},
	}
	cmd.Flags().IntVar(&o.clusters, "clusters", 0, "start N synthetic members instead of the repository's clusters")
	cmd.Flags().IntVar(&o.nodes, "nodes", 0, "with --living=false: Node objects per member with the cluster's capacity as allocatable (for dynamic weights)")
	cmd.Flags().BoolVar(&o.withBackup, "with-backup", false, "also start an S3-compatible store (versitygw) with the buckets of backup/locations/ and prepare every member for Velero (disaster-recovery drills)")
	cmd.Flags().BoolVar(&o.living, "living", true, "give every member the nodes its Cluster declares (run by kwok), a kube-scheduler and the workload controllers, so pods run and workloads become ready; --living=false starts bare API servers (lighter: no pod ever runs, and Karmada judges every workload Unhealthy)")
	return cmd
}

// FleetCRDs returns the CRDs for the control plane (all the engines') and
// for members (what Karmada propagates to them: Velero, KubeEdge,
// PrometheusRule, Karpenter NodePools, KEDA ScaledObjects).
func FleetCRDs() (host, member []*apiextensionsv1.CustomResourceDefinition, err error) {
	v, err := apischema.New(apischema.Options{})
	if err != nil {
		return nil, nil, err
	}
	crds, err := v.CRDs()
	if err != nil {
		return nil, nil, err
	}
	for _, crd := range crds {
		host = append(host, crd)
		switch crd.Spec.Group {
		case "velero.io", "apps.kubeedge.io", "monitoring.coreos.com", "karpenter.sh", "keda.sh":
			member = append(member, crd)
		}
	}
	return host, member, nil
}

// fleetMembers returns the repository's clusters and edge groups, or n
// synthetic clusters.
func fleetMembers(ctx context.Context, g *globalOptions, n int) ([]*v1alpha1.Cluster, []*v1alpha1.EdgeGroup, error) {
	if n > 0 {
		var out []*v1alpha1.Cluster
		regions := []string{"eu-west-1", "eu-central-1", "us-east-1", "us-east-2"}
		for i := 0; i < n; i++ {
			c := &v1alpha1.Cluster{}
			c.Name = fmt.Sprintf("member%d", i+1)
			c.Labels = map[string]string{"synthetic": "true"}
			c.Spec = v1alpha1.ClusterSpec{Kind: v1alpha1.ClusterKindCloud, Provider: "aws", Region: regions[i%len(regions)], Zone: regions[i%len(regions)] + "a",
				KubernetesVersion: "v1.31.3", Access: v1alpha1.ClusterAccess{Context: c.Name}}
			// Ten nodes of 16 CPUs and 64Gi each (a living member gets
			// them).
			c.Spec.Capacity.Nodes = 10
			c.Spec.Capacity.CPU, c.Spec.Capacity.Memory = resource.MustParse("160"), resource.MustParse("640Gi")
			v1alpha1.SetClusterDefaults(c)
			out = append(out, c)
		}
		return out, nil, nil
	}
	repo, err := loadIntent(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	var out []*v1alpha1.Cluster
	for _, c := range repo.Clusters {
		out = append(out, c.Cluster.DeepCopy())
	}
	var groups []*v1alpha1.EdgeGroup
	for _, eg := range repo.EdgeGroups {
		groups = append(groups, eg.EdgeGroup.DeepCopy())
	}
	return out, groups, nil
}

// fleetBackup reads the buckets and region of the repository's storage
// locations for a fleet with backup.
func fleetBackup(ctx context.Context, g *globalOptions) (*fleet.BackupOptions, error) {
	repo, err := loadIntent(ctx, g)
	if err != nil {
		return nil, err
	}
	return fleet.BackupFor(repo)
}

// loadIntent loads the repository's intent (without rendering it).
func loadIntent(ctx context.Context, g *globalOptions) (*intent.Repo, error) {
	root, err := g.root()
	if err != nil {
		return nil, err
	}
	v, err := apischema.New(apischema.Options{ExtraCRDs: intentCRDs()})
	if err != nil {
		return nil, err
	}
	return intent.Load(ctx, root, intent.Options{Schema: v})
}

func newFleetDown(g *globalOptions, o *fleetOptions, streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop every process of the local fleet (API servers before their etcd) and remove its state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := fleet.Load(o.stateDir(g))
			if err != nil {
				return inputError(err)
			}
			if err := f.Down(); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "local fleet stopped: %d processes, state %s removed\n", len(f.Components), f.Dir)
			return nil
		},
	}
}

func newFleetEnv(g *globalOptions, o *fleetOptions, streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "env",
		Short: "Print shell export lines for the local fleet (eval \"$(flotilla fleet env)\")",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := fleet.Load(o.stateDir(g))
			if err != nil {
				return inputError(err)
			}
			fmt.Fprintf(streams.Out, "export KUBECONFIG=%s\n", shellQuote(f.Kubeconfig))
			fmt.Fprintf(streams.Out, "export FLOTILLA_FLEET=%s\n", shellQuote(f.Dir))
			return nil
		},
	}
}

// shellQuote quotes s for a POSIX shell: the output of `fleet env` is
// eval'd, and inside double quotes (Go's %q) $(...) still runs.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func newFleetStatus(g *globalOptions, o *fleetOptions, streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the local fleet's components and clusters with their health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := fleet.Load(o.stateDir(g))
			if err != nil {
				return inputError(err)
			}
			st := f.Status(cmd.Context())
			if g.output == "json" {
				return writeJSON(streams.Out, st)
			}
			t := &termtable.Table{Header: []string{"COMPONENT", "CLUSTER", "PID", "PORT", "STATE"}}
			for _, c := range st.Components {
				t.Rows = append(t.Rows, []string{c.Name, c.Cluster, fmt.Sprint(c.PID), fmt.Sprint(c.Port), c.State})
			}
			if err := t.Write(streams.Out); err != nil {
				return err
			}
			fmt.Fprintln(streams.Out)
			ct := &termtable.Table{Header: []string{"CLUSTER", "CONTEXT", "API SERVER", "KARMADA", "NODES READY"}}
			for _, c := range st.Clusters {
				ct.Rows = append(ct.Rows, []string{c.Name, c.Context, c.URL, c.Karmada, c.Nodes})
			}
			if err := ct.Write(streams.Out); err != nil {
				return err
			}
			var crashed []string
			for _, c := range st.Components {
				if c.State == "exited" {
					crashed = append(crashed, c.Name)
					fmt.Fprintf(streams.Out, "\n%s exited; last lines of %s:\n%s\n", c.Name, c.Log, c.Tail)
				}
			}
			if len(crashed) > 0 {
				return findings("%d component(s) down: %s", len(crashed), strings.Join(crashed, ", "))
			}
			return nil
		},
	}
}

func intentCRDs() []fs.FS { return []fs.FS{v1alpha1.CRDs()} }

// progress draws a progress bar on a terminal, or prints steps otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	last  int
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: isTerminal(w), start: time.Now()}
}

func (p *progress) step(s fleet.Step) {
	elapsed := time.Since(p.start).Round(100 * time.Millisecond)
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d %5s] %s\n", s.N, s.Total, elapsed, s.Msg)
		return
	}
	const width = 24
	filled := width * s.N / max(s.Total, 1)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	line := fmt.Sprintf("\r[%s] %d/%d %5s %s", bar, s.N, s.Total, elapsed, s.Msg)
	pad := max(0, p.last-len(line))
	p.last = len(line)
	fmt.Fprint(p.w, line+strings.Repeat(" ", pad))
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
