package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/drill"
)

// TestDrillTaintsTheSourceNoExecute runs the example drill's own failure:
// the source's Karmada Cluster tainted NoExecute while the backup is
// restored on the DR site — an outage as the scheduler sees it. The taint
// is on during the restore, Karmada acts on it (its taint manager evicts
// the bindings that do not tolerate it), and cleanup lifts it and says
// what Karmada moved.
//
// It runs last (its file sorts after every other test's, and go test runs
// files in name order) on purpose: Karmada does not move evicted workloads
// back when the taint goes — its scheduler keeps the source out of their
// bindings until the graceful eviction ends (10 minutes) — and later tests
// (the rollout's health per wave) would see the source's copies leaving.
func TestDrillTaintsTheSourceNoExecute(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	applyExample(ctx, t)
	defer stopVeleros(t)
	host := karmadaClient(t)
	o := faultDrill(t, "inference-tainted")
	o.Drill.Spec.Failure.Type = v1alpha1.FailureTaintNoExecute
	t.Cleanup(func() {
		// Only if the drill did not lift it: the next tests need the
		// cluster schedulable.
		kc := &clusterv1alpha1.Cluster{}
		if err := host.Get(context.Background(), client.ObjectKey{Name: drillSource}, kc); err == nil && hasDrillTaint(kc) {
			orig := kc.DeepCopy()
			kc.Spec.Taints = slices.DeleteFunc(kc.Spec.Taints, func(t corev1.Taint) bool { return t.Key == "flotilla.io/drill" })
			if err := host.Patch(context.Background(), kc, client.MergeFrom(orig)); err != nil {
				t.Errorf("lift the drill's taint: %v", err)
			}
		}
	})
	var taintedDuringRestore bool
	var karmadaSaw string
	o.Progress = func(p drill.PhaseRecord) {
		if p.Ended == nil {
			return
		}
		t.Logf("%-14s %6s  %s%s", p.Phase, p.Ended.Sub(p.Started).Round(10*time.Millisecond), p.Message, p.Error)
		if p.Phase != drill.PhaseRestore {
			return
		}
		kc := &clusterv1alpha1.Cluster{}
		if err := host.Get(ctx, client.ObjectKey{Name: drillSource}, kc); err == nil {
			taintedDuringRestore = hasDrillTaint(kc)
		}
		// What Karmada's taint manager evicts from the source: every
		// binding on it that does not tolerate the taint.
		var rbs workv1alpha2.ResourceBindingList
		if err := host.List(ctx, &rbs); err == nil {
			var evicted []string
			for _, rb := range rbs.Items {
				for _, task := range rb.Spec.GracefulEvictionTasks {
					if task.FromCluster == drillSource && task.Reason == workv1alpha2.EvictionReasonTaintUntolerated {
						evicted = append(evicted, rb.Namespace+"/"+rb.Name)
					}
				}
			}
			karmadaSaw = fmt.Sprintf("evicting %d binding(s) from %s: %s", len(evicted), drillSource, strings.Join(evicted, ", "))
		}
	}
	res, err := drill.Run(ctx, o)
	if err != nil || !res.Report.Passed {
		t.Fatalf("drill: %v (failed phase %q: %s)", err, res.Report.FailedPhase, res.Report.Error)
	}
	if !taintedDuringRestore {
		t.Errorf("Cluster/%s was not tainted during the restore", drillSource)
	}
	if karmadaSaw == "" || strings.HasPrefix(karmadaSaw, "evicting 0 ") {
		t.Errorf("Karmada did not act on the taint: %q", karmadaSaw)
	}
	// The report says what the failure left behind.
	cl := res.State.Phases[len(res.State.Phases)-1]
	if !strings.Contains(cl.Message, "taint lifted from "+drillSource+" (Karmada moved") || !strings.Contains(cl.Message, "had Karmada schedule them afresh") {
		t.Errorf("cleanup: %s", cl.Message)
	}
	t.Logf("cleanup: %s", cl.Message)
	// The workloads the taint moved are scheduled onto the source again
	// (the eBPF agent runs on every cluster with BTF, the source among
	// them): the rehearsal leaves the fleet divided as it declares.
	if err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		tcs, ok, err := waitScheduled(ctx, host, "DaemonSet", "profiling", "ebpf-profiler")
		if err != nil || !ok {
			return false, err
		}
		return slices.ContainsFunc(tcs, func(tc workv1alpha2.TargetCluster) bool { return tc.Name == drillSource }), nil
	}); err != nil {
		t.Errorf("the eBPF agent is not scheduled onto %s again after the drill: %v", drillSource, err)
	}
	kc := &clusterv1alpha1.Cluster{}
	if err := host.Get(ctx, client.ObjectKey{Name: drillSource}, kc); err != nil || hasDrillTaint(kc) {
		t.Errorf("after the drill: Cluster/%s taints %v (%v)", drillSource, kc.Spec.Taints, err)
	}
	t.Logf("RTO %s; during the restore Karmada was %s", res.Report.RTO.Round(10*time.Millisecond), karmadaSaw)
}

func hasDrillTaint(kc *clusterv1alpha1.Cluster) bool {
	return slices.ContainsFunc(kc.Spec.Taints, func(t corev1.Taint) bool {
		return t.Key == "flotilla.io/drill" && t.Effect == corev1.TaintEffectNoExecute
	})
}
