package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	argov1alpha1 "github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/render"
)

// perClusterFleet is the minimal test fleet with its control plane
// delivered per cluster.
func perClusterFleet(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("../../tests/fleets/minimal")); err != nil {
		t.Fatal(err)
	}
	fleet := filepath.Join(root, "fleet.yaml")
	data, err := os.ReadFile(fleet)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("    - name: cp\n"), []byte("    - name: cp\n      delivery: PerCluster\n"), 1)
	if err := os.WriteFile(fleet, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestPerClusterDelivery renders a control plane delivered per cluster:
// each member's folder holds what Karmada's placement and overrides give
// it, the ApplicationSet's RollingSync steps follow the cluster waves, and
// every Application lands on its member with its wave label.
func TestPerClusterDelivery(t *testing.T) {
	eng := sharedEngine(t)
	ctx := context.Background()
	r, err := eng.Render(ctx, perClusterFleet(t))
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]*render.Object{}
	templates := map[string]*render.Object{}
	for _, o := range r.Output.Objects {
		byPath[o.Path] = o
		if o.Template() {
			templates[o.Ref()] = o
		}
	}
	member := func(cluster, app, file string) *unstructured.Unstructured {
		t.Helper()
		o := byPath["rendered/cp/members/"+cluster+"/"+app+"/"+file]
		if o == nil {
			t.Fatalf("no %s for %s/%s", file, cluster, app)
		}
		if o.Member != cluster || o.Template() {
			t.Errorf("%s: Member %q, want %q", o.Path, o.Member, cluster)
		}
		return o.Object
	}

	// Divided replicas: the member copies carry Karmada's split, which
	// sums to the template's count.
	results, _, err := eng.Place(ctx, r, "web", place.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, tg := range results[0].Targets {
		got, _, _ := unstructured.NestedInt64(member(tg.Cluster, "web", "deployment-web.yaml").Object, "spec", "replicas")
		if got != int64(tg.Replicas) {
			t.Errorf("web on %s: %d replicas, Karmada gives it %d", tg.Cluster, got, tg.Replicas)
		}
		sum += got
	}
	if want, _, _ := unstructured.NestedInt64(templates["Deployment/web/web"].Object.Object, "spec", "replicas"); sum != want || len(results[0].Targets) != 2 {
		t.Errorf("member replicas sum to %d over %d clusters, want %d over 2", sum, len(results[0].Targets), want)
	}
	if _, ok := byPath["rendered/cp/members/edge-x/web/deployment-web.yaml"]; ok {
		t.Error("web must not land on edge-x (its placement leaves it out)")
	}

	// Overrides: the edge copy of the gateway has the edge group's mirror,
	// node selector and toleration; the template has none of them.
	gw := member("edge-x", "gateway", "daemonset-gateway.yaml")
	c, _, _ := unstructured.NestedSlice(gw.Object, "spec", "template", "spec", "containers")
	if img := c[0].(map[string]any)["image"]; img != "registry.x.example.com/gw:2.0.0" {
		t.Errorf("edge-x gateway image %v, want the edge mirror's", img)
	}
	if sel, _, _ := unstructured.NestedStringMap(gw.Object, "spec", "template", "spec", "nodeSelector"); sel["apps.kubeedge.io/belonging-to"] != "x-gateways" {
		t.Errorf("edge-x gateway node selector %v", sel)
	}
	tc, _, _ := unstructured.NestedSlice(templates["DaemonSet/edge-net/gateway"].Object.Object, "spec", "template", "spec", "containers")
	if img := tc[0].(map[string]any)["image"]; img != "registry.example.com/gw:2.0.0" {
		t.Errorf("the template was changed: %v", img)
	}
	// Namespaces reach every member, as Karmada's namespace sync does.
	member("cloud-a", "gateway", "namespace-edge-net.yaml")

	// The ApplicationSet: a RollingSync step per wave, lowest first.
	as := &argov1alpha1.ApplicationSet{}
	raw, err := templates["ApplicationSet/argocd/cp"].Object.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, as); err != nil {
		t.Fatal(err)
	}
	if as.Spec.Strategy == nil || as.Spec.Strategy.Type != "RollingSync" || as.Spec.Strategy.RollingSync == nil {
		t.Fatalf("strategy = %+v, want RollingSync", as.Spec.Strategy)
	}
	var steps []string
	for _, s := range as.Spec.Strategy.RollingSync.Steps {
		steps = append(steps, s.MatchExpressions[0].Key+" "+s.MatchExpressions[0].Operator+" "+strings.Join(s.MatchExpressions[0].Values, ","))
	}
	if want := []string{"flotilla.io/wave In 1", "flotilla.io/wave In 2"}; !slices.Equal(steps, want) {
		t.Errorf("steps %q, want %q", steps, want)
	}

	// The Applications Argo CD generates (expanded by Argo CD's own
	// ApplicationSet code): one per member folder, to that member, with
	// its wave.
	waves := map[string]string{"cloud-a": "1", "cloud-b": "2", "edge-x": "2"}
	var apps []string
	for _, o := range r.Output.Objects {
		if !o.Preview {
			continue
		}
		labels := o.Object.GetLabels()
		dest, _, _ := unstructured.NestedString(o.Object.Object, "spec", "destination", "name")
		src, _, _ := unstructured.NestedString(o.Object.Object, "spec", "source", "path")
		cl := labels["flotilla.io/cluster"]
		if dest != cl || labels["flotilla.io/wave"] != waves[cl] || src != "rendered/cp/members/"+cl+"/"+labels["flotilla.io/app"] {
			t.Errorf("Application %s: destination %q, wave %q, path %q", o.Object.GetName(), dest, labels["flotilla.io/wave"], src)
		}
		apps = append(apps, o.Object.GetName())
	}
	slices.Sort(apps)
	want := []string{"cp-cloud-a-gateway", "cp-cloud-a-platform", "cp-cloud-a-web", "cp-cloud-b-gateway", "cp-cloud-b-platform", "cp-cloud-b-web", "cp-edge-x-gateway", "cp-edge-x-platform", "cp-edge-x-web"}
	if !slices.Equal(apps, want) {
		t.Errorf("Applications %v, want %v", apps, want)
	}

	// The project lets Applications reach the members, not the plane.
	proj := templates["AppProject/argocd/fleet"].Object
	dests, _, _ := unstructured.NestedSlice(proj.Object, "spec", "destinations")
	var names []string
	for _, d := range dests {
		names = append(names, d.(map[string]any)["name"].(string))
	}
	if !slices.Equal(names, []string{"cloud-a", "cloud-b", "edge-x"}) {
		t.Errorf("project destinations %v", names)
	}

	// Schemas: the members' objects and the ApplicationSet validate.
	findings, err := eng.Validate(ctx, r)
	if err != nil || len(findings) != 0 {
		t.Errorf("validate: %v %v", findings, err)
	}

	// Plans and placement read the templates only: a member copy is never
	// scheduled again (it would be a duplicate of its template).
	all, _, err := eng.Place(ctx, r, "", place.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, res := range all {
		if seen[res.Object] {
			t.Errorf("%s placed twice", res.Object)
		}
		seen[res.Object] = true
	}
}

// TestPerClusterRenderIsStable renders the per-cluster fleet at several
// parallelisms: every byte must match (tie-breaks are settled
// canonically, member folders sorted).
func TestPerClusterRenderIsStable(t *testing.T) {
	requireDeterministicRender(t, perClusterFleet(t), 1, 4)
}
