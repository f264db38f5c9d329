package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/render"
)

// spotOverlay gives the minimal fleet spot capacity: cloud-b buys spot
// through Karpenter with an on-demand fall-back, web keeps an objective
// and scales by time of day, and a new app scales on
// Prometheus with KEDA.
var spotOverlay = map[string]string{
	"clusters/cloud-b.yaml": `apiVersion: flotilla.io/v1alpha1
kind: Cluster
metadata:
  name: cloud-b
  labels:
    env: prod
spec:
  kind: cloud
  provider: aws
  region: us-east-1
  zone: us-east-1a
  capacity:
    nodes: 10
    cpu: "160"
    memory: 640Gi
    type: mixed
    spotPercent: 50
  spot:
    autoscaler: karpenter
    minInstanceTypes: 3
    pools:
      - name: compute
        instanceTypes: [c6i.4xlarge, c6a.4xlarge, m6i.4xlarge, m6a.4xlarge]
        zones: [us-east-1a, us-east-1b]
        maxCPU: "640"
    onDemandFallback:
      maxCPU: "64"
    karpenter:
      disruptionBudget: "20%"
  kernel:
    version: 6.1.0
    btf: true
  kubernetesVersion: v1.31.3
  drPartner: cloud-a
  wave: 2
  access:
    context: cloud-b
`,
	"apps/web/app.yaml": `apiVersion: flotilla.io/v1alpha1
kind: App
metadata:
  name: web
spec:
  namespace: web
  placement:
    selector:
      matchLabels:
        env: prod
    replicas:
      mode: Divided
      weights:
        - clusters: [cloud-a]
          weight: 2
        - clusters: [cloud-b]
          weight: 1
  spot:
    allowed: true
    objective:
      minReady: 5
      availability: "99.9"
      maxClusterPercent: 80
      onDemandFloor: 2
      maxHedge: 2
  scaling:
    daily:
      - name: day
        schedule: "0 7 * * 1-5"
        timeZone: Europe/Dublin
        replicas: 9
      - name: night
        schedule: "0 20 * * *"
        replicas: 6
  backup:
    schedule: "0 */4 * * *"
    ttl: 72h
    rpo: 8h
`,
	"apps/api/app.yaml": `apiVersion: flotilla.io/v1alpha1
kind: App
metadata:
  name: api
spec:
  namespace: api
  placement:
    clusters: [cloud-a, cloud-b]
  spot:
    allowed: true
  scaling:
    metrics:
      minReplicas: 2
      maxReplicas: 20
      fallbackReplicas: 4
      prometheus:
        - serverAddress: http://prometheus.monitoring:9090
          query: sum(rate(http_requests_total{app="api"}[2m]))
          threshold: "50"
`,
	"apps/api/manifests/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
`,
}

// TestSpotRender renders spot capacity and scaling intent with the
// engines' types, validates the result against the engines' CRDs, and
// checks that Karmada's scheduler sends each cluster's NodePools to that
// cluster alone.
func TestSpotRender(t *testing.T) {
	eng := sharedEngine(t)
	ctx := context.Background()
	root := copyTree(t, minimalFleet)
	for p, data := range spotOverlay {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := renderValid(ctx, t, eng, root)
	byRef := map[string]*render.Object{}
	for _, o := range r.Output.Objects {
		if o.Template() {
			byRef[o.Ref()] = o
		}
	}
	get := func(ref string) *unstructured.Unstructured {
		t.Helper()
		o := byRef[ref]
		if o == nil {
			t.Fatalf("%s was not rendered", ref)
		}
		return o.Object
	}
	str := func(u *unstructured.Unstructured, fields ...string) string {
		s, _, _ := unstructured.NestedFieldNoCopy(u.Object, fields...)
		v, _ := s.(string)
		return v
	}
	num := func(u *unstructured.Unstructured, fields ...string) int64 {
		v, _, _ := unstructured.NestedFieldNoCopy(u.Object, fields...)
		switch n := v.(type) {
		case int64:
			return n
		case float64:
			return int64(n)
		}
		return -1
	}
	requirement := func(u *unstructured.Unstructured, key string) map[string]any {
		reqs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "requirements")
		for _, r := range reqs {
			if m := r.(map[string]any); m["key"] == key {
				return m
			}
		}
		t.Fatalf("%s: no requirement on %s", u.GetName(), key)
		return nil
	}
	values := func(m map[string]any) []string {
		var out []string
		for _, v := range m["values"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}

	spot := get("NodePool/cloud-b-spot-compute")
	onDemand := get("NodePool/cloud-b-on-demand")
	if got := values(requirement(spot, "karpenter.sh/capacity-type")); !slices.Equal(got, []string{"spot"}) {
		t.Errorf("spot pool capacity types %v", got)
	}
	if got := values(requirement(onDemand, "karpenter.sh/capacity-type")); !slices.Equal(got, []string{"on-demand"}) {
		t.Errorf("fall-back capacity types %v", got)
	}
	types := requirement(spot, "node.kubernetes.io/instance-type")
	if got := values(types); len(got) != 4 || types["minValues"] != int64(3) {
		t.Errorf("spot instance types %v, minValues %v; want the 4 declared, at least 3 per decision", got, types["minValues"])
	}
	// The fall-back buys the pools' types on demand, in the pools' zones.
	if got := values(requirement(onDemand, "node.kubernetes.io/instance-type")); !slices.Equal(got, []string{"c6a.4xlarge", "c6i.4xlarge", "m6a.4xlarge", "m6i.4xlarge"}) {
		t.Errorf("fall-back instance types %v", got)
	}
	if got := values(requirement(onDemand, "topology.kubernetes.io/zone")); !slices.Equal(got, []string{"us-east-1a", "us-east-1b"}) {
		t.Errorf("fall-back zones %v", got)
	}
	if ws, wo := num(spot, "spec", "weight"), num(onDemand, "spec", "weight"); ws <= wo {
		t.Errorf("spot pool weight %d is not above the fall-back's %d: Karpenter would not try spot first", ws, wo)
	}
	if got := str(spot, "spec", "limits", "cpu"); got != "640" {
		t.Errorf("spot pool CPU limit %q", got)
	}
	budgets, _, _ := unstructured.NestedSlice(spot.Object, "spec", "disruption", "budgets")
	if len(budgets) != 1 || budgets[0].(map[string]any)["nodes"] != "20%" {
		t.Errorf("disruption budgets %v", budgets)
	}
	if got := str(spot, "spec", "template", "spec", "nodeClassRef", "kind"); got != "EC2NodeClass" {
		t.Errorf("node class kind %q", got)
	}

	// Karmada's scheduler sends cloud-b's NodePools to cloud-b alone.
	results, _, err := eng.PlaceWith(ctx, r, pipeline.PlaceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	placed := 0
	for _, res := range results {
		if res.Kind != "NodePool" {
			continue
		}
		placed++
		if len(res.Targets) != 1 || res.Targets[0].Cluster != "cloud-b" {
			t.Errorf("%s lands on %v, want cloud-b only", res.Object, res.Targets)
		}
	}
	if placed != 2 {
		t.Errorf("%d NodePools placed, want 2", placed)
	}

	// web: its daily pattern is a CronFederatedHPA on the control plane.
	cron := get("CronFederatedHPA/web/web")
	if got := str(cron, "spec", "scaleTargetRef", "name"); got != "web" {
		t.Errorf("CronFederatedHPA targets %q", got)
	}
	rules, _, _ := unstructured.NestedSlice(cron.Object, "spec", "rules")
	if len(rules) != 2 || rules[0].(map[string]any)["timeZone"] != "Europe/Dublin" || rules[1].(map[string]any)["targetReplicas"] != int64(6) {
		t.Errorf("CronFederatedHPA rules %v", rules)
	}

	// api: a ScaledObject on every member the Deployment runs on, whose
	// replica counts Karmada then retains.
	so := get("ScaledObject/api/api")
	if num(so, "spec", "fallback", "replicas") != 4 || num(so, "spec", "maxReplicaCount") != 20 {
		t.Errorf("ScaledObject spec %v", so.Object["spec"])
	}
	triggers, _, _ := unstructured.NestedSlice(so.Object, "spec", "triggers")
	if len(triggers) != 1 || triggers[0].(map[string]any)["type"] != "prometheus" {
		t.Errorf("ScaledObject triggers %v", triggers)
	}
	if got := get("Deployment/api/api").GetLabels()["resourcetemplate.karmada.io/retain-replicas"]; got != "true" {
		t.Errorf("api Deployment retain-replicas label %q", got)
	}
	pp := get("PropagationPolicy/api/api-scaling")
	if got := str(pp, "spec", "placement", "replicaScheduling", "replicaSchedulingType"); got != "Duplicated" {
		t.Errorf("ScaledObject propagation %q, want Duplicated", got)
	}
}

// renderValid renders a fleet and fails the test on any schema finding.
func renderValid(ctx context.Context, t *testing.T, eng *pipeline.Engine, root string) *pipeline.Rendered {
	t.Helper()
	r, err := eng.Render(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := eng.Validate(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("finding: %s", f.Error())
	}
	return r
}
