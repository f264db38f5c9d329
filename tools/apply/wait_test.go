package apply

import (
	"strings"
	"testing"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A binding is ready when Karmada scheduled its current generation, applied
// it everywhere, and no copy is Unhealthy; each way of not being ready
// says so, naming the clusters.
func TestBindingNotReady(t *testing.T) {
	binding := func(mut func(b *workv1alpha2.ResourceBinding)) *workv1alpha2.ResourceBinding {
		b := &workv1alpha2.ResourceBinding{}
		b.Generation = 2
		b.Spec.Clusters = []workv1alpha2.TargetCluster{{Name: "a", Replicas: 2}, {Name: "b", Replicas: 1}}
		b.Status.SchedulerObservedGeneration = 2
		b.Status.Conditions = []metav1.Condition{
			{Type: workv1alpha2.Scheduled, Status: metav1.ConditionTrue},
			{Type: workv1alpha2.FullyApplied, Status: metav1.ConditionTrue},
		}
		b.Status.AggregatedStatus = []workv1alpha2.AggregatedStatusItem{
			{ClusterName: "a", Applied: true, Health: workv1alpha2.ResourceHealthy},
			{ClusterName: "b", Applied: true, Health: workv1alpha2.ResourceUnknown},
		}
		if mut != nil {
			mut(b)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		mut  func(b *workv1alpha2.ResourceBinding)
		want string
	}{
		{"ready (Unknown health: no rule for the kind)", nil, ""},
		{"stale schedule", func(b *workv1alpha2.ResourceBinding) { b.Status.SchedulerObservedGeneration = 1 }, "not scheduled"},
		{"no cluster", func(b *workv1alpha2.ResourceBinding) { b.Spec.Clusters = nil }, "no cluster"},
		{"not fully applied", func(b *workv1alpha2.ResourceBinding) { b.Status.Conditions[1].Status = metav1.ConditionFalse }, "not applied to every cluster"},
		{"unhealthy copy", func(b *workv1alpha2.ResourceBinding) {
			b.Status.AggregatedStatus[0].Health = workv1alpha2.ResourceUnhealthy
		}, "1 of 2 copies not ready (a Unhealthy)"},
		{"copy missing", func(b *workv1alpha2.ResourceBinding) { b.Status.AggregatedStatus = b.Status.AggregatedStatus[:1] }, "(b not applied)"},
	} {
		got := bindingNotReady(binding(tc.mut))
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
