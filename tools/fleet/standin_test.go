package fleet

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// TestStandinReportsWorkloadsReady: every Deployment, StatefulSet and
// DaemonSet gets the status a kubelet and the workload controllers write
// once every pod of the current generation is ready; a workload already
// reported so is left alone, and a new generation is reported again.
func TestStandinReportsWorkloadsReady(t *testing.T) {
	ctx := context.Background()
	meta := func(name string, gen int64) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: "inference", Name: name, Generation: gen}
	}
	dep := &appsv1.Deployment{ObjectMeta: meta("paddle-inference", 3), Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(4))}}
	sts := &appsv1.StatefulSet{ObjectMeta: meta("model-registry", 1), Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(int32(3))}}
	ds := &appsv1.DaemonSet{ObjectMeta: meta("ebpf-profiler", 2)}
	c := fake.NewClientBuilder().WithObjects(dep, sts, ds).WithStatusSubresource(dep, sts, ds).Build()

	n, err := StandinOnce(ctx, c, 2)
	if err != nil || n != 3 {
		t.Fatalf("first pass: %d written, %v; want 3", n, err)
	}
	got := &appsv1.Deployment{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(dep), got); err != nil {
		t.Fatal(err)
	}
	if s := got.Status; s.ObservedGeneration != 3 || s.ReadyReplicas != 4 || s.AvailableReplicas != 4 || s.UpdatedReplicas != 4 {
		t.Errorf("Deployment status %+v", s)
	}
	gotDS := &appsv1.DaemonSet{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(ds), gotDS); err != nil {
		t.Fatal(err)
	}
	if s := gotDS.Status; s.DesiredNumberScheduled != 2 || s.NumberAvailable != 2 || s.ObservedGeneration != 2 {
		t.Errorf("DaemonSet status %+v", s)
	}
	if n, err := StandinOnce(ctx, c, 2); err != nil || n != 0 {
		t.Errorf("second pass: %d written, %v; want none", n, err)
	}
	got.Spec.Replicas = ptr.To(int32(6))
	if err := c.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	if n, err := StandinOnce(ctx, c, 2); err != nil || n != 1 {
		t.Errorf("after a scale to 6: %d written, %v; want 1", n, err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(dep), got); err != nil || got.Status.ReadyReplicas != 6 {
		t.Errorf("after a scale to 6: ready %d, %v", got.Status.ReadyReplicas, err)
	}
}
