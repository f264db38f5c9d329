package intentmap

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	podresource "k8s.io/kubernetes/pkg/api/v1/resource"
	"k8s.io/utils/ptr"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
	"github.com/flotilla-gitops/flotilla/tools/spot/signals"
)

// Input is what Map reads.
type Input struct {
	Repo    *intent.Repo
	Output  *render.Output
	Signals *signals.Signals
	// Placed is the placement preview of the apps without a division
	// (their Current comes from it); results of other apps are ignored.
	Placed []place.Result
	// Moves are the times of each app's earlier rebalance commits.
	Moves map[string][]time.Time
	// Now is the time of the plan.
	Now   time.Time
	Model Model
}

// Fleet is the repository as the optimizer sees it.
type Fleet struct {
	// Clusters are every cluster's figures, sorted by name.
	Clusters []*Cluster
	// Apps are the apps with a spot objective, sorted by name.
	Apps []*App
}

// Cluster returns the cluster named name, or nil.
func (f *Fleet) Cluster(name string) *Cluster {
	for _, c := range f.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// App is one app with a spot objective.
type App struct {
	Name string
	// Intent is the loaded App (its file and positions).
	Intent *intent.App
	// Workload is the divided workload (Kind/ns/name).
	Workload string
	// PodCPU is the pod's CPU request (0: none), and Share per cluster
	// the part of one instance a replica takes there.
	PodCPU float64
	Share  map[string]float64
	// CurrentFrom says where Current came from: "spec.spot.division" or
	// the placement preview.
	CurrentFrom string
	// Optimize is the optimizer's input; Clusters its clusters, priced
	// for this app's replicas.
	Optimize optimize.App
	Clusters []optimize.Cluster
	// Standby are the app's replicas on DR sites (clusters others recover
	// into), by cluster: a warm standby the app keeps there on purpose,
	// which rebalancing neither plans nor counts toward the objective —
	// the cheapest division would drop it. They stay in the division as
	// on-demand replicas, as they are.
	Standby map[string]int
}

// NeedsPlacement lists the apps with a spot objective and no division:
// their Current comes from the placement preview (Input.Placed).
func NeedsPlacement(repo *intent.Repo) []string {
	var out []string
	for _, a := range repo.Apps {
		if a.Spec.Spot.Objective != nil && len(a.Spec.Spot.Division) == 0 {
			out = append(out, a.Name)
		}
	}
	return out
}

type mapper struct {
	in     Input
	model  Model
	out    *Fleet
	byName map[string]int
	errs   diag.List
}

// Map maps the repository and the signals. Every problem is returned
// together as a diag.List, with no Fleet.
func Map(in Input) (*Fleet, error) {
	m := &mapper{in: in, model: in.Model, out: &Fleet{}, byName: map[string]int{}}
	if m.model == (Model{}) {
		m.model = DefaultModel()
	}
	m.clusters()
	for _, a := range in.Repo.Apps {
		if a.Spec.Spot.Objective == nil {
			continue
		}
		if app := m.app(a); app != nil {
			m.out.Apps = append(m.out.Apps, app)
		}
	}
	if err := m.errs.Err(); err != nil {
		return nil, err
	}
	return m.out, nil
}

func appRef(a *intent.App) string { return intent.KindRef(v1alpha1.KindApp, "", a.Name) }

func (m *mapper) appErr(a *intent.App, field, format string, args ...any) {
	e := a.Source.Err(field, format, args...).(*diag.Error)
	e.Object = appRef(a)
	m.errs = append(m.errs, e)
}

// Objective maps an app's spot objective and rebalance limits, with the
// intent's defaults where the loader left a field unset.
func Objective(sp v1alpha1.SpotTolerance, riskSlack float64) (optimize.Objective, error) {
	o := sp.Objective
	target, err := strconv.ParseFloat(o.Availability, 64)
	if err != nil || !(target > 0 && target <= 100) {
		return optimize.Objective{}, fmt.Errorf("availability %q is not a percentage in (0, 100]", o.Availability)
	}
	// 99.9/100 is 0.9990000000000001 in binary: divide a whole number.
	share := math.Round(target*1e8) / 1e10
	pct := func(p *int32, def int32) float64 { return float64(ptr.Deref(p, def)) / 100 }
	out := optimize.Objective{
		Replicas: int(o.MinReady), Availability: share,
		MaxClusterShare: pct(o.MaxClusterPercent, 100), MaxRegionShare: pct(o.MaxRegionPercent, 100),
		OnDemandFloor: int(o.OnDemandFloor), MaxHedge: int(o.MaxHedge),
		Limits: optimize.Limits{MinSaving: 0.05, MinInterval: time.Hour, MaxMovesPerDay: 6, RiskSlack: riskSlack},
	}
	if r := sp.Rebalance; r != nil {
		out.Limits.MinSaving = pct(r.MinSavingPercent, 5)
		if r.MinInterval != nil {
			out.Limits.MinInterval = r.MinInterval.Duration
		}
		out.Limits.MaxMovesPerDay = int(ptr.Deref(r.MaxMovesPerDay, 6))
	}
	return out, nil
}

func (m *mapper) app(a *intent.App) *App {
	sp := a.Spec.Spot
	obj, err := Objective(sp, m.model.RiskSlack)
	if err != nil {
		m.appErr(a, "spec.spot.objective.availability", "%v", err)
		return nil
	}
	out := &App{Name: a.Name, Intent: a, Share: map[string]float64{}}
	// The clusters Karmada's filters admit.
	placement := karmadaspec.Placement(&a.App)
	var clusters []string
	for _, c := range m.in.Repo.Clusters {
		if karmadaspec.Admits(placement, karmadaspec.Cluster(&c.Cluster)) {
			clusters = append(clusters, c.Name)
		}
	}
	w, err := m.workload(a)
	if err != nil {
		m.appErr(a, "spec.spot.objective", "%v", err)
		return nil
	}
	out.Workload = diagRef(w)
	if out.PodCPU, err = podCPU(w); err != nil {
		m.appErr(a, "spec.spot.objective", "%s: %v", out.Workload, err)
		return nil
	}
	out.Optimize = optimize.App{Name: a.Name, Objective: obj, Clusters: clusters, Moves: slices.Clone(m.in.Moves[a.Name])}
	bad := false
	for _, name := range clusters {
		c := m.out.Clusters[m.byName[name]]
		if c.OnDemandUSD <= 0 {
			bad = true
			hint := "add it to the signals' spec.onDemandClusters"
			if !c.OnDemandOnly {
				hint = "price its on-demand fall-back's (or its pools') instance types in the signals' spec.onDemand, or add the cluster to spec.onDemandClusters"
			}
			m.appErr(a, "spec.placement", "cluster %s, which the placement admits, has no on-demand price in %s: %s", name, m.in.Signals.File, hint)
			continue
		}
		share := 1.0
		if out.PodCPU > 0 && c.NodeCPU > 0 {
			share = min(1, out.PodCPU/c.NodeCPU)
		}
		out.Share[name] = share
		out.Clusters = append(out.Clusters, c.Priced(share, out.PodCPU))
	}
	if bad {
		return nil
	}
	// Current.
	defer m.standby(out)
	if len(sp.Division) > 0 {
		out.CurrentFrom = "spec.spot.division"
		for _, d := range sp.Division {
			out.Optimize.Current = append(out.Optimize.Current, optimize.Assignment{Cluster: d.Cluster, OnDemand: int(d.OnDemand), Spot: int(d.Spot), Hedge: int(d.Hedge), HedgeSpotOnly: int(d.HedgeSpotOnly)})
		}
		return out
	}
	var res *place.Result
	for i := range m.in.Placed {
		if r := &m.in.Placed[i]; r.App == a.Name && r.Object == out.Workload {
			res = r
		}
	}
	if res == nil {
		m.appErr(a, "spec.spot.objective", "no placement preview of %s (internal error: the caller must place the apps NeedsPlacement lists)", out.Workload)
		return nil
	}
	if res.Error != "" {
		m.appErr(a, "spec.placement", "Karmada's scheduler places %s nowhere: %s", out.Workload, res.Error)
		return nil
	}
	out.CurrentFrom = "placement preview of " + out.Workload
	for _, t := range res.Targets {
		as := optimize.Assignment{Cluster: t.Cluster}
		if c := m.in.Repo.Cluster(t.Cluster); c != nil && c.Spec.Capacity.Type == v1alpha1.CapacityOnDemand {
			as.OnDemand = int(t.Replicas)
		} else {
			as.Spot = int(t.Replicas)
		}
		if as.Replicas() > 0 {
			out.Optimize.Current = append(out.Optimize.Current, as)
		}
	}
	return out
}

// standby takes the app's replicas on DR sites out of what the optimizer
// plans (its clusters and current division) into App.Standby.
func (m *mapper) standby(out *App) {
	if out == nil {
		return
	}
	// A standby site: the app's recovery cluster, or a DR site others
	// recover into that has no recovery target of its own (as backup
	// decides where standby copies live: intent.Repo.BackupSkips).
	repo := m.in.Repo
	dr := func(name string) bool {
		if b := out.Intent.Spec.Backup; b != nil && b.RecoveryCluster != "" {
			return name == b.RecoveryCluster
		}
		c := repo.Cluster(name)
		return c != nil && c.Spec.DRPartner == "" && repo.IsDRSite(name)
	}
	out.Standby = map[string]int{}
	out.Optimize.Current = slices.DeleteFunc(out.Optimize.Current, func(as optimize.Assignment) bool {
		if dr(as.Cluster) {
			out.Standby[as.Cluster] += as.Replicas()
			return true
		}
		return false
	})
	out.Optimize.Clusters = slices.DeleteFunc(out.Optimize.Clusters, dr)
	out.Clusters = slices.DeleteFunc(out.Clusters, func(c optimize.Cluster) bool { return dr(c.Name) })
}

func diagRef(u *unstructured.Unstructured) string {
	return diag.ObjectRef(u.GetKind(), u.GetNamespace(), u.GetName())
}

// workload finds the app's divided workload: the one its scaling names,
// or its only Deployment or StatefulSet, not counting the variants render
// derives from a division (<name>-on-demand, <name>-spot-only).
func (m *mapper) workload(a *intent.App) (*unstructured.Unstructured, error) {
	var found []*unstructured.Unstructured
	want := ""
	if a.Spec.Scaling != nil {
		want = a.Spec.Scaling.Workload
	}
	for _, o := range m.in.Output.Objects {
		if o.App != a.Name || !o.Template() || o.Plane == "" {
			continue
		}
		k := o.Object.GetKind()
		if want != "" {
			if k+"/"+o.Object.GetName() == want {
				return o.Object, nil
			}
			continue
		}
		if k == "Deployment" || k == "StatefulSet" {
			found = append(found, o.Object)
		}
	}
	if want != "" {
		return nil, fmt.Errorf("no %s among the app's rendered objects", want)
	}
	names := map[string]bool{}
	for _, u := range found {
		names[u.GetKind()+"/"+u.GetName()] = true
	}
	found = slices.DeleteFunc(found, func(u *unstructured.Unstructured) bool {
		for _, suffix := range []string{"-on-demand", "-spot-only"} {
			if base, ok := strings.CutSuffix(u.GetName(), suffix); ok && names[u.GetKind()+"/"+base] {
				return true
			}
		}
		return false
	})
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("the app has no Deployment or StatefulSet to divide")
	}
	var refs []string
	for _, u := range found {
		refs = append(refs, u.GetKind()+"/"+u.GetName())
	}
	return nil, fmt.Errorf("the app has %d workloads (%s): name the divided one in spec.scaling.workload", len(found), strings.Join(refs, ", "))
}

// podCPU is the workload's pod CPU request in cores, as the scheduler
// counts it (Kubernetes' PodRequests: the larger of the init containers'
// and the containers' with sidecars, plus overhead); 0 without one.
func podCPU(u *unstructured.Unstructured) (float64, error) {
	raw, ok, err := unstructured.NestedMap(u.Object, "spec", "template", "spec")
	if err != nil || !ok {
		return 0, fmt.Errorf("no pod template: %v", err)
	}
	var spec corev1.PodSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &spec); err != nil {
		return 0, fmt.Errorf("reading the pod template: %w", err)
	}
	req := podresource.PodRequests(&corev1.Pod{Spec: spec}, podresource.PodResourcesOptions{})
	q, ok := req[corev1.ResourceCPU]
	if !ok {
		return 0, nil
	}
	v := q.AsApproximateFloat64()
	if math.IsNaN(v) || v < 0 {
		return 0, nil
	}
	return v, nil
}
