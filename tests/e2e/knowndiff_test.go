package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/place"
)

// TestKarmadaSchedulerCrashIsPredicted is the known difference of the
// fidelity suite: Karmada v1.13's spread-constraint scoring divides by
// zero for a Duplicated workload with spread constraints when no cluster
// of a group can hold its replicas (karmada-io/karmada#7154, fixed in
// 1.14+, not backported). The preview reports that the scheduler panics;
// the real karmada-scheduler process exits on the same binding.
func TestKarmadaSchedulerCrashIsPredicted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	host := karmadaClient(t)
	ns := "known-crash"
	ensureNamespaces(t, host, ns)
	// 10 replicas of 64 CPUs each: no member can hold them.
	fc := &fidelityCase{Name: "too-big", Namespace: ns, Replicas: 10, CPU: "64"}
	fc.Policy = policyv1alpha1.PropagationSpec{
		ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: fc.Name}},
		Placement: policyv1alpha1.Placement{
			ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cloud-eu-west-1", "cloud-eu-central-1", "cloud-us-east-1-spot"}},
			SpreadConstraints: []policyv1alpha1.SpreadConstraint{
				{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 1, MaxGroups: 3},
				{SpreadByField: policyv1alpha1.SpreadByFieldRegion, MinGroups: 1, MaxGroups: 2},
			},
			ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
		},
	}
	live, err := liveSnapshot(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := place.New(live)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sched.Preview(ctx, []place.Workload{{Object: deploymentObject(fc), Policy: &fc.Policy, PolicyNamespace: ns}}, place.Options{Reasons: true, Alternatives: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res[0].Error, "karmada-scheduler panics") || !strings.Contains(res[0].Error, "karmada-io/karmada#7154") {
		t.Fatalf("preview does not predict the crash: %+v", res[0])
	}

	if err := createCase(ctx, host, fc); err != nil {
		t.Fatal(err)
	}
	scheduler := env.fleet.Component("karmada-scheduler")
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		for _, c := range env.fleet.Status(ctx).Components {
			if c.Name == scheduler.Name && c.State == "exited" {
				return true, nil
			}
		}
		return false, nil
	})
	// Remove the binding's cause before restarting, or the scheduler would
	// crash again on it.
	_ = host.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	pp := &policyv1alpha1.PropagationPolicy{ObjectMeta: metav1.ObjectMeta{Name: fc.Name, Namespace: ns}}
	_ = host.Delete(ctx, pp)
	if err != nil {
		t.Errorf("the real karmada-scheduler did not crash on the binding: %v", err)
	} else {
		for _, c := range env.fleet.Status(ctx).Components {
			if c.Name == scheduler.Name {
				t.Logf("karmada-scheduler exited on the binding, as the preview predicted; its log ends:\n%s", lastLines(c.Tail, 3))
			}
		}
	}
	// Let the namespace go (kube-controller-manager), then restart.
	_ = wait.PollUntilContextTimeout(ctx, time.Second, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		err := host.Get(ctx, clientKey(ns), &corev1.Namespace{})
		return err != nil, nil
	})
	if err := env.fleet.StartComponent(ctx, scheduler.Name, true); err != nil {
		t.Fatalf("restart karmada-scheduler: %v", err)
	}
	if err := fleet.WaitClustersReady(ctx, host, []string{"cloud-eu-west-1"}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}
