package fleetnodes

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/render"
)

// Labels and annotations the local fleet's nodes carry besides the
// well-known ones of Kubernetes and Karpenter.
const (
	// LabelEdgeRole is KubeEdge's role label on edge nodes (keadm join sets
	// it; KubeEdge's controllers and node selectors key on it).
	LabelEdgeRole = "node-role.kubernetes.io/edge"
	// LabelAgentRole is the other role label keadm sets on edge nodes.
	LabelAgentRole = "node-role.kubernetes.io/agent"
	// LabelRole says what a node is for in the local fleet: spot,
	// on-demand, site-server or the edge group's name.
	LabelRole = "flotilla.io/node-role"
	// LabelAVX512F and LabelCPUVendor are what Node Feature Discovery
	// reports of a node's CPU (workloads built for AVX-512 select on the
	// first).
	LabelAVX512F   = "feature.node.kubernetes.io/cpu-cpuid.AVX512F"
	LabelCPUVendor = "feature.node.kubernetes.io/cpu-model.vendor_id"
	// LabelEKSCapacityType is the capacity type EKS managed node groups
	// put on their nodes (Karpenter's nodes carry karpenter.sh/capacity-type
	// instead; flotilla puts both conventions on nodes not bought by
	// Karpenter).
	LabelEKSCapacityType = "eks.amazonaws.com/capacityType"
	// AnnotationKwok marks a node as kwok's to keep alive (kwok's own
	// convention, kept so a member can also hold nodes kwok leaves alone).
	AnnotationKwok = "kwok.x-k8s.io/node"
)

// Roles of the nodes of a cluster.
const (
	RoleSpot       = "spot"
	RoleOnDemand   = "on-demand"
	RoleSiteServer = "site-server"
)

// Nodes returns the Node objects of a cluster, in a stable order: its
// spot nodes, its on-demand nodes, then for edge clusters each EdgeGroup's
// nodes (groups by name) and the site servers. groups may hold groups of
// other clusters; only those naming this cluster are used. Each node's
// status holds its capacity and allocatable (kwok keeps its conditions).
// The nodes' allocatable CPU, memory and pods sum to the cluster's
// declared capacity exactly.
func Nodes(c *v1alpha1.Cluster, groups []*v1alpha1.EdgeGroup) ([]*corev1.Node, error) {
	cp := c.Spec.Capacity
	if cp.Nodes < 1 {
		return nil, fmt.Errorf("cluster %s: spec.capacity.nodes is %d: a member needs at least one node", c.Name, cp.Nodes)
	}
	pods := int64(cp.Nodes) * int64(v1alpha1.DefaultPodsPerNode)
	if cp.Pods != nil {
		pods = int64(*cp.Pods)
	}
	var out []*corev1.Node
	base := map[string]string{corev1.LabelOSStable: "linux"}
	if c.Spec.Region != "" {
		base[corev1.LabelTopologyRegion] = c.Spec.Region
	}
	if c.Spec.Kind == v1alpha1.ClusterKindEdge {
		var err error
		if out, err = edgeNodes(c, groups, base); err != nil {
			return nil, err
		}
	} else {
		out = cloudNodes(c, base)
	}
	// Share what is left after the edge nodes' fixed allocatable among the
	// nodes that have none yet, so the totals are exact.
	var fixedCPU, fixedMem int64
	var open []*corev1.Node
	for _, n := range out {
		if q, ok := n.Status.Allocatable[corev1.ResourceCPU]; ok {
			fixedCPU += q.MilliValue()
			m := n.Status.Allocatable[corev1.ResourceMemory]
			fixedMem += m.Value()
			continue
		}
		open = append(open, n)
	}
	restCPU, restMem := cp.CPU.MilliValue()-fixedCPU, cp.Memory.Value()-fixedMem
	if len(open) > 0 && (restCPU <= 0 || restMem <= 0) {
		return nil, fmt.Errorf("cluster %s: its edge groups' nodes take %s CPU and %s memory, leaving nothing of spec.capacity (cpu %s, memory %s) for its %d other node(s)",
			c.Name, resource.NewMilliQuantity(fixedCPU, resource.DecimalSI), resource.NewQuantity(fixedMem, resource.BinarySI), cp.CPU.String(), cp.Memory.String(), len(open))
	}
	cpus, mems := share(restCPU, len(open)), share(restMem, len(open))
	for i, n := range open {
		n.Status.Allocatable = corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(cpus[i], resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(mems[i], resource.BinarySI),
		}
	}
	podShares := share(pods, len(out))
	for i, n := range out {
		n.Status.Allocatable[corev1.ResourcePods] = *resource.NewQuantity(podShares[i], resource.DecimalSI)
		n.Status.Capacity = n.Status.Allocatable.DeepCopy()
	}
	return out, nil
}

// share divides total into n parts differing by at most one, the larger
// first, summing to total.
func share(total int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = total / int64(n)
		if int64(i) < total%int64(n) {
			out[i]++
		}
	}
	return out
}

func node(name string, labels map[string]string, taints []corev1.Taint) *corev1.Node {
	l := maps.Clone(labels)
	l[corev1.LabelHostname] = name
	vendor, avx512, arch := cpuOf(l[corev1.LabelInstanceTypeStable])
	l[LabelCPUVendor] = vendor
	l[corev1.LabelArchStable] = arch
	if avx512 {
		l[LabelAVX512F] = "true"
	}
	return &corev1.Node{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Labels: l,
			Annotations: map[string]string{AnnotationKwok: "fake"},
		},
		Spec: corev1.NodeSpec{Taints: taints},
	}
}

// cloudNodes are a cloud cluster's nodes: the spot share (rounded to
// whole nodes) spread over the spot pools, their instance types and
// zones; the rest on demand.
func cloudNodes(c *v1alpha1.Cluster, base map[string]string) []*corev1.Node {
	cp := c.Spec.Capacity
	total := int(cp.Nodes)
	percent := 0
	switch {
	case cp.SpotPercent != nil:
		percent = int(*cp.SpotPercent)
	case cp.Type == v1alpha1.CapacitySpot:
		percent = 100
	}
	spot := (total*percent + 50) / 100
	karpenter := c.Spec.Spot != nil && c.Spec.Spot.Autoscaler == v1alpha1.AutoscalerKarpenter
	var pools []v1alpha1.SpotPool
	if c.Spec.Spot != nil {
		pools = c.Spec.Spot.Pools
	}
	var out []*corev1.Node
	for i := 0; i < spot; i++ {
		l := maps.Clone(base)
		l[karpv1.CapacityTypeLabelKey] = karpv1.CapacityTypeSpot
		l[LabelRole] = RoleSpot
		l[corev1.LabelTopologyZone] = c.Spec.Zone
		name := fmt.Sprintf("%s-spot-%d", c.Name, i)
		if len(pools) > 0 {
			p := pools[i%len(pools)]
			k := i / len(pools)
			if len(p.InstanceTypes) > 0 {
				l[corev1.LabelInstanceTypeStable] = p.InstanceTypes[k%len(p.InstanceTypes)]
			}
			if len(p.Zones) > 0 {
				l[corev1.LabelTopologyZone] = p.Zones[k%len(p.Zones)]
			}
			if karpenter {
				l[karpv1.NodePoolLabelKey] = render.SpotNodePoolName(c.Name, p.Name)
			}
			name = fmt.Sprintf("%s-spot-%s-%d", c.Name, p.Name, k)
		}
		if l[karpv1.NodePoolLabelKey] == "" && c.Spec.Provider == "aws" {
			l[LabelEKSCapacityType] = "SPOT"
		}
		out = append(out, node(name, l, nil))
	}
	var odTypes []string
	if c.Spec.Spot != nil && c.Spec.Spot.OnDemandFallback != nil {
		odTypes = c.Spec.Spot.OnDemandFallback.InstanceTypes
	}
	for i := 0; i < total-spot; i++ {
		l := maps.Clone(base)
		l[karpv1.CapacityTypeLabelKey] = karpv1.CapacityTypeOnDemand
		l[LabelRole] = RoleOnDemand
		l[corev1.LabelTopologyZone] = c.Spec.Zone
		if len(odTypes) > 0 {
			l[corev1.LabelInstanceTypeStable] = odTypes[i%len(odTypes)]
		}
		if karpenter && c.Spec.Spot.OnDemandFallback != nil {
			l[karpv1.NodePoolLabelKey] = render.OnDemandNodePoolName(c.Name)
		} else if c.Spec.Provider == "aws" {
			l[LabelEKSCapacityType] = "ON_DEMAND"
		}
		out = append(out, node(fmt.Sprintf("%s-on-demand-%d", c.Name, i), l, nil))
	}
	return out
}

// edgeNodes are an edge cluster's nodes: each EdgeGroup's edge nodes (the
// names it lists, else an even share of the cluster's nodes but one), with
// the group's allocatable, labels and taint, and the site servers (at
// least one: the on-site machines that run the cluster's control plane).
func edgeNodes(c *v1alpha1.Cluster, groups []*v1alpha1.EdgeGroup, base map[string]string) ([]*corev1.Node, error) {
	var mine []*v1alpha1.EdgeGroup
	for _, g := range groups {
		if slices.Contains(g.Spec.Clusters, c.Name) {
			mine = append(mine, g)
		}
	}
	slices.SortFunc(mine, func(a, b *v1alpha1.EdgeGroup) int { return strings.Compare(a.Name, b.Name) })
	budget := int(c.Spec.Capacity.Nodes) - 1
	var shared []*v1alpha1.EdgeGroup
	for _, g := range mine {
		if len(g.Spec.Nodes) > 0 {
			budget -= len(g.Spec.Nodes)
		} else {
			shared = append(shared, g)
		}
	}
	if budget < len(shared) {
		return nil, fmt.Errorf("cluster %s: spec.capacity.nodes is %d, too few for a site server and at least one node for each of its edge groups (%d listing nodes by name, %d by labels)",
			c.Name, c.Spec.Capacity.Nodes, len(mine)-len(shared), len(shared))
	}
	counts := map[string]int{}
	if len(shared) > 0 {
		for i, n := range share(int64(budget), len(shared)) {
			counts[shared[i].Name] = int(n)
		}
		budget = 0
	}
	var out []*corev1.Node
	for _, g := range mine {
		l := maps.Clone(base)
		maps.Copy(l, g.Spec.MatchLabels)
		l[LabelEdgeRole] = ""
		l[LabelAgentRole] = ""
		l[LabelRole] = g.Name
		l[corev1.LabelTopologyZone] = c.Spec.Zone
		names := g.Spec.Nodes
		if len(names) == 0 {
			for i := 0; i < counts[g.Name]; i++ {
				names = append(names, fmt.Sprintf("%s-%s-%d", c.Name, g.Name, i))
			}
		}
		for _, name := range names {
			n := node(name, l, []corev1.Taint{g.EdgeTaint()})
			n.Status.Allocatable = corev1.ResourceList{
				corev1.ResourceCPU:    g.Spec.NodeCapacity.CPU.DeepCopy(),
				corev1.ResourceMemory: g.Spec.NodeCapacity.Memory.DeepCopy(),
			}
			if hp := g.Spec.NodeCapacity.Hugepages2Mi; hp != nil {
				n.Status.Allocatable[corev1.ResourceHugePagesPrefix+"2Mi"] = hp.DeepCopy()
			}
			out = append(out, n)
		}
	}
	for i := 0; i < budget+1; i++ {
		l := maps.Clone(base)
		l[LabelRole] = RoleSiteServer
		l[corev1.LabelTopologyZone] = c.Spec.Zone
		out = append(out, node(fmt.Sprintf("%s-site-server-%d", c.Name, i), l, nil))
	}
	return out, nil
}

// cpuOf is what Node Feature Discovery would report of an EC2 instance
// type's CPU: its vendor, whether it has AVX-512, and its architecture.
// The family's letters after the generation say the CPU: "a" AMD EPYC
// (AVX-512 from the 7th generation, Zen 4), "g" AWS Graviton (arm64),
// none or "i" Intel Xeon Scalable (AVX-512 in every generation EC2
// offers). A node whose type the intent does not name (an on-demand node
// group, a factory server) is taken as a current Intel Xeon.
func cpuOf(instanceType string) (vendor string, avx512 bool, arch string) {
	family, _, _ := strings.Cut(instanceType, ".")
	i := strings.IndexFunc(family, func(r rune) bool { return r >= '0' && r <= '9' })
	if family == "" || i < 0 {
		return "GenuineIntel", true, "amd64"
	}
	gen := 0
	j := i
	for ; j < len(family) && family[j] >= '0' && family[j] <= '9'; j++ {
		gen = gen*10 + int(family[j]-'0')
	}
	attrs := family[j:]
	switch {
	case strings.HasPrefix(attrs, "g"):
		return "ARM", false, "arm64"
	case strings.HasPrefix(attrs, "a"):
		return "AuthenticAMD", gen >= 7, "amd64"
	}
	return "GenuineIntel", true, "amd64"
}
