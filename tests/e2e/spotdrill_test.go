package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/drill"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
)

// checkSpotDrills runs the README's two SpotReclaim drills, as committed,
// on the living fleet: every spot node of the mostly-spot cluster taken
// (paddle-inference recovers inside the cluster, on its on-demand nodes,
// never below the 12 ready replicas it requires), then all its nodes
// (the copy cannot recover there, and Karmada's application failover
// moves the replicas after the two minutes the app's failover intent
// gives). Each must pass, its report must tell the journey, and cleanup
// must leave the fleet as declared.
func checkSpotDrills(ctx context.Context, t *testing.T, f *fleet.Fleet) {
	t.Helper()
	const cluster = "cloud-us-east-1-spot"
	member := livingClient(t, f, cluster)
	host := livingClient(t, f, fleet.HostName)
	nodes := func() int {
		var l corev1.NodeList
		if err := member.List(ctx, &l); err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}
	before := nodes()
	run := func(name string) (*drill.Report, string) {
		t.Helper()
		dir := t.TempDir()
		var out, errOut bytes.Buffer
		start := time.Now()
		// The README's command; the fleet and repository are the test's.
		args := []string{"drill", "run", name, "--yes", "--kubeconfig", f.Kubeconfig, "--repo", env.repo, "--state", filepath.Join(dir, "state.json"), "--report-dir", dir}
		code := cli.Run(ctx, args, cli.IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: os.Getenv})
		if code != 0 {
			t.Fatalf("flotilla drill run %s --yes: exit %d\n%s\n%s", name, code, out.String(), lastLines(errOut.String(), 30))
		}
		data, err := os.ReadFile(filepath.Join(dir, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rep drill.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "timeline.svg")); err != nil {
			t.Error(err)
		}
		t.Logf("drill %s: %s\n%s", name, time.Since(start).Round(time.Second), out.String())
		if !rep.Passed || rep.Spot == nil || len(rep.Spot.Apps) != 1 {
			t.Fatalf("drill %s did not pass, or reports no spot record:\n%s", name, out.String())
		}
		if n := nodes(); n != before {
			t.Errorf("after drill %s's cleanup %s has %d nodes, had %d", name, cluster, n, before)
		}
		for _, want := range []string{"RTO (notice → every app at its required ready replicas)", "Where the ready replicas were", "Journey"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("drill %s's report lacks %q", name, want)
			}
		}
		return &rep, out.String()
	}
	readyOn := func(sr *drill.SpotRecord, after bool, source bool, capType string) int {
		places := sr.Before
		if after {
			places = sr.After
		}
		n := 0
		for _, p := range places {
			if (p.Cluster == cluster) == source && (capType == "" || p.CapacityType == capType) {
				n += p.Ready
			}
		}
		return n
	}

	// Every spot node: the replicas move to the cluster's on-demand nodes.
	rep, _ := run("spot-reclaim-us-east-1")
	sr := rep.Spot
	app := sr.Apps[0]
	spotNodes := 0
	for _, n := range sr.Nodes {
		if n.Labels["karpenter.sh/capacity-type"] == "spot" {
			spotNodes++
		}
	}
	if spotNodes != len(sr.Nodes) || spotNodes != sr.Matching || spotNodes == 0 {
		t.Errorf("took %d nodes (%d spot) of %d matching: want every spot node and only those", len(sr.Nodes), spotNodes, sr.Matching)
	}
	if app.Required != 12 || app.Desired != 13 || app.Lowest < 12 {
		t.Errorf("paddle-inference: required %d of %d, lowest %d; want 12 of 13 and never below 12", app.Required, app.Desired, app.Lowest)
	}
	if len(sr.Failovers) != 0 {
		t.Errorf("Karmada moved %+v: the cluster's on-demand nodes had room", sr.Failovers)
	}
	if got := readyOn(sr, true, true, "on-demand"); got != 2 || readyOn(sr, true, true, "spot") != 0 {
		t.Errorf("after the reclaim %d replicas ready on %s's on-demand nodes, want both: %+v", got, cluster, sr.After)
	}

	// All nodes: Karmada's failover moves the copy after the app's two minutes.
	rep, _ = run("spot-cluster-lost-us-east-1")
	sr = rep.Spot
	app = sr.Apps[0]
	if len(sr.Nodes) != before {
		t.Errorf("took %d of %d nodes, want all", len(sr.Nodes), before)
	}
	if app.Lowest >= 12 || len(sr.Journey) < 3 {
		t.Errorf("lowest %d ready, journey of %d changes: the copy on %s must have been lost", app.Lowest, len(sr.Journey), cluster)
	}
	if len(sr.Failovers) != 1 {
		t.Fatalf("Karmada's failovers off %s: %+v, want paddle-inference's", cluster, sr.Failovers)
	}
	fo := sr.Failovers[0]
	if fo.Reason != workv1alpha2.EvictionReasonApplicationFailure || fo.UnhealthyAt == nil || fo.EndedAt == nil {
		t.Fatalf("failover %+v: want an ApplicationFailure eviction, seen Unhealthy first, ended", fo)
	}
	// The app's failover intent: afterSeconds 120. The drill sees Karmada's
	// judgement within a poll of when Karmada's controller does.
	if d := fo.At.Sub(*fo.UnhealthyAt); d < 110*time.Second || d > 150*time.Second || app.FailoverAfter == nil || *app.FailoverAfter != 120*time.Second {
		t.Errorf("Karmada moved the copy %s after judging it Unhealthy (intent: %v)", d, app.FailoverAfter)
	}
	if got := readyOn(sr, true, true, ""); got != 0 || readyOn(sr, true, false, "") != 13 {
		t.Errorf("after the failover %d ready on %s and %d elsewhere, want 0 and 13: %+v", got, cluster, readyOn(sr, true, false, ""), sr.After)
	}
	if rep.RTO < 120*time.Second {
		t.Errorf("RTO %s: shorter than the failover toleration", rep.RTO)
	}
	// Cleanup had Karmada schedule the app as declared: two replicas on
	// the source again, running on its nodes.
	var rb workv1alpha2.ResourceBinding
	if err := host.Get(ctx, client.ObjectKey{Namespace: "inference", Name: names.GenerateBindingName("Deployment", "paddle-inference")}, &rb); err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(rb.Spec.Clusters, func(tc workv1alpha2.TargetCluster) bool { return tc.Name == cluster }); i < 0 || rb.Spec.Clusters[i].Replicas != 2 {
		t.Errorf("after the drill's cleanup Karmada places paddle-inference on %v, want 2 replicas on %s as declared", rb.Spec.Clusters, cluster)
	}
	if msg := workloadReady(ctx, member, "Deployment", "inference", "paddle-inference"); msg != "" {
		t.Errorf("paddle-inference on %s after the drill's cleanup: %s", cluster, msg)
	}
	if msg := bindingHealthy(ctx, host, "Deployment", "inference", "paddle-inference"); msg != "" {
		t.Errorf("paddle-inference after the drill's cleanup: %s", msg)
	}
}
