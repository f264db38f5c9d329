package rollout

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestWavesOfGroupsAndOrders(t *testing.T) {
	got := WavesOf([]Cluster{{"c", 3}, {"a", 1}, {"e", 0}, {"b", 3}, {"d", 1}})
	want := []Wave{{Wave: 0, Clusters: []string{"e"}}, {Wave: 1, Clusters: []string{"a", "d"}}, {Wave: 3, Clusters: []string{"b", "c"}}}
	if len(got) != len(want) {
		t.Fatalf("waves %+v", got)
	}
	for i := range want {
		if got[i].Wave != want[i].Wave || !slices.Equal(got[i].Clusters, want[i].Clusters) {
			t.Errorf("wave %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestHeldAndNextFollowTheCurrentWave(t *testing.T) {
	st := &State{Waves: WavesOf([]Cluster{{"w1", 1}, {"w2b", 2}, {"w2a", 2}, {"w3", 3}}), Current: 1}
	if h := st.Held(); !slices.Equal(h, []string{"w2a", "w2b", "w3"}) {
		t.Errorf("held at wave 1: %v", h)
	}
	if n := st.next(); n == nil || n.Wave != 2 {
		t.Errorf("next after 1: %+v", n)
	}
	st.Current = 3
	if h := st.Held(); len(h) != 0 {
		t.Errorf("held at the last wave: %v", h)
	}
	if n := st.next(); n != nil {
		t.Errorf("next after the last: %+v", n)
	}
}

func TestPoliciesOfKeepsOnlyPropagationPolicies(t *testing.T) {
	obj := func(apiVersion, kind, ns, name string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetNamespace(ns)
		u.SetName(name)
		return u
	}
	got := PoliciesOf([]*unstructured.Unstructured{
		obj("policy.karmada.io/v1alpha1", "PropagationPolicy", "b", "x"),
		obj("policy.karmada.io/v1alpha1", "OverridePolicy", "b", "x"),
		obj("apps/v1", "Deployment", "b", "x"),
		obj("policy.karmada.io/v1alpha1", "ClusterPropagationPolicy", "", "z"),
		obj("policy.karmada.io/v1alpha1", "PropagationPolicy", "a", "y"),
		obj("example.com/v1", "PropagationPolicy", "a", "other-group"),
	})
	var names []string
	for _, p := range got {
		names = append(names, p.String())
	}
	want := []string{"ClusterPropagationPolicy/z", "PropagationPolicy/a/y", "PropagationPolicy/b/x"}
	if !slices.Equal(names, want) {
		t.Errorf("policies %v, want %v", names, want)
	}
}

// status builds an aggregated status item; gen > 0 adds the template
// generation the member's copy was built from, as Karmada reflects it for
// workloads.
func status(cluster string, applied bool, health workv1alpha2.ResourceHealth, gen int) workv1alpha2.AggregatedStatusItem {
	it := workv1alpha2.AggregatedStatusItem{ClusterName: cluster, Applied: applied, Health: health}
	if gen > 0 {
		it.Status = &runtime.RawExtension{Raw: []byte(`{"generation":7,"resourceTemplateGeneration":` + strconv.Itoa(gen) + `}`)}
	}
	return it
}

func TestJudgeSaysWhatKeepsEachReleasedWaveFromBeingHealthy(t *testing.T) {
	st := &State{Waves: WavesOf([]Cluster{{"w1a", 1}, {"w1b", 1}, {"w2", 2}}), Current: 1}
	mk := func(name string, held []string, items ...workv1alpha2.AggregatedStatusItem) binding {
		b := binding{Ref: "ResourceBinding/ns/" + name, Object: "Deployment/ns/" + name, Resource: workv1alpha2.ObjectReference{Kind: "Deployment", Namespace: "ns", Name: name},
			Clusters: []string{"w1a", "w1b", "w2"}, Status: map[string]workv1alpha2.AggregatedStatusItem{}}
		if held != nil {
			b.Suspension = &workv1alpha2.Suspension{Suspension: policyv1alpha1.Suspension{DispatchingOnClusters: &policyv1alpha1.SuspendClusters{ClusterNames: held}}}
		}
		for _, it := range items {
			b.Status[it.ClusterName] = it
		}
		return b
	}
	bs := []binding{
		// Healthy on the current template everywhere released; held on w2.
		mk("good", []string{"w2"}, status("w1a", true, workv1alpha2.ResourceHealthy, 5), status("w1b", true, workv1alpha2.ResourceHealthy, 5), status("w2", true, workv1alpha2.ResourceHealthy, 4)),
		// w1a still runs the previous template although Karmada says Healthy.
		mk("stale", []string{"w2"}, status("w1a", true, workv1alpha2.ResourceHealthy, 4), status("w1b", true, workv1alpha2.ResourceUnhealthy, 5)),
		// Not applied on w1a; the gate in this binding also (wrongly) holds w1b.
		mk("failing", []string{"w1b", "w2"}, workv1alpha2.AggregatedStatusItem{ClusterName: "w1a", AppliedMessage: "quota exceeded"}),
	}
	gens := 0
	s, err := judge(st, bs, func(workv1alpha2.ObjectReference) (int64, error) {
		gens++
		return 5, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w1, w2 := s.Waves[0], s.Waves[1]
	if w1.Targets != 6 || w1.Held != 1 || w1.Applied != 4 || w1.Updated != 3 || w1.Healthy != 2 {
		t.Errorf("wave 1 counts: %+v", w1)
	}
	if w1.Ready() {
		t.Error("wave 1 ready despite problems")
	}
	var got []string
	for _, p := range w1.Problems {
		got = append(got, p.Object+"@"+p.Cluster+": "+p.Reason)
	}
	// w2 is not released: its pairs are counted, never problems.
	want := []string{
		"Deployment/ns/failing@w1a: not applied: quota exceeded",
		"Deployment/ns/failing@w1b: held back by the gate",
		"Deployment/ns/stale@w1a: runs template generation 4, the template is at 5",
		"Deployment/ns/stale@w1b: Unhealthy",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if w2.Released || len(w2.Problems) != 0 || w2.Held != 3 || w2.Targets != 3 {
		t.Errorf("wave 2: %+v", w2)
	}
	if gens != 2 {
		t.Errorf("template generation read %d times, want once per binding with a reflected generation (2)", gens)
	}

	// Once everything is healthy on the current template, wave 1 is ready.
	ok := []binding{mk("good", []string{"w2"}, status("w1a", true, workv1alpha2.ResourceHealthy, 5), status("w1b", true, workv1alpha2.ResourceHealthy, 0))}
	s, err = judge(st, ok, func(workv1alpha2.ObjectReference) (int64, error) { return 5, nil })
	if err != nil || !s.Waves[0].Ready() {
		t.Errorf("healthy wave not ready: %v %+v", err, s.Waves[0])
	}
	// A template that cannot be read is an error naming the object.
	_, err = judge(st, ok, func(workv1alpha2.ObjectReference) (int64, error) { return 0, errors.New("boom") })
	if err == nil || !strings.Contains(err.Error(), "Deployment/ns/good") {
		t.Errorf("error %v", err)
	}
}

func TestPhaseInProgress(t *testing.T) {
	for p, want := range map[Phase]bool{Progressing: true, Paused: true, Completed: false, Aborted: false} {
		if p.InProgress() != want {
			t.Errorf("%s.InProgress() = %v", p, !want)
		}
	}
}
