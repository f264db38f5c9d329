package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha1 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	kubeedgeappsv1alpha1 "github.com/kubeedge/api/apis/apps/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/render"
)

// upLiving starts a living fleet of the example's clusters (the one
// `flotilla fleet up` starts): every member with the nodes its Cluster
// declares, run by kwok, a kube-scheduler and the workload controllers.
func upLiving(ctx context.Context, t *testing.T) *fleet.Fleet {
	t.Helper()
	hostCRDs, memberCRDs, err := cli.FleetCRDs()
	if err != nil {
		t.Fatal(err)
	}
	var members []*v1alpha1.Cluster
	for _, c := range env.rendered.Repo.Clusters {
		members = append(members, c.Cluster.DeepCopy())
	}
	var groups []*v1alpha1.EdgeGroup
	for _, g := range env.rendered.Repo.EdgeGroups {
		groups = append(groups, g.EdgeGroup.DeepCopy())
	}
	start := time.Now()
	f, err := fleet.Up(ctx, fleet.Options{
		StateDir: filepath.Join(t.TempDir(), "fleet"), Engines: env.engines, Members: members, EdgeGroups: groups,
		HostCRDs: hostCRDs, MemberCRDs: memberCRDs, Living: true, Tie: true,
		StorageClasses: fleet.StorageClassesOf(cli.PlaneObjects(env.rendered, env.rendered.Repo.Fleet.Spec.ControlPlanes[0].Name)),
	})
	if err != nil {
		t.Fatalf("living fleet up: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			keep := filepath.Join(os.TempDir(), fmt.Sprintf("flotilla-e2e-living-logs-%d", time.Now().Unix()))
			if err := os.Rename(filepath.Join(f.Dir, "logs"), keep); err == nil {
				t.Logf("the living fleet's logs are kept in %s", keep)
			}
		}
		if err := f.Down(); err != nil {
			t.Errorf("living fleet down: %v", err)
		}
	})
	rss, n := fleetRSS(f)
	t.Logf("living fleet of %d members up in %s: %d processes, %d MiB RSS", len(members), time.Since(start).Round(100*time.Millisecond), n, rss>>20)
	return f
}

// fleetRSS sums the resident memory of the fleet's processes.
func fleetRSS(f *fleet.Fleet) (bytes int64, processes int) {
	for _, c := range f.Components {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.PID))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				bytes += kb << 10
				processes++
			}
		}
	}
	return bytes, processes
}

// livingClient is a client of one cluster of a fleet that can read
// Karmada's clusters, policies and bindings.
func livingClient(t *testing.T, f *fleet.Fleet, cluster string) client.Client {
	t.Helper()
	cfg, err := f.RESTConfig(cluster)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fleet.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	for _, install := range []func(*runtime.Scheme) error{workv1alpha2.Install, workv1alpha1.Install, policyv1alpha1.Install} {
		if err := install(s); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLivingFleet: on a living fleet, Karmada reports the nodes and
// resources each member declares, from the members; after `flotilla apply
// --yes --wait` (as the README runs it), Karmada placed every workload
// where `flotilla place` predicts, every copy on every member has its pods
// scheduled, running and ready, and Karmada's resource interpreter judges
// each copy Healthy from that real status. Then the README's spot
// reclaims and spot drills.
//
// It has a fleet of its own but does not run in parallel with the rest:
// cli.Run sets klog's logger (process-wide), which the race detector
// caught racing with TestSchedulerFidelity's clients when they ran side by
// side.
func TestLivingFleet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	f := upLiving(ctx, t)
	host := livingClient(t, f, fleet.HostName)

	// Node and resource summaries come from the members' nodes.
	for _, c := range env.rendered.Repo.Clusters {
		var kc clusterv1alpha1.Cluster
		err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			if err := host.Get(ctx, client.ObjectKey{Name: c.Name}, &kc); err != nil {
				return false, nil
			}
			ns := kc.Status.NodeSummary
			return ns != nil && ns.ReadyNum == c.Spec.Capacity.Nodes, nil
		})
		if err != nil {
			t.Errorf("%s: Karmada's node summary %+v, the Cluster declares %d nodes", c.Name, kc.Status.NodeSummary, c.Spec.Capacity.Nodes)
			continue
		}
		if rs := kc.Status.ResourceSummary; rs == nil || rs.Allocatable.Cpu().Cmp(c.Spec.Capacity.CPU) != 0 || rs.Allocatable.Memory().Cmp(c.Spec.Capacity.Memory) != 0 {
			t.Errorf("%s: Karmada's resource summary %+v, the Cluster declares cpu %s memory %s", c.Name, rs, c.Spec.Capacity.CPU.String(), c.Spec.Capacity.Memory.String())
		}
	}

	// The README's apply, against this fleet.
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "KUBECONFIG" {
			return ""
		}
		return os.Getenv(k)
	}
	start := time.Now()
	code := cli.Run(ctx, []string{"apply", "--yes", "--wait", "--kubeconfig", f.Kubeconfig, "--repo", env.repo}, cli.IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: getenv})
	if code != 0 {
		t.Fatalf("flotilla apply --yes --wait: exit %d\n%s\n%s", code, lastLines(out.String(), 30), lastLines(errOut.String(), 30))
	}
	t.Logf("apply --yes --wait: every applied object ready after %s", time.Since(start).Round(time.Second))

	preview, _, err := env.engine.Place(ctx, env.rendered, "", place.Options{Alternatives: true})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range preview {
		ns, name := objectNamespaceName(p.Object)
		got, ok, err := waitScheduled(ctx, host, p.Kind, ns, name)
		if err != nil || !ok {
			if p.Error == "" {
				t.Errorf("%s: not scheduled (%v); the preview put it on %s", p.Object, err, targetsString(p.Targets, true))
			}
			continue
		}
		divided := p.Replicas > 0
		if !p.Agrees(fromBinding(got)) {
			t.Errorf("%s: preview %s, Karmada %s", p.Object, targetsString(p.Targets, divided), targetsString(fromBinding(got), divided))
		}
		switch p.Kind {
		case "Deployment", "StatefulSet", "DaemonSet":
		default:
			continue
		}
		for _, tc := range got {
			member := livingClient(t, f, tc.Name)
			if msg := workloadReady(ctx, member, p.Kind, ns, name); msg != "" {
				t.Errorf("%s on %s: %s", p.Object, tc.Name, msg)
				continue
			}
			checked++
		}
		if msg := bindingHealthy(ctx, host, p.Kind, ns, name); msg != "" {
			t.Errorf("%s: %s", p.Object, msg)
		}
	}
	if checked < 5 {
		t.Fatalf("only %d workload copies checked", checked)
	}
	t.Logf("%d workload copies running and ready where the preview put them", checked)
	checkNodeGroups(ctx, t, f)
	usedCapacity(ctx, t, host, preview)
	checkUsedCapacityFidelity(ctx, t, f)
	checkLivingRollout(ctx, t, f)
	checkSpotReclaim(ctx, t, f)
	checkSpotDrills(ctx, t, f)
}

// usedCapacity records where the offline preview (the intent's empty
// clusters) and a preview over the live clusters (their real summaries,
// with the running pods' requests allocated) part: the workloads whose
// division Karmada would now compute differently. The live summary must
// hold the allocated requests, else nothing would be learnt.
func usedCapacity(ctx context.Context, t *testing.T, host client.Client, offline []place.Result) {
	t.Helper()
	live, err := liveSnapshot(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	allocated := 0
	for _, c := range live {
		if rs := c.Status.ResourceSummary; rs != nil && !rs.Allocated.Cpu().IsZero() {
			allocated++
		}
	}
	if allocated == 0 {
		t.Fatalf("no live cluster summary holds the running pods' requests")
	}
	now, _, err := env.engine.PlaceOn(ctx, env.rendered, "", live, place.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byObject := map[string]place.Result{}
	for _, r := range now {
		byObject[r.Object] = r
	}
	var differ []string
	for _, r := range offline {
		n, ok := byObject[r.Object]
		if !ok || !r.Agrees(n.Targets) {
			differ = append(differ, fmt.Sprintf("%s: empty clusters %s, live %s", r.Object, targetsString(r.Targets, r.Replicas > 0), targetsString(n.Targets, n.Replicas > 0)))
		}
	}
	list := ""
	if len(differ) > 0 {
		list = ":\n  " + strings.Join(differ, "\n  ")
	}
	t.Logf("with the pods running, %d of %d clusters report allocated capacity; %d of %d previews change on the live clusters%s",
		allocated, len(live), len(differ), len(offline), list)
}

// checkSpotReclaim: `flotilla fleet reclaim` takes half of the mostly-spot
// cluster's spot nodes with a short notice; the nodes are gone, the
// inference service is ready again on the nodes left (kube-scheduler moves
// the evicted replicas), Karmada judges it Healthy again, and --restore
// brings the same nodes back Ready.
func checkSpotReclaim(ctx context.Context, t *testing.T, f *fleet.Fleet) {
	t.Helper()
	const cluster = "cloud-us-east-1-spot"
	member := livingClient(t, f, cluster)
	host := livingClient(t, f, fleet.HostName)
	countNodes := func() int {
		var nodes corev1.NodeList
		if err := member.List(ctx, &nodes); err != nil {
			t.Fatal(err)
		}
		return len(nodes.Items)
	}
	before := countNodes()
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		code := cli.Run(ctx, append(args, "--state", f.Dir, "--repo", env.repo), cli.IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: os.Getenv})
		if code != 0 {
			t.Fatalf("flotilla %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		}
		return out.String()
	}
	// The README's three commands, in order.
	preview := run("fleet", "reclaim", cluster, "--percent", "50")
	if !strings.Contains(preview, "preview: run with --yes") || !strings.Contains(preview, cluster+"-spot-compute-") {
		t.Errorf("reclaim preview:\n%s", preview)
	}
	if countNodes() != before {
		t.Fatalf("the preview took nodes away")
	}
	start := time.Now()
	out := run("fleet", "reclaim", cluster, "--percent", "50", "--notice", "10s", "--yes")
	terminated := time.Since(start)
	after := countNodes()
	if after >= before {
		t.Fatalf("%d nodes before the reclaim, %d after:\n%s", before, after, out)
	}
	if msg := workloadReady(ctx, member, "Deployment", "inference", "paddle-inference"); msg != "" {
		t.Errorf("paddle-inference on %s after the reclaim: %s", cluster, msg)
	}
	if msg := bindingHealthy(ctx, host, "Deployment", "inference", "paddle-inference"); msg != "" {
		t.Errorf("paddle-inference after the reclaim: %s", msg)
	}
	t.Logf("reclaim of %d of %d nodes: terminated after %s, paddle-inference ready again %s after the notice", before-after, before, terminated.Round(time.Second), time.Since(start).Round(time.Second))
	run("fleet", "reclaim", cluster, "--restore", "--yes")
	var member2 corev1.NodeList
	if err := wait.PollUntilContextTimeout(ctx, time.Second, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		if err := member.List(ctx, &member2); err != nil {
			return false, nil
		}
		ready := 0
		for _, n := range member2.Items {
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready == before, nil
	}); err != nil {
		t.Errorf("after --restore: %d nodes, want %d Ready", len(member2.Items), before)
	}
}

// checkNodeGroups: on every edge member, KubeEdge's NodeGroup controller
// labelled exactly the nodes the group selects (the nodes the edge
// overrides pin the group's pods to, apps.kubeedge.io/belonging-to) and
// reports each of them selected and Ready in the group's status.
func checkNodeGroups(ctx context.Context, t *testing.T, f *fleet.Fleet) {
	t.Helper()
	groups := 0
	for _, g := range env.rendered.Repo.EdgeGroups {
		for _, cluster := range g.Spec.Clusters {
			member := livingClient(t, f, cluster)
			var nodes corev1.NodeList
			if err := member.List(ctx, &nodes); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, n := range nodes.Items {
				if labels.SelectorFromSet(g.Spec.MatchLabels).Matches(labels.Set(n.Labels)) || slices.Contains(g.Spec.Nodes, n.Name) {
					want = append(want, n.Name)
				}
			}
			if len(want) == 0 {
				t.Errorf("%s: no node of group %s", cluster, g.Name)
				continue
			}
			var labelled, ready []string
			err := wait.PollUntilContextTimeout(ctx, time.Second, 60*time.Second, true, func(ctx context.Context) (bool, error) {
				labelled, ready = nil, nil
				var in corev1.NodeList
				if err := member.List(ctx, &in, client.MatchingLabels{render.LabelNodeGroupOf: g.Name}); err != nil {
					return false, nil
				}
				for _, n := range in.Items {
					labelled = append(labelled, n.Name)
				}
				var ng kubeedgeappsv1alpha1.NodeGroup
				u := &unstructured.Unstructured{}
				u.SetGroupVersionKind(kubeedgeappsv1alpha1.SchemeGroupVersion.WithKind("NodeGroup"))
				if err := member.Get(ctx, client.ObjectKey{Name: g.Name}, u); err != nil {
					return false, nil
				}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &ng); err != nil {
					return false, err
				}
				for _, st := range ng.Status.NodeStatuses {
					if st.SelectionStatus == kubeedgeappsv1alpha1.SucceededSelection && st.ReadyStatus == kubeedgeappsv1alpha1.NodeReady {
						ready = append(ready, st.NodeName)
					}
				}
				slices.Sort(labelled)
				slices.Sort(ready)
				return slices.Equal(labelled, want) && slices.Equal(ready, want), nil
			})
			if err != nil {
				t.Errorf("%s: group %s selects nodes %v; KubeEdge labelled %v and reports %v selected and Ready", cluster, g.Name, want, labelled, ready)
				continue
			}
			groups++
		}
	}
	if groups == 0 {
		t.Fatal("no edge group checked")
	}
	t.Logf("%d edge groups reconciled by KubeEdge's NodeGroup controller", groups)
}

// workloadReady says why a workload copy on a member is not ready with
// running pods ("" when it is).
func workloadReady(ctx context.Context, c client.Client, kind, ns, name string) string {
	var why string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		switch kind {
		case "Deployment":
			var d appsv1.Deployment
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &d); err != nil {
				why = err.Error()
				return false, nil
			}
			want := replicasOf(d.Spec.Replicas)
			why = fmt.Sprintf("%d of %d replicas ready", d.Status.ReadyReplicas, want)
			return d.Status.ObservedGeneration == d.Generation && d.Status.ReadyReplicas == want && d.Status.UpdatedReplicas == want, nil
		case "StatefulSet":
			var s appsv1.StatefulSet
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
				why = err.Error()
				return false, nil
			}
			want := replicasOf(s.Spec.Replicas)
			why = fmt.Sprintf("%d of %d replicas ready", s.Status.ReadyReplicas, want)
			return s.Status.ObservedGeneration == s.Generation && s.Status.ReadyReplicas == want, nil
		case "DaemonSet":
			var d appsv1.DaemonSet
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &d); err != nil {
				why = err.Error()
				return false, nil
			}
			why = fmt.Sprintf("%d of %d scheduled pods ready", d.Status.NumberReady, d.Status.DesiredNumberScheduled)
			return d.Status.ObservedGeneration == d.Generation && d.Status.DesiredNumberScheduled > 0 && d.Status.NumberReady == d.Status.DesiredNumberScheduled, nil
		}
		return true, nil
	})
	if err != nil {
		return why + podStates(ctx, c, ns)
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(ns)); err != nil {
		return err.Error()
	}
	running := 0
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning {
			running++
		}
	}
	if running == 0 {
		return "no pod running in " + ns + podStates(ctx, c, ns)
	}
	return ""
}

// podStates lists the pods of a namespace with their phase and, for
// pending ones, why the scheduler left them.
func podStates(ctx context.Context, c client.Client, ns string) string {
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(ns)); err != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "\n  pod %s: %s on %q", p.Name, p.Status.Phase, p.Spec.NodeName)
		for _, cond := range p.Status.Conditions {
			if cond.Status != corev1.ConditionTrue && cond.Message != "" {
				fmt.Fprintf(&b, " (%s: %s)", cond.Type, cond.Message)
			}
		}
	}
	return b.String()
}

// bindingHealthy waits until Karmada's aggregated status of a binding
// judges every copy Healthy ("" then).
func bindingHealthy(ctx context.Context, c client.Client, kind, ns, name string) string {
	var why string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		var items []workv1alpha2.AggregatedStatusItem
		if ns == "" {
			var l workv1alpha2.ClusterResourceBindingList
			if err := c.List(ctx, &l); err != nil {
				return false, nil
			}
			for _, b := range l.Items {
				if b.Spec.Resource.Kind == kind && b.Spec.Resource.Name == name {
					items = b.Status.AggregatedStatus
				}
			}
		} else {
			var l workv1alpha2.ResourceBindingList
			if err := c.List(ctx, &l, client.InNamespace(ns)); err != nil {
				return false, nil
			}
			for _, b := range l.Items {
				if b.Spec.Resource.Kind == kind && b.Spec.Resource.Name == name {
					items = b.Status.AggregatedStatus
				}
			}
		}
		var bad []string
		for _, it := range items {
			if it.Health != workv1alpha2.ResourceHealthy {
				bad = append(bad, it.ClusterName+"="+string(it.Health))
			}
		}
		why = fmt.Sprintf("Karmada's health of the copies: %v (of %d)", bad, len(items))
		return len(items) > 0 && len(bad) == 0, nil
	})
	if err != nil {
		return why
	}
	return ""
}
