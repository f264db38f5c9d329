package pipeline_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/plan"
	"github.com/flotilla-gitops/flotilla/tools/render"
)

// divisionApp is web with a division over the on-demand cloud-a and the
// mixed cloud-b (Karpenter, from spotOverlay): per cluster, on-demand,
// spot, hedge and spot-only hedge replicas.
const divisionApp = `apiVersion: flotilla.io/v1alpha1
kind: App
metadata:
  name: web
spec:
  namespace: web
  placement:
    selector:
      matchLabels:
        env: prod
    tolerations:
      - key: example.com/dedicated
        operator: Exists
        effect: NoSchedule
    replicas:
      mode: Divided
      weights:
        - clusters: [cloud-a]
          weight: 3
        - clusters: [cloud-b]
          weight: 5
    failover:
      afterSeconds: 120
  overrides:
    - name: us
      target:
        clusters: [cloud-b]
      containers:
        - name: web
          env:
            - name: REGION
              value: us-east-1
  spot:
    allowed: true
    objective:
      minReady: 5
      availability: "99.9"
      maxClusterPercent: 80
      onDemandFloor: 2
      maxHedge: 3
    division:
      - cluster: cloud-a
        onDemand: 2
        hedge: 1
      - cluster: cloud-b
        onDemand: 1
        spot: 2
        hedge: 1
        hedgeSpotOnly: 1
  backup:
    schedule: "0 */4 * * *"
    ttl: 72h
    rpo: 8h
`

// divisionDeployment is web's Deployment with node affinity of its own:
// two ORed required terms (one CPU architecture or the other) and a
// preference, which the division must keep.
const divisionDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 6
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: kubernetes.io/arch, operator: In, values: [amd64]}
              - matchExpressions:
                  - {key: kubernetes.io/arch, operator: In, values: [arm64]}
                  - {key: example.com/arm-ready, operator: Exists}
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 10
              preference:
                matchExpressions:
                  - {key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}
      containers:
        - name: web
          image: registry.example.com/web:1.2.3
          resources:
            requests: {cpu: 500m, memory: 256Mi}
            limits: {cpu: "1", memory: 512Mi}
`

// want is the division per variant and cluster, as divisionApp says.
var wantDivision = map[string]map[string]int32{
	"web":           {"cloud-a": 1, "cloud-b": 3}, // spot + hedge
	"web-on-demand": {"cloud-a": 2, "cloud-b": 1},
	"web-spot-only": {"cloud-b": 1},
}

// divisionFleet is the minimal fleet with spot capacity on cloud-b and
// web divided.
func divisionFleet(t *testing.T) string {
	t.Helper()
	root := copyTree(t, minimalFleet)
	for p, data := range map[string]string{
		"clusters/cloud-b.yaml":              spotOverlay["clusters/cloud-b.yaml"],
		"apps/web/app.yaml":                  divisionApp,
		"apps/web/manifests/deployment.yaml": divisionDeployment,
	} {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestSpotDivisionRender renders a division as its three workloads and
// checks them with the engines' own code: Karmada's scheduler gives each
// cluster exactly its count of each, Karmada's selector matching claims
// each for its own policy, Karmada's overrides reach all three, and the
// Kubernetes scheduler's node affinity keeps each on its capacity.
func TestSpotDivisionRender(t *testing.T) {
	eng := sharedEngine(t)
	ctx := context.Background()
	r := renderValid(ctx, t, eng, divisionFleet(t))
	byRef := map[string]*render.Object{}
	var policies []*policyv1alpha1.PropagationPolicy
	for _, o := range r.Output.Objects {
		if !o.Template() {
			continue
		}
		byRef[o.Ref()] = o
		if o.Object.GetKind() == policyv1alpha1.ResourceKindPropagationPolicy && o.Object.GetNamespace() == "web" {
			pp := &policyv1alpha1.PropagationPolicy{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object.Object, pp); err != nil {
				t.Fatal(err)
			}
			policies = append(policies, pp)
		}
	}
	get := func(ref string) *render.Object {
		t.Helper()
		o := byRef[ref]
		if o == nil {
			t.Fatalf("%s was not rendered", ref)
		}
		return o
	}
	divisionLine := lineOf(t, divisionApp, "    division:")

	for name, counts := range wantDivision {
		o := get("Deployment/web/" + name)
		var total int64
		for _, n := range counts {
			total += int64(n)
		}
		if got, _, _ := unstructured.NestedInt64(o.Object.Object, "spec", "replicas"); got != total {
			t.Errorf("%s: %d replicas, want %d", name, got, total)
		}
		// Karmada claims each Deployment for the one policy whose
		// selectors match it most specifically (pkg/detector picks the
		// highest ResourceMatchSelectorsPriority): its own, by name, and
		// no other policy of the namespace matches it at all.
		var claims []string
		for _, pp := range policies {
			if p := karmadautil.ResourceMatchSelectorsPriority(o.Object, pp.Spec.ResourceSelectors...); p > karmadautil.PriorityMisMatch {
				claims = append(claims, fmt.Sprintf("%s (priority %d)", pp.Name, p))
			}
		}
		wantPolicy := "web"
		if name != "web" {
			wantPolicy = name
		}
		if want := []string{fmt.Sprintf("%s (priority %d)", wantPolicy, karmadautil.PriorityMatchName)}; !slices.Equal(claims, want) {
			t.Errorf("%s is matched by %v, want %v", name, claims, want)
		}
		if name == "web" {
			continue
		}
		capacity := strings.TrimPrefix(name, "web-")
		// Variants come from the division: findings about them point there.
		if o.Origin.File != "apps/web/app.yaml" || o.Origin.Line != divisionLine {
			t.Errorf("%s: origin %s:%d, want apps/web/app.yaml:%d", name, o.Origin.File, o.Origin.Line, divisionLine)
		}
		sel, _, _ := unstructured.NestedStringMap(o.Object.Object, "spec", "selector", "matchLabels")
		tmpl, _, _ := unstructured.NestedStringMap(o.Object.Object, "spec", "template", "metadata", "labels")
		if sel[render.LabelCapacity] != capacity || tmpl[render.LabelCapacity] != capacity || tmpl["app.kubernetes.io/name"] != "web" {
			t.Errorf("%s: selector %v, pod labels %v; want %s=%s on both and the app's labels kept", name, sel, tmpl, render.LabelCapacity, capacity)
		}
		pp := get("PropagationPolicy/web/" + name).Object
		pol := &policyv1alpha1.PropagationPolicy{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(pp.Object, pol); err != nil {
			t.Fatal(err)
		}
		if got := pol.Spec.Placement.ClusterAffinity.ClusterNames; !slices.Equal(got, slices.Sorted(maps.Keys(counts))) {
			t.Errorf("%s policy: clusters %v, want %v", name, got, slices.Sorted(maps.Keys(counts)))
		}
		if len(pol.Spec.Placement.ClusterTolerations) != 1 || pol.Spec.Placement.ClusterTolerations[0].Key != "example.com/dedicated" {
			t.Errorf("%s policy: tolerations %v, want the app's", name, pol.Spec.Placement.ClusterTolerations)
		}
		if f := pol.Spec.Failover; f == nil || f.Application == nil || *f.Application.DecisionConditions.TolerationSeconds != 120 || !pol.Spec.PropagateDeps {
			t.Errorf("%s policy: failover %+v, propagateDeps %v; want the app's failover and its dependencies", name, f, pol.Spec.PropagateDeps)
		}
	}
	// The main Deployment keeps its selector (immutable in a live cluster)
	// and its pods no capacity label.
	web := get("Deployment/web/web").Object
	if sel, _, _ := unstructured.NestedStringMap(web.Object, "spec", "selector", "matchLabels"); len(sel) != 1 {
		t.Errorf("web's selector changed: %v", sel)
	}
	if tmpl, _, _ := unstructured.NestedStringMap(web.Object, "spec", "template", "metadata", "labels"); tmpl[render.LabelCapacity] != "" {
		t.Errorf("web's pods are labelled %v", tmpl)
	}

	// Karmada's scheduler (with the webhook's defaults) gives every
	// cluster exactly its count of each workload; the Service, of no
	// replicas, goes wherever any of them runs.
	results, _, err := eng.PlaceWith(ctx, r, pipeline.PlaceRequest{Apps: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	placed := map[string]map[string]int32{}
	for _, res := range results {
		if res.Error != "" {
			t.Errorf("%s: %s", res.Object, res.Error)
		}
		got := map[string]int32{}
		for _, tc := range res.Targets {
			got[tc.Cluster] = tc.Replicas
		}
		placed[res.Object] = got
	}
	for name, counts := range wantDivision {
		if got := placed["Deployment/web/"+name]; !maps.Equal(got, counts) {
			t.Errorf("%s placed %v, want %v", name, got, counts)
		}
	}
	if got := slices.Sorted(maps.Keys(placed["Service/web/web"])); !slices.Equal(got, []string{"cloud-a", "cloud-b"}) {
		t.Errorf("Service placed on %v, want both clusters", got)
	}

	// As the members get them: Karmada's overrides (the app's override on
	// cloud-b) reach all three, and each copy has its cluster's count.
	side, _, err := eng.PlanSide(ctx, r, pipeline.SideOptions{Apps: []string{"web"}, Canonical: true})
	if err != nil {
		t.Fatal(err)
	}
	nodes := testNodes()
	for name, counts := range wantDivision {
		po := side.Objects[plan.Key("cp", "Deployment/web/"+name)]
		if po == nil {
			t.Fatalf("%s not in the plan", name)
		}
		if len(po.Members) != len(counts) {
			t.Errorf("%s lands on %d clusters, want %d", name, len(po.Members), len(counts))
		}
		for _, m := range po.Members {
			got, _, _ := unstructured.NestedInt64(m.Object.Object, "spec", "replicas")
			if got != int64(counts[m.Cluster]) {
				t.Errorf("%s on %s: %d replicas, want %d", name, m.Cluster, got, counts[m.Cluster])
			}
			env := containerEnv(t, m.Object)
			if want := m.Cluster == "cloud-b"; (env["REGION"] == "us-east-1") != want {
				t.Errorf("%s on %s: env %v; the override applies on cloud-b only", name, m.Cluster, env)
			}
			// Where the Kubernetes scheduler may put the pods, and which
			// nodes it prefers.
			pod := &corev1.Pod{}
			spec, _, _ := unstructured.NestedMap(m.Object.Object, "spec", "template", "spec")
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(spec, &pod.Spec); err != nil {
				t.Fatal(err)
			}
			var fits []string
			for _, n := range nodes {
				if ok, _ := nodeaffinity.GetRequiredNodeAffinity(pod).Match(n); ok {
					fits = append(fits, n.Name)
				}
			}
			want := map[string][]string{
				"web":           {"eks-on-demand", "eks-spot", "karpenter-on-demand", "karpenter-spot", "karpenter-spot-arm", "plain"},
				"web-on-demand": {"eks-on-demand", "karpenter-on-demand", "plain"},
				"web-spot-only": {"eks-spot", "karpenter-spot", "karpenter-spot-arm"},
			}[name]
			if !slices.Equal(fits, want) {
				t.Errorf("%s on %s fits nodes %v, want %v", name, m.Cluster, fits, want)
			}
		}
		if name != "web" {
			continue
		}
		pod := &corev1.Pod{}
		spec, _, _ := unstructured.NestedMap(po.Template.Object, "spec", "template", "spec")
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(spec, &pod.Spec); err != nil {
			t.Fatal(err)
		}
		terms, err := nodeaffinity.NewPreferredSchedulingTerms(pod.Spec.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
		if err != nil {
			t.Fatal(err)
		}
		scores := map[string]int64{}
		for _, n := range nodes {
			scores[n.Name] = terms.Score(n)
		}
		// Spot by either labeling scores 100 above on-demand; the
		// manifest's own zone preference still counts.
		if scores["karpenter-spot"] != scores["karpenter-on-demand"]+100 || scores["eks-spot"] != scores["eks-on-demand"]+100 || scores["karpenter-spot"] != 110 {
			t.Errorf("web's node preference scores %v: spot should score 100 above on-demand, plus the manifest's zone preference", scores)
		}
	}
	for _, name := range []string{"web", "web-on-demand", "web-spot-only"} {
		op := get("OverridePolicy/web/deployment-" + name).Object
		sels, _, _ := unstructured.NestedSlice(op.Object, "spec", "resourceSelectors")
		if len(sels) != 1 || sels[0].(map[string]any)["name"] != name {
			t.Errorf("OverridePolicy deployment-%s selects %v", name, sels)
		}
	}
}

// TestSpotDivisionLint lints the divided app: findings about a variant
// land on spec.spot.division, and the objective's rules leave a divided
// app to the cross-checks.
func TestSpotDivisionLint(t *testing.T) {
	eng := sharedEngine(t)
	ctx := context.Background()
	root := divisionFleet(t)
	r, err := eng.Render(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	pack, err := lint.LoadPack(pipeline.PolicySources("", nil)...)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.Lint(ctx, r, pipeline.LintOptions{Pack: pack})
	if err != nil {
		t.Fatal(err)
	}
	divisionLine := lineOf(t, divisionApp, "    division:")
	onVariants := 0
	for _, f := range rep.Findings {
		if f.Rule == "SPOT-008" || f.Rule == "SPOT-009" {
			t.Errorf("%s judged a divided app's object: %s %s", f.Rule, f.Object, f.Message)
		}
		if strings.HasPrefix(f.Object, "Deployment/web/web-") {
			onVariants++
			if f.File != "apps/web/app.yaml" || f.Line != divisionLine {
				t.Errorf("%s on %s lands at %s:%d, want apps/web/app.yaml:%d", f.Rule, f.Object, f.File, f.Line, divisionLine)
			}
		}
	}
	// The variants run on spot capacity without a PodDisruptionBudget:
	// SPOT-001 must have something to say about them.
	if onVariants == 0 {
		t.Errorf("no finding about the variants; findings: %v", rep.Findings)
	}
}

// TestSpotDivisionEdits renders divisions that leave variants out: a
// variant with no replicas anywhere is not rendered, nor its policies.
func TestSpotDivisionEdits(t *testing.T) {
	eng := sharedEngine(t)
	ctx := context.Background()
	root := divisionFleet(t)
	onDemandOnly := strings.Replace(divisionApp, `      - cluster: cloud-b
        onDemand: 1
        spot: 2
        hedge: 1
        hedgeSpotOnly: 1
`, `      - cluster: cloud-b
        onDemand: 3
`, 1)
	onDemandOnly = strings.Replace(onDemandOnly, "weight: 5", "weight: 3", 1)
	if err := os.WriteFile(filepath.Join(root, "apps/web/app.yaml"), []byte(onDemandOnly), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := eng.Render(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	for _, o := range r.Output.Objects {
		if o.Template() && o.App == "web" {
			refs[o.Ref()] = true
		}
	}
	for _, ref := range []string{"Deployment/web/web-spot-only", "PropagationPolicy/web/web-spot-only", "OverridePolicy/web/deployment-web-spot-only"} {
		if refs[ref] {
			t.Errorf("%s rendered for a division without spot-only hedges", ref)
		}
	}
	results, _, err := eng.PlaceWith(ctx, r, pipeline.PlaceRequest{Apps: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		got := map[string]int32{}
		for _, tc := range res.Targets {
			got[tc.Cluster] = tc.Replicas
		}
		switch res.Object {
		case "Deployment/web/web":
			if res.Replicas != 1 || !maps.Equal(got, map[string]int32{"cloud-a": 1}) {
				t.Errorf("web: %d replicas placed %v, want 1 on cloud-a", res.Replicas, got)
			}
		case "Deployment/web/web-on-demand":
			if !maps.Equal(got, map[string]int32{"cloud-a": 2, "cloud-b": 3}) {
				t.Errorf("web-on-demand placed %v", got)
			}
		}
	}
	findings, err := eng.Validate(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("finding: %s", f.Error())
	}
}

// testNodes are nodes as Karpenter, EKS managed node groups and a cluster
// that labels no capacity type (on-demand only) show them, of both CPU
// architectures and of one the manifest excludes.
func testNodes() []*corev1.Node {
	node := func(name string, labels map[string]string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	return []*corev1.Node{
		node("eks-on-demand", map[string]string{"kubernetes.io/arch": "amd64", "eks.amazonaws.com/capacityType": "ON_DEMAND"}),
		node("eks-spot", map[string]string{"kubernetes.io/arch": "amd64", "eks.amazonaws.com/capacityType": "SPOT"}),
		node("karpenter-on-demand", map[string]string{"kubernetes.io/arch": "amd64", "karpenter.sh/capacity-type": "on-demand", "topology.kubernetes.io/zone": "us-east-1a"}),
		node("karpenter-spot", map[string]string{"kubernetes.io/arch": "amd64", "karpenter.sh/capacity-type": "spot", "topology.kubernetes.io/zone": "us-east-1a"}),
		node("karpenter-spot-arm", map[string]string{"kubernetes.io/arch": "arm64", "example.com/arm-ready": "", "karpenter.sh/capacity-type": "spot"}),
		node("karpenter-spot-arm-unready", map[string]string{"kubernetes.io/arch": "arm64", "karpenter.sh/capacity-type": "spot"}),
		node("plain", map[string]string{"kubernetes.io/arch": "amd64"}),
		node("s390x-spot", map[string]string{"kubernetes.io/arch": "s390x", "karpenter.sh/capacity-type": "spot"}),
	}
}

// containerEnv is the env of a workload's first container.
func containerEnv(t *testing.T, u *unstructured.Unstructured) map[string]string {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	out := map[string]string{}
	if len(cs) == 0 {
		t.Fatalf("%s has no containers", u.GetName())
	}
	env, _ := cs[0].(map[string]any)["env"].([]any)
	for _, e := range env {
		m := e.(map[string]any)
		v, _ := m["value"].(string)
		out[m["name"].(string)] = v
	}
	return out
}

// lineOf is the 1-based line of the first line of text that starts with
// prefix.
func lineOf(t *testing.T, text, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}

// TestSpotDivisionPlanes divides web between clusters of two control
// planes: each plane's Karmada divides its own copies, so each copy holds
// the replicas of that plane's clusters, and a variant with none there is
// not rendered into it.
func TestSpotDivisionPlanes(t *testing.T) {
	eng := sharedEngine(t)
	ctx := context.Background()
	root := divisionFleet(t)
	edit := func(file, old, new string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(file))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), old) {
			t.Fatalf("%s has no %q", file, old)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("fleet.yaml", "    - name: cp\n", "    - name: cp\n    - name: us\n")
	edit("clusters/cloud-a.yaml", "  wave: 1\n", "  wave: 1\n  controlPlane: cp\n")
	edit("clusters/edge-x.yaml", "  wave: 2\n", "  wave: 2\n  controlPlane: cp\n")
	edit("clusters/cloud-b.yaml", "  wave: 2\n", "  wave: 2\n  controlPlane: us\n")
	r, err := eng.Render(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	replicas := map[string]map[string]int64{}   // plane → Deployment → replicas
	weights := map[string]map[string][]string{} // plane → policy → clusters weighted
	for _, o := range r.Output.Objects {
		if !o.Template() || o.App != "web" {
			continue
		}
		if replicas[o.Plane] == nil {
			replicas[o.Plane], weights[o.Plane] = map[string]int64{}, map[string][]string{}
		}
		switch o.Object.GetKind() {
		case "Deployment":
			replicas[o.Plane][o.Object.GetName()], _, _ = unstructured.NestedInt64(o.Object.Object, "spec", "replicas")
		case policyv1alpha1.ResourceKindPropagationPolicy:
			list, _, _ := unstructured.NestedSlice(o.Object.Object, "spec", "placement", "replicaScheduling", "weightPreference", "staticWeightList")
			for _, w := range list {
				names, _, _ := unstructured.NestedStringSlice(w.(map[string]any), "targetCluster", "clusterNames")
				weights[o.Plane][o.Object.GetName()] = append(weights[o.Plane][o.Object.GetName()], fmt.Sprintf("%s=%d", strings.Join(names, ","), w.(map[string]any)["weight"]))
			}
		}
	}
	wantReplicas := map[string]map[string]int64{
		"cp": {"web": 1, "web-on-demand": 2},
		"us": {"web": 3, "web-on-demand": 1, "web-spot-only": 1},
	}
	wantWeights := map[string]map[string][]string{
		"cp": {"web": {"cloud-a=1"}, "web-on-demand": {"cloud-a=2"}},
		"us": {"web": {"cloud-b=3"}, "web-on-demand": {"cloud-b=1"}, "web-spot-only": {"cloud-b=1"}},
	}
	for plane := range wantReplicas {
		if !maps.Equal(replicas[plane], wantReplicas[plane]) {
			t.Errorf("plane %s: Deployments %v, want %v", plane, replicas[plane], wantReplicas[plane])
		}
		if !maps.EqualFunc(weights[plane], wantWeights[plane], slices.Equal) {
			t.Errorf("plane %s: weights %v, want %v", plane, weights[plane], wantWeights[plane])
		}
	}
}
