package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/place"
)

// TestFailover makes a member unreachable by stopping its API server. The
// fleet reports it, Karmada marks the cluster NotReady and reschedules a
// workload off it, and flotilla place run against the live Cluster
// objects predicts where the workload goes.
func TestFailover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	host := karmadaClient(t)
	const victim = "cloud-eu-central-1"
	survivors := []string{"cloud-eu-west-1", "cloud-us-east-1-spot"}

	ns := "failover-test"
	ensureNamespaces(t, host, ns)
	fc := &fidelityCase{Name: "web", Namespace: ns, Replicas: 9, CPU: "100m"}
	// Tolerate the not-ready and unreachable NoExecute taints only briefly,
	// so eviction happens within the test (the webhook's 300s default would
	// apply otherwise).
	short := ptr.To(int64(2))
	fc.Policy = policyv1alpha1.PropagationSpec{
		ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}},
		Placement: policyv1alpha1.Placement{
			ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: append([]string{victim}, survivors...)},
			ClusterTolerations: []corev1.Toleration{
				{Key: clusterv1alpha1.TaintClusterNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: short},
				{Key: clusterv1alpha1.TaintClusterUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: short},
			},
			ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
				ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDivided, ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
				WeightPreference: &policyv1alpha1.ClusterPreferences{StaticWeightList: []policyv1alpha1.StaticClusterWeight{
					{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{victim}}, Weight: 1},
					{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{survivors[0]}}, Weight: 1},
					{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{survivors[1]}}, Weight: 1},
				}},
			},
		},
	}
	if err := createCase(ctx, host, fc); err != nil {
		t.Fatal(err)
	}
	before, ok, err := waitScheduled(ctx, host, "Deployment", ns, "web")
	if err != nil || !ok {
		t.Fatalf("not scheduled before the failure: %v", err)
	}
	if got := targetsString(fromBinding(before), true); got != "cloud-eu-central-1=3,cloud-eu-west-1=3,cloud-us-east-1-spot=3" {
		t.Fatalf("before the failure: %s", got)
	}

	// Inject the failure.
	apiserver := fleet.APIServerName(victim)
	if err := env.fleet.StopComponent(apiserver); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer rcancel()
		if err := env.fleet.StartComponent(rctx, apiserver, true); err != nil {
			t.Errorf("restart %s: %v", apiserver, err)
			return
		}
		if err := fleet.WaitClustersReady(rctx, host, []string{victim}, 90*time.Second); err != nil {
			t.Errorf("after restart: %v", err)
		}
	})
	// The fleet itself reports the stopped component.
	st := env.fleet.Status(ctx)
	for _, c := range st.Components {
		if c.Name == apiserver && c.State != "exited" {
			t.Errorf("fleet status shows %s as %s", apiserver, c.State)
		}
	}

	// Karmada notices: Ready=False, then a NoExecute taint.
	err = wait.PollUntilContextTimeout(ctx, time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		kc := &clusterv1alpha1.Cluster{}
		if err := host.Get(ctx, client.ObjectKey{Name: victim}, kc); err != nil {
			return false, nil
		}
		if meta.IsStatusConditionTrue(kc.Status.Conditions, clusterv1alpha1.ClusterConditionReady) {
			return false, nil
		}
		for _, tn := range kc.Spec.Taints {
			if tn.Effect == corev1.TaintEffectNoExecute && strings.HasPrefix(tn.Key, "cluster.karmada.io/") {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("Karmada did not taint %s NotReady: %v", victim, err)
	}

	// Karmada reschedules off the failed cluster.
	var after string
	err = wait.PollUntilContextTimeout(ctx, time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		_, tcs, _, err := bindingOf(ctx, host, "Deployment", ns, "web")
		if err != nil {
			return false, nil
		}
		after = targetsString(fromBinding(tcs), true)
		return !strings.Contains(after, victim), nil
	})
	if err != nil {
		t.Fatalf("Karmada did not reschedule off %s (binding: %s)", victim, after)
	}

	// flotilla place over the live Cluster objects predicts it.
	live, err := liveSnapshot(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := place.New(live)
	if err != nil {
		t.Fatal(err)
	}
	// The preview is given the assignment from before the failure and the
	// live, tainted clusters: it models Karmada's eviction from the failed
	// cluster and its rescheduling, whose tie-breaks keep replicas where
	// they were.
	res, err := sched.Preview(ctx, []place.Workload{{Object: deploymentObject(fc), Policy: &fc.Policy, PolicyNamespace: ns, Current: before}}, place.Options{Reasons: true, Alternatives: true})
	if err != nil {
		t.Fatal(err)
	}
	_, afterTargets, _, _ := bindingOf(ctx, host, "Deployment", ns, "web")
	if !res[0].Agrees(fromBinding(afterTargets)) {
		t.Errorf("after the failure: preview over live clusters %s (alternatives %v), Karmada %s", targetsString(res[0].Targets, true), res[0].Alternatives, after)
	}
	var reason string
	for _, f := range res[0].Filtered {
		if f.Cluster == victim {
			reason = f.Reason
		}
	}
	if !strings.Contains(reason, "taint") {
		t.Errorf("preview's reason for leaving out %s: %q, want the untolerated taint", victim, reason)
	}
	t.Logf("failover: %s -> %s (preview agrees; %s left out: %s)", targetsString(fromBinding(before), true), after, victim, reason)
}
