package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/rollout"
)

// withAgentCPU has the agent request (and be limited to) cpu CPUs: a
// change no node can hold when cpu is large.
func withAgentCPU(t *testing.T, objs []*unstructured.Unstructured, cpu string) []*unstructured.Unstructured {
	t.Helper()
	return withAgent(t, objs, func(c map[string]any) {
		res := c["resources"].(map[string]any)
		res["requests"].(map[string]any)["cpu"] = cpu
		res["limits"].(map[string]any)["cpu"] = cpu
	})
}

// agentRolledOut says, from a member's own DaemonSet status, whether
// every one of its nodes runs a ready agent of the current spec with the
// image tag ("" when so, else what is missing).
func agentRolledOut(ctx context.Context, c client.Client, tag string) string {
	var ds appsv1.DaemonSet
	if err := c.Get(ctx, client.ObjectKey{Namespace: rolloutNS, Name: rolloutName}, &ds); err != nil {
		return err.Error()
	}
	s := ds.Status
	switch {
	case !hasTag(ds.Spec.Template.Spec.Containers[0].Image, tag):
		return "runs " + ds.Spec.Template.Spec.Containers[0].Image
	case s.ObservedGeneration != ds.Generation || s.DesiredNumberScheduled == 0 ||
		s.UpdatedNumberScheduled != s.DesiredNumberScheduled || s.NumberReady != s.DesiredNumberScheduled || s.NumberAvailable != s.DesiredNumberScheduled:
		return fmt.Sprintf("%d of %d nodes updated, %d ready", s.UpdatedNumberScheduled, s.DesiredNumberScheduled, s.NumberReady)
	}
	return ""
}

// checkLivingRollout rolls the eBPF agent out over the living fleet's three
// waves, judged by real readiness: each promotion comes only once every
// pod of the wave's clusters runs the new spec and is ready (kwok's pods,
// the members' own DaemonSet controllers rolling 10 % of the nodes at a
// time). Then a change no node can hold (the agent asking for 64 CPUs):
// wave 1's pods stay Pending, promotion is refused on the wave's real
// health, later waves never see the change, and abort brings wave 1 back
// to the last good revision, running and ready.
func checkLivingRollout(ctx context.Context, t *testing.T, f *fleet.Fleet) {
	t.Helper()
	host := livingClient(t, f, fleet.HostName)
	plane, base, clusters, waves := exampleRollout()
	targets := agentTargets(ctx, t, host, waves)
	opts := rollout.Options{Client: host, Yes: true, Timeout: 3 * time.Minute}
	rolledOut := func(wave int32, tag string) string {
		var why []string
		for _, cl := range targets[wave] {
			if msg := agentRolledOut(ctx, livingClient(t, f, cl), tag); msg != "" {
				why = append(why, cl+": "+msg)
			}
		}
		return strings.Join(why, "; ")
	}

	start := time.Now()
	head := withImageTag(t, base, "v0.36.0")
	res, err := rollout.Start(ctx, rollout.StartOptions{Options: opts, Plane: plane, Revision: "living-1", Previous: "base", Clusters: clusters, Objects: head})
	if err != nil || res.Blocked != "" {
		t.Fatalf("start: %v %s", err, res.Blocked)
	}
	for _, w := range waves {
		res, err = rollout.Promote(ctx, rollout.PromoteOptions{Options: opts, Wait: true})
		if err != nil || res.Blocked != "" {
			t.Fatalf("promote past wave %d: %v, blocked %q", w.Wave, err, res.Blocked)
		}
		// Promoted: the wave had rolled out for real, on every node.
		if msg := rolledOut(w.Wave, "v0.36.0"); msg != "" {
			t.Errorf("wave %d promoted before it rolled out: %s", w.Wave, msg)
		}
	}
	if res.State.Phase != rollout.Completed {
		t.Fatalf("after promoting every wave: phase %s", res.State.Phase)
	}
	t.Logf("agent v0.36.0 rolled out over %d waves on real readiness in %s", len(waves), time.Since(start).Round(time.Second))

	// A change no node can hold: 64 CPUs, nodes have 16.
	bad := withAgentCPU(t, head, "64")
	if res, err = rollout.Start(ctx, rollout.StartOptions{Options: opts, Plane: plane, Revision: "living-2", Previous: "living-1", Clusters: clusters, Objects: bad}); err != nil || res.Blocked != "" {
		t.Fatalf("start the bad change: %v %s", err, res.Blocked)
	}
	// Wave 1's members take the new spec; their new pods find no node.
	first := targets[waves[0].Wave][0]
	var pending string
	if err := wait.PollUntilContextTimeout(ctx, time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		var ds appsv1.DaemonSet
		if err := livingClient(t, f, first).Get(ctx, client.ObjectKey{Namespace: rolloutNS, Name: rolloutName}, &ds); err != nil {
			return false, nil
		}
		pending = fmt.Sprintf("generation %d observed %d, %d unavailable", ds.Generation, ds.Status.ObservedGeneration, ds.Status.NumberUnavailable)
		return ds.Status.ObservedGeneration == ds.Generation && ds.Status.NumberUnavailable > 0, nil
	}); err != nil {
		t.Fatalf("%s never lost agents to the bad change: %s", first, pending)
	}
	res, err = rollout.Promote(ctx, rollout.PromoteOptions{Options: opts})
	if err != nil || !strings.Contains(res.Blocked, "wave 1 is not healthy") {
		t.Fatalf("promote with wave 1's new pods Pending: %v, blocked %q", err, res.Blocked)
	}
	t.Logf("blocked on real readiness: %s", res.Blocked)
	for _, w := range waves[1:] {
		if msg := rolledOut(w.Wave, "v0.36.0"); msg != "" {
			t.Errorf("held wave %d touched by the bad change: %s", w.Wave, msg)
		}
	}
	if res, err = rollout.Abort(ctx, rollout.AbortOptions{Options: opts, Previous: head}); err != nil || res.Blocked != "" || res.State.Phase != rollout.Aborted {
		t.Fatalf("abort: %v, blocked %q", err, res.Blocked)
	}
	var why string
	if err := wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		why = rolledOut(waves[0].Wave, "v0.36.0")
		return why == "", nil
	}); err != nil {
		t.Errorf("after abort wave 1 is not back on the last good revision: %s", why)
	}
	assertNoGate(ctx, t, host, base)
}
