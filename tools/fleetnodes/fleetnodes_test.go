package fleetnodes

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/intent"
)

// exampleFleet loads the repository's own clusters and edge groups.
func exampleFleet(t *testing.T) ([]*v1alpha1.Cluster, []*v1alpha1.EdgeGroup) {
	t.Helper()
	v, err := apischema.New(apischema.Options{ExtraCRDs: []fs.FS{v1alpha1.CRDs()}})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := intent.Load(context.Background(), filepath.Join("..", ".."), intent.Options{Schema: v})
	if err != nil {
		t.Fatal(err)
	}
	var cs []*v1alpha1.Cluster
	for _, c := range repo.Clusters {
		cs = append(cs, &c.Cluster)
	}
	var gs []*v1alpha1.EdgeGroup
	for _, g := range repo.EdgeGroups {
		gs = append(gs, &g.EdgeGroup)
	}
	return cs, gs
}

func sum(nodes []*corev1.Node, r corev1.ResourceName) resource.Quantity {
	var q resource.Quantity
	for _, n := range nodes {
		q.Add(n.Status.Allocatable[r])
	}
	return q
}

// The nodes of every example cluster add up to what its intent declares
// (what the offline preview divides by), and carry the capacity-type share.
func TestNodesAddUpToTheDeclaredCapacity(t *testing.T) {
	cs, gs := exampleFleet(t)
	if len(cs) == 0 {
		t.Fatal("no clusters in the example fleet")
	}
	for _, c := range cs {
		nodes, err := Nodes(c, gs)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if len(nodes) != int(c.Spec.Capacity.Nodes) {
			t.Errorf("%s: %d nodes, intent declares %d", c.Name, len(nodes), c.Spec.Capacity.Nodes)
		}
		if got := sum(nodes, corev1.ResourceCPU); got.Cmp(c.Spec.Capacity.CPU) != 0 {
			t.Errorf("%s: allocatable CPU sums to %s, intent declares %s", c.Name, got.String(), c.Spec.Capacity.CPU.String())
		}
		if got := sum(nodes, corev1.ResourceMemory); got.Cmp(c.Spec.Capacity.Memory) != 0 {
			t.Errorf("%s: allocatable memory sums to %s, intent declares %s", c.Name, got.String(), c.Spec.Capacity.Memory.String())
		}
		if got := sum(nodes, corev1.ResourcePods); got.Value() != int64(*c.Spec.Capacity.Pods) {
			t.Errorf("%s: allocatable pods sum to %d, intent declares %d", c.Name, got.Value(), *c.Spec.Capacity.Pods)
		}
		names := map[string]bool{}
		for _, n := range nodes {
			if names[n.Name] {
				t.Errorf("%s: node name %s twice", c.Name, n.Name)
			}
			names[n.Name] = true
			if n.Labels[corev1.LabelHostname] != n.Name || n.Labels[corev1.LabelTopologyZone] == "" {
				t.Errorf("%s: node %s lacks hostname or zone labels: %v", c.Name, n.Name, n.Labels)
			}
		}
		if c.Spec.Kind == v1alpha1.ClusterKindEdge {
			continue
		}
		spot := 0
		for _, n := range nodes {
			if n.Labels[karpv1.CapacityTypeLabelKey] == karpv1.CapacityTypeSpot {
				spot++
			}
		}
		want := (int(c.Spec.Capacity.Nodes)*int(*c.Spec.Capacity.SpotPercent) + 50) / 100
		if spot != want {
			t.Errorf("%s: %d spot nodes, want %d (%d%% of %d)", c.Name, spot, want, *c.Spec.Capacity.SpotPercent, c.Spec.Capacity.Nodes)
		}
	}
}

// The mostly-spot cluster's spot nodes are spread over its pool's instance
// types and zones and labelled with the NodePool flotilla renders for it,
// as Karpenter labels the nodes it buys.
func TestSpotNodesFollowTheirPools(t *testing.T) {
	cs, gs := exampleFleet(t)
	i := slices.IndexFunc(cs, func(c *v1alpha1.Cluster) bool { return c.Name == "cloud-us-east-1-spot" })
	if i < 0 {
		t.Fatal("cloud-us-east-1-spot not in the example fleet")
	}
	c := cs[i]
	nodes, err := Nodes(c, gs)
	if err != nil {
		t.Fatal(err)
	}
	pool := c.Spec.Spot.Pools[0]
	zones, types := map[string]int{}, map[string]bool{}
	for _, n := range nodes {
		switch n.Labels[karpv1.CapacityTypeLabelKey] {
		case karpv1.CapacityTypeSpot:
			if got, want := n.Labels[karpv1.NodePoolLabelKey], c.Name+"-spot-"+pool.Name; got != want {
				t.Errorf("%s: node pool %q, want %q", n.Name, got, want)
			}
			if !slices.Contains(pool.InstanceTypes, n.Labels[corev1.LabelInstanceTypeStable]) {
				t.Errorf("%s: instance type %q not in pool %s", n.Name, n.Labels[corev1.LabelInstanceTypeStable], pool.Name)
			}
			zones[n.Labels[corev1.LabelTopologyZone]]++
			types[n.Labels[corev1.LabelInstanceTypeStable]] = true
		case karpv1.CapacityTypeOnDemand:
			if !slices.Contains(c.Spec.Spot.OnDemandFallback.InstanceTypes, n.Labels[corev1.LabelInstanceTypeStable]) {
				t.Errorf("%s: on-demand instance type %q not in the fall-back's", n.Name, n.Labels[corev1.LabelInstanceTypeStable])
			}
		default:
			t.Errorf("%s: no capacity type", n.Name)
		}
	}
	if len(zones) != len(pool.Zones) || len(types) != len(pool.InstanceTypes) {
		t.Errorf("spot nodes over zones %v and %d types; pool has zones %v and %d types", zones, len(types), pool.Zones, len(pool.InstanceTypes))
	}
}

// Edge clusters get each EdgeGroup's nodes with the group's allocatable,
// match labels, KubeEdge's edge role and the group's taint, plus a site
// server; groups of other clusters are ignored.
func TestEdgeNodesOfEachGroup(t *testing.T) {
	cs, gs := exampleFleet(t)
	for _, c := range cs {
		if c.Spec.Kind != v1alpha1.ClusterKindEdge {
			continue
		}
		nodes, err := Nodes(c, gs)
		if err != nil {
			t.Fatal(err)
		}
		servers := 0
		for _, n := range nodes {
			if n.Labels[LabelRole] == RoleSiteServer {
				servers++
				if len(n.Spec.Taints) != 0 {
					t.Errorf("%s: a site server is tainted %v", n.Name, n.Spec.Taints)
				}
			}
		}
		if servers < 1 {
			t.Errorf("%s: no site server", c.Name)
		}
		for _, g := range gs {
			mine := slices.Contains(g.Spec.Clusters, c.Name)
			var members []*corev1.Node
			for _, n := range nodes {
				if n.Labels[LabelRole] == g.Name {
					members = append(members, n)
				}
			}
			if !mine {
				if len(members) > 0 {
					t.Errorf("%s holds nodes of %s, a group of other clusters", c.Name, g.Name)
				}
				continue
			}
			if len(members) == 0 {
				t.Errorf("%s: no node of its group %s", c.Name, g.Name)
			}
			for _, n := range members {
				for k, v := range g.Spec.MatchLabels {
					if n.Labels[k] != v {
						t.Errorf("%s: label %s=%q, group %s matches %q", n.Name, k, n.Labels[k], g.Name, v)
					}
				}
				if _, ok := n.Labels[LabelEdgeRole]; !ok {
					t.Errorf("%s: no edge role label", n.Name)
				}
				if !slices.ContainsFunc(n.Spec.Taints, func(tt corev1.Taint) bool { return tt.MatchTaint(ptrTaint(g.EdgeTaint())) }) {
					t.Errorf("%s: taints %v lack the group's %v", n.Name, n.Spec.Taints, g.EdgeTaint())
				}
				if cpu := n.Status.Allocatable[corev1.ResourceCPU]; cpu.Cmp(g.Spec.NodeCapacity.CPU) != 0 {
					t.Errorf("%s: CPU %s, group's nodes have %s", n.Name, cpu.String(), g.Spec.NodeCapacity.CPU.String())
				}
			}
		}
	}
}

func ptrTaint(t corev1.Taint) *corev1.Taint { return &t }

// Too small a cluster for its edge groups, or edge groups whose nodes
// take more than the cluster declares, are refused with the cluster named.
func TestEdgeClusterTooSmall(t *testing.T) {
	group := func(name string, cpu string) *v1alpha1.EdgeGroup {
		g := &v1alpha1.EdgeGroup{}
		g.Name = name
		g.Spec.Clusters = []string{"edge-x"}
		g.Spec.MatchLabels = map[string]string{"role": name}
		g.Spec.NodeCapacity = v1alpha1.EdgeNodeCapacity{CPU: resource.MustParse(cpu), Memory: resource.MustParse("1Gi")}
		return g
	}
	c := &v1alpha1.Cluster{}
	c.Name = "edge-x"
	c.Spec.Kind = v1alpha1.ClusterKindEdge
	c.Spec.Capacity = v1alpha1.ClusterCapacity{Nodes: 2, CPU: resource.MustParse("8"), Memory: resource.MustParse("8Gi")}
	if _, err := Nodes(c, []*v1alpha1.EdgeGroup{group("a", "1"), group("b", "1")}); err == nil || !strings.Contains(err.Error(), "edge-x") {
		t.Errorf("two groups on two nodes: %v, want an error naming the cluster", err)
	}
	c.Spec.Capacity.Nodes = 3
	if _, err := Nodes(c, []*v1alpha1.EdgeGroup{group("a", "4"), group("b", "4")}); err == nil || !strings.Contains(err.Error(), "nothing of spec.capacity") {
		t.Errorf("groups taking all CPU: %v, want an error", err)
	}
	nodes, err := Nodes(c, []*v1alpha1.EdgeGroup{group("a", "1"), group("b", "2")})
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(nodes, corev1.ResourceCPU); got.Cmp(resource.MustParse("8")) != 0 {
		t.Errorf("CPU sums to %s, want 8", got.String())
	}
}

// The CPU labels follow the instance type as Node Feature Discovery
// reports them: Intel Xeon and AMD's 7th generation have AVX-512, older
// AMD families do not, Graviton is arm64.
func TestCPUOfInstanceTypes(t *testing.T) {
	for _, tc := range []struct {
		typ    string
		vendor string
		avx512 bool
		arch   string
	}{
		{"c5.4xlarge", "GenuineIntel", true, "amd64"},
		{"c6in.4xlarge", "GenuineIntel", true, "amd64"},
		{"m7i.4xlarge", "GenuineIntel", true, "amd64"},
		{"c5a.4xlarge", "AuthenticAMD", false, "amd64"},
		{"m6a.4xlarge", "AuthenticAMD", false, "amd64"},
		{"c7a.4xlarge", "AuthenticAMD", true, "amd64"},
		{"c7g.4xlarge", "ARM", false, "arm64"},
		{"", "GenuineIntel", true, "amd64"},
	} {
		v, a, arch := cpuOf(tc.typ)
		if v != tc.vendor || a != tc.avx512 || arch != tc.arch {
			t.Errorf("%q: %s avx512=%v %s, want %s %v %s", tc.typ, v, a, arch, tc.vendor, tc.avx512, tc.arch)
		}
	}
}
