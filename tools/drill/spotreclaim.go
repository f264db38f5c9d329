package drill

import (
	"context"
	"fmt"
	"html"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1alpha1 "github.com/karmada-io/karmada/pkg/apis/apps/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/reclaim"
)

// PhaseRecover is a SpotReclaim drill's wait for the apps to have their
// required ready replicas again, wherever Karmada and the members' schedulers put
// them.
const PhaseRecover Phase = "Recover"

// SpotPhases are a SpotReclaim drill's phases, in order: nothing is backed
// up or restored.
var SpotPhases = []Phase{PhasePreflight, PhaseInjectFailure, PhaseRecover, PhaseCleanup}

// PhasesOf lists the phases a drill runs.
func PhasesOf(d *v1alpha1.DrillPlan) []Phase {
	if d.Spec.Failure.Type == v1alpha1.FailureSpotReclaim {
		return SpotPhases
	}
	return Phases
}

// SpotRecord is what a SpotReclaim drill took and saw.
type SpotRecord struct {
	CapacityType string        `json:"capacityType"`
	Notice       time.Duration `json:"noticeNanos"`
	Apps         []SpotApp     `json:"apps"`
	// Nodes are the nodes taken, as they were: what cleanup brings back.
	Nodes []corev1.Node `json:"nodes,omitempty"`
	// Matching is how many nodes of the capacity type the source had.
	Matching     int        `json:"matchingNodes"`
	NoticeAt     *time.Time `json:"noticeAt,omitempty"`
	TerminatedAt *time.Time `json:"terminatedAt,omitempty"`
	// Evicted pods left through the Eviction API within the notice;
	// Killed ones went with their node (a PodDisruptionBudget held them).
	// The apps' pods only.
	Evicted []string `json:"evicted"`
	Killed  []string `json:"killed"`
	// Journey is every change of the apps' ready replicas per cluster,
	// from before the notice until the drill saw the apps settle.
	Journey []ReadySample `json:"journey"`
	// Before and After are where the apps' ready replicas were when the
	// drill began and when it ended, by cluster and, on the source, by the
	// capacity type of their nodes.
	Before []ReadyPlace `json:"before"`
	After  []ReadyPlace `json:"after,omitempty"`
	// Failovers are the copies Karmada moved off the source (its graceful
	// evictions) while the drill watched.
	Failovers []SpotFailover `json:"failovers,omitempty"`
	// RequiredAt is when every app had its required ready replicas again
	// after falling short (the notice's moment if none fell short); FullAt
	// when every app had all its replicas ready again.
	RequiredAt *time.Time `json:"requiredAt,omitempty"`
	FullAt     *time.Time `json:"fullAt,omitempty"`
	// UnhealthyAt is, per workload, when the drill first saw Karmada judge
	// the source's copy Unhealthy (its resource interpreter, from the
	// member's status).
	UnhealthyAt map[string]time.Time `json:"unhealthyAt,omitempty"`
	// Restored is how many nodes cleanup brought back.
	Restored int `json:"restored,omitempty"`
}

// SpotApp is one app a SpotReclaim drill watches.
type SpotApp struct {
	Name string `json:"name"`
	// Required ready replicas (the app's spot.objective.minReady, else all
	// of them); Desired is what Karmada had placed when the drill began.
	Required int `json:"required"`
	Desired  int `json:"desired"`
	// Lowest is the fewest ready replicas seen after the notice.
	Lowest    int         `json:"lowest"`
	Workloads []ObjectKey `json:"workloads"`
	// FailoverAfter is the app's failover intent as Karmada holds it (its
	// PropagationPolicy's application failover toleration); nil: none.
	FailoverAfter *time.Duration `json:"failoverAfterNanos,omitempty"`
}

// ReadySample is the apps' ready replicas at one moment.
type ReadySample struct {
	At time.Time `json:"at"`
	// Ready is app → cluster → ready replicas (clusters with none left out).
	Ready map[string]map[string]int `json:"ready"`
}

func (s ReadySample) total(app string) int {
	n := 0
	for _, v := range s.Ready[app] {
		n += v
	}
	return n
}

// ReadyPlace counts an app's ready replicas in one cluster, on nodes of one
// capacity type (empty off the source).
type ReadyPlace struct {
	App          string `json:"app"`
	Cluster      string `json:"cluster"`
	CapacityType string `json:"capacityType,omitempty"`
	Ready        int    `json:"ready"`
}

// SpotFailover is a copy Karmada moved off the source.
type SpotFailover struct {
	Workload string `json:"workload"`
	Reason   string `json:"reason"`
	// UnhealthyAt is when Karmada first reported the source's copy
	// Unhealthy, as the drill saw it; At when the eviction was recorded;
	// EndedAt when Karmada had removed the old copy (the graceful eviction
	// done).
	UnhealthyAt *time.Time `json:"unhealthyAt,omitempty"`
	At          time.Time  `json:"at"`
	EndedAt     *time.Time `json:"endedAt,omitempty"`
	// To are the clusters the workload was placed on after it.
	To []string `json:"to,omitempty"`
}

// newSpotState resolves a SpotReclaim drill: it has no recovery cluster,
// backup or storage location.
func (r *runner) newSpotState() (*State, error) {
	d, repo := r.drill, r.o.Repo
	if repo.Cluster(d.Spec.Source) == nil {
		return nil, fmt.Errorf("DrillPlan/%s: unknown source cluster %q", d.Name, d.Spec.Source)
	}
	sr := d.Spec.Failure.SpotReclaim
	if sr == nil {
		sr = &v1alpha1.SpotReclaimFailure{}
	}
	st := &State{APIVersion: APIVersion, Drill: d.Name, Source: d.Spec.Source,
		RunID: fmt.Sprintf("%s-%s", d.Name, r.now().UTC().Format("20060102-150405")), Started: r.now().UTC(),
		Spot: &SpotRecord{CapacityType: orDefault(sr.CapacityType, karpv1.CapacityTypeSpot), Notice: v1alpha1.DefaultSpotNotice}}
	if sr.Notice != nil {
		st.Spot.Notice = sr.Notice.Duration
	}
	for _, name := range d.Spec.Apps {
		a := repo.App(name)
		if a == nil {
			return nil, fmt.Errorf("DrillPlan/%s: unknown app %q", d.Name, name)
		}
		if !slices.Contains(st.Namespaces, a.Spec.Namespace) {
			st.Namespaces = append(st.Namespaces, a.Spec.Namespace)
		}
		app := SpotApp{Name: name}
		if a.Spec.Spot.Objective != nil {
			app.Required = int(a.Spec.Spot.Objective.MinReady)
		}
		st.Spot.Apps = append(st.Spot.Apps, app)
	}
	slices.Sort(st.Namespaces)
	return st, nil
}

func (r *runner) spotSteps(st *State) []Step {
	sr := st.Spot
	share := "all"
	if f := r.drill.Spec.Failure.SpotReclaim; f != nil && f.Count > 0 {
		share = fmt.Sprint(f.Count)
	} else if f != nil && f.Percent > 0 {
		share = fmt.Sprintf("%d%% of the", f.Percent)
	}
	nodes := sr.CapacityType + " nodes"
	if sr.CapacityType == reclaim.AnyCapacity {
		nodes = "nodes, whatever their capacity type,"
	}
	var apps []string
	for _, a := range sr.Apps {
		apps = append(apps, a.Name)
	}
	return []Step{
		{PhasePreflight, fmt.Sprintf("check every workload of %s is scheduled by Karmada and has its replicas ready across the fleet; note where they run", strings.Join(apps, ", "))},
		{PhaseInjectFailure, fmt.Sprintf("take %s %s of %s: interruption notice (taint %s, condition %s), pods evicted through the Eviction API for %s (PodDisruptionBudgets hold), then the nodes terminated with what still runs there", share, nodes, st.Source, karpv1.DisruptedTaintKey, reclaim.ConditionSpotInterruption, round(sr.Notice))},
		{PhaseRecover, "watch every app's ready replicas in every cluster until each has its required ready replicas again (RTO) and the fleet settles: rescheduled in " + st.Source + ", or moved by Karmada's failover"},
		{PhaseCleanup, "bring the nodes back; have Karmada schedule afresh what its failover moved (WorkloadRebalancer)"},
	}
}

// spotWorkloads finds each app's replicated workloads in the control plane
// and what Karmada placed of them, and sets each app's required replicas.
func (r *runner) spotWorkloads(ctx context.Context) error {
	kc, err := r.client(r.o.ControlPlane)
	if err != nil {
		return err
	}
	for i := range r.st.Spot.Apps {
		app := &r.st.Spot.Apps[i]
		a := r.o.Repo.App(app.Name)
		app.Workloads, app.Desired = nil, 0
		sel := client.MatchingLabels{"flotilla.io/app": app.Name}
		var deps appsv1.DeploymentList
		var sts appsv1.StatefulSetList
		if err := kc.List(ctx, &deps, client.InNamespace(a.Spec.Namespace), sel); err != nil {
			return fmt.Errorf("list Deployments of %s on the control plane: %w", app.Name, err)
		}
		if err := kc.List(ctx, &sts, client.InNamespace(a.Spec.Namespace), sel); err != nil {
			return fmt.Errorf("list StatefulSets of %s on the control plane: %w", app.Name, err)
		}
		for _, d := range deps.Items {
			app.Workloads = append(app.Workloads, ObjectKey{Group: "apps", Kind: "Deployment", Namespace: d.Namespace, Name: d.Name})
		}
		for _, s := range sts.Items {
			app.Workloads = append(app.Workloads, ObjectKey{Group: "apps", Kind: "StatefulSet", Namespace: s.Namespace, Name: s.Name})
		}
		if len(app.Workloads) == 0 {
			return stop("app %s has no Deployment or StatefulSet on the control plane: apply it first (flotilla apply --yes)", app.Name)
		}
		for _, w := range app.Workloads {
			spec, status, gen, err := bindingOf(ctx, kc, refOf(w))
			if err != nil {
				return err
			}
			if status.SchedulerObservedGeneration != gen || len(spec.Clusters) == 0 {
				return fmt.Errorf("%s: Karmada has not scheduled it yet", w)
			}
			for _, tc := range spec.Clusters {
				app.Desired += int(tc.Replicas)
			}
			if f := spec.Failover; f != nil && f.Application != nil && f.Application.DecisionConditions.TolerationSeconds != nil {
				d := time.Duration(*f.Application.DecisionConditions.TolerationSeconds) * time.Second
				app.FailoverAfter = &d
			}
		}
		if app.Required == 0 || app.Required > app.Desired {
			app.Required = app.Desired
		}
	}
	return nil
}

func refOf(k ObjectKey) appsv1alpha1.ObjectReference {
	return appsv1alpha1.ObjectReference{APIVersion: k.Group + "/v1", Kind: k.Kind, Namespace: k.Namespace, Name: k.Name}
}

// sample reads every app's ready replicas in every member, straight from
// the members (Karmada's summary lags by its status interval).
func (r *runner) sample(ctx context.Context) (ReadySample, error) {
	s := ReadySample{At: r.now().UTC(), Ready: map[string]map[string]int{}}
	for _, cl := range r.o.Repo.Clusters {
		c, err := r.client(cl.Name)
		if err != nil {
			return s, err
		}
		for _, app := range r.st.Spot.Apps {
			for _, w := range app.Workloads {
				n, err := readyReplicas(ctx, c, w)
				if err != nil {
					return s, fmt.Errorf("%s on %s: %w", w, cl.Name, err)
				}
				if n > 0 {
					if s.Ready[app.Name] == nil {
						s.Ready[app.Name] = map[string]int{}
					}
					s.Ready[app.Name][cl.Name] += n
				}
			}
		}
	}
	return s, nil
}

func readyReplicas(ctx context.Context, c client.Client, w ObjectKey) (int, error) {
	key := client.ObjectKey{Namespace: w.Namespace, Name: w.Name}
	var obj client.Object = &appsv1.Deployment{}
	if w.Kind == "StatefulSet" {
		obj = &appsv1.StatefulSet{}
	}
	if err := c.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return int(o.Status.ReadyReplicas), nil
	case *appsv1.StatefulSet:
		return int(o.Status.ReadyReplicas), nil
	}
	return 0, nil
}

// record adds a sample to the journey when it differs from the last one.
func (sr *SpotRecord) record(s ReadySample) {
	if n := len(sr.Journey); n > 0 && maps.EqualFunc(sr.Journey[n-1].Ready, s.Ready, maps.Equal) {
		return
	}
	sr.Journey = append(sr.Journey, s)
}

// places counts the apps' ready pods by cluster and, on the source, by the
// capacity type of the node each runs on.
func (r *runner) places(ctx context.Context, s ReadySample) ([]ReadyPlace, error) {
	var out []ReadyPlace
	for _, app := range r.st.Spot.Apps {
		for _, cl := range slices.Sorted(maps.Keys(s.Ready[app.Name])) {
			if cl != r.st.Source {
				out = append(out, ReadyPlace{App: app.Name, Cluster: cl, Ready: s.Ready[app.Name][cl]})
				continue
			}
			by, err := r.readyByCapacity(ctx, app)
			if err != nil {
				return nil, err
			}
			for _, ct := range slices.Sorted(maps.Keys(by)) {
				out = append(out, ReadyPlace{App: app.Name, Cluster: cl, CapacityType: ct, Ready: by[ct]})
			}
		}
	}
	return out, nil
}

// readyByCapacity counts an app's ready pods on the source by their node's
// karpenter.sh/capacity-type.
func (r *runner) readyByCapacity(ctx context.Context, app SpotApp) (map[string]int, error) {
	c, err := r.client(r.st.Source)
	if err != nil {
		return nil, err
	}
	var nodes corev1.NodeList
	if err := c.List(ctx, &nodes); err != nil {
		return nil, err
	}
	capOf := map[string]string{}
	for _, n := range nodes.Items {
		capOf[n.Name] = orDefault(n.Labels[karpv1.CapacityTypeLabelKey], "unlabelled")
	}
	by := map[string]int{}
	for _, w := range app.Workloads {
		var sel *metav1.LabelSelector
		if w.Kind == "StatefulSet" {
			var s appsv1.StatefulSet
			if err := c.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: w.Name}, &s); err != nil {
				continue
			}
			sel = s.Spec.Selector
		} else {
			var d appsv1.Deployment
			if err := c.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: w.Name}, &d); err != nil {
				continue
			}
			sel = d.Spec.Selector
		}
		ls, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w, err)
		}
		var pods corev1.PodList
		if err := c.List(ctx, &pods, client.InNamespace(w.Namespace), client.MatchingLabelsSelector{Selector: ls}); err != nil {
			return nil, err
		}
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil && podReady(&p) {
				by[orDefault(capOf[p.Spec.NodeName], "gone")]++
			}
		}
	}
	return by, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (r *runner) spotPreflight(ctx context.Context) (string, error) {
	if r.o.ControlPlane == "" {
		return "", fmt.Errorf("SpotReclaim needs the Karmada control plane: it judges the apps by what Karmada placed")
	}
	sr := r.st.Spot
	var s ReadySample
	err := r.poll(ctx, "every app's workloads scheduled by Karmada and all their replicas ready", func(ctx context.Context) (bool, error) {
		if err := r.spotWorkloads(ctx); err != nil {
			return false, err
		}
		var err error
		if s, err = r.sample(ctx); err != nil {
			return false, err
		}
		for _, app := range sr.Apps {
			if s.total(app.Name) < app.Desired {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return "", err
	}
	sr.Journey = nil
	sr.record(s)
	if sr.Before, err = r.places(ctx, s); err != nil {
		return "", err
	}
	var parts []string
	for _, app := range sr.Apps {
		parts = append(parts, fmt.Sprintf("%s %d of %d ready (%d required)", app.Name, s.total(app.Name), app.Desired, app.Required))
	}
	return strings.Join(parts, "; "), nil
}

// spotInject takes the nodes. The journey is sampled while the notice
// runs: evictions may already cost ready replicas.
func (r *runner) spotInject(ctx context.Context) (string, error) {
	st, sr, d := r.st, r.st.Spot, r.drill.Spec.Failure.SpotReclaim
	c, err := r.client(st.Source)
	if err != nil {
		return "", err
	}
	o := reclaim.Options{CapacityType: sr.CapacityType, Notice: sr.Notice}
	if d != nil {
		o.Count, o.Percent = int(d.Count), int(d.Percent)
	}
	plan, err := reclaim.Select(ctx, c, st.Source, o)
	if err != nil {
		return "", err
	}
	sr.Matching, sr.Nodes = plan.Matching, plan.Kept
	// The nodes are recorded before they are touched: an interrupted
	// drill's cleanup brings back whatever was taken.
	if err := st.save(r.o.StateFile); err != nil {
		return "", err
	}
	if err := r.watchBindings(ctx); err != nil {
		return "", err
	}
	st.FailureAt = ptrTime(r.now().UTC())
	sr.NoticeAt = st.FailureAt
	type outcome struct {
		res *reclaim.Result
		err error
	}
	done := make(chan outcome, 1)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		res, err := reclaim.Run(runCtx, c, plan, nil)
		done <- outcome{res, err}
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var out outcome
wait:
	for {
		select {
		case out = <-done:
			break wait
		case <-tick.C:
			if s, err := r.sample(ctx); err == nil {
				sr.record(s)
				if kc, err := r.client(r.o.ControlPlane); err == nil {
					_, _ = r.watchKarmada(ctx, kc, s.At) // best effort while the notice runs; Recover reads again
				}
			}
		}
	}
	if out.res != nil && !out.res.TerminatedAt.IsZero() {
		sr.TerminatedAt = ptrTime(out.res.TerminatedAt)
	}
	if out.res != nil {
		sr.Evicted, sr.Killed = inNamespaces(out.res.Evicted, st.Namespaces), inNamespaces(out.res.Killed, st.Namespaces)
	}
	if out.err != nil {
		return "", fmt.Errorf("reclaim on %s: %w", st.Source, out.err)
	}
	return fmt.Sprintf("%d of %d %s node(s) of %s terminated after a %s notice: %d of the apps' pods evicted in time, %d lost with their node",
		len(sr.Nodes), sr.Matching, sr.CapacityType, st.Source, round(sr.Notice), len(sr.Evicted), len(sr.Killed)), nil
}

// recover watches until every app has its required ready replicas again,
// then until the fleet settles: all replicas ready again, or Karmada done
// moving copies off the source, whichever the apps' intent leads to.
func (r *runner) recover(ctx context.Context) (string, error) {
	st, sr := r.st, r.st.Spot
	kc, err := r.client(r.o.ControlPlane)
	if err != nil {
		return "", err
	}
	if err := r.watchBindings(ctx); err != nil {
		return "", err
	}
	defer r.stopWatchingBindings()
	var last ReadySample
	settled := false
	err = r.poll(ctx, "every app with its required ready replicas again and the fleet settled", func(ctx context.Context) (bool, error) {
		s, err := r.sample(ctx)
		if err != nil {
			return false, err
		}
		sr.record(s)
		last = s
		sr.settle()
		evicting, err := r.watchKarmada(ctx, kc, s.At)
		if err != nil {
			return false, err
		}
		settled = sr.RequiredAt != nil && sr.FullAt != nil && !evicting
		return settled, nil
	})
	if last.Ready != nil {
		if after, perr := r.places(ctx, last); perr == nil {
			sr.After = after
		}
	}
	if err != nil {
		if sr.RequiredAt != nil {
			// The apps have what they require; they did not get all their
			// replicas back (no capacity anywhere their placement allows):
			// a finding of the report, not a failed drill.
			return fmt.Sprintf("required replicas ready again after %s (from the notice); not all replicas back within %s", orNever(sr.RequiredAt.Sub(*sr.NoticeAt)), r.o.PhaseTimeout), nil
		}
		return "", err
	}
	msg := fmt.Sprintf("required replicas ready again after %s, all of them after %s (from the notice)", orNever(sr.RequiredAt.Sub(*sr.NoticeAt)), orNever(sr.FullAt.Sub(*sr.NoticeAt)))
	for _, f := range sr.Failovers {
		msg += fmt.Sprintf("; Karmada moved %s off %s (%s) to %s", f.Workload, st.Source, f.Reason, strings.Join(f.To, ", "))
	}
	return msg, nil
}

// watchKarmada reads the apps' bindings (and applies what the binding
// watch saw since the last call): when Karmada first judged the source's
// copy Unhealthy, and the graceful evictions its failover started from
// the source and when they ended. It says whether one is still going on.
func (r *runner) watchKarmada(ctx context.Context, kc client.Client, now time.Time) (bool, error) {
	r.drainBindingEvents()
	evicting := false
	for _, app := range r.st.Spot.Apps {
		for _, w := range app.Workloads {
			spec, status, _, err := bindingOf(ctx, kc, refOf(w))
			if err != nil {
				return false, err
			}
			if r.observeBinding(w.String(), spec, status, now) {
				evicting = true
			}
		}
	}
	return evicting, nil
}

// observeBinding records what one state of a workload's binding shows and
// says whether Karmada is evicting the copy on the source.
func (r *runner) observeBinding(key string, spec *workv1alpha2.ResourceBindingSpec, status *workv1alpha2.ResourceBindingStatus, now time.Time) bool {
	st, sr := r.st, r.st.Spot
	if sr.UnhealthyAt == nil {
		sr.UnhealthyAt = map[string]time.Time{}
	}
	for _, ag := range status.AggregatedStatus {
		if _, seen := sr.UnhealthyAt[key]; !seen && ag.ClusterName == st.Source && ag.Health == workv1alpha2.ResourceUnhealthy {
			sr.UnhealthyAt[key] = now
		}
	}
	i := slices.IndexFunc(spec.GracefulEvictionTasks, func(t workv1alpha2.GracefulEvictionTask) bool { return t.FromCluster == st.Source })
	j := slices.IndexFunc(sr.Failovers, func(f SpotFailover) bool { return f.Workload == key })
	switch {
	case i >= 0:
		if j < 0 {
			t := spec.GracefulEvictionTasks[i]
			at := now
			if t.CreationTimestamp != nil {
				at = t.CreationTimestamp.UTC()
			}
			f := SpotFailover{Workload: key, Reason: t.Reason, At: at}
			if u, ok := sr.UnhealthyAt[key]; ok && !u.After(at) {
				f.UnhealthyAt = ptrTime(u)
			}
			sr.Failovers = append(sr.Failovers, f)
			j = len(sr.Failovers) - 1
		}
		sr.Failovers[j].To = clusterNames(spec.Clusters)
		return true
	case j >= 0 && sr.Failovers[j].EndedAt == nil:
		sr.Failovers[j].EndedAt = ptrTime(now)
		sr.Failovers[j].To = clusterNames(spec.Clusters)
	}
	return false
}

// bindingEvent is one state of a binding as the watch delivered it.
type bindingEvent struct {
	at time.Time
	rb *workv1alpha2.ResourceBinding
}

// bindingWatch follows the apps' ResourceBindings from the notice until
// the drill has seen the apps settle: a failover's graceful eviction can
// begin and end between two polls (Karmada ends it as soon as the new
// copies are healthy, here within a second), and only a watch sees every
// state. Its goroutines only send; the phase's loop applies what they saw
// (observeBinding), so the record has one writer.
type bindingWatch struct {
	events chan bindingEvent
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// watchBindings starts the watch (once per run).
func (r *runner) watchBindings(ctx context.Context) error {
	if r.bindings != nil || r.o.ControlPlane == "" {
		return nil
	}
	kc, err := r.client(r.o.ControlPlane)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	bw := &bindingWatch{events: make(chan bindingEvent, 256), cancel: cancel}
	for _, ns := range r.st.Namespaces {
		w, err := kc.Watch(wctx, &workv1alpha2.ResourceBindingList{}, client.InNamespace(ns))
		if err != nil {
			cancel()
			bw.done.Wait()
			return fmt.Errorf("watch the ResourceBindings of %s: %w", ns, err)
		}
		bw.done.Add(1)
		go func() {
			defer bw.done.Done()
			defer w.Stop()
			for {
				select {
				case <-wctx.Done():
					return
				case ev, ok := <-w.ResultChan():
					if !ok {
						return
					}
					if rb, isRB := ev.Object.(*workv1alpha2.ResourceBinding); isRB {
						select {
						case bw.events <- bindingEvent{at: r.now().UTC(), rb: rb}:
						case <-wctx.Done():
							return
						}
					}
				}
			}
		}()
	}
	r.bindings = bw
	return nil
}

// drainBindingEvents applies every binding state the watch delivered.
func (r *runner) drainBindingEvents() {
	if r.bindings == nil {
		return
	}
	keys := map[string]string{}
	for _, app := range r.st.Spot.Apps {
		for _, w := range app.Workloads {
			keys[w.Namespace+"/"+names.GenerateBindingName(w.Kind, w.Name)] = w.String()
		}
	}
	for {
		select {
		case ev := <-r.bindings.events:
			if key, ok := keys[ev.rb.Namespace+"/"+ev.rb.Name]; ok {
				r.observeBinding(key, &ev.rb.Spec, &ev.rb.Status, ev.at)
			}
		default:
			return
		}
	}
}

// stopWatchingBindings ends the watch and waits for its goroutines.
func (r *runner) stopWatchingBindings() {
	if r.bindings == nil {
		return
	}
	r.bindings.cancel()
	r.bindings.done.Wait()
	r.bindings = nil
}

// since returns the journey from the notice on: the last sample before
// it (the state the notice found) and every later one.
func (sr *SpotRecord) since() []ReadySample {
	if sr.NoticeAt == nil {
		return nil
	}
	i := 0
	for j, s := range sr.Journey {
		if !s.At.After(*sr.NoticeAt) {
			i = j
		}
	}
	return sr.Journey[i:]
}

// settle computes, from the journey since the notice, each app's lowest
// ready count and when the apps had their required, and all, replicas
// ready again: the first moment after the last one short of it (the
// notice itself when never short); nil while still short.
func (sr *SpotRecord) settle() {
	journey := sr.since()
	if len(journey) == 0 {
		return
	}
	short := func(s ReadySample, want func(SpotApp) int) bool {
		for _, app := range sr.Apps {
			if s.total(app.Name) < want(app) {
				return true
			}
		}
		return false
	}
	back := func(want func(SpotApp) int) *time.Time {
		if short(journey[len(journey)-1], want) {
			return nil
		}
		at := *sr.NoticeAt
		for i := len(journey) - 1; i > 0; i-- {
			if short(journey[i-1], want) {
				at = journey[i].At
				break
			}
		}
		return &at
	}
	sr.RequiredAt = back(func(a SpotApp) int { return a.Required })
	sr.FullAt = back(func(a SpotApp) int { return a.Desired })
	for i := range sr.Apps {
		app := &sr.Apps[i]
		app.Lowest = journey[0].total(app.Name)
		for _, s := range journey {
			app.Lowest = min(app.Lowest, s.total(app.Name))
		}
	}
}

func clusterNames(tcs []workv1alpha2.TargetCluster) []string {
	var out []string
	for _, tc := range tcs {
		out = append(out, fmt.Sprintf("%s (%d)", tc.Name, tc.Replicas))
	}
	sort.Strings(out)
	return out
}

// spotCleanup brings the nodes back and has Karmada schedule afresh what
// its failover moved: a rehearsal leaves the fleet divided as declared.
func (r *runner) spotCleanup(ctx context.Context) (string, error) {
	st, sr := r.st, r.st.Spot
	c, err := r.client(st.Source)
	if err != nil {
		return "", err
	}
	n, err := reclaim.Restore(ctx, c, sr.Nodes)
	sr.Restored += n
	if err != nil {
		return "", fmt.Errorf("bring the nodes of %s back: %w", st.Source, err)
	}
	msg := fmt.Sprintf("%d node(s) of %s back", n, st.Source)
	if r.o.ControlPlane == "" {
		return msg, nil
	}
	kc, err := r.client(r.o.ControlPlane)
	if err != nil {
		return msg, err
	}
	var moved []appsv1alpha1.ObjectReference
	for _, app := range sr.Apps {
		for _, w := range app.Workloads {
			spec, _, _, err := bindingOf(ctx, kc, refOf(w))
			if err != nil {
				return msg, err
			}
			placed := slices.ContainsFunc(spec.Clusters, func(tc workv1alpha2.TargetCluster) bool { return tc.Name == st.Source })
			if slices.ContainsFunc(sr.Failovers, func(f SpotFailover) bool { return f.Workload == w.String() }) || !placed {
				moved = append(moved, refOf(w))
			}
		}
	}
	if len(moved) > 0 {
		msg += fmt.Sprintf("; Karmada had moved %d workload(s) off it%s", len(moved), r.moveBack(ctx, kc, moved))
	}
	return msg, nil
}

// spotReport fills a report's SpotReclaim figures.
func spotReport(rep *Report, st *State) {
	sr := st.Spot
	rep.Spot = sr
	if sr.NoticeAt != nil && sr.RequiredAt != nil {
		rep.RTO = sr.RequiredAt.Sub(*sr.NoticeAt)
		if rep.RTO == 0 {
			// Never short: met at once (a zero RTO reads as unmeasured).
			rep.RTO = time.Nanosecond
		}
	}
	rep.RTOMet = rep.RTO > 0 && rep.RTO <= rep.RTOObjective
	rep.RPOMet = true
	rep.Passed = rep.FailedPhase == "" && rep.RTOMet
}

// writeSpotMarkdown writes a SpotReclaim drill's report: the recovery
// time, what was taken, each app's lowest point, where the replicas went
// and the journey there.
func writeSpotMarkdown(b *strings.Builder, rep *Report) {
	sr := rep.Spot
	mark := map[bool]string{true: "✅", false: "❌"}
	fmt.Fprintf(b, "Run `%s`: %s lost %d of its %d %s node(s) after a %s notice.\n\n", rep.RunID, rep.Source, len(sr.Nodes), sr.Matching, sr.CapacityType, round(sr.Notice))
	if rep.FailedPhase != "" {
		fmt.Fprintf(b, "**Failed in %s:** %s\n\n", rep.FailedPhase, rep.Error)
	}
	b.WriteString("| objective | measured | target | |\n|---|---|---|---|\n")
	measured := orDash(rep.RTO)
	if rep.RTO == time.Nanosecond {
		measured = "0 (never short)"
	}
	fmt.Fprintf(b, "| RTO (notice → every app at its required ready replicas) | %s | %s | %s |\n\n", measured, round(rep.RTOObjective), mark[rep.RTOMet])
	b.WriteString("| app | required | replicas | lowest ready | lost with their node | evicted in time | all ready again |\n|---|---|---|---|---|---|---|\n")
	for _, app := range sr.Apps {
		full := "—"
		if sr.FullAt != nil && sr.NoticeAt != nil {
			full = "never short"
			if d := sr.FullAt.Sub(*sr.NoticeAt); d > 0 {
				full = round(d) + " after the notice"
			}
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %s |\n", app.Name, app.Required, app.Desired, app.Lowest, countNS(sr.Killed, app), countNS(sr.Evicted, app), full)
	}
	b.WriteString("\nWhere the ready replicas were, before the notice and when the drill ended:\n\n| app | cluster | nodes | before | after |\n|---|---|---|---|---|\n")
	type key struct{ app, cluster, ct string }
	before, after := map[key]int{}, map[key]int{}
	var keys []key
	for _, p := range sr.Before {
		k := key{p.App, p.Cluster, p.CapacityType}
		before[k] = p.Ready
		keys = append(keys, k)
	}
	for _, p := range sr.After {
		k := key{p.App, p.Cluster, p.CapacityType}
		after[k] = p.Ready
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return strings.Compare(a.app+"\x00"+a.cluster+"\x00"+a.ct, b.app+"\x00"+b.cluster+"\x00"+b.ct)
	})
	for _, k := range keys {
		fmt.Fprintf(b, "| %s | %s | %s | %d | %d |\n", k.app, k.cluster, orDashText(k.ct), before[k], after[k])
	}
	b.WriteString("\n")
	for _, f := range sr.Failovers {
		line := fmt.Sprintf("- Karmada moved `%s` off %s (%s)", f.Workload, rep.Source, f.Reason)
		if sr.TerminatedAt != nil {
			line += fmt.Sprintf(" %s after the nodes were terminated", round(f.At.Sub(*sr.TerminatedAt)))
		}
		if f.UnhealthyAt != nil {
			line += fmt.Sprintf(", %s after it reported the copy there Unhealthy", round(f.At.Sub(*f.UnhealthyAt)))
		}
		for _, app := range sr.Apps {
			if app.FailoverAfter != nil && slices.ContainsFunc(app.Workloads, func(w ObjectKey) bool { return w.String() == f.Workload }) {
				line += fmt.Sprintf(" (the app's failover intent: after %s unhealthy)", round(*app.FailoverAfter))
			}
		}
		line += "; placed on " + strings.Join(f.To, ", ")
		if f.EndedAt != nil {
			line += fmt.Sprintf("; the old copy removed %s later, once the new ones were healthy", round(f.EndedAt.Sub(f.At)))
		}
		b.WriteString(line + "\n")
	}
	if len(sr.Failovers) == 0 {
		fmt.Fprintf(b, "- Karmada moved nothing off %s: the replicas came back within the cluster.\n", rep.Source)
	}
	b.WriteString("\n")
	writePhaseTable(b, rep.Phases)
	if len(sr.Journey) > 0 && sr.NoticeAt != nil {
		b.WriteString("\n<details><summary>Journey: ready replicas per cluster at each change</summary>\n\n")
		for _, app := range sr.Apps {
			clusters := map[string]bool{}
			for _, s := range sr.Journey {
				for c := range s.Ready[app.Name] {
					clusters[c] = true
				}
			}
			cols := slices.Sorted(maps.Keys(clusters))
			fmt.Fprintf(b, "%s (required %d):\n\n| since notice | %s | total |\n|---|%s---|\n", app.Name, app.Required, strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
			for _, s := range sr.Journey {
				fmt.Fprintf(b, "| %s |", signed(s.At.Sub(*sr.NoticeAt)))
				for _, c := range cols {
					fmt.Fprintf(b, " %d |", s.Ready[app.Name][c])
				}
				fmt.Fprintf(b, " %d |\n", s.total(app.Name))
			}
			b.WriteString("\n")
		}
		b.WriteString("</details>\n")
	}
}

// orNever writes a recovery time, zero as never short.
func orNever(d time.Duration) string {
	if d == 0 {
		return "0 (never short)"
	}
	return round(d)
}

func signed(d time.Duration) string {
	if d < 0 {
		return "−" + round(-d)
	}
	return "+" + round(d)
}

func orDashText(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// countNS counts the pods (namespace/name) in the app's namespaces.
func countNS(pods []string, app SpotApp) int {
	var ns []string
	for _, w := range app.Workloads {
		ns = append(ns, w.Namespace)
	}
	return len(inNamespaces(pods, ns))
}

// inNamespaces keeps the pods (namespace/name) of the given namespaces.
func inNamespaces(pods []string, namespaces []string) []string {
	out := []string{}
	for _, p := range pods {
		if slices.Contains(namespaces, strings.SplitN(p, "/", 2)[0]) {
			out = append(out, p)
		}
	}
	return out
}

// journeyPlot is the height of one app's ready-replica plot in the
// timeline.
const journeyPlot = 90.0

// writeJourneySVG draws, under the phases on the same time axis, each
// app's ready replicas as a step line, with the replicas it requires as a
// dashed line: the dip, and how long it stayed below, at a glance.
func writeJourneySVG(b *strings.Builder, sr *SpotRecord, top, left, width float64, x func(time.Time) float64, end time.Time) {
	for _, app := range sr.Apps {
		hi, lo := max(app.Desired, 1), app.Required
		for _, s := range sr.Journey {
			hi = max(hi, s.total(app.Name))
			lo = min(lo, s.total(app.Name))
		}
		// The axis starts a little below the lowest point, not at zero: a
		// dip of one replica in thirteen must show.
		lo = max(0, lo-2)
		if hi <= lo {
			hi = lo + 1
		}
		yOf := func(n int) float64 { return top + 20 + journeyPlot - journeyPlot*float64(n-lo)/float64(hi-lo) }
		fmt.Fprintf(b, `<text x="10" y="%.0f">%s ready</text>`+"\n", top+14, html.EscapeString(app.Name))
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e45756" stroke-dasharray="4 3"><title>required: %d</title></line>`, left, yOf(app.Required), left+width, yOf(app.Required), app.Required)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="#e45756">required %d</text>`+"\n", left+width+4, yOf(app.Required)+4, app.Required)
		var pts []string
		prev := -1
		for _, s := range sr.Journey {
			n := s.total(app.Name)
			if prev >= 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.At), yOf(prev)))
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.At), yOf(n)))
			prev = n
		}
		if prev >= 0 {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(end), yOf(prev)))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="#4c78a8" stroke-width="2" points="%s"><title>%s: lowest %d of %d</title></polyline>`+"\n", strings.Join(pts, " "), html.EscapeString(app.Name), app.Lowest, app.Desired)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="#333">%d</text>`+"\n", left-24, yOf(hi)+4, hi)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="#333">%d</text>`+"\n", left-24, yOf(lo)+4, lo)
		top += journeyPlot + 30
	}
}
