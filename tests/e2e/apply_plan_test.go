package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/apply"
	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/plan"
)

// editedExample copies the example fleet's intent and applies edits
// (file → old → new), failing when an old text is not found.
func editedExample(t *testing.T, edits map[string][2]string) string {
	t.Helper()
	dst := t.TempDir()
	for _, e := range []string{"fleet.yaml", "clusters", "apps", "edge", "backup"} {
		src := filepath.Join(repoRoot, e)
		if fi, err := os.Stat(src); err != nil {
			continue
		} else if fi.IsDir() {
			if err := os.CopyFS(filepath.Join(dst, e), os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for file, e := range edits {
		p := filepath.Join(dst, file)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), e[0]) {
			t.Fatalf("%s: %q not found", file, e[0])
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), e[0], e[1], 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestPlanMatchesTheFleetAfterApply runs first (go test runs files in name
// order, and this file sorts first): later tests stop members, evict and
// crash the scheduler, after which member copies can lag their bindings for
// minutes, and the comparison would measure that recovery, not the plan.
//
// TestPlanMatchesTheFleetAfterApply plans a change (more replicas, a new
// division weight, an image bump that edge overrides rewrite), applies the
// head to the real fleet, and compares the plan's head side — which
// clusters get each object, with how many replicas and which images —
// with what the member clusters really hold.
func TestPlanMatchesTheFleetAfterApply(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	host := karmadaClient(t)
	plane := env.rendered.Repo.Fleet.Spec.ControlPlanes[0].Name
	base := cli.PlaneObjects(env.rendered, plane)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer ccancel()
		if _, err := apply.Run(cctx, apply.Options{Client: host, Objects: base, Yes: true}); err != nil {
			t.Errorf("cleanup: re-apply the example fleet: %v", err)
		}
		// The next test compares bindings with a fresh preview: wait until
		// the scheduler has divided the example's 13 replicas again.
		if err := wait.PollUntilContextTimeout(cctx, 300*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			_, tcs, _, err := bindingOf(ctx, host, "Deployment", "inference", "paddle-inference")
			sum := int32(0)
			for _, tc := range tcs {
				sum += tc.Replicas
			}
			return err == nil && sum == 13, nil
		}); err != nil {
			t.Errorf("cleanup: paddle-inference not rescheduled back to 13 replicas: %v", err)
		}
	})
	if _, err := apply.Run(ctx, apply.Options{Client: host, Objects: base, Yes: true}); err != nil {
		t.Fatal(err)
	}
	dir := editedExample(t, map[string][2]string{
		"apps/paddle-inference/manifests/deployment.yaml": {"replicas: 13", "replicas: 21"},
		"apps/paddle-inference/app.yaml":                  {"weight: 2", "weight: 5"},
		"apps/ebpf-profiler/manifests/daemonset.yaml":     {"parca-agent:v0.35.0", "parca-agent:v0.36.1"},
	})
	head, err := env.engine.Render(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	_, current, err := env.engine.PlanSide(ctx, env.rendered, pipeline.SideOptions{Label: "base"})
	if err != nil {
		t.Fatal(err)
	}
	// The live scheduler keeps each binding's current assignment, which
	// earlier tests (failover, fidelity) may have moved away from the
	// intent's: the plan is given the live one, as it models the scheduler.
	for ref := range current {
		parts := strings.Split(ref, "/")
		ns, name := "", parts[len(parts)-1]
		if len(parts) == 3 {
			ns = parts[1]
		}
		if tcs, ok, err := waitScheduled(ctx, host, parts[0], ns, name); err == nil && ok {
			current[ref] = tcs
		}
	}
	side, _, err := env.engine.PlanSide(ctx, head, pipeline.SideOptions{Label: "head", Current: current})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apply.Run(ctx, apply.Options{Client: host, Objects: cli.PlaneObjects(head, plane), Yes: true}); err != nil {
		t.Fatal(err)
	}

	var clusters []string
	for _, c := range side.Clusters {
		clusters = append(clusters, c.Name)
	}
	members := map[string]client.Client{}
	for _, c := range clusters {
		if members[c], err = env.fleet.Client(c); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	for k, o := range side.Objects {
		// Namespaces reach every member through Karmada's namespace sync,
		// not through a binding; the plan models that, the test compares
		// the objects that bindings propagate.
		if o.Scope == plane && len(o.Members) > 0 && o.Template.GetKind() != "Namespace" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	compare := func(ctx context.Context) (mismatches []string, compared int) {
		for _, k := range keys {
			o := side.Objects[k]
			want := map[string]*plan.Member{}
			for i := range o.Members {
				want[o.Members[i].Cluster] = &o.Members[i]
			}
			for _, cl := range clusters {
				live := &unstructured.Unstructured{}
				live.SetGroupVersionKind(o.Template.GroupVersionKind())
				err := members[cl].Get(ctx, client.ObjectKey{Namespace: o.Template.GetNamespace(), Name: o.Template.GetName()}, live)
				m := want[cl]
				switch {
				case m == nil && err == nil:
					mismatches = append(mismatches, fmt.Sprintf("%s on %s: present, the plan says it does not land there", o.Ref, cl))
				case m != nil && err != nil:
					mismatches = append(mismatches, fmt.Sprintf("%s on %s: %v, the plan says it lands there", o.Ref, cl, err))
				case m != nil:
					compared++
					if d := memberDiff(o, m, live); d != "" {
						mismatches = append(mismatches, fmt.Sprintf("%s on %s: %s", o.Ref, cl, d))
					}
				}
			}
		}
		return mismatches, compared
	}
	// Karmada converges within seconds; the last comparison (with the
	// test's own context) is the one reported.
	_ = wait.PollUntilContextTimeout(ctx, time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		m, _ := compare(ctx)
		return len(m) == 0, nil
	})
	mismatches, compared := compare(ctx)
	if len(mismatches) > 0 {
		t.Fatalf("after 90 s the fleet still differs from the plan in %d place(s):\n%s", len(mismatches), strings.Join(mismatches, "\n"))
	}
	if compared < 40 {
		t.Fatalf("only %d (object, cluster) pairs compared", compared)
	}
	paddle := side.Objects[plan.Key(plane, "Deployment/inference/paddle-inference")]
	if paddle == nil {
		t.Fatal("paddle-inference is not in the plan")
	}
	var split []string
	for _, m := range paddle.Members {
		split = append(split, fmt.Sprintf("%s=%d", m.Cluster, m.Replicas))
	}
	t.Logf("plan equals the fleet on %d (object, cluster) pairs over %d clusters; paddle-inference 21 replicas: %s", compared, len(clusters), strings.Join(split, " "))
}

// memberDiff compares what the plan predicts for one cluster with the
// live copy: replicas (Karmada's division) and container images (after
// the cluster's overrides).
func memberDiff(o *plan.Object, m *plan.Member, live *unstructured.Unstructured) string {
	if o.Replicas > 0 {
		got, _, _ := unstructured.NestedInt64(live.Object, "spec", "replicas")
		if int32(got) != m.Replicas {
			return fmt.Sprintf("replicas %d, the plan says %d", got, m.Replicas)
		}
	}
	if w, g := images(m.Object), images(live); !slices.Equal(w, g) {
		return fmt.Sprintf("images %v, the plan says %v", g, w)
	}
	return ""
}

func images(u *unstructured.Unstructured) []string {
	var out []string
	for _, field := range []string{"containers", "initContainers"} {
		cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", field)
		for _, c := range cs {
			if m, ok := c.(map[string]any); ok {
				out = append(out, fmt.Sprint(m["image"]))
			}
		}
	}
	return out
}
