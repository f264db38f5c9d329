package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/termtable"
)

type placeOptions struct {
	app  string
	all  bool
	live liveOptions
}

func newPlaceCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &placeOptions{}
	cmd := &cobra.Command{
		Use:   "place",
		Short: "Preview where Karmada will put every app, and how many replicas each cluster gets",
		Long: `Place renders the repository in memory and runs karmada-scheduler's own code
(webhook defaults, resource interpreter, filter and score plugins, replica
division) over the fleet's clusters, as declared in clusters/. It shows, per
app and cluster, the replicas each cluster gets, and why the others are left
out. Nothing is applied.

Cells: a number is replicas; ● means the object lands there (objects Karmada
does not divide, such as DaemonSets, run on every node of those clusters);
· means it does not land there.`,
		Example: `  flotilla place
  flotilla place --app paddle-inference -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			eng, r, err := g.renderRepo(cmd.Context(), "")
			if err != nil {
				return err
			}
			var snapshot []*clusterv1alpha1.Cluster
			if o.live.context != "" || o.live.kubeconfig != "" {
				c, err := o.live.client(g, streams)
				if err != nil {
					return inputError(err)
				}
				if snapshot, err = liveClusters(cmd.Context(), c); err != nil {
					return err
				}
			}
			app := o.app
			if app != "" {
				if app, err = resolveName(r.Repo, "App", app, appNames(r.Repo)); err != nil {
					return inputError(err)
				}
			}
			results, sched, err := eng.PlaceOn(cmd.Context(), r, app, snapshot, place.Options{Reasons: true, Alternatives: true})
			if err != nil {
				return inputError(err)
			}
			if !o.all {
				results = workloadsOnly(results)
			}
			if g.output == "json" {
				return writeJSON(streams.Out, map[string]any{"clusters": clusterFacts(sched.Clusters()), "placements": results})
			}
			return printPlacement(streams.Out, results, inWaveOrder(sched.Clusters()), termtable.Width(streams.Out))
		},
	}
	cmd.Flags().StringVar(&o.app, "app", "", "only this app (its name, folder or app.yaml)")
	o.live.addFlags(cmd, "preview against the live Cluster objects (status included) of this Karmada context instead of the intent")
	cmd.Flags().BoolVar(&o.all, "all", false, "every selected object (ConfigMaps, Services, Velero and KubeEdge objects...), not only workloads")
	return cmd
}

type clusterFact struct {
	Name     string `json:"name"`
	Provider string `json:"provider"`
	Region   string `json:"region"`
	Wave     string `json:"wave"`
	Kind     string `json:"kind"`
	Capacity string `json:"capacityType"`
}

// inWaveOrder sorts clusters by rollout wave, then name: the order of the
// plan's matrix and rollout, so a cluster sits in the same column in every
// picture flotilla draws.
func inWaveOrder(kcs []*clusterv1alpha1.Cluster) []*clusterv1alpha1.Cluster {
	out := slices.Clone(kcs)
	wave := func(c *clusterv1alpha1.Cluster) int {
		n, _ := strconv.Atoi(c.Labels["flotilla.io/wave"])
		return n
	}
	slices.SortStableFunc(out, func(a, b *clusterv1alpha1.Cluster) int {
		return cmp.Or(cmp.Compare(wave(a), wave(b)), strings.Compare(a.Name, b.Name))
	})
	return out
}

func clusterFacts(kcs []*clusterv1alpha1.Cluster) []clusterFact {
	out := make([]clusterFact, len(kcs))
	for i, kc := range kcs {
		out[i] = clusterFact{Name: kc.Name, Provider: kc.Spec.Provider, Region: kc.Spec.Region,
			Wave: kc.Labels["flotilla.io/wave"], Kind: kc.Labels["flotilla.io/kind"], Capacity: kc.Labels["flotilla.io/capacity-type"]}
	}
	return out
}

// workloadsOnly keeps, per app, the objects with a pod template; apps with
// none (rules, configuration) keep their first object so they still show.
func workloadsOnly(results []place.Result) []place.Result {
	var out []place.Result
	byApp := map[string][]place.Result{}
	var apps []string
	for _, r := range results {
		if _, ok := byApp[r.App]; !ok {
			apps = append(apps, r.App)
		}
		byApp[r.App] = append(byApp[r.App], r)
	}
	for _, app := range apps {
		rs := byApp[app]
		var w []place.Result
		for _, r := range rs {
			group := ""
			switch r.Kind {
			case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
				group = "apps"
			case "Job", "CronJob":
				group = "batch"
			}
			if render.PodSpecPath(schema.GroupKind{Group: group, Kind: r.Kind}) != nil {
				w = append(w, r)
			}
		}
		if len(w) == 0 && app != "" {
			w = []place.Result{primary(rs)}
		}
		out = append(out, w...)
	}
	return out
}

// isSupportKind says whether a kind only accompanies an app's main object;
// a row for an app without a workload shows its first object of another
// kind.
func isSupportKind(kind string) bool {
	switch kind {
	case "ConfigMap", "Secret", "Service", "ServiceAccount", "Role", "RoleBinding",
		"ClusterRole", "ClusterRoleBinding", "PodDisruptionBudget", "NetworkPolicy", "Schedule":
		return true
	}
	return false
}

func primary(rs []place.Result) place.Result {
	for _, r := range rs {
		if !isSupportKind(r.Kind) {
			return r
		}
	}
	return rs[0]
}

func printPlacement(w io.Writer, results []place.Result, clusters []*clusterv1alpha1.Cluster, width int) error {
	names := make([]string, len(clusters))
	for i, c := range clusters {
		names[i] = c.Name
	}
	build := func(header func(i int, name string) string) *termtable.Table {
		t := &termtable.Table{Header: []string{"APP", "OBJECT", "REPLICAS"}, Right: map[int]bool{2: true}}
		for i, n := range names {
			t.Header = append(t.Header, header(i, n))
			t.Right[3+i] = true
		}
		for _, r := range results {
			mode := "all"
			if r.Replicas > 0 {
				mode = strconv.Itoa(int(r.Replicas))
				if r.Mode == "Divided" {
					mode += " split"
				} else {
					mode += " each"
				}
			}
			row := []string{r.App, shortRef(r.Object), mode}
			for _, n := range names {
				row = append(row, cell(r, n))
			}
			t.Rows = append(t.Rows, row)
		}
		return t
	}
	t := build(func(_ int, n string) string { return n })
	legend := false
	if !t.Fits(width) {
		t = build(func(i int, _ string) string { return strconv.Itoa(i + 1) })
		legend = true
	}
	if t.Fits(width) {
		if err := t.Write(w); err != nil {
			return err
		}
		if legend {
			fmt.Fprintln(w)
			width := 0
			for _, c := range clusters {
				width = max(width, len(c.Name))
			}
			for i, c := range clusters {
				fmt.Fprintf(w, "%3d  %-*s  %s/%s, %s, %s, wave %s\n", i+1, width, c.Name, c.Spec.Provider, c.Spec.Region,
					c.Labels["flotilla.io/kind"], c.Labels["flotilla.io/capacity-type"], c.Labels["flotilla.io/wave"])
			}
		}
	} else {
		// Too many clusters for columns: one line per object.
		for _, r := range results {
			fmt.Fprintf(w, "%s %s: %s\n", r.App, shortRef(r.Object), summary(r))
		}
	}
	for _, r := range results {
		if len(r.Alternatives) > 0 {
			fmt.Fprintln(w, "\n~ Karmada breaks ties between equal clusters at random: this count may differ by one (see -o json alternatives)")
			break
		}
	}
	return printExclusions(w, results, len(clusters) <= 50)
}

func shortRef(ref string) string {
	parts := strings.Split(ref, "/")
	if len(parts) == 3 {
		return parts[0] + "/" + parts[2]
	}
	return ref
}

func cell(r place.Result, cluster string) string {
	i := slices.IndexFunc(r.Targets, func(t place.Target) bool { return t.Cluster == cluster })
	// "~": Karmada breaks a tie at random and may put a different count
	// here (one of the preview's alternatives).
	tie := ""
	for _, alt := range r.Alternatives {
		j := slices.IndexFunc(alt, func(t place.Target) bool { return t.Cluster == cluster })
		if (i < 0) != (j < 0) || (i >= 0 && j >= 0 && alt[j].Replicas != r.Targets[i].Replicas) {
			tie = "~"
		}
	}
	if i < 0 {
		return "·" + tie
	}
	if r.Replicas == 0 {
		return "●"
	}
	return strconv.Itoa(int(r.Targets[i].Replicas)) + tie
}

func summary(r place.Result) string {
	if r.Error != "" {
		return "not scheduled: " + r.Error
	}
	total := int32(0)
	for _, t := range r.Targets {
		total += t.Replicas
	}
	s := fmt.Sprintf("%d cluster(s)", len(r.Targets))
	if r.Replicas > 0 {
		s += fmt.Sprintf(", %d replicas", total)
	}
	var top []string
	for i, t := range r.Targets {
		if i == 5 {
			top = append(top, fmt.Sprintf("… %d more", len(r.Targets)-5))
			break
		}
		if r.Replicas > 0 {
			top = append(top, fmt.Sprintf("%s=%d", t.Cluster, t.Replicas))
		} else {
			top = append(top, t.Cluster)
		}
	}
	return s + " (" + strings.Join(top, ", ") + ")"
}

// printExclusions explains, per app, why clusters are left out, grouping
// clusters that share a reason.
func printExclusions(w io.Writer, results []place.Result, listClusters bool) error {
	printed := false
	for _, r := range results {
		if r.Error == "" && len(r.Filtered) == 0 {
			continue
		}
		if !printed {
			fmt.Fprintln(w, "\nleft out:")
			printed = true
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  %s %s: NOT SCHEDULED: %s\n", r.App, shortRef(r.Object), r.Error)
			continue
		}
		byReason := map[string][]string{}
		var reasons []string
		for _, f := range r.Filtered {
			if _, ok := byReason[f.Reason]; !ok {
				reasons = append(reasons, f.Reason)
			}
			byReason[f.Reason] = append(byReason[f.Reason], f.Cluster)
		}
		fmt.Fprintf(w, "  %s %s\n", r.App, shortRef(r.Object))
		for _, reason := range reasons {
			cs := byReason[reason]
			who := strings.Join(cs, ", ")
			if !listClusters {
				who = fmt.Sprintf("%d cluster(s)", len(cs))
			}
			fmt.Fprintf(w, "    %s: %s\n", who, reason)
		}
	}
	return nil
}
