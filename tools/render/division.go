package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// An app's spot division (App spec.spot.division) splits its one
// Deployment into up to three workloads, each divided between clusters by
// Karmada static weights equal to its per-cluster counts: with weights
// that sum to the replicas, Karmada's division is exact.
//
//   - the Deployment itself: spot replicas and hedges, preferring spot
//     nodes and falling back to on-demand ones through the cluster's
//     autoscaler while spot is gone;
//   - <name>-on-demand: never on a spot node;
//   - <name>-spot-only: spot-only hedges, only ever on spot nodes.
const (
	// LabelCapacity marks the pods (and selectors) of a divided
	// Deployment's variants with the capacity they run on.
	LabelCapacity = "flotilla.io/capacity"
	// CapacityOnDemand and CapacitySpotOnly are LabelCapacity's values,
	// and the suffixes of the variants' names.
	CapacityOnDemand = "on-demand"
	CapacitySpotOnly = "spot-only"
	// LabelEKSCapacityType is the capacity type label EKS managed node
	// groups put on their nodes (values ON_DEMAND and SPOT); Karpenter
	// labels its nodes karpenter.sh/capacity-type (on-demand, spot).
	LabelEKSCapacityType = "eks.amazonaws.com/capacityType"
	eksCapacitySpot      = "SPOT"
	// spotPreference is the weight of the divided Deployment's preference
	// for spot nodes: the most the scheduler allows, so spot wins over
	// every other preference of the manifest's.
	spotPreference = int32(100)
)

// dividedPart is one of the workloads a division renders from the app's
// Deployment.
type dividedPart struct {
	// capacity is "" for the Deployment itself, else LabelCapacity's value
	// of the variant.
	capacity string
	// counts are the part's non-zero replicas per cluster, in the order
	// of spec.spot.division.
	counts []clusterCount
}

// clusterCount is a part's replicas on one cluster.
type clusterCount struct {
	cluster  string
	replicas int32
	// index is the share's index in spec.spot.division.
	index int
}

// variantName is the name of a divided Deployment's variant.
func variantName(deployment, capacity string) string { return deployment + "-" + capacity }

// divide renders an app's division: it finds the one Deployment the
// division splits, gives it its preference for spot and marks it, and adds
// its variants to the app's objects. Replica counts are set per control
// plane (planeObjects). Problems are input errors at spec.spot.division.
func divide(b *appBuild) {
	app := b.app
	division := app.Spec.Spot.Division
	if len(division) == 0 {
		return
	}
	divErr := func(format string, args ...any) *diag.Error {
		e := app.Source.Err("spec.spot.division", format, args...).(*diag.Error)
		e.Object = intent.KindRef(v1alpha1.KindApp, "", app.Name)
		return e
	}
	// The workloads Karmada divides by the app's weights. A Deployment
	// named as another's variant is not a candidate: it is reported as
	// the collision it is (an app split by hand before, say), not as a
	// second Deployment. Objects of other kinds may share a variant's
	// name: kinds do not share names.
	isDeployment := func(so sourceObject) bool { return so.obj.GroupVersionKind().GroupKind().String() == "Deployment.apps" }
	deployments := map[string]int{}
	for i, so := range b.objects {
		if isDeployment(so) {
			deployments[so.obj.GetNamespace()+"/"+so.obj.GetName()] = i
		}
	}
	var workloads, candidates []int
	collides := map[int]int{} // a Deployment → the Deployment it is a variant name of
	for i, so := range b.objects {
		if !isDeployment(so) && so.obj.GroupVersionKind().GroupKind().String() != "StatefulSet.apps" {
			continue
		}
		workloads = append(workloads, i)
		if isDeployment(so) {
			for _, capacity := range []string{CapacityOnDemand, CapacitySpotOnly} {
				if j, ok := deployments[so.obj.GetNamespace()+"/"+variantName(so.obj.GetName(), capacity)]; ok {
					collides[j] = i
				}
			}
		}
	}
	for _, i := range workloads {
		if _, ok := collides[i]; !ok {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) != 1 || !isDeployment(b.objects[candidates[0]]) {
		var names []string
		statefulSet := false
		for _, i := range workloads {
			o := b.objects[i].obj
			names = append(names, diag.ObjectRef(o.GetKind(), o.GetNamespace(), o.GetName()))
			statefulSet = statefulSet || o.GetKind() == "StatefulSet"
		}
		found := "none"
		if len(names) > 0 {
			found = strings.Join(names, ", ")
		}
		why := ""
		if statefulSet {
			why = " (a StatefulSet cannot be split: its pods' names, ordinals and volumes belong to one set)"
		}
		b.errs = append(b.errs, divErr("a division splits the app's one Deployment, which must be its only Deployment or StatefulSet, but its manifests hold %s%s", found, why))
		return
	}
	main := &b.objects[candidates[0]]
	name, ns := main.obj.GetName(), main.obj.GetNamespace()
	if len(collides) > 0 {
		// Also while the variant's count is zero: the next rebalance may
		// give it replicas, and must not then fail to render.
		for _, j := range slices.Sorted(maps.Keys(collides)) {
			so, base := b.objects[j], b.objects[collides[j]]
			e := divErr("the division renders Deployment/%s/%s from Deployment/%s/%s, and the app's manifests already declare it: rename it", ns, so.obj.GetName(), ns, base.obj.GetName())
			e.Related = fmt.Sprintf("%s:%d", so.origin.File, so.origin.Line)
			b.errs = append(b.errs, e)
		}
		return
	}

	parts := map[string]*dividedPart{"": {}, CapacityOnDemand: {capacity: CapacityOnDemand}, CapacitySpotOnly: {capacity: CapacitySpotOnly}}
	for i, d := range division {
		for capacity, n := range map[string]int32{"": d.Spot + d.Hedge, CapacityOnDemand: d.OnDemand, CapacitySpotOnly: d.HedgeSpotOnly} {
			if n > 0 {
				parts[capacity].counts = append(parts[capacity].counts, clusterCount{cluster: d.Cluster, replicas: n, index: i})
			}
		}
	}

	podPath := PodSpecPath(main.obj.GroupVersionKind().GroupKind())
	affinity, err := podAffinity(main.obj, podPath)
	if err != nil {
		field := strings.Join(append(slices.Clone(podPath), "affinity"), ".")
		e := &diag.Error{File: main.origin.File, Line: main.origin.Line, Object: diag.ObjectRef(main.obj.GetKind(), ns, name), Field: field, Msg: fmt.Sprintf("does not decode, so the division cannot add its node affinity: %v", err)}
		if main.origin.Doc != nil {
			e.Line, e.Column = main.origin.Doc.Locate(field)
		}
		b.errs = append(b.errs, e)
		return
	}

	// Before the variants are appended, which may move the objects.
	main.divided = parts[""]
	setAffinity(main.obj, podPath, preferSpot(affinity))
	origin := Origin{File: app.File(), Line: app.Line("spec.spot.division"), Doc: app.Doc, Fields: pointAt("spec.spot.division")}
	for _, capacity := range []string{CapacityOnDemand, CapacitySpotOnly} {
		v := main.obj.DeepCopy()
		v.SetName(variantName(name, capacity))
		stamp(v, app.File(), "", nil)
		labels := v.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[LabelCapacity] = capacity
		v.SetLabels(labels)
		// The variant's selector and pods carry its capacity, so that it
		// selects its own pods only. The Deployment's own selector (which
		// also matches them) stays as it is: a live Deployment's selector
		// is immutable. Overlapping selectors are safe here: a Deployment
		// adopts only orphaned ReplicaSets (these have their variant as
		// controller), and a ReplicaSet selects by its pod-template-hash
		// too, so no controller counts another's pods. (Were the selector
		// or the template's labels not maps, the Deployment itself would
		// fail schema validation: the errors of setting them say nothing
		// more.)
		_ = unstructured.SetNestedField(v.Object, capacity, "spec", "selector", "matchLabels", LabelCapacity)
		_ = unstructured.SetNestedField(v.Object, capacity, "spec", "template", "metadata", "labels", LabelCapacity)
		a := affinity.DeepCopy()
		if capacity == CapacityOnDemand {
			a = requireOnDemand(a)
		} else {
			a = requireSpot(a)
		}
		setAffinity(v, podPath, a)
		b.objects = append(b.objects, sourceObject{obj: v, origin: origin, divided: parts[capacity]})
	}
	slices.SortStableFunc(b.objects, func(a, c sourceObject) int { return compareObjects(a.obj, c.obj) })
}

// podAffinity decodes a workload's pod affinity strictly: the division
// re-encodes it, and a field the API types do not know would otherwise
// be dropped unseen instead of failing schema validation.
func podAffinity(obj *unstructured.Unstructured, podPath []string) (*corev1.Affinity, error) {
	raw, ok, _ := unstructured.NestedFieldNoCopy(obj.Object, append(slices.Clone(podPath), "affinity")...)
	a := &corev1.Affinity{}
	if !ok || raw == nil {
		return a, nil
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(a); err != nil {
		return nil, err
	}
	return a, nil
}

// setAffinity writes a pod affinity into a workload.
func setAffinity(obj *unstructured.Unstructured, podPath []string, a *corev1.Affinity) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(a)
	if err != nil {
		panic(fmt.Sprintf("convert affinity: %v", err)) // an API type
	}
	if err := unstructured.SetNestedMap(obj.Object, m, append(slices.Clone(podPath), "affinity")...); err != nil {
		panic(fmt.Sprintf("set affinity of %s: %v", obj.GetName(), err)) // the pod spec is a map: PodSpecPath found it
	}
}

// preferSpot adds the divided Deployment's preference for spot nodes, as
// Karpenter and as EKS managed node groups label them (a node carries one
// labeling, so each is a term of its own, of the highest weight).
func preferSpot(base *corev1.Affinity) *corev1.Affinity {
	a := withNodeAffinity(base)
	for _, req := range []corev1.NodeSelectorRequirement{
		{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{karpv1.CapacityTypeSpot}},
		{Key: LabelEKSCapacityType, Operator: corev1.NodeSelectorOpIn, Values: []string{eksCapacitySpot}},
	} {
		a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
			corev1.PreferredSchedulingTerm{Weight: spotPreference, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{req}}})
	}
	return a
}

// requireOnDemand keeps pods off spot nodes under both labelings: NotIn
// also matches nodes without the label, so clusters that buy on-demand
// only (and label nothing) schedule them. The requirements are ANDed into
// every required term (terms are ORed, so each must carry them).
func requireOnDemand(base *corev1.Affinity) *corev1.Affinity {
	a := withNodeAffinity(base)
	reqs := []corev1.NodeSelectorRequirement{
		{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpNotIn, Values: []string{karpv1.CapacityTypeSpot}},
		{Key: LabelEKSCapacityType, Operator: corev1.NodeSelectorOpNotIn, Values: []string{eksCapacitySpot}},
	}
	terms := requiredTerms(a)
	for i := range terms {
		terms[i].MatchExpressions = append(terms[i].MatchExpressions, reqs...)
	}
	a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: terms}
	return a
}

// requireSpot puts pods on spot nodes only: a spot node under either
// labeling, which takes two ORed terms, crossed with the required terms
// there are (each existing term once with each labeling).
func requireSpot(base *corev1.Affinity) *corev1.Affinity {
	a := withNodeAffinity(base)
	var terms []corev1.NodeSelectorTerm
	for _, t := range requiredTerms(a) {
		for _, req := range []corev1.NodeSelectorRequirement{
			{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{karpv1.CapacityTypeSpot}},
			{Key: LabelEKSCapacityType, Operator: corev1.NodeSelectorOpIn, Values: []string{eksCapacitySpot}},
		} {
			term := *t.DeepCopy()
			term.MatchExpressions = append(term.MatchExpressions, req)
			terms = append(terms, term)
		}
	}
	a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: terms}
	return a
}

// withNodeAffinity is a copy of an affinity with a node affinity.
func withNodeAffinity(base *corev1.Affinity) *corev1.Affinity {
	a := base.DeepCopy()
	if a.NodeAffinity == nil {
		a.NodeAffinity = &corev1.NodeAffinity{}
	}
	return a
}

// requiredTerms are a node affinity's required terms, or one empty term
// to add requirements to when it has none.
func requiredTerms(a *corev1.Affinity) []corev1.NodeSelectorTerm {
	req := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if req == nil || len(req.NodeSelectorTerms) == 0 {
		return []corev1.NodeSelectorTerm{{}}
	}
	return req.NodeSelectorTerms
}

// planeObjects are the app's objects as rendered into one control plane:
// the divided Deployment and its variants carry the replicas of the
// plane's clusters (each plane's Karmada divides its own copy), and a
// variant with none there is left out.
func (r *renderer) planeObjects(b appBuild, plane string) []sourceObject {
	if len(b.app.Spec.Spot.Division) == 0 {
		return b.objects
	}
	out := make([]sourceObject, 0, len(b.objects))
	for _, so := range b.objects {
		if so.divided == nil {
			out = append(out, so)
			continue
		}
		counts := r.planeCounts(so.divided.counts, plane)
		if so.divided.capacity != "" && len(counts) == 0 {
			continue
		}
		var replicas int64
		for _, c := range counts {
			replicas += int64(c.replicas)
		}
		so.obj = so.obj.DeepCopy()
		_ = unstructured.SetNestedField(so.obj.Object, replicas, "spec", "replicas")
		so.divided = &dividedPart{capacity: so.divided.capacity, counts: counts}
		out = append(out, so)
	}
	return out
}

// planeCounts are the counts on the clusters of one control plane.
func (r *renderer) planeCounts(counts []clusterCount, plane string) []clusterCount {
	var out []clusterCount
	for _, c := range counts {
		if cl := r.repo.Cluster(c.cluster); cl != nil && r.repo.ControlPlaneOf(cl) == plane {
			out = append(out, c)
		}
	}
	return out
}

// staticWeights divides a part's replicas by its counts.
func staticWeights(counts []clusterCount) *policyv1alpha1.ReplicaSchedulingStrategy {
	prefs := &policyv1alpha1.ClusterPreferences{}
	for _, c := range counts {
		prefs.StaticWeightList = append(prefs.StaticWeightList, policyv1alpha1.StaticClusterWeight{
			TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{c.cluster}},
			Weight:        int64(c.replicas),
		})
	}
	return &policyv1alpha1.ReplicaSchedulingStrategy{
		ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
		ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
		WeightPreference:          prefs,
	}
}

// divisionFields maps a policy's static weights onto the shares of
// spec.spot.division they come from (and the rest of the policy onto
// placementFields, or onto the division for a variant's own policy).
func divisionFields(base yamldoc.FieldMap, counts []clusterCount) yamldoc.FieldMap {
	const weights = "spec.placement.replicaScheduling.weightPreference"
	out := slices.DeleteFunc(slices.Clone(base), func(f yamldoc.FieldRename) bool {
		return f.From == weights || strings.HasPrefix(f.From, weights+".")
	})
	out = append(out, yamldoc.FieldRename{From: weights, To: "spec.spot.division"})
	for i, c := range counts {
		out = append(out, yamldoc.FieldRename{From: fmt.Sprintf("%s.staticWeightList[%d]", weights, i), To: fmt.Sprintf("spec.spot.division[%d]", c.index)})
	}
	return out
}

// variantPolicy sends a variant to the clusters its counts name, divided
// by them, with the app's cluster tolerations and failover.
func variantPolicy(app *intent.App, so sourceObject, placement policyv1alpha1.Placement, failover *policyv1alpha1.FailoverBehavior) *policyv1alpha1.PropagationPolicy {
	names := make([]string, len(so.divided.counts))
	for i, c := range so.divided.counts {
		names[i] = c.cluster
	}
	return &policyv1alpha1.PropagationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindPropagationPolicy},
		ObjectMeta: metav1.ObjectMeta{Name: app.Name + "-" + so.divided.capacity, Namespace: app.Spec.Namespace},
		Spec: policyv1alpha1.PropagationSpec{
			// By name, as the app's policy selects the Deployment: Karmada
			// claims a resource for the policy whose selector matches it
			// most specifically (a name), and the app's policy does not
			// name the variants, so each is claimed by its own policy only.
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: so.obj.GetAPIVersion(), Kind: so.obj.GetKind(), Name: so.obj.GetName()}},
			Placement: policyv1alpha1.Placement{
				// Karmada's static weights are at least 1: the clusters
				// with none are left out of the affinity instead.
				ClusterAffinity:    &policyv1alpha1.ClusterAffinity{ClusterNames: names},
				ClusterTolerations: slices.Clone(placement.ClusterTolerations),
				ReplicaScheduling:  staticWeights(so.divided.counts),
			},
			Failover:      failover,
			PropagateDeps: failover != nil,
		},
	}
}
