package e2e

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha1 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/apply"
	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/rollout"
)

// The workload the rollout test bumps: it lands on clusters of all three
// waves of the example fleet.
const (
	rolloutNS   = "profiling"
	rolloutName = "ebpf-profiler"
)

// exampleRollout is what a rollout of the example fleet works on: its
// first control plane, that plane's objects, its clusters and their waves.
func exampleRollout() (string, []*unstructured.Unstructured, []rollout.Cluster, []rollout.Wave) {
	plane := env.rendered.Repo.Fleet.Spec.ControlPlanes[0].Name
	var clusters []rollout.Cluster
	for _, c := range env.rendered.Repo.Clusters {
		clusters = append(clusters, rollout.Cluster{Name: c.Cluster.Name, Wave: c.Cluster.Spec.Wave})
	}
	return plane, cli.PlaneObjects(env.rendered, plane), clusters, rollout.WavesOf(clusters)
}

// withAgent returns a copy of the plane's objects with the eBPF agent's
// container changed by change: the merged change being rolled out.
func withAgent(t *testing.T, objs []*unstructured.Unstructured, change func(container map[string]any)) []*unstructured.Unstructured {
	t.Helper()
	out := make([]*unstructured.Unstructured, len(objs))
	found := false
	for i, u := range objs {
		out[i] = u
		if u.GetKind() != "DaemonSet" || u.GetNamespace() != rolloutNS || u.GetName() != rolloutName {
			continue
		}
		c := u.DeepCopy()
		cs, _, _ := unstructured.NestedSlice(c.Object, "spec", "template", "spec", "containers")
		change(cs[0].(map[string]any))
		if err := unstructured.SetNestedSlice(c.Object, cs, "spec", "template", "spec", "containers"); err != nil {
			t.Fatal(err)
		}
		out[i], found = c, true
	}
	if !found {
		t.Fatalf("no DaemonSet/%s/%s in the example fleet", rolloutNS, rolloutName)
	}
	return out
}

// withImageTag retags the agent's image.
func withImageTag(t *testing.T, objs []*unstructured.Unstructured, tag string) []*unstructured.Unstructured {
	t.Helper()
	return withAgent(t, objs, func(c map[string]any) {
		img := c["image"].(string)
		c["image"] = img[:strings.LastIndex(img, ":")+1] + tag
	})
}

// memberImage reads the agent's image on a member cluster.
func memberImage(ctx context.Context, t *testing.T, cluster string) (string, int64) {
	t.Helper()
	c, err := env.fleet.Client(cluster)
	if err != nil {
		t.Fatal(err)
	}
	ds := &appsv1.DaemonSet{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: rolloutNS, Name: rolloutName}, ds); err != nil {
		return "", 0
	}
	return ds.Spec.Template.Spec.Containers[0].Image, ds.Generation
}

func hasTag(image, tag string) bool { return strings.HasSuffix(image, ":"+tag) }

// waitImage waits until the agent on a member runs an image with the tag.
func waitImage(ctx context.Context, t *testing.T, cluster, tag string) {
	t.Helper()
	var img string
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		img, _ = memberImage(ctx, t, cluster)
		return hasTag(img, tag), nil
	})
	if err != nil {
		t.Fatalf("%s: agent image %q, want tag %s: %v", cluster, img, tag, err)
	}
}

// markHealthy writes, on a member cluster, the status a kubelet and the
// workload controllers would report once every pod of the current spec is
// available: the suite's workload stand-in (standinOnce), run
// until a pass finds every status as wanted (Karmada may update a copy
// between the list and the write). The members have no nodes that run
// pods (no kubelet can run here); Karmada then reads the status and
// judges health with its own interpreter.
func markHealthy(ctx context.Context, t *testing.T, cluster string) {
	t.Helper()
	c, err := env.fleet.Client(cluster)
	if err != nil {
		t.Fatal(err)
	}
	var last error
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		n, err := standinOnce(ctx, c, 2)
		last = err
		return err == nil && n == 0, nil
	}); err != nil {
		t.Fatalf("%s: workloads' ready status: %v (last: %v)", cluster, err, last)
	}
}

// agentTargets returns the agent's clusters by wave, from its binding.
func agentTargets(ctx context.Context, t *testing.T, host client.Client, waves []rollout.Wave) map[int32][]string {
	t.Helper()
	tcs, ok, err := waitScheduled(ctx, host, "DaemonSet", rolloutNS, rolloutName)
	if err != nil || !ok {
		t.Fatalf("agent not scheduled: %v", err)
	}
	out := map[int32][]string{}
	for _, tc := range tcs {
		for _, w := range waves {
			if slices.Contains(w.Clusters, tc.Name) {
				out[w.Wave] = append(out[w.Wave], tc.Name)
			}
		}
	}
	return out
}

// heldWork reads the Work Karmada keeps for the agent on a held cluster.
func heldWork(ctx context.Context, t *testing.T, host client.Client, cluster string) *workv1alpha1.Work {
	t.Helper()
	w := &workv1alpha1.Work{}
	key := client.ObjectKey{Namespace: names.GenerateExecutionSpaceName(cluster), Name: names.GenerateWorkName("DaemonSet", rolloutName, rolloutNS)}
	if err := host.Get(ctx, key, w); err != nil {
		t.Fatalf("Work for %s: %v", cluster, err)
	}
	return w
}

// TestRolloutWaves rolls an image bump of the eBPF agent out over the
// example fleet's three waves on the real Karmada control plane: later
// waves keep the old image until promoted, an unhealthy wave blocks
// promotion, pause blocks it too, and abort returns the released wave to
// the previous revision without touching held clusters.
func TestRolloutWaves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	host := karmadaClient(t)
	plane, base, clusters, waves := exampleRollout()
	if len(waves) != 3 {
		t.Fatalf("the example fleet has %d waves, the test needs 3", len(waves))
	}
	opts := rollout.Options{Client: host, Yes: true, Timeout: 90 * time.Second, Progress: func(s string) { t.Log("rollout:", s) }}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer ccancel()
		// Leave the fleet as the other tests expect it: the example fleet
		// applied, no gate, no recorded rollout.
		if _, err := apply.Run(cctx, apply.Options{Client: host, Objects: base, Yes: true}); err != nil {
			t.Errorf("cleanup: re-apply the example fleet: %v", err)
		}
		for _, p := range rollout.PoliciesOf(base) {
			u := &unstructured.Unstructured{}
			u.SetAPIVersion(policyv1alpha1.SchemeGroupVersion.String())
			u.SetKind(p.Kind)
			u.SetNamespace(p.Namespace)
			u.SetName(p.Name)
			u.Object["spec"] = map[string]any{"suspension": map[string]any{"dispatchingOnClusters": map[string]any{"clusterNames": []any{}}}}
			if err := host.Patch(cctx, u, client.Apply, client.FieldOwner(rollout.FieldManager), client.ForceOwnership); err != nil {
				t.Errorf("cleanup: lift the gate from %s: %v", p, err)
			}
		}
		_ = host.Delete(cctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: rollout.StateNamespace, Name: rollout.StateName}})
	})

	// The fleet runs the example (v0.35.0 of the agent), healthy everywhere.
	if _, err := apply.Run(ctx, apply.Options{Client: host, Objects: base, Yes: true}); err != nil {
		t.Fatal(err)
	}
	targets := agentTargets(ctx, t, host, waves)
	for _, w := range waves {
		if len(targets[w.Wave]) == 0 {
			t.Fatalf("the agent lands on no cluster of wave %d: %v", w.Wave, targets)
		}
	}
	first, second, third := targets[waves[0].Wave][0], targets[waves[1].Wave][0], targets[waves[2].Wave][0]
	for _, w := range waves {
		for _, cl := range targets[w.Wave] {
			waitImage(ctx, t, cl, "v0.35.0")
		}
	}
	for _, c := range clusters {
		markHealthy(ctx, t, c.Name)
	}

	head := withImageTag(t, base, "v0.36.0")
	res, err := rollout.Start(ctx, rollout.StartOptions{Options: opts, Plane: plane, Revision: "head-1", Previous: "base",
		Clusters: clusters, Objects: head, Soak: 0})
	if err != nil || res.Blocked != "" {
		t.Fatalf("start: %v %s", err, res.Blocked)
	}
	waitImage(ctx, t, first, "v0.36.0")
	// Give Karmada time to (wrongly) dispatch to held clusters, then check
	// it did not: the Work is updated and suspended, the member untouched.
	time.Sleep(3 * time.Second)
	for _, cl := range append(slices.Clone(targets[waves[1].Wave]), targets[waves[2].Wave]...) {
		if img, _ := memberImage(ctx, t, cl); !hasTag(img, "v0.35.0") {
			t.Errorf("held cluster %s runs %q before its wave is promoted", cl, img)
		}
	}
	w := heldWork(ctx, t, host, third)
	if w.Spec.SuspendDispatching == nil || !*w.Spec.SuspendDispatching || !bytes.Contains(w.Spec.Workload.Manifests[0].Raw, []byte("v0.36.0")) {
		t.Errorf("the Work for held %s: suspendDispatching %v, holds the new image %v", third, w.Spec.SuspendDispatching, bytes.Contains(w.Spec.Workload.Manifests[0].Raw, []byte("v0.36.0")))
	}

	// Wave 1 runs the new template but is not healthy yet: blocked.
	res, err = rollout.Promote(ctx, rollout.PromoteOptions{Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Blocked, "wave 1 is not healthy") {
		t.Fatalf("promote before wave 1 is healthy: blocked %q, steps %v", res.Blocked, res.Steps)
	}
	for _, cl := range targets[waves[0].Wave] {
		markHealthy(ctx, t, cl)
	}
	res, err = rollout.Promote(ctx, rollout.PromoteOptions{Options: opts, Wait: true})
	if err != nil || res.Blocked != "" || res.State.Current != waves[1].Wave {
		t.Fatalf("promote to wave 2: %v, blocked %q", err, res.Blocked)
	}
	for _, cl := range targets[waves[1].Wave] {
		waitImage(ctx, t, cl, "v0.36.0")
	}

	// Wave 2 is released but unhealthy: promotion to wave 3 is refused and
	// wave 3 keeps the old image.
	res, err = rollout.Promote(ctx, rollout.PromoteOptions{Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Blocked, "wave 2 is not healthy") {
		t.Fatalf("promote with wave 2 unhealthy: blocked %q, steps %v", res.Blocked, res.Steps)
	}
	t.Logf("blocked as expected: %s", res.Blocked)
	if img, _ := memberImage(ctx, t, third); !hasTag(img, "v0.35.0") {
		t.Errorf("wave-3 cluster %s runs %q while wave 2 is unhealthy", third, img)
	}
	// The CLI shows the same, and exits 1 (blocked).
	var out, errOut bytes.Buffer
	kubeconfig := env.fleet.Kubeconfig
	code := cli.Run(ctx, []string{"rollout", "status", "--kubeconfig", kubeconfig, "--context", "karmada-apiserver"}, cli.IO{Out: &out, ErrOut: &errOut})
	if code != 0 || !strings.Contains(out.String(), "current, not healthy") || !strings.Contains(out.String(), "DaemonSet/"+rolloutNS+"/"+rolloutName+" on "+second) {
		t.Errorf("rollout status: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	t.Logf("flotilla rollout status:\n%s", out.String())

	// Pause blocks promotion even once the wave is healthy.
	if _, err := rollout.SetPaused(ctx, opts, true, "investigating"); err != nil {
		t.Fatal(err)
	}
	for _, cl := range targets[waves[1].Wave] {
		markHealthy(ctx, t, cl)
	}
	if res, err = rollout.Promote(ctx, rollout.PromoteOptions{Options: opts}); err != nil || !strings.Contains(res.Blocked, "paused") {
		t.Fatalf("promote while paused: %v, blocked %q", err, res.Blocked)
	}
	if _, err := rollout.SetPaused(ctx, opts, false, ""); err != nil {
		t.Fatal(err)
	}
	res, err = rollout.Promote(ctx, rollout.PromoteOptions{Options: opts, Wait: true})
	if err != nil || res.Blocked != "" || res.State.Current != waves[2].Wave {
		t.Fatalf("promote to wave 3: %v, blocked %q", err, res.Blocked)
	}
	assertNoGate(ctx, t, host, base)
	for _, cl := range targets[waves[2].Wave] {
		waitImage(ctx, t, cl, "v0.36.0")
		markHealthy(ctx, t, cl)
	}
	res, err = rollout.Promote(ctx, rollout.PromoteOptions{Options: opts, Wait: true})
	if err != nil || res.Blocked != "" || res.State.Phase != rollout.Completed {
		t.Fatalf("complete: %v, blocked %q, phase %s", err, res.Blocked, res.State.Phase)
	}

	// A second rollout is aborted at wave 1: the released cluster returns
	// to v0.36.0; the spec on held clusters never changes (their
	// generation stays: no pod was ever rolled there). Karmada does rewrite
	// their copies' metadata once the gate lifts, as the template's
	// generation annotation moved on.
	head2 := withImageTag(t, base, "v0.37.0")
	if res, err = rollout.Start(ctx, rollout.StartOptions{Options: opts, Plane: plane, Revision: "head-2", Previous: "head-1", Clusters: clusters, Objects: head2}); err != nil || res.Blocked != "" {
		t.Fatalf("start 2: %v %s", err, res.Blocked)
	}
	waitImage(ctx, t, first, "v0.37.0")
	_, genSecond := memberImage(ctx, t, second)
	_, genThird := memberImage(ctx, t, third)
	if res, err = rollout.Abort(ctx, rollout.AbortOptions{Options: opts, Previous: head}); err != nil || res.Blocked != "" || res.State.Phase != rollout.Aborted {
		t.Fatalf("abort: %v, blocked %q", err, res.Blocked)
	}
	waitImage(ctx, t, first, "v0.36.0")
	assertNoGate(ctx, t, host, base)
	time.Sleep(3 * time.Second)
	for cl, gen := range map[string]int64{second: genSecond, third: genThird} {
		if img, now := memberImage(ctx, t, cl); now != gen || !hasTag(img, "v0.36.0") {
			t.Errorf("abort changed the spec on held cluster %s: image %q, generation %d -> %d", cl, img, gen, now)
		}
	}
	// Starting again while nothing is in progress is allowed; a start of
	// another revision during a rollout is refused.
	if res, err = rollout.Start(ctx, rollout.StartOptions{Options: opts, Plane: plane, Revision: "head-3", Previous: "head-1", Clusters: clusters, Objects: head}); err != nil || res.Blocked != "" {
		t.Fatalf("start 3: %v %s", err, res.Blocked)
	}
	if res, err = rollout.Start(ctx, rollout.StartOptions{Options: opts, Plane: plane, Revision: "head-4", Clusters: clusters, Objects: head}); err != nil || !strings.Contains(res.Blocked, "in progress") && !strings.Contains(res.Blocked, "progressing") {
		t.Fatalf("start during a rollout: %v, blocked %q", err, res.Blocked)
	}

	// Two promotes at once (two CI jobs on one schedule) against the real
	// API server: at most one releases wave 2; the other changes nothing
	// and says why (it lost the compare-and-swap, or it saw wave 2 already
	// released and not yet healthy); the recorded state and the gate on
	// every policy agree.
	waitImage(ctx, t, first, "v0.36.0")
	for _, cl := range targets[waves[0].Wave] {
		markHealthy(ctx, t, cl)
	}
	quiet := opts
	quiet.Progress = nil
	// Both start once Karmada has collected wave 1's health, so each
	// could release wave 2 on its own.
	if err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		st, err := rollout.StatusOf(ctx, quiet)
		if err != nil || st.Status == nil || len(st.Status.Waves) == 0 {
			return false, err
		}
		return st.Status.Waves[0].Ready(), nil
	}); err != nil {
		t.Fatalf("wave 1 never healthy before the race: %v", err)
	}
	type outcome struct {
		res *rollout.Result
		err error
	}
	outs := make([]outcome, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := rollout.Promote(ctx, rollout.PromoteOptions{Options: quiet})
			outs[i] = outcome{r, err}
		}()
	}
	wg.Wait()
	promoted := 0
	for i, o := range outs {
		switch {
		case o.err == nil && o.res.Blocked == "":
			promoted++
		case errors.Is(o.err, rollout.ErrConflict):
			t.Logf("promote %d lost the race: %v", i, o.err)
		case o.err == nil && strings.Contains(o.res.Blocked, "wave 2 is not healthy"):
			t.Logf("promote %d came second: %s", i, o.res.Blocked)
		default:
			t.Errorf("promote %d: %v, blocked %q", i, o.err, o.res.Blocked)
		}
	}
	if promoted != 1 {
		t.Fatalf("%d of two concurrent promotes released a wave, want exactly 1", promoted)
	}
	st, err := rollout.StatusOf(ctx, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if st.State.Current != waves[1].Wave {
		t.Errorf("after the race the state says wave %d, want %d", st.State.Current, waves[1].Wave)
	}
	held := map[string]bool{}
	for _, cl := range waves[2].Clusters {
		held[cl] = true
	}
	for _, p := range rollout.PoliciesOf(base) {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(policyv1alpha1.SchemeGroupVersion.String())
		u.SetKind(p.Kind)
		if err := host.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: p.Name}, u); err != nil {
			t.Fatal(err)
		}
		gate, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "suspension", "dispatchingOnClusters", "clusterNames")
		got := map[string]bool{}
		for _, cl := range gate {
			got[cl] = true
		}
		for cl := range held {
			if !got[cl] {
				t.Errorf("%s: wave-3 cluster %s is not held after the race (gate %v)", p, cl, gate)
			}
		}
		for cl := range got {
			if !held[cl] {
				t.Errorf("%s: %s is held after the race, but the state released its wave (gate %v)", p, cl, gate)
			}
		}
	}
}

// assertNoGate checks that no policy of the plane holds any cluster back.
func assertNoGate(ctx context.Context, t *testing.T, host client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, p := range rollout.PoliciesOf(objs) {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(policyv1alpha1.SchemeGroupVersion.String())
		u.SetKind(p.Kind)
		if err := host.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: p.Name}, u); err != nil {
			t.Fatal(err)
		}
		if held, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "suspension", "dispatchingOnClusters", "clusterNames"); len(held) > 0 {
			t.Errorf("%s still holds clusters back: %v", p, held)
		}
	}
	rb := &workv1alpha2.ResourceBinding{}
	if err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		err := host.Get(ctx, client.ObjectKey{Namespace: rolloutNS, Name: names.GenerateBindingName("DaemonSet", rolloutName)}, rb)
		return err == nil && (rb.Spec.Suspension == nil || rb.Spec.Suspension.DispatchingOnClusters == nil || len(rb.Spec.Suspension.DispatchingOnClusters.ClusterNames) == 0), nil
	}); err != nil {
		t.Errorf("the agent's binding still holds clusters back: %+v", rb.Spec.Suspension)
	}
}
