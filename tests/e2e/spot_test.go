package e2e

import (
	"bytes"
	"context"
	"maps"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/place"
)

// TestRebalanceCarriedOutByKarmada: `flotilla spot rebalance --commit` on
// the example fleet and its checked-in signals, then `flotilla apply
// --yes` of the commit: the ResourceBindings Karmada's scheduler writes
// for the three workloads of paddle-inference's new division hold exactly
// the division's counts per cluster, and equal what the placement preview
// (`flotilla place`, Karmada's scheduler run offline) predicted for the
// committed repository.
func TestRebalanceCarriedOutByKarmada(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	repo := t.TempDir()
	if err := copyExample(repo); err != nil {
		t.Fatal(err)
	}
	gitEnv := []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=flotilla-e2e", "GIT_AUTHOR_EMAIL=e2e@example.invalid", "GIT_COMMITTER_NAME=flotilla-e2e", "GIT_COMMITTER_EMAIL=e2e@example.invalid"}
	for _, kv := range gitEnv {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "the example fleet"}} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	flotilla := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := cli.Run(ctx, append(args, "--repo", repo), cli.IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != 0 {
			t.Fatalf("flotilla %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		}
		return out.String()
	}
	plan := flotilla("spot", "rebalance", "--signals", filepath.Join(repo, "spot", "signals.yaml"), "--now", "2025-03-04T12:00:00Z", "--commit")
	t.Logf("flotilla spot rebalance --commit:\n%s", plan)
	if log, err := exec.Command("git", "-C", repo, "log", "-1", "--format=%B").Output(); err != nil || !strings.Contains(string(log), "Flotilla-Spot-Rebalance: paddle-inference") {
		t.Fatalf("no rebalance commit: %v\n%s", err, log)
	}

	// What the commit renders, and where Karmada's scheduler, offline,
	// puts each of its workloads.
	rendered, err := env.engine.Render(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	results, _, err := env.engine.PlaceWith(ctx, rendered, pipeline.PlaceRequest{Apps: []string{"paddle-inference"}})
	if err != nil {
		t.Fatal(err)
	}
	app := rendered.Repo.App("paddle-inference")
	if len(app.Spec.Spot.Division) == 0 {
		t.Fatal("the commit wrote no division")
	}
	want := map[string]map[string]int32{} // workload → cluster → replicas, from the division
	for _, d := range app.Spec.Spot.Division {
		for name, n := range map[string]int32{"paddle-inference": d.Spot + d.Hedge, "paddle-inference-on-demand": d.OnDemand, "paddle-inference-spot-only": d.HedgeSpotOnly} {
			if n > 0 {
				if want[name] == nil {
					want[name] = map[string]int32{}
				}
				want[name][d.Cluster] = n
			}
		}
	}
	predicted := map[string][]place.Target{}
	for _, r := range results {
		if r.Kind == "Deployment" {
			predicted[strings.TrimPrefix(r.Object, "Deployment/inference/")] = r.Targets
		}
	}

	// Apply the commit to the real control plane; clean up after: the
	// variants and their policies go, and the example fleet is applied
	// again for the tests that follow.
	host := karmadaClient(t)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer ccancel()
		plane := rendered.Repo.Fleet.Spec.ControlPlanes[0].Name
		example := map[string]bool{}
		for _, u := range cli.PlaneObjects(env.rendered, plane) {
			example[ref(u)] = true
		}
		for _, u := range cli.PlaneObjects(rendered, plane) {
			if !example[ref(u)] {
				if err := host.Delete(cctx, u.DeepCopy()); err != nil && !apierrors.IsNotFound(err) {
					t.Errorf("cleanup: delete %s: %v", ref(u), err)
				}
			}
		}
		applyExample(cctx, t)
	})
	flotilla("apply", "--yes", "--kubeconfig", env.fleet.Kubeconfig, "--context", "karmada-apiserver")

	for name, clusters := range want {
		// Karmada takes the commit in steps — the template's new replica
		// count is scheduled under the old weights before the policy's
		// new ones reach the binding — so a first Scheduled condition can
		// be an intermediate: wait (bounded) for the division, then judge
		// what Karmada holds.
		got := map[string]int32{}
		var last error
		_ = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
			tcs, ok, err := waitScheduled(ctx, host, "Deployment", "inference", name)
			if last = err; err != nil || !ok {
				return false, nil
			}
			got = map[string]int32{}
			for _, tc := range tcs {
				if tc.Replicas > 0 {
					got[tc.Name] = tc.Replicas
				}
			}
			return maps.Equal(got, clusters), nil
		})
		if len(got) == 0 {
			t.Fatalf("%s never scheduled: %v", name, last)
		}
		if !maps.Equal(got, clusters) {
			t.Errorf("%s: Karmada scheduled %v, the division says %v", name, got, clusters)
		}
		pred := map[string]int32{}
		for _, tg := range predicted[name] {
			if tg.Replicas > 0 {
				pred[tg.Cluster] = tg.Replicas
			}
		}
		if !maps.Equal(got, pred) {
			t.Errorf("%s: Karmada scheduled %v, flotilla's placement preview said %v", name, got, pred)
		}
		t.Logf("%s: %v (division and preview agree)", name, got)
	}
	if len(want) < 2 {
		t.Errorf("the example plan's division renders %d workload(s); the test expects the split into at least two", len(want))
	}
}

// ref names an object as Kind/ns/name.
func ref(u *unstructured.Unstructured) string {
	return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
}
