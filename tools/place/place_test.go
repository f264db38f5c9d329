package place

import (
	"context"
	"slices"
	"strings"
	"testing"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
)

func snapshot(t *testing.T, names ...string) []*clusterv1alpha1.Cluster {
	t.Helper()
	var cs []*v1alpha1.Cluster
	for i, n := range names {
		c := &v1alpha1.Cluster{}
		c.Name = n
		c.Spec = v1alpha1.ClusterSpec{Kind: v1alpha1.ClusterKindCloud, Provider: "aws", Region: []string{"r1", "r2"}[i%2], Zone: "z1",
			KubernetesVersion: "v1.31.3", Access: v1alpha1.ClusterAccess{Context: n}}
		c.Spec.Capacity.Nodes = 4
		c.Spec.Capacity.CPU = resource.MustParse("16")
		c.Spec.Capacity.Memory = resource.MustParse("64Gi")
		v1alpha1.SetClusterDefaults(c)
		cs = append(cs, c)
	}
	return IntentSnapshot(cs, []schema.GroupVersionKind{{Group: "apps", Version: "v1", Kind: "Deployment"}})
}

func deployment(replicas int64, cpu string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "ns"},
		"spec": map[string]any{"replicas": replicas, "template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "c", "image": "x:1", "resources": map[string]any{"requests": map[string]any{"cpu": cpu, "memory": "64Mi"}}},
		}}}},
	}}
}

func weighted(names map[string]int64) *policyv1alpha1.ReplicaSchedulingStrategy {
	var list []policyv1alpha1.StaticClusterWeight
	for n, w := range names {
		list = append(list, policyv1alpha1.StaticClusterWeight{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{n}}, Weight: w})
	}
	return &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDivided,
		ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted, WeightPreference: &policyv1alpha1.ClusterPreferences{StaticWeightList: list}}
}

func preview(t *testing.T, s *Scheduler, w Workload) Result {
	t.Helper()
	res, err := s.Preview(context.Background(), []Workload{w}, Options{Reasons: true, Alternatives: true})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func TestStaticWeightsDivideExactlyWithoutTies(t *testing.T) {
	s, err := New(snapshot(t, "a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	r := preview(t, s, Workload{Object: deployment(6, "100m"), PolicyNamespace: "ns", Policy: &policyv1alpha1.PropagationSpec{
		Placement: policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"a", "b"}}, ReplicaScheduling: weighted(map[string]int64{"a": 2, "b": 1})},
	}})
	if r.Error != "" || len(r.Targets) != 2 || r.Targets[0] != (Target{"a", 4}) || r.Targets[1] != (Target{"b", 2}) || len(r.Alternatives) != 0 {
		t.Fatalf("result %+v", r)
	}
	for _, f := range r.Filtered {
		if f.Cluster == "c" && !strings.Contains(f.Reason, "affinity") {
			t.Errorf("reason for c: %q", f.Reason)
		}
	}
}

// TestTiesListKarmadasAlternatives covers Karmada's random tie-break: two
// equal clusters and an odd replica count, here through the fallback
// where no static weight matches a candidate (every candidate weighs 1).
func TestTiesListKarmadasAlternatives(t *testing.T) {
	s, err := New(snapshot(t, "a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	r := preview(t, s, Workload{Object: deployment(15, "100m"), PolicyNamespace: "ns", Policy: &policyv1alpha1.PropagationSpec{
		Placement: policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"a", "b"}}, ReplicaScheduling: weighted(map[string]int64{"c": 4})},
	}})
	if len(r.Alternatives) != 1 {
		t.Fatalf("want one alternative to %v, got %v", r.Targets, r.Alternatives)
	}
	for _, want := range [][]Target{{{"a", 8}, {"b", 7}}, {{"a", 7}, {"b", 8}}} {
		if !r.Agrees(want) {
			t.Errorf("%v is a valid Karmada outcome the preview does not allow (targets %v, alternatives %v)", want, r.Targets, r.Alternatives)
		}
	}
	if r.Agrees([]Target{{"a", 15}}) {
		t.Errorf("an impossible outcome agrees")
	}

	// Canonical settles the tie the same way whatever Karmada drew.
	for _, drawn := range [][]Target{{{"a", 8}, {"b", 7}}, {{"b", 8}, {"a", 7}}} {
		c := Result{Replicas: 15, Targets: drawn, Alternatives: [][]Target{{{"a", 7}, {"b", 8}}, {{"a", 8}, {"b", 7}}}}
		c.Alternatives = slices.DeleteFunc(c.Alternatives, func(ts []Target) bool { return (&Result{Replicas: 15, Targets: ts}).Agrees(drawn) })
		c.Canonical()
		want := &Result{Replicas: 15, Targets: []Target{{"a", 7}, {"b", 8}}}
		if !want.Agrees(c.Targets) || len(c.Alternatives) != 1 {
			t.Errorf("canonical of %v: targets %v, alternatives %v; want %v and one alternative", drawn, c.Targets, c.Alternatives, want.Targets)
		}
	}
}

// TestKarmadaPanicIsAnError: Karmada v1.13 divides by zero for a
// Duplicated workload with spread constraints that no cluster can hold;
// the preview says so instead of crashing.
func TestKarmadaPanicIsAnError(t *testing.T) {
	s, err := New(snapshot(t, "a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	r := preview(t, s, Workload{Object: deployment(10, "64"), PolicyNamespace: "ns", Policy: &policyv1alpha1.PropagationSpec{
		Placement: policyv1alpha1.Placement{
			SpreadConstraints: []policyv1alpha1.SpreadConstraint{{SpreadByField: "cluster", MinGroups: 1, MaxGroups: 3}, {SpreadByField: "region", MinGroups: 1, MaxGroups: 2}},
			ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
		},
	}})
	if !strings.Contains(r.Error, "karmada-scheduler panics") || !strings.Contains(r.Error, "#7154") {
		t.Fatalf("error %q", r.Error)
	}
}

// TestEvictionFromANoExecuteTaintedCluster models Karmada's taint manager:
// the current assignment loses a cluster tainted NoExecute that the
// placement tolerates only for a while, and replicas go to the others.
func TestEvictionFromANoExecuteTaintedCluster(t *testing.T) {
	cs := snapshot(t, "a", "b", "c")
	cs[0].Spec.Taints = []corev1.Taint{{Key: clusterv1alpha1.TaintClusterNotReady, Effect: corev1.TaintEffectNoExecute}, {Key: clusterv1alpha1.TaintClusterNotReady, Effect: corev1.TaintEffectNoSchedule}}
	s, err := New(cs)
	if err != nil {
		t.Fatal(err)
	}
	two := int64(2)
	pol := &policyv1alpha1.PropagationSpec{Placement: policyv1alpha1.Placement{
		ClusterTolerations: []corev1.Toleration{{Key: clusterv1alpha1.TaintClusterNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &two}},
		ReplicaScheduling:  weighted(map[string]int64{"a": 1, "b": 1, "c": 2}),
	}}
	r := preview(t, s, Workload{Object: deployment(8, "100m"), PolicyNamespace: "ns", Policy: pol,
		Current: []workv1alpha2.TargetCluster{{Name: "a", Replicas: 2}, {Name: "b", Replicas: 2}, {Name: "c", Replicas: 4}}})
	if r.Error != "" || len(r.Targets) != 2 || r.Targets[0].Cluster != "b" || r.Targets[1].Cluster != "c" {
		t.Fatalf("after eviction: %+v", r)
	}
	if r.Targets[0].Replicas+r.Targets[1].Replicas != 8 {
		t.Errorf("replicas lost: %+v", r.Targets)
	}
}

// TestReasonsNameEveryFailingFilter: Karmada orders its filter plugins by
// map iteration, so the plugin it names first for a cluster failing two
// filters varies; the preview names both, in plugin name order, every time.
func TestReasonsNameEveryFailingFilter(t *testing.T) {
	clusters := snapshot(t, "a", "b", "c")
	clusters[2].Spec.Taints = []corev1.Taint{{Key: "flotilla.io/maintenance", Effect: corev1.TaintEffectNoSchedule}}
	s, err := New(clusters)
	if err != nil {
		t.Fatal(err)
	}
	w := Workload{Object: deployment(2, "100m"), PolicyNamespace: "ns", Policy: &policyv1alpha1.PropagationSpec{
		Placement: policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"a", "b"}}},
	}}
	var first string
	for i := 0; i < 20; i++ {
		var reason string
		for _, f := range preview(t, s, w).Filtered {
			if f.Cluster == "c" {
				reason = f.Reason
			}
		}
		if !strings.Contains(reason, "affinity") || !strings.Contains(reason, "taint") {
			t.Fatalf("reason for c: %q, want both the affinity and the taint", reason)
		}
		if i == 0 {
			first = reason
		} else if reason != first {
			t.Fatalf("reason changed between runs: %q then %q", first, reason)
		}
	}
}

// TestIdenticalPlacementsAreScheduledOnce: workloads of different policies,
// namespaces and apps whose placement and replicas agree get Karmada's
// answer from one scheduling each, and the same answer as scheduled alone.
func TestIdenticalPlacementsAreScheduledOnce(t *testing.T) {
	s, err := New(snapshot(t, "a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	strategy := weighted(map[string]int64{"a": 1, "b": 2, "c": 3})
	policy := func(ns, name string) *policyv1alpha1.PropagationSpec {
		return &policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name}},
			Placement:         policyv1alpha1.Placement{ReplicaScheduling: strategy.DeepCopy()},
		}
	}
	named := func(d *unstructured.Unstructured, ns, name string) *unstructured.Unstructured {
		d.SetNamespace(ns)
		d.SetName(name)
		return d
	}
	workloads := []Workload{
		{App: "one", Object: named(deployment(12, "100m"), "team-a", "one"), Policy: policy("team-a", "one"), PolicyNamespace: "team-a"},
		{App: "two", Object: named(deployment(12, "100m"), "team-b", "two"), Policy: policy("team-b", "two"), PolicyNamespace: "team-b"},
		{App: "three", Object: named(deployment(6, "100m"), "team-b", "three"), Policy: policy("team-b", "three"), PolicyNamespace: "team-b"},
	}
	policies := map[*policyv1alpha1.PropagationSpec]string{}
	var keys []string
	for i := range workloads {
		k, err := s.equivalence(&workloads[i], policies)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if keys[0] != keys[1] || keys[0] == keys[2] {
		t.Fatalf("equivalence keys: same placement and replicas must share one, other replicas must not:\n%s", strings.Join(keys, "\n"))
	}
	got, err := s.Preview(context.Background(), workloads, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range workloads {
		alone := preview(t, s, w)
		if got[i].Object != alone.Object || got[i].App != w.App || !slices.Equal(got[i].Targets, alone.Targets) {
			t.Errorf("%s: %+v scheduled with the others, %+v alone", w.App, got[i], alone)
		}
	}
	if want := []Target{{"a", 2}, {"b", 4}, {"c", 6}}; !slices.Equal(got[1].Targets, want) {
		t.Errorf("team-b/two: %v, want %v", got[1].Targets, want)
	}
}

// A workload whose replicas do not decode (a value of the wrong type,
// which validation reports at its line) is not scheduled, and says why;
// the others in the same preview are scheduled as usual.
func TestUndecodableReplicasAreNotScheduled(t *testing.T) {
	s, err := New(snapshot(t, "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	bad := deployment(2, "100m")
	bad.Object["spec"].(map[string]any)["replicas"] = "two"
	policy := &policyv1alpha1.PropagationSpec{
		ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "ns", Name: "web"}},
		Placement:         policyv1alpha1.Placement{ReplicaScheduling: weighted(map[string]int64{"a": 1, "b": 1})},
	}
	good := deployment(2, "100m")
	good.SetName("ok")
	got, err := s.Preview(context.Background(), []Workload{
		{App: "bad", Object: bad, Policy: policy, PolicyNamespace: "ns"},
		{App: "good", Object: good, Policy: policy, PolicyNamespace: "ns"},
	}, Options{})
	if err != nil {
		t.Fatalf("the preview stops: %v", err)
	}
	if len(got[0].Targets) != 0 || !strings.Contains(got[0].Error, "Karmada cannot read its replicas") {
		t.Errorf("undecodable workload: %+v", got[0])
	}
	if len(got[1].Targets) != 2 || got[1].Error != "" {
		t.Errorf("the other workload: %+v", got[1])
	}
}

// TestStaticTiesAreSettledTheSameOnEveryRun: 7 replicas over eight
// clusters of weight 1 and two of weight 2 leave Karmada a remainder to
// deal at random (crypto/rand) among hundreds of equal outcomes — too
// many to sample. The preview settles every one to the same assignment
// (the larger counts of each tie class to the first names), accepts any
// permutation Karmada may draw as agreeing, and refuses a count Karmada
// cannot deal.
func TestStaticTiesAreSettledTheSameOnEveryRun(t *testing.T) {
	names := []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "h0", "h1"}
	s, err := New(snapshot(t, names...))
	if err != nil {
		t.Fatal(err)
	}
	weights := map[string]int64{}
	for _, n := range names {
		weights[n] = 1
		if n[0] == 'h' {
			weights[n] = 2
		}
	}
	w := Workload{Object: deployment(7, "100m"), PolicyNamespace: "ns", Policy: &policyv1alpha1.PropagationSpec{
		Placement: policyv1alpha1.Placement{ReplicaScheduling: weighted(weights)},
	}}
	// 7 × 1/12 is 0 for each weight-1 cluster, 7 × 2/12 is 1 for each
	// weight-2 one: the remainder of 5 goes first to the heavier class
	// (both h get 1 more), then 3 to three of the eight c's.
	want := []Target{{"c0", 1}, {"c1", 1}, {"c2", 1}, {"h0", 2}, {"h1", 2}}
	for range 20 {
		res, err := s.Preview(context.Background(), []Workload{w}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := res[0].Targets; !slices.Equal(got, want) {
			t.Fatalf("targets %v, want the settled %v", got, want)
		}
	}
	r := preview(t, s, w)
	if !r.Agrees([]Target{{"c3", 1}, {"c5", 1}, {"c7", 1}, {"h0", 2}, {"h1", 2}}) {
		t.Error("a permutation Karmada may draw does not agree with the settled preview")
	}
	if r.Agrees([]Target{{"c0", 2}, {"c1", 1}, {"h0", 2}, {"h1", 2}}) {
		t.Error("a count Karmada cannot deal agrees")
	}
	r.Canonical()
	if !slices.Equal(r.Targets, want) {
		t.Errorf("Canonical moved a settled division to %v", r.Targets)
	}
}
