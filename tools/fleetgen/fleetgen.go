package fleetgen

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Options size a synthetic fleet.
type Options struct {
	// Clusters is the number of member clusters (at least 4).
	Clusters int
	// Apps is the number of apps.
	Apps int
	// Seed makes the fleet reproducible.
	Seed uint64
}

var (
	providers = []string{"aws", "gcp", "azure"}
	regions   = map[string][]string{
		"aws":   {"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1"},
		"gcp":   {"europe-west4", "us-central1", "asia-east1"},
		"azure": {"westeurope", "eastus", "japaneast"},
	}
)

// cluster is the generator's view of one cluster.
type cluster struct {
	name, provider, region, zone, kind, capType string
	wave                                        int
	partner                                     string
	site                                        int // edge site index
}

// Generate writes a fleet into dir (which must not exist or be empty).
func Generate(dir string, o Options) error {
	if o.Clusters < 4 {
		return fmt.Errorf("a synthetic fleet needs at least 4 clusters, got %d", o.Clusters)
	}
	if o.Apps < 1 {
		return fmt.Errorf("a synthetic fleet needs at least 1 app, got %d", o.Apps)
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	w := &writer{dir: dir}
	w.file("fleet.yaml", `apiVersion: flotilla.io/v1alpha1
kind: Fleet
metadata:
  name: synthetic
spec:
  repoURL: https://git.example.com/platform/synthetic-fleet.git
  controlPlanes:
    - name: karmada-synthetic
`)
	w.file("backup/locations/default.yaml", `apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata:
  name: default
  namespace: velero
spec:
  provider: aws
  default: true
  objectStorage:
    bucket: synthetic-backups
  config:
    region: eu-west-1
`)
	// One cluster in five is an edge cluster; edge sites group ten of them.
	nEdge := o.Clusters / 5
	nCloud := o.Clusters - nEdge
	var clusters []cluster
	for i := 0; i < nCloud; i++ {
		p := providers[i%len(providers)]
		rs := regions[p]
		r := rs[(i/len(providers))%len(rs)]
		c := cluster{name: fmt.Sprintf("cloud-%04d", i), provider: p, region: r, zone: r + string(rune('a'+i%3)), kind: "cloud", wave: 1 + i%3}
		switch {
		case i%7 == 3:
			c.capType = "spot"
		case i%4 == 1:
			c.capType = "mixed"
		default:
			c.capType = "on-demand"
		}
		clusters = append(clusters, c)
	}
	// DR partner: the next cloud cluster in another region.
	for i := range clusters {
		for j := 1; j < len(clusters); j++ {
			p := clusters[(i+j)%len(clusters)]
			if p.region != clusters[i].region {
				clusters[i].partner = p.name
				break
			}
		}
	}
	for i := 0; i < nEdge; i++ {
		clusters = append(clusters, cluster{name: fmt.Sprintf("edge-%04d", i), provider: "onprem", region: fmt.Sprintf("site-%03d", i/10), zone: "line-1", kind: "edge", capType: "on-demand", wave: 2 + i%3, site: i / 10})
	}
	for _, c := range clusters {
		w.file(filepath.Join("clusters", c.name+".yaml"), clusterYAML(c, rng))
	}
	sites := (nEdge + 9) / 10
	for s := 0; s < sites; s++ {
		var members []string
		for _, c := range clusters {
			if c.kind == "edge" && c.site == s {
				members = append(members, c.name)
			}
		}
		w.file(filepath.Join("edge", fmt.Sprintf("site-%03d.yaml", s)), edgeGroupYAML(s, members))
	}
	for i := 0; i < o.Apps; i++ {
		writeApp(w, i, rng, sites)
	}
	return w.err
}

type writer struct {
	dir string
	err error
}

func (w *writer) file(rel, content string) {
	if w.err != nil {
		return
	}
	p := filepath.Join(w.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.err = err
		return
	}
	w.err = os.WriteFile(p, []byte(content), 0o644)
}

func clusterYAML(c cluster, rng *rand.Rand) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: flotilla.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: %s\n  labels:\n    tier: %s\n", c.name, []string{"core", "batch", "edge"}[map[string]int{"cloud": rng.IntN(2), "edge": 2}[c.kind]])
	fmt.Fprintf(&b, "spec:\n  kind: %s\n  provider: %s\n  region: %s\n  zone: %s\n", c.kind, c.provider, c.region, c.zone)
	nodes := 10 + rng.IntN(50)
	if c.kind == "edge" {
		nodes = 3 + rng.IntN(6)
		b.WriteString("  taints:\n    - key: flotilla.io/edge\n      effect: NoSchedule\n")
	}
	fmt.Fprintf(&b, "  capacity:\n    nodes: %d\n    cpu: \"%d\"\n    memory: %dGi\n    type: %s\n", nodes, nodes*16, nodes*64, c.capType)
	if c.capType == "mixed" {
		fmt.Fprintf(&b, "    spotPercent: %d\n", 20+rng.IntN(70))
	}
	btf := c.kind == "cloud" || rng.IntN(3) > 0
	kernel := "6.1.0"
	if !btf {
		kernel = "5.4.0"
	}
	fmt.Fprintf(&b, "  kernel:\n    version: %s\n    btf: %t\n  kubernetesVersion: v1.31.3\n", kernel, btf)
	if c.partner != "" {
		fmt.Fprintf(&b, "  drPartner: %s\n", c.partner)
	}
	fmt.Fprintf(&b, "  wave: %d\n  access:\n    context: %s\n", c.wave, c.name)
	return b.String()
}

func edgeGroupYAML(site int, members []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: flotilla.io/v1alpha1\nkind: EdgeGroup\nmetadata:\n  name: site-%03d-gateways\nspec:\n  clusters:\n", site)
	for _, m := range members {
		fmt.Fprintf(&b, "    - %s\n", m)
	}
	fmt.Fprintf(&b, "  matchLabels:\n    flotilla.io/edge-role: gateway\n  nodeCapacity:\n    cpu: \"4\"\n    memory: 8Gi\n  registryMirror: registry.site-%03d.example.com\n", site)
	return b.String()
}

// writeApp writes one app of a rotating shape: cloud Divided by weights,
// cloud Duplicated by region, fleet-wide DaemonSet, or edge-only.
func writeApp(w *writer, i int, rng *rand.Rand, sites int) {
	name := fmt.Sprintf("app-%04d", i)
	ns := fmt.Sprintf("team-%02d", i%40)
	shape := i % 4
	if sites == 0 && shape == 3 {
		shape = 0
	}
	var spec strings.Builder
	fmt.Fprintf(&spec, "apiVersion: flotilla.io/v1alpha1\nkind: App\nmetadata:\n  name: %s\nspec:\n  namespace: %s\n", name, ns)
	kind := "Deployment"
	replicas := 2 + rng.IntN(20)
	switch shape {
	case 0:
		prov := providers[rng.IntN(len(providers))]
		fmt.Fprintf(&spec, "  placement:\n    providers: [%s]\n    replicas:\n      mode: Divided\n      weights:\n", prov)
		rs := regions[prov]
		for j, r := range rs[:2] {
			fmt.Fprintf(&spec, "        - regions: [%s]\n          weight: %d\n", r, j+1)
		}
		spec.WriteString("  spot:\n    allowed: true\n")
	case 1:
		fmt.Fprintf(&spec, "  placement:\n    selector:\n      matchLabels:\n        flotilla.io/kind: cloud\n    spread:\n      - by: cluster\n        min: 1\n        max: 3\n")
		if i%8 == 1 {
			spec.WriteString("  backup:\n    schedule: \"0 */6 * * *\"\n    ttl: 168h\n    rpo: 12h\n")
		}
	case 2:
		kind = "DaemonSet"
		spec.WriteString("  placement:\n    selector:\n      matchLabels:\n        flotilla.io/btf: \"true\"\n        flotilla.io/kind: cloud\n    tolerations:\n      - key: flotilla.io/edge\n        operator: Exists\n  overrides:\n    - name: small\n      target:\n        selector:\n          matchLabels:\n            tier: batch\n      containers:\n        - name: main\n          resources:\n            requests: {cpu: 50m, memory: 64Mi}\n            limits: {cpu: 100m, memory: 128Mi}\n")
	case 3:
		site := rng.IntN(sites)
		fmt.Fprintf(&spec, "  placement:\n    regions: [site-%03d]\n    tolerations:\n      - key: flotilla.io/edge\n        operator: Exists\n  edge:\n    groups: [site-%03d-gateways]\n", site, site)
	}
	w.file(filepath.Join("apps", name, "app.yaml"), spec.String())
	dir := filepath.Join("apps", name, "manifests")
	w.file(filepath.Join(dir, "workload.yaml"), workloadYAML(name, kind, replicas))
	w.file(filepath.Join(dir, "service.yaml"), fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %[1]s
spec:
  selector:
    app.kubernetes.io/name: %[1]s
  ports:
    - name: http
      port: 80
      targetPort: http
`, name))
	w.file(filepath.Join(dir, "configmap.yaml"), fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-config\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"a,b,c\"\n", name))
	if kind == "Deployment" {
		w.file(filepath.Join(dir, "pdb.yaml"), fmt.Sprintf("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: %[1]s\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: %[1]s\n", name))
	}
}

func workloadYAML(name, kind string, replicas int) string {
	rep := ""
	if kind == "Deployment" {
		rep = fmt.Sprintf("  replicas: %d\n", replicas)
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: %[2]s
metadata:
  name: %[1]s
spec:
%[3]s  selector:
    matchLabels:
      app.kubernetes.io/name: %[1]s
  template:
    metadata:
      labels:
        app.kubernetes.io/name: %[1]s
      annotations:
        flotilla.io/runtime: go
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      terminationGracePeriodSeconds: 60
      containers:
        - name: main
          image: registry.example.com/synthetic/%[1]s:1.0.0
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: GOMEMLIMIT
              value: 230MiB
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
          lifecycle:
            preStop:
              exec:
                command: ["sleep", "5"]
`, name, kind, rep)
}
