package overrides

import (
	"fmt"
	"reflect"
	"testing"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	"github.com/karmada-io/karmada/pkg/util/overridemanager"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"
)

const policiesYAML = `
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: edge-mirror}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  overrideRules:
  - targetCluster: {labelSelector: {matchLabels: {flotilla.io/kind: edge}}}
    overriders:
      imageOverrider: [{component: Registry, operator: replace, value: mirror.edge.local}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: east-replicas, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  overrideRules:
  - targetCluster: {clusterNames: [east]}
    overriders:
      plaintext: [{path: /spec/replicas, operator: replace, value: 7}]
  - targetCluster: {labelSelector: {matchLabels: {flotilla.io/kind: edge}}}
    overriders:
      labelsOverrider: [{operator: add, value: {site: edge}}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: elsewhere, namespace: other}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  overrideRules:
  - overriders:
      plaintext: [{path: /spec/replicas, operator: replace, value: 99}]
`

func objects(t *testing.T, docs string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, d := range splitYAML(docs) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(d), &u.Object); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func splitYAML(s string) []string {
	var out []string
	cur := ""
	for _, line := range append(splitLines(s), "---") {
		if line == "---" {
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += line + "\n"
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func clusters() []*clusterv1alpha1.Cluster {
	mk := func(name, kind string) *clusterv1alpha1.Cluster {
		return &clusterv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"flotilla.io/kind": kind}}}
	}
	return []*clusterv1alpha1.Cluster{mk("east", "cloud"), mk("west", "cloud"), mk("edge-1", "edge"), mk("edge-2", "edge")}
}

const web = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    spec:
      containers: [{name: app, image: registry.example.com/shop/web:1.2.3}]
`

func TestVariantsGroupClustersByTheRulesThatApply(t *testing.T) {
	a, err := New(objects(t, policiesYAML), clusters())
	if err != nil {
		t.Fatal(err)
	}
	obj := objects(t, web)[0]
	vs, err := a.Variants(obj, []string{"east", "edge-1", "west", "edge-2"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vs {
		c, _, _ := unstructured.NestedSlice(v.Object.Object, "spec", "template", "spec", "containers")
		replicas, _, _ := unstructured.NestedFieldNoCopy(v.Object.Object, "spec", "replicas")
		got[fmt.Sprint(v.Clusters)] = fmt.Sprintf("%v replicas=%v site=%s", c[0].(map[string]any)["image"], replicas, v.Object.GetLabels()["site"])
	}
	want := map[string]string{
		"[east]":          "registry.example.com/shop/web:1.2.3 replicas=7 site=",
		"[edge-1 edge-2]": "mirror.edge.local/shop/web:1.2.3 replicas=3 site=edge",
		"[west]":          "registry.example.com/shop/web:1.2.3 replicas=3 site=",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("variants:\n got %v\nwant %v", got, want)
	}
	if vs[2].Object != obj {
		t.Error("a cluster no rule matches should share the unchanged template")
	}
	if img, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers"); img[0].(map[string]any)["image"] != "registry.example.com/shop/web:1.2.3" {
		t.Error("the template was modified")
	}
	if _, err := a.Variants(obj, []string{"nowhere"}); err == nil {
		t.Error("an unknown cluster should be an error")
	}
}

// TestReaderMatchesTheFakeClient runs Karmada's override manager over the
// in-memory reader and over controller-runtime's fake client (what the
// manager was first given) and expects the same object on every cluster.
func TestReaderMatchesTheFakeClient(t *testing.T) {
	pols := objects(t, policiesYAML)
	cs := clusters()
	a, err := New(pols, cs)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := policyv1alpha1.Install(scheme); err != nil {
		t.Fatal(err)
	}
	if err := clusterv1alpha1.Install(scheme); err != nil {
		t.Fatal(err)
	}
	var stored []client.Object
	for _, c := range cs {
		stored = append(stored, c.DeepCopy())
	}
	for _, op := range a.ops {
		for i := range op {
			stored = append(stored, op[i].DeepCopy())
		}
	}
	for i := range a.cops {
		stored = append(stored, a.cops[i].DeepCopy())
	}
	ref := overridemanager.New(fake.NewClientBuilder().WithScheme(scheme).WithObjects(stored...).Build(), &record.FakeRecorder{})

	subjects := objects(t, web+"---\n"+`
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: other}
data: {a: b}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: other}
spec: {replicas: 1}
`)
	for _, obj := range subjects {
		for _, c := range cs {
			want, got := obj.DeepCopy(), obj.DeepCopy()
			_, _, errWant := ref.ApplyOverridePolicies(want, c.Name)
			_, _, errGot := a.mgr.ApplyOverridePolicies(got, c.Name)
			if (errWant == nil) != (errGot == nil) {
				t.Fatalf("%s/%s on %s: error %v, fake client: %v", obj.GetKind(), obj.GetName(), c.Name, errGot, errWant)
			}
			if !reflect.DeepEqual(want.Object, got.Object) {
				t.Errorf("%s/%s on %s:\n got %v\nwant %v", obj.GetKind(), obj.GetName(), c.Name, got.Object, want.Object)
			}
		}
	}
	if _, _, err := a.mgr.ApplyOverridePolicies(subjects[0].DeepCopy(), "nowhere"); err == nil {
		t.Error("an unknown cluster should be an error, as with the API server")
	}
}
