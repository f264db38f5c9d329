package place

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	configv1alpha1 "github.com/karmada-io/karmada/pkg/apis/config/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	clusterlister "github.com/karmada-io/karmada/pkg/generated/listers/cluster/v1alpha1"
	"github.com/karmada-io/karmada/pkg/resourceinterpreter/default/native"
	"github.com/karmada-io/karmada/pkg/scheduler/cache"
	"github.com/karmada-io/karmada/pkg/scheduler/core"
	"github.com/karmada-io/karmada/pkg/scheduler/framework"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/plugins"
	fwruntime "github.com/karmada-io/karmada/pkg/scheduler/framework/runtime"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	"github.com/karmada-io/karmada/pkg/util/helper"
	ppwebhook "github.com/karmada-io/karmada/pkg/webhook/propagationpolicy"
	"golang.org/x/sync/errgroup"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8scache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/flotilla-gitops/flotilla/tools/diag"
)

// Default tolerations the Karmada webhook adds (its flags'
// defaults: --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds).
const defaultTolerationSeconds = 300

// Workload is one object a propagation policy selects.
type Workload struct {
	// App owns the object ("" when unknown).
	App string
	// Object is the resource template as it is applied to Karmada.
	Object *unstructured.Unstructured
	// Policy is the (Cluster)PropagationPolicy spec that selects it, as
	// written; Preview applies the webhook's defaults itself.
	Policy *policyv1alpha1.PropagationSpec
	// PolicyNamespace is the policy's namespace ("" for a
	// ClusterPropagationPolicy); the webhook defaults selectors to it.
	PolicyNamespace string
	// Current is the binding's current assignment, when it is already
	// scheduled: Karmada keeps it where it can (its tie-breaks prefer
	// clusters that had more replicas). Nil for a fresh binding.
	Current []workv1alpha2.TargetCluster
}

// Target is a cluster a workload lands on.
type Target struct {
	Cluster  string `json:"cluster"`
	Replicas int32  `json:"replicas"`
}

// Filtered is a cluster the workload does not land on, and why.
type Filtered struct {
	Cluster string `json:"cluster"`
	Reason  string `json:"reason"`
}

// Result is the preview of one workload.
type Result struct {
	App    string `json:"app,omitempty"`
	Object string `json:"object"`
	Kind   string `json:"kind"`
	// Replicas is the workload's replica count as Karmada's interpreter
	// reads it (0 for objects Karmada does not divide).
	Replicas int32 `json:"replicas"`
	// Mode is Duplicated or Divided.
	Mode string `json:"mode"`
	// AffinityGroup is the ordered affinity group the scheduler settled on.
	AffinityGroup string   `json:"affinityGroup,omitempty"`
	Targets       []Target `json:"targets"`
	// Alternatives are other assignments Karmada may choose as well: its
	// replica division breaks ties between equal clusters at random
	// (pkg/util/helper ClusterWeightInfoList.Less), so when clusters tie,
	// any of these is a correct prediction.
	Alternatives [][]Target `json:"alternatives,omitempty"`
	Filtered     []Filtered `json:"filtered,omitempty"`
	// Error is set when no cluster fits.
	Error string `json:"error,omitempty"`

	// ties are the tie classes of a static weighted division (Targets is
	// then settled: settleTies), to settle an actual outcome the same way.
	ties []candidate
}

// Options configure Preview.
type Options struct {
	// Parallelism bounds concurrent scheduling; 0 means one per CPU.
	Parallelism int
	// Reasons fills Result.Filtered: why each other cluster is left out
	// (runs the filter plugins on every cluster).
	Reasons bool
	// Alternatives fills Result.Alternatives when Karmada may break a tie
	// at random (schedules the binding again until no new outcome shows).
	Alternatives bool
}

// Scheduler previews placements over one snapshot of clusters. Build it
// once, call Preview many times.
type Scheduler struct {
	clusters    []*clusterv1alpha1.Cluster
	algorithm   core.ScheduleAlgorithm
	framework   framework.Framework
	filters     []namedFilter
	interpreter *native.DefaultInterpreter
	mutator     admission.Handler
	decoder     admission.Decoder

	apiMu   sync.Mutex
	apiKeys map[schema.GroupVersionKind]string
}

// New prepares Karmada's scheduler over the given clusters.
func New(clusters []*clusterv1alpha1.Cluster) (*Scheduler, error) {
	indexer := k8scache.NewIndexer(k8scache.MetaNamespaceKeyFunc, k8scache.Indexers{})
	sorted := slices.Clone(clusters)
	slices.SortFunc(sorted, func(a, b *clusterv1alpha1.Cluster) int { return strings.Compare(a.Name, b.Name) })
	for _, c := range sorted {
		if err := indexer.Add(c.DeepCopy()); err != nil {
			return nil, err
		}
	}
	// Karmada's cache deep-copies every cluster at each scheduling cycle, to
	// isolate the cycle from informer updates. The preview's snapshot never
	// changes, so that copy is taken once and shared (read only).
	frozen := frozenCache{snapshot: cache.NewCache(clusterlister.NewClusterLister(indexer)).Snapshot()}
	alg, err := core.NewGenericScheduler(frozen, plugins.NewInTreeRegistry())
	if err != nil {
		return nil, fmt.Errorf("karmada scheduler: %w", err)
	}
	registry := plugins.NewInTreeRegistry()
	fw, err := fwruntime.NewFramework(registry)
	if err != nil {
		return nil, fmt.Errorf("karmada scheduler framework: %w", err)
	}
	// Karmada builds its filter list by ranging over the registry map, so
	// which failing plugin it names first is random. Reasons run each
	// plugin on its own, in name order, and name every failing one.
	var filters []namedFilter
	for _, name := range slices.Sorted(maps.Keys(registry)) {
		one, err := fwruntime.NewFramework(fwruntime.Registry{name: registry[name]})
		if err != nil {
			return nil, fmt.Errorf("karmada scheduler plugin %s: %w", name, err)
		}
		filters = append(filters, namedFilter{name: name, framework: one})
	}
	scheme := runtime.NewScheme()
	if err := policyv1alpha1.Install(scheme); err != nil {
		return nil, err
	}
	dec := admission.NewDecoder(scheme)
	return &Scheduler{
		clusters:    sorted,
		algorithm:   alg,
		framework:   fw,
		filters:     filters,
		interpreter: native.NewDefaultInterpreter(),
		mutator:     ppwebhook.NewMutatingHandler(defaultTolerationSeconds, defaultTolerationSeconds, dec),
		decoder:     dec,
		apiKeys:     map[schema.GroupVersionKind]string{},
	}, nil
}

// frozenCache is a Karmada scheduler cache whose snapshot was taken once.
type frozenCache struct {
	snapshot cache.Snapshot
}

func (frozenCache) AddCluster(*clusterv1alpha1.Cluster)    {}
func (frozenCache) UpdateCluster(*clusterv1alpha1.Cluster) {}
func (frozenCache) DeleteCluster(*clusterv1alpha1.Cluster) {}
func (c frozenCache) Snapshot() cache.Snapshot             { return c.snapshot }

// Clusters returns the snapshot, sorted by name.
func (s *Scheduler) Clusters() []*clusterv1alpha1.Cluster { return s.clusters }

// Preview schedules every workload. Results are in the order of the input
// whatever the parallelism. Workloads Karmada would schedule identically —
// the same placement, replica count and requirements, current assignment
// and API availability, whichever policy, namespace or app they come from
// (an app's ConfigMap, Service and PDB; apps sharing a placement) — are
// scheduled once.
func (s *Scheduler) Preview(ctx context.Context, workloads []Workload, opts Options) ([]Result, error) {
	results := make([]Result, len(workloads))
	keys := make([]string, len(workloads))
	first := map[string]int{}
	policies := map[*policyv1alpha1.PropagationSpec]string{}
	var order []int
	for i := range workloads {
		k, err := s.equivalence(&workloads[i], policies)
		if err != nil {
			return nil, err
		}
		keys[i] = k
		if _, ok := first[k]; !ok {
			first[k] = i
			order = append(order, i)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	if opts.Parallelism > 0 {
		g.SetLimit(opts.Parallelism)
	} else {
		g.SetLimit(runtimeCPUs())
	}
	for _, i := range order {
		g.Go(func() error {
			r, err := s.schedule(gctx, workloads[i], opts)
			if err != nil {
				return err
			}
			results[i] = r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, w := range workloads {
		if j := first[keys[i]]; j != i {
			r := results[j]
			r.App, r.Object, r.Kind = w.App, objectRef(w.Object), w.Object.GetKind()
			r.Targets = slices.Clone(r.Targets)
			results[i] = r
		}
	}
	return results, nil
}

// equivalence is the part of a workload that decides its scheduling.
// policies remembers each policy's part (by pointer: many workloads share
// one policy).
func (s *Scheduler) equivalence(w *Workload, policies map[*policyv1alpha1.PropagationSpec]string) (string, error) {
	gvk := w.Object.GroupVersionKind()
	var replicas int32
	var reqs *workv1alpha2.ReplicaRequirements
	if s.interpreter.HookEnabled(gvk, configv1alpha1.InterpreterOperationInterpretReplica) {
		var err error
		if replicas, reqs, err = s.interpreter.GetReplicas(w.Object); err != nil {
			// Scheduled on its own, where schedule says why it is not.
			return "uninterpretable\x00" + w.App + "\x00" + objectRef(w.Object), nil
		}
	}
	reqJSON, err := json.Marshal(reqs)
	if err != nil {
		return "", err
	}
	cur, err := json.Marshal(w.Current)
	if err != nil {
		return "", err
	}
	policy, ok := policies[w.Policy]
	if !ok {
		if policy, err = schedulingPart(w.Policy); err != nil {
			return "", err
		}
		policies[w.Policy] = policy
	}
	return fmt.Sprintf("%s|%s|%d|%s|%s", policy, s.apiEnabled(gvk), replicas, reqJSON, cur), nil
}

// schedulingPart is what of a policy spec reaches the scheduler: all but
// its resource selectors. The selectors (and the policy's namespace,
// which the webhook only copies into them) decide which objects the
// policy takes, not where they go; the webhook's other defaults depend on
// the placement alone.
func schedulingPart(spec *policyv1alpha1.PropagationSpec) (string, error) {
	part := *spec
	part.ResourceSelectors = nil
	data, err := json.Marshal(part)
	return string(data), err
}

// apiEnabled names the set of clusters that serve a kind (what Karmada's
// APIEnablement filter checks), cached per kind.
func (s *Scheduler) apiEnabled(gvk schema.GroupVersionKind) string {
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	if k, ok := s.apiKeys[gvk]; ok {
		return k
	}
	var b strings.Builder
	for _, c := range s.clusters {
		if helper.IsAPIEnabled(c.Status.APIEnablements, gvk.GroupVersion().String(), gvk.Kind) {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	s.apiKeys[gvk] = b.String()
	return s.apiKeys[gvk]
}

// Mutate applies karmada-webhook's PropagationPolicy defaults to a spec,
// by running the webhook's own handler on a CREATE request.
func (s *Scheduler) Mutate(ctx context.Context, spec *policyv1alpha1.PropagationSpec, namespace string) (*policyv1alpha1.PropagationSpec, error) {
	pp := &policyv1alpha1.PropagationPolicy{Spec: *spec.DeepCopy()}
	pp.APIVersion, pp.Kind = policyv1alpha1.SchemeGroupVersion.String(), policyv1alpha1.ResourceKindPropagationPolicy
	pp.Name, pp.Namespace = "preview", namespace
	raw, err := json.Marshal(pp)
	if err != nil {
		return nil, err
	}
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: admissionv1.Create, Namespace: namespace, Name: pp.Name,
		Object: runtime.RawExtension{Raw: raw},
	}}
	resp := s.mutator.Handle(ctx, req)
	if !resp.Allowed {
		return nil, fmt.Errorf("karmada webhook refused the policy: %s", resp.Result.Message)
	}
	patchJSON, err := json.Marshal(resp.Patches)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.DecodePatch(patchJSON)
	if err != nil {
		return nil, err
	}
	mutated, err := patch.Apply(raw)
	if err != nil {
		return nil, fmt.Errorf("apply webhook patch: %w", err)
	}
	out := &policyv1alpha1.PropagationPolicy{}
	if err := json.Unmarshal(mutated, out); err != nil {
		return nil, err
	}
	return &out.Spec, nil
}

func (s *Scheduler) schedule(ctx context.Context, w Workload, opts Options) (Result, error) {
	obj := w.Object
	res := Result{App: w.App, Object: objectRef(obj), Kind: obj.GetKind(), Mode: string(policyv1alpha1.ReplicaSchedulingTypeDuplicated)}
	spec, err := s.Mutate(ctx, w.Policy, w.PolicyNamespace)
	if err != nil {
		return res, fmt.Errorf("%s: %w", res.Object, err)
	}
	if rs := spec.Placement.ReplicaScheduling; rs != nil && rs.ReplicaSchedulingType != "" {
		res.Mode = string(rs.ReplicaSchedulingType)
	}
	// As karmada's detector builds a ResourceBinding.
	binding := workv1alpha2.ResourceBindingSpec{
		PropagateDeps:      spec.PropagateDeps,
		SchedulerName:      spec.SchedulerName,
		Placement:          &spec.Placement,
		Failover:           spec.Failover,
		ConflictResolution: spec.ConflictResolution,
		Resource: workv1alpha2.ObjectReference{
			APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(),
		},
	}
	if s.interpreter.HookEnabled(obj.GroupVersionKind(), configv1alpha1.InterpreterOperationInterpretReplica) {
		replicas, reqs, err := s.interpreter.GetReplicas(obj)
		if err != nil {
			// A workload whose replicas or pod template do not decode
			// (a value of the wrong type: validation reports each one).
			// Karmada's detector builds no binding for it, so nothing is
			// scheduled; the preview says so and goes on with the others.
			res.Error = fmt.Sprintf("not scheduled: Karmada cannot read its replicas (%v)", err)
			return res, nil
		}
		binding.Replicas, binding.ReplicaRequirements = replicas, reqs
	}
	res.Replicas = binding.Replicas

	binding.Clusters, binding.GracefulEvictionTasks = s.evict(w.Current, spec.Placement.ClusterTolerations)
	status := &workv1alpha2.ResourceBindingStatus{}
	targets, group, err := s.scheduleOnce(ctx, &binding, status, spec)
	if err != nil {
		// A FitError ("0/N clusters are available: ...") is the normal
		// no-fit answer; anything else is reported the same way, since the
		// real scheduler would leave the binding unscheduled either way.
		res.Error = err.Error()
	}
	// The tie classes of a static weighted division (static), computed
	// once: the outcome is settled by them and mayTie reads them.
	var classes []candidate
	var static bool
	if err == nil {
		if classes, static = s.staticTieClasses(&binding, spec); static {
			targets, res.ties = settleTies(targets, classes), classes
		}
	}
	res.Targets, res.AffinityGroup = targets, group
	if opts.Alternatives && err == nil && s.mayTie(&binding, spec, targets, classes, static) {
		res.Alternatives = s.alternatives(ctx, &binding, spec, targets)
	}
	if opts.Reasons {
		res.Filtered = s.reasons(ctx, &binding, status, res.Targets)
	}
	return res, nil
}

// evict models Karmada's taint manager on a current assignment: a cluster
// with a NoExecute taint the placement does not tolerate forever (no
// matching toleration, or one with tolerationSeconds) loses the workload —
// Karmada moves it into the binding's graceful eviction tasks, which the
// scheduler's ClusterEviction filter then honours. A cluster that is gone
// loses it too. The preview is the placement once evictions have run.
func (s *Scheduler) evict(current []workv1alpha2.TargetCluster, tolerations []corev1.Toleration) ([]workv1alpha2.TargetCluster, []workv1alpha2.GracefulEvictionTask) {
	var keep []workv1alpha2.TargetCluster
	var evicted []workv1alpha2.GracefulEvictionTask
	for _, tc := range current {
		i := slices.IndexFunc(s.clusters, func(c *clusterv1alpha1.Cluster) bool { return c.Name == tc.Name })
		if i < 0 {
			continue
		}
		out := false
		for _, taint := range s.clusters[i].Spec.Taints {
			if taint.Effect != corev1.TaintEffectNoExecute {
				continue
			}
			forever := slices.ContainsFunc(tolerations, func(t corev1.Toleration) bool {
				return t.ToleratesTaint(&taint) && t.TolerationSeconds == nil
			})
			if !forever {
				out = true
			}
		}
		if out {
			evicted = append(evicted, workv1alpha2.GracefulEvictionTask{FromCluster: tc.Name, Replicas: ptrInt32(tc.Replicas), Reason: workv1alpha2.EvictionReasonTaintUntolerated})
			continue
		}
		keep = append(keep, tc)
	}
	return keep, evicted
}

func ptrInt32(v int32) *int32 { return &v }

// scheduleOnce runs Karmada's generic scheduler once, walking ordered
// affinity groups as karmada-scheduler does (the first group that
// schedules wins).
func (s *Scheduler) scheduleOnce(ctx context.Context, binding *workv1alpha2.ResourceBindingSpec, status *workv1alpha2.ResourceBindingStatus, spec *policyv1alpha1.PropagationSpec) (targets []Target, group string, err error) {
	// A panic in Karmada's scheduler is what karmada-scheduler itself does
	// on this binding (its process exits): report it, do not crash.
	defer func() {
		if r := recover(); r != nil {
			targets, group = nil, ""
			err = &PanicError{Value: fmt.Sprint(r)}
		}
	}()
	opt := &core.ScheduleAlgorithmOption{}
	var result core.ScheduleResult
	if affinities := spec.Placement.ClusterAffinities; len(affinities) == 0 {
		result, err = s.algorithm.Schedule(ctx, binding, status, opt)
	} else {
		var firstErr error
		for _, term := range affinities {
			status.SchedulerObservedAffinityName = term.AffinityName
			result, err = s.algorithm.Schedule(ctx, binding, status, opt)
			if err == nil {
				group = term.AffinityName
				break
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		if err != nil {
			err = firstErr
		}
	}
	for _, t := range result.SuggestedClusters {
		targets = append(targets, Target{Cluster: t.Name, Replicas: t.Replicas})
	}
	slices.SortFunc(targets, func(a, b Target) int { return strings.Compare(a.Cluster, b.Cluster) })
	return targets, group, err
}

// PanicError is Karmada's scheduler panicking on a binding. The real
// karmada-scheduler runs the same code: it crashes on this binding too.
type PanicError struct {
	Value string
}

func (e *PanicError) Error() string {
	msg := "karmada-scheduler panics on this binding (" + e.Value + "): the real scheduler process crashes too"
	if strings.Contains(e.Value, "divide by zero") {
		// karmada-io/karmada#7154, fixed in v1.14.x and later releases.
		msg += "; known Karmada v1.13 bug: a Duplicated workload with spread constraints when no cluster of a group can hold its replicas (karmada-io/karmada#7154, not backported to 1.13)"
	}
	return msg
}

// mayTie says whether Karmada's division could have broken a tie at
// random. For static weights it knows: two candidates with the same
// weight and the same current replicas that got different counts. The
// weights of dynamic and aggregated division come from the estimator, so
// for those it assumes a tie is possible whenever replicas are divided.
// classes and static are staticTieClasses' answer for the binding.
func (s *Scheduler) mayTie(binding *workv1alpha2.ResourceBindingSpec, spec *policyv1alpha1.PropagationSpec, targets []Target, classes []candidate, static bool) bool {
	rs := spec.Placement.ReplicaScheduling
	if binding.Replicas == 0 || rs == nil || rs.ReplicaSchedulingType != policyv1alpha1.ReplicaSchedulingTypeDivided {
		return false
	}
	if !static {
		return true
	}
	got := map[string]int32{}
	for _, t := range targets {
		got[t.Cluster] = t.Replicas
	}
	seen := map[tieClass]int32{}
	for _, c := range classes {
		if r, ok := seen[c.class]; ok && r != got[c.name] {
			return true
		}
		seen[c.class] = got[c.name]
	}
	return false
}

// tieClass is what Karmada's static weight division orders candidates by
// (helper.ClusterWeightInfoList.Less): weight, then the replicas a cluster
// had. Candidates of one class are ordered at random (crypto/rand), so the
// remainder of the division goes to any of them.
type tieClass struct {
	weight int64
	last   int32
}

type candidate struct {
	name  string
	class tieClass
}

// staticTieClasses returns the tie class of every candidate of a static
// weighted division, as Karmada's getStaticWeightInfoList computes the
// weights over the clusters that passed the filters, in cluster order;
// static is false for any other division.
func (s *Scheduler) staticTieClasses(binding *workv1alpha2.ResourceBindingSpec, spec *policyv1alpha1.PropagationSpec) (classes []candidate, static bool) {
	rs := spec.Placement.ReplicaScheduling
	if binding.Replicas == 0 || rs == nil || rs.ReplicaSchedulingType != policyv1alpha1.ReplicaSchedulingTypeDivided ||
		rs.ReplicaDivisionPreference != policyv1alpha1.ReplicaDivisionPreferenceWeighted || rs.WeightPreference == nil ||
		rs.WeightPreference.DynamicWeight != "" || len(rs.WeightPreference.StaticWeightList) == 0 {
		return nil, false
	}
	var sum int64
	var all []candidate
	for _, c := range s.clusters {
		if !s.framework.RunFilterPlugins(context.Background(), binding, &workv1alpha2.ResourceBindingStatus{}, c).IsSuccess() {
			continue
		}
		var weight int64
		for _, w := range rs.WeightPreference.StaticWeightList {
			if karmadautil.ClusterMatches(c, w.TargetCluster) {
				weight = max(weight, w.Weight)
			}
		}
		var last int32
		for _, cur := range binding.Clusters {
			if cur.Name == c.Name {
				last = cur.Replicas
			}
		}
		all = append(all, candidate{c.Name, tieClass{weight, last}})
		sum += weight
	}
	for _, c := range all {
		if sum == 0 {
			// No weight matches a candidate: Karmada weighs every candidate
			// 1, with no last replicas (getStaticWeightInfoList).
			c.class = tieClass{1, 0}
		}
		if c.class.weight == 0 {
			continue
		}
		classes = append(classes, c)
	}
	return classes, true
}

// settleTies turns one outcome of a static weighted division into the
// canonical one: within each tie class the counts Karmada dealt are kept
// and given largest first to the clusters in name order. Karmada may
// produce any such permutation; this one is the same on every run, so
// what is committed (per-cluster delivery) and what policies judge (a
// standby left without replicas) does not change between two runs over
// the same files.
func settleTies(targets []Target, classes []candidate) []Target {
	got := map[string]int32{}
	for _, t := range targets {
		got[t.Cluster] = t.Replicas
	}
	members := map[tieClass][]string{}
	for _, c := range classes {
		members[c.class] = append(members[c.class], c.name)
	}
	settled := maps.Clone(got)
	for _, names := range members {
		counts := make([]int32, len(names))
		for i, n := range names {
			counts[i] = got[n]
		}
		slices.SortFunc(counts, func(a, b int32) int { return cmp.Compare(b, a) })
		sorted := slices.Sorted(slices.Values(names))
		for i, n := range sorted {
			settled[n] = counts[i]
		}
	}
	var out []Target
	for n, r := range settled {
		if r > 0 {
			out = append(out, Target{Cluster: n, Replicas: r})
		}
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Cluster, b.Cluster) })
	return out
}

// alternatives runs Karmada's scheduler again until no new assignment has
// appeared for 16 runs in a row (at most 256), collecting the assignments
// its random tie-breaks produce. The chance of missing one of two tied
// outcomes is about 2^-16.
func (s *Scheduler) alternatives(ctx context.Context, binding *workv1alpha2.ResourceBindingSpec, spec *policyv1alpha1.PropagationSpec, first []Target) [][]Target {
	key := func(ts []Target) string {
		var b strings.Builder
		for _, t := range ts {
			fmt.Fprintf(&b, "%s=%d,", t.Cluster, t.Replicas)
		}
		return b.String()
	}
	seen := map[string]bool{key(first): true}
	var out [][]Target
	for run, since := 0, 0; run < 256 && since < 16; run++ {
		ts, _, err := s.scheduleOnce(ctx, binding, &workv1alpha2.ResourceBindingStatus{}, spec)
		if err != nil {
			since++
			continue
		}
		if k := key(ts); !seen[k] {
			seen[k] = true
			out = append(out, ts)
			since = 0
			continue
		}
		since++
	}
	slices.SortFunc(out, func(a, b []Target) int { return strings.Compare(key(a), key(b)) })
	return out
}

// Agrees reports whether an actual assignment is one the preview allows:
// its targets or one of its alternatives.
func (r Result) Agrees(actual []Target) bool {
	norm := func(ts []Target) string {
		c := slices.Clone(ts)
		slices.SortFunc(c, func(a, b Target) int { return strings.Compare(a.Cluster, b.Cluster) })
		var b strings.Builder
		for _, t := range c {
			if r.Replicas > 0 {
				fmt.Fprintf(&b, "%s=%d,", t.Cluster, t.Replicas)
			} else {
				fmt.Fprintf(&b, "%s,", t.Cluster)
			}
		}
		return b.String()
	}
	want := norm(actual)
	if norm(r.Targets) == want {
		return true
	}
	if r.ties != nil && norm(settleTies(actual, r.ties)) == norm(r.Targets) {
		return true // a permutation within tie classes: settled, the same
	}
	for _, alt := range r.Alternatives {
		if norm(alt) == want {
			return true
		}
	}
	return false
}

// namedFilter is a framework holding one Karmada plugin.
type namedFilter struct {
	name      string
	framework framework.Framework
}

// reasons explains, for each cluster not among the targets, why: every
// failing filter plugin (in plugin name order), or that the selection or
// replica assignment left it out.
func (s *Scheduler) reasons(ctx context.Context, binding *workv1alpha2.ResourceBindingSpec, status *workv1alpha2.ResourceBindingStatus, targets []Target) []Filtered {
	var out []Filtered
	for _, c := range s.clusters {
		if slices.ContainsFunc(targets, func(t Target) bool { return t.Cluster == c.Name }) {
			continue
		}
		var failed []string
		for _, f := range s.filters {
			if r := f.framework.RunFilterPlugins(ctx, binding, status, c); !r.IsSuccess() {
				failed = append(failed, r.Reasons()...)
			}
		}
		reason := "not selected: spread constraints or replica assignment left it out"
		if len(failed) > 0 {
			reason = strings.Join(failed, "; ")
		}
		out = append(out, Filtered{Cluster: c.Name, Reason: reason})
	}
	return out
}

func objectRef(u *unstructured.Unstructured) string {
	return diag.ObjectRef(u.GetKind(), u.GetNamespace(), u.GetName())
}

// Compare orders results by app, then object.
func Compare(a, b Result) int {
	return cmp.Or(strings.Compare(a.App, b.App), strings.Compare(a.Object, b.Object))
}

// Canonical settles a tie deterministically: of the targets and their
// alternatives it keeps the assignment whose "cluster=replicas," listing
// (targets in cluster order) sorts first as Targets, the others as
// Alternatives. Output committed to Git (rendered per-cluster folders)
// must not change between two runs over the same intent because Karmada
// broke a tie differently.
func (r *Result) Canonical() {
	if len(r.Alternatives) == 0 || r.ties != nil {
		// No tie, or a static division's, which the preview settled
		// already (settleTies) without depending on what it sampled.
		return
	}
	key := func(ts []Target) string {
		c := slices.Clone(ts)
		slices.SortFunc(c, func(a, b Target) int { return strings.Compare(a.Cluster, b.Cluster) })
		var b strings.Builder
		for _, t := range c {
			fmt.Fprintf(&b, "%s=%d,", t.Cluster, t.Replicas)
		}
		return b.String()
	}
	all := append([][]Target{r.Targets}, r.Alternatives...)
	slices.SortStableFunc(all, func(a, b []Target) int { return strings.Compare(key(a), key(b)) })
	r.Targets, r.Alternatives = all[0], all[1:]
}
