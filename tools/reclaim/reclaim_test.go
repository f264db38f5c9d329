package reclaim

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

// member is a fake member with spot and on-demand nodes, a pod of a
// Deployment on every node and a DaemonSet pod on the first spot node.
// The fake client stands in for a living member's API server in this
// unit test only; TestLivingFleet reclaims on real servers.
func member(spot, onDemand int) client.Client {
	var objs []client.Object
	node := func(name, ct string) {
		objs = append(objs, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{karpv1.CapacityTypeLabelKey: ct}},
			Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
		})
		objs = append(objs, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "inference", Name: "app-" + name, OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "app", Controller: ptr.To(true)}}},
			Spec:       corev1.PodSpec{NodeName: name},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning},
		})
	}
	for i := 0; i < spot; i++ {
		node(fmt.Sprintf("spot-%d", i), karpv1.CapacityTypeSpot)
	}
	for i := 0; i < onDemand; i++ {
		node(fmt.Sprintf("od-%d", i), karpv1.CapacityTypeOnDemand)
	}
	objs = append(objs, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "profiling", Name: "agent-spot-0", OwnerReferences: []metav1.OwnerReference{{Kind: "DaemonSet", Name: "agent", Controller: ptr.To(true)}}},
		Spec:       corev1.PodSpec{NodeName: "spot-0"},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	})
	return fake.NewClientBuilder().WithObjects(objs...).WithStatusSubresource(&corev1.Node{}, &corev1.Pod{}).Build()
}

func TestSelectCountsAndPercents(t *testing.T) {
	ctx := context.Background()
	c := member(12, 2)
	p, err := Select(ctx, c, "m", Options{Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{p.Nodes[0].Node, p.Nodes[1].Node, p.Nodes[2].Node}; got[2] != "spot-2" {
		t.Errorf("first three nodes %v, want spot-0, spot-1, spot-2 (numbers in order)", got)
	}
	c = member(10, 2)
	for _, tc := range []struct {
		o    Options
		want int
	}{
		{Options{}, 10},
		{Options{Count: 3}, 3},
		{Options{Count: 30}, 10},
		{Options{Percent: 25}, 3}, // rounded up
		{Options{CapacityType: karpv1.CapacityTypeOnDemand}, 2},
	} {
		p, err := Select(ctx, c, "m", tc.o)
		if err != nil {
			t.Fatalf("%+v: %v", tc.o, err)
		}
		if len(p.Nodes) != tc.want || p.Nodes[0].Node != map[bool]string{true: "od-0", false: "spot-0"}[tc.o.CapacityType == karpv1.CapacityTypeOnDemand] {
			t.Errorf("%+v: %d nodes from %v, want %d in name order", tc.o, len(p.Nodes), p.Nodes, tc.want)
		}
	}
	if p, err := Select(ctx, c, "m", Options{CapacityType: AnyCapacity}); err != nil || len(p.Nodes) != 12 || p.Nodes[0].Node != "od-0" {
		t.Errorf("any capacity: want all 12 nodes from od-0, got %v, %v", p, err)
	}
	if _, err := Select(ctx, c, "m", Options{Count: 1, Percent: 10}); err == nil {
		t.Error("--count and --percent together: no error")
	}
	if _, err := Select(ctx, member(0, 2), "m", Options{}); err == nil {
		t.Error("no spot node: no error")
	}
	p, _ = Select(ctx, c, "m", Options{Count: 1})
	if got := p.Nodes[0].Pods; len(got) != 2 {
		t.Errorf("pods on spot-0: %v, want its app and agent pods", got)
	}
}

// A reclaim taints the nodes, evicts what can leave, and at the end of
// the notice deletes the nodes and whatever still ran on them; Restore
// brings the same nodes back without the notice.
func TestRunTerminatesAndRestoreReturns(t *testing.T) {
	ctx := context.Background()
	c := member(4, 1)
	p, err := Select(ctx, c, "m", Options{Count: 2, Notice: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := Run(ctx, c, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Errorf("the nodes were terminated before the notice ran out")
	}
	for _, name := range []string{"spot-0", "spot-1"} {
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &corev1.Node{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s after the reclaim: %v, want deleted", name, err)
		}
	}
	if err := c.Get(ctx, client.ObjectKey{Name: "spot-2"}, &corev1.Node{}); err != nil {
		t.Errorf("spot-2 (not chosen): %v", err)
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods); err != nil {
		t.Fatal(err)
	}
	for _, pod := range pods.Items {
		if pod.Spec.NodeName == "spot-0" || pod.Spec.NodeName == "spot-1" {
			t.Errorf("pod %s still on a terminated node", pod.Name)
		}
	}
	if len(res.Evicted)+len(res.Killed) != 2 || res.DaemonPods != 1 {
		t.Errorf("evicted %v, killed %v, %d DaemonSet pods: want the two app pods and the agent", res.Evicted, res.Killed, res.DaemonPods)
	}
	n, err := Restore(ctx, c, p.Kept)
	if err != nil || n != 2 {
		t.Fatalf("restore: %d, %v", n, err)
	}
	var back corev1.Node
	if err := c.Get(ctx, client.ObjectKey{Name: "spot-0"}, &back); err != nil {
		t.Fatal(err)
	}
	if underNotice(&back) || back.Labels[karpv1.CapacityTypeLabelKey] != karpv1.CapacityTypeSpot {
		t.Errorf("restored node: taints %v labels %v", back.Spec.Taints, back.Labels)
	}
	if n, err := Restore(ctx, c, p.Kept); err != nil || n != 0 {
		t.Errorf("a second restore: %d, %v; want nothing to do", n, err)
	}
}
