package render

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	autoscalingv1alpha1 "github.com/karmada-io/karmada/pkg/apis/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	karpenterapis "sigs.k8s.io/karpenter/pkg/apis"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// Spot capacity's fast path, rendered per cluster: what answers a reclaim
// inside the cluster within its two-minute notice, without Git.
const (
	// LabelSpotPool marks the nodes a spot pool's NodePool launches.
	LabelSpotPool = "flotilla.io/spot-pool"
	// spotPoolWeight ranks spot NodePools above the on-demand fall-back:
	// Karpenter tries the NodePool of the highest weight first and falls
	// back to the next when it cannot launch (no capacity, ICE).
	spotPoolWeight     = int32(50)
	onDemandPoolWeight = int32(10)
	// PriorityExpanderConfigMap is the Cluster Autoscaler's priority
	// expander configuration (it reads this name in its own namespace).
	PriorityExpanderConfigMap = "cluster-autoscaler-priority-expander"
	// ClusterAutoscalerNamespace is where flotilla expects the Cluster
	// Autoscaler: not kube-system, which Karmada's detector skips by
	// default (--skipped-propagating-namespaces=kube-.*), so a template
	// there would never reach a member.
	ClusterAutoscalerNamespace = "cluster-autoscaler"
	// karpenterAPIVersion is the NodePool API flotilla renders.
	karpenterAPIVersion = karpenterapis.Group + "/v1"
)

// SpotNodePoolName is the NodePool a cluster's spot pool renders to. Names
// carry the cluster because NodePools are cluster-scoped templates in one
// control plane, where two clusters' "general" pools would collide.
func SpotNodePoolName(cluster, pool string) string { return cluster + "-spot-" + pool }

// OnDemandNodePoolName is the NodePool of a cluster's on-demand fall-back.
func OnDemandNodePoolName(cluster string) string { return cluster + "-on-demand" }

// spotCapacity renders each spot cluster's in-cluster autoscaling:
// Karpenter NodePools, or the Cluster Autoscaler's priority expander.
func (r *renderer) spotCapacity(plane string) {
	dir := path.Join(RenderedDir, plane, platformDir)
	var caClusters []*intent.Cluster
	for _, c := range r.repo.Clusters {
		if r.repo.ControlPlaneOf(c) != plane || c.Spec.Spot == nil {
			continue
		}
		switch c.Spec.Spot.Autoscaler {
		case v1alpha1.AutoscalerKarpenter:
			r.karpenterPools(dir, plane, c)
		case v1alpha1.AutoscalerClusterAutoscaler:
			caClusters = append(caClusters, c)
		}
	}
	if len(caClusters) > 0 {
		r.priorityExpander(dir, plane, caClusters)
	}
}

// karpenterPools renders one NodePool per spot pool (spot only, diverse
// instance types, zones of the pool) and one on-demand fall-back NodePool
// of lower weight, sent to the cluster alone.
func (r *renderer) karpenterPools(dir, plane string, c *intent.Cluster) {
	sp := c.Spec.Spot
	group, kind, _ := v1alpha1.KarpenterNodeClass(c.Spec.Provider)
	settings := v1alpha1.KarpenterSettings{NodeClass: v1alpha1.DefaultKarpenterNodeClass, DisruptionBudget: v1alpha1.DefaultDisruptionBudget}
	if sp.Karpenter != nil {
		settings = *sp.Karpenter
	}
	nodePool := func(name, capacityType string, types, zones []string, minTypes int, maxCPU *resource.Quantity, labels map[string]string, weight int32) *karpv1.NodePool {
		reqs := []karpv1.NodeSelectorRequirementWithMinValues{
			{NodeSelectorRequirement: corev1.NodeSelectorRequirement{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{capacityType}}},
			{NodeSelectorRequirement: corev1.NodeSelectorRequirement{Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpIn, Values: types}},
		}
		if minTypes > 1 {
			// Karpenter keeps at least this many instance types in every
			// launch decision, so one type's reclaim wave cannot empty the
			// pool (and spot-to-spot consolidation stays possible). Not
			// capped at the types offered: a pool with fewer cannot launch,
			// which policy SPOT-005 reports before it ships.
			reqs[1].MinValues = ptr.To(minTypes)
		}
		if len(zones) > 0 {
			reqs = append(reqs, karpv1.NodeSelectorRequirementWithMinValues{NodeSelectorRequirement: corev1.NodeSelectorRequirement{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: zones}})
		}
		np := &karpv1.NodePool{
			TypeMeta:   metav1.TypeMeta{APIVersion: karpenterAPIVersion, Kind: "NodePool"},
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: karpv1.NodePoolSpec{
				Weight: ptr.To(weight),
				Template: karpv1.NodeClaimTemplate{
					ObjectMeta: karpv1.ObjectMeta{Labels: labels},
					Spec: karpv1.NodeClaimTemplateSpec{
						Requirements: reqs,
						NodeClassRef: &karpv1.NodeClassReference{Group: group, Kind: kind, Name: settings.NodeClass},
						// Karpenter's own default, stated: the zero value
						// would be written as "Never".
						ExpireAfter: karpv1.MustParseNillableDuration("720h"),
					},
				},
				Disruption: karpv1.Disruption{
					ConsolidationPolicy: karpv1.ConsolidationPolicyWhenEmptyOrUnderutilized,
					ConsolidateAfter:    karpv1.MustParseNillableDuration("1m"),
					Budgets:             []karpv1.Budget{{Nodes: settings.DisruptionBudget}},
				},
			},
		}
		if maxCPU != nil {
			np.Spec.Limits = karpv1.Limits{corev1.ResourceCPU: maxCPU.DeepCopy()}
		}
		return np
	}
	var names []string
	minTypes := int(ptr.Deref(sp.MinInstanceTypes, v1alpha1.DefaultMinInstanceTypes))
	var allTypes []string
	for i, p := range sp.Pools {
		zones := p.Zones
		if len(zones) == 0 {
			zones = []string{c.Spec.Zone}
		}
		name := SpotNodePoolName(c.Name, p.Name)
		np := nodePool(name, karpv1.CapacityTypeSpot, slices.Clone(p.InstanceTypes), slices.Clone(zones), minTypes, p.MaxCPU, map[string]string{LabelSpotPool: p.Name}, spotPoolWeight)
		field := fmt.Sprintf("spec.spot.pools[%d]", i)
		r.addFromCluster(dir, plane, nodePoolObject(np), c, field, pointAt(field))
		names = append(names, name)
		allTypes = append(allTypes, p.InstanceTypes...)
	}
	if fb := sp.OnDemandFallback; fb != nil {
		types := slices.Clone(fb.InstanceTypes)
		if len(types) == 0 {
			types = allTypes
		}
		slices.Sort(types)
		types = slices.Compact(types)
		var zones []string
		for _, p := range sp.Pools {
			zones = append(zones, p.Zones...)
		}
		if len(zones) == 0 && c.Spec.Zone != "" {
			zones = []string{c.Spec.Zone}
		}
		slices.Sort(zones)
		zones = slices.Compact(zones)
		name := OnDemandNodePoolName(c.Name)
		np := nodePool(name, karpv1.CapacityTypeOnDemand, types, zones, 1, fb.MaxCPU, nil, onDemandPoolWeight)
		r.addFromCluster(dir, plane, nodePoolObject(np), c, "spec.spot.onDemandFallback", pointAt("spec.spot.onDemandFallback"))
		names = append(names, name)
	}
	var sels []policyv1alpha1.ResourceSelector
	for _, n := range names {
		sels = append(sels, policyv1alpha1.ResourceSelector{APIVersion: karpenterAPIVersion, Kind: "NodePool", Name: n})
	}
	kc := r.karmadaCluster(plane, c.Name)
	cpp := &policyv1alpha1.ClusterPropagationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindClusterPropagationPolicy},
		ObjectMeta: metav1.ObjectMeta{Name: "spot-capacity-" + c.Name},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: sels,
			Placement: policyv1alpha1.Placement{
				ClusterAffinity:    &policyv1alpha1.ClusterAffinity{ClusterNames: []string{c.Name}},
				ClusterTolerations: tolerateAll([]*clusterv1alpha1.Cluster{kc}),
				ReplicaScheduling:  &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
			},
		},
	}
	r.addFromCluster(dir, plane, toUnstructuredObject(cpp), c, "spec.spot", pointAt("spec.spot"))
}

// nodePoolObject converts a NodePool through its JSON encoding: Karpenter's
// NillableDuration.ToUnstructured (v1.1.5) hands the unstructured
// converter its raw JSON bytes, which would be written as base64; its
// MarshalJSON is right.
func nodePoolObject(np *karpv1.NodePool) *unstructured.Unstructured {
	data, err := json.Marshal(np)
	if err != nil {
		panic(fmt.Sprintf("encode NodePool %s: %v", np.Name, err))
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		panic(fmt.Sprintf("decode NodePool %s: %v", np.Name, err))
	}
	cleanMeta(u)
	tidy(u)
	return u
}

// addFromCluster adds an object rendered from a cluster's spot intent,
// stamped with the cluster's file, its origin the intent field it derives
// from (fields maps its own fields there).
func (r *renderer) addFromCluster(dir, plane string, u *unstructured.Unstructured, c *intent.Cluster, field string, fields yamldoc.FieldMap) {
	stamp(u, c.File(), "", nil)
	r.add(dir, u, Origin{File: c.File(), Line: c.Line(field), Doc: c.Doc, Fields: fields}, "", plane)
}

// karmadaCluster is the Karmada Cluster object of a cluster of a plane.
func (r *renderer) karmadaCluster(plane, name string) *clusterv1alpha1.Cluster {
	for _, kc := range r.planeClusters(plane) {
		if kc.Name == name {
			return kc
		}
	}
	return &clusterv1alpha1.Cluster{}
}

// priorityExpander renders the Cluster Autoscaler's priority expander
// ConfigMap: one template (a ConfigMap's name is fixed by the autoscaler)
// whose priorities an OverridePolicy sets per cluster, spot node groups
// above the on-demand fall-back, so a scale-up tries spot first.
func (r *renderer) priorityExpander(dir, plane string, clusters []*intent.Cluster) {
	ns := ClusterAutoscalerNamespace
	first := clusters[0]
	r.addFromCluster(dir, plane, newObject("v1", "Namespace", "", ns), first, "spec.spot.autoscaler", pointAt("spec.spot.autoscaler"))
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: PriorityExpanderConfigMap, Namespace: ns},
		Data:       map[string]string{"priorities": priorities(first.Spec.Spot)},
	}
	r.addFromCluster(dir, plane, toUnstructuredObject(cm), first, "spec.spot", pointAt("spec.spot.pools"))
	op := &policyv1alpha1.OverridePolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindOverridePolicy},
		ObjectMeta: metav1.ObjectMeta{Name: PriorityExpanderConfigMap, Namespace: ns},
		Spec: policyv1alpha1.OverrideSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Name: PriorityExpanderConfigMap}},
		},
	}
	var kcs []*clusterv1alpha1.Cluster
	for _, c := range clusters {
		kcs = append(kcs, r.karmadaCluster(plane, c.Name))
		op.Spec.OverrideRules = append(op.Spec.OverrideRules, policyv1alpha1.RuleWithCluster{
			TargetCluster: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{c.Name}},
			Overriders: policyv1alpha1.Overriders{Plaintext: []policyv1alpha1.PlaintextOverrider{{
				Path: "/data/priorities", Operator: policyv1alpha1.OverriderOpReplace, Value: jsonString(priorities(c.Spec.Spot)),
			}}},
		})
	}
	r.addFromCluster(dir, plane, toUnstructuredObject(op), first, "spec.spot", pointAt("spec.spot.pools"))
	pp := &policyv1alpha1.PropagationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindPropagationPolicy},
		ObjectMeta: metav1.ObjectMeta{Name: PriorityExpanderConfigMap, Namespace: ns},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Name: PriorityExpanderConfigMap}},
			Placement: policyv1alpha1.Placement{
				ClusterAffinity:    &policyv1alpha1.ClusterAffinity{ClusterNames: clusterNames(kcs)},
				ClusterTolerations: tolerateAll(kcs),
				ReplicaScheduling:  &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
			},
		},
	}
	r.addFromCluster(dir, plane, toUnstructuredObject(pp), first, "spec.spot", pointAt("spec.spot"))
}

// priorities is the priority expander's configuration for one cluster:
// its spot node groups at 50, its on-demand ones at 10 (the expander picks
// the highest priority among the groups that can take the pending pods).
func priorities(sp *v1alpha1.ClusterSpot) string {
	// Written by hand rather than by a YAML encoder: the expander decodes
	// into map[int][]string, and encoders quote integer map keys.
	var b strings.Builder
	group := func(priority int32, patterns []string) {
		if len(patterns) == 0 {
			return
		}
		fmt.Fprintf(&b, "%d:\n", priority)
		for _, p := range patterns {
			q, _ := json.Marshal(p) // a JSON string is a YAML double-quoted scalar
			fmt.Fprintf(&b, "  - %s\n", q)
		}
	}
	var spot []string
	for _, p := range sp.Pools {
		spot = append(spot, p.NodeGroups...)
	}
	group(spotPoolWeight, spot)
	if fb := sp.OnDemandFallback; fb != nil {
		group(onDemandPoolWeight, fb.NodeGroups)
	}
	return b.String()
}

// appScaling renders an app's scaling intent: a KEDA ScaledObject sent to
// every cluster the workload runs on, or a Karmada CronFederatedHPA on
// the control plane. It returns the objects' selectors for propagation.
func (r *renderer) appScaling(b appBuild, dir, plane string, placement policyv1alpha1.Placement) diag.List {
	app := b.app
	s := app.Spec.Scaling
	if s == nil {
		return nil
	}
	w, err := scaledWorkload(b)
	if err != nil {
		return diag.List{err}
	}
	target := autoscalingv2.CrossVersionObjectReference{APIVersion: w.GetAPIVersion(), Kind: w.GetKind(), Name: w.GetName()}
	if m := s.Metrics; m != nil {
		so := &kedav1alpha1.ScaledObject{
			TypeMeta:   metav1.TypeMeta{APIVersion: kedav1alpha1.SchemeGroupVersion.String(), Kind: "ScaledObject"},
			ObjectMeta: metav1.ObjectMeta{Name: w.GetName(), Namespace: app.Spec.Namespace},
			Spec: kedav1alpha1.ScaledObjectSpec{
				ScaleTargetRef:  &kedav1alpha1.ScaleTarget{APIVersion: target.APIVersion, Kind: target.Kind, Name: target.Name},
				MinReplicaCount: m.MinReplicas,
				MaxReplicaCount: ptr.To(m.MaxReplicas),
				// Three failed metric reads in a row and KEDA holds the
				// workload at the fallback instead of guessing.
				Fallback: &kedav1alpha1.Fallback{FailureThreshold: 3, Replicas: m.FallbackReplicas},
			},
		}
		for _, t := range m.Prometheus {
			so.Spec.Triggers = append(so.Spec.Triggers, kedav1alpha1.ScaleTriggers{Type: "prometheus", Metadata: map[string]string{
				"serverAddress": t.ServerAddress, "query": t.Query, "threshold": t.Threshold,
			}})
		}
		for _, t := range m.Cron {
			so.Spec.Triggers = append(so.Spec.Triggers, kedav1alpha1.ScaleTriggers{Type: "cron", Metadata: map[string]string{
				"timezone": t.TimeZone, "start": t.Start, "end": t.End, "desiredReplicas": strconv.Itoa(int(t.Replicas)),
			}})
		}
		u := r.typed(so, app)
		r.add(dir, u, Origin{File: app.File(), Line: app.Line("spec.scaling.metrics"), Doc: app.Doc, Fields: pointAt("spec.scaling.metrics")}, app.Name, plane)
		sp := placement.DeepCopy()
		// Every member that runs a copy of the workload scales it.
		sp.ReplicaScheduling = &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated}
		sp.SpreadConstraints = nil
		pp := &policyv1alpha1.PropagationPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindPropagationPolicy},
			ObjectMeta: metav1.ObjectMeta{Name: app.Name + "-scaling", Namespace: app.Spec.Namespace},
			Spec: policyv1alpha1.PropagationSpec{
				ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: so.APIVersion, Kind: so.Kind, Name: so.Name}},
				Placement:         *sp,
			},
		}
		r.add(dir, r.typed(pp, app), Origin{File: app.File(), Line: app.Line("spec.scaling"), Doc: app.Doc, Fields: placementFields()}, app.Name, plane)
	}
	if len(s.Daily) > 0 {
		hpa := &autoscalingv1alpha1.CronFederatedHPA{
			TypeMeta:   metav1.TypeMeta{APIVersion: autoscalingv1alpha1.SchemeGroupVersion.String(), Kind: autoscalingv1alpha1.ResourceKindCronFederatedHPA},
			ObjectMeta: metav1.ObjectMeta{Name: w.GetName(), Namespace: app.Spec.Namespace},
			Spec:       autoscalingv1alpha1.CronFederatedHPASpec{ScaleTargetRef: target},
		}
		for _, d := range s.Daily {
			rule := autoscalingv1alpha1.CronFederatedHPARule{Name: d.Name, Schedule: d.Schedule, TargetReplicas: ptr.To(d.Replicas)}
			if d.TimeZone != "" {
				rule.TimeZone = ptr.To(d.TimeZone)
			}
			hpa.Spec.Rules = append(hpa.Spec.Rules, rule)
		}
		r.add(dir, r.typed(hpa, app), Origin{File: app.File(), Line: app.Line("spec.scaling.daily"), Doc: app.Doc, Fields: pointAt("spec.scaling.daily")}, app.Name, plane)
	}
	return nil
}

// scaledWorkload finds the workload an app's scaling names, or its only
// Deployment or StatefulSet.
func scaledWorkload(b appBuild) (*unstructured.Unstructured, *diag.Error) {
	app := b.app
	want := app.Spec.Scaling.Workload
	var found []*unstructured.Unstructured
	for _, so := range b.objects {
		if so.divided != nil && so.divided.capacity != "" {
			continue // a division's variant scales with the division
		}
		k := so.obj.GetKind()
		if want != "" {
			if k+"/"+so.obj.GetName() == want {
				return so.obj, nil
			}
			continue
		}
		if k == "Deployment" || k == "StatefulSet" {
			found = append(found, so.obj)
		}
	}
	field := "spec.scaling.workload"
	if want == "" {
		field = "spec.scaling"
	}
	e := app.Source.Err(field, "")
	de := e.(*diag.Error)
	de.Object = intent.KindRef(v1alpha1.KindApp, "", app.Name)
	switch {
	case want != "":
		de.Msg = fmt.Sprintf("no %s among the app's manifests", want)
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0:
		de.Msg = "the app has no Deployment or StatefulSet to scale"
	default:
		var names []string
		for _, f := range found {
			names = append(names, f.GetKind()+"/"+f.GetName())
		}
		de.Msg = fmt.Sprintf("the app has %d workloads (%s): name one in spec.scaling.workload", len(found), strings.Join(names, ", "))
	}
	return nil, de
}

// applySpotToWorkloads tells Karmada to retain the members' replica
// counts of a workload the members scale themselves (KEDA).
func applySpotToWorkloads(b appBuild) {
	app := b.app
	if app.Spec.Scaling == nil || app.Spec.Scaling.Metrics == nil {
		return
	}
	target, err := scaledWorkload(b)
	if err != nil {
		return // reported by appScaling
	}
	labels := target.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[karmadautil.RetainReplicasLabel] = karmadautil.RetainReplicasValue
	target.SetLabels(labels)
}
