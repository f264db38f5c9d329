package karmadaspec

import (
	"strconv"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	v1helper "k8s.io/component-helpers/scheduling/corev1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
)

// Labels flotilla derives from Cluster facts (docs/contracts.md).
const (
	LabelKind         = "flotilla.io/kind"
	LabelCapacityType = "flotilla.io/capacity-type"
	LabelWave         = "flotilla.io/wave"
	LabelBTF          = "flotilla.io/btf"
)

// Where Push-mode member credentials live in the Karmada control plane.
const (
	ClusterSecretNamespace = "karmada-cluster"
	impersonatorSuffix     = "-impersonator"
)

// ClusterLabels returns the Cluster's own labels plus the derived ones.
func ClusterLabels(c *v1alpha1.Cluster) map[string]string {
	l := make(map[string]string, len(c.Labels)+4)
	for k, v := range c.Labels {
		l[k] = v
	}
	l[LabelKind] = string(c.Spec.Kind)
	l[LabelCapacityType] = string(c.Spec.Capacity.Type)
	l[LabelWave] = strconv.Itoa(int(c.Spec.Wave))
	l[LabelBTF] = strconv.FormatBool(c.Spec.Kernel.BTF)
	return l
}

// Cluster builds the Karmada Cluster object for a member, as `karmadactl
// join` would register it, with the intent's facts as labels and fields.
// Only references to credentials are set, never credentials.
func Cluster(c *v1alpha1.Cluster) *clusterv1alpha1.Cluster {
	kc := &clusterv1alpha1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: clusterv1alpha1.SchemeGroupVersion.String(), Kind: clusterv1alpha1.ResourceKindCluster},
		ObjectMeta: metav1.ObjectMeta{Name: c.Name, Labels: ClusterLabels(c)},
		Spec: clusterv1alpha1.ClusterSpec{
			SyncMode:    clusterv1alpha1.ClusterSyncMode(c.Spec.Access.SyncMode),
			APIEndpoint: c.Spec.Access.APIEndpoint,
			Provider:    c.Spec.Provider,
			Region:      c.Spec.Region,
			Taints:      append([]corev1.Taint(nil), c.Spec.Taints...),
		},
	}
	if c.Spec.Zone != "" {
		// Karmada v1.13 matches and spreads zones through spec.zones; the
		// singular spec.zone is deprecated.
		kc.Spec.Zones = []string{c.Spec.Zone}
	}
	if kc.Spec.SyncMode == clusterv1alpha1.Push {
		kc.Spec.SecretRef = &clusterv1alpha1.LocalSecretReference{Namespace: ClusterSecretNamespace, Name: c.Name}
		kc.Spec.ImpersonatorSecretRef = &clusterv1alpha1.LocalSecretReference{Namespace: ClusterSecretNamespace, Name: c.Name + impersonatorSuffix}
	}
	return kc
}

// Affinity translates a cluster selection. An empty selection is nil
// (Karmada: every cluster).
func Affinity(s v1alpha1.ClusterSelection) *policyv1alpha1.ClusterAffinity {
	if s.IsEmpty() {
		return nil
	}
	a := &policyv1alpha1.ClusterAffinity{
		ClusterNames:    append([]string(nil), s.Clusters...),
		ExcludeClusters: append([]string(nil), s.Exclude...),
	}
	if s.Selector != nil {
		a.LabelSelector = s.Selector.DeepCopy()
	}
	var exprs []corev1.NodeSelectorRequirement
	for _, f := range []struct {
		key    string
		values []string
	}{{karmadautil.ProviderField, s.Providers}, {karmadautil.RegionField, s.Regions}, {karmadautil.ZoneField, s.Zones}} {
		if len(f.values) > 0 {
			exprs = append(exprs, corev1.NodeSelectorRequirement{Key: f.key, Operator: corev1.NodeSelectorOpIn, Values: append([]string(nil), f.values...)})
		}
	}
	if len(exprs) > 0 {
		a.FieldSelector = &policyv1alpha1.FieldSelector{MatchExpressions: exprs}
	}
	return a
}

// noSpot is the label requirement that keeps an app off spot clusters.
func noSpot() metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: LabelCapacityType, Operator: metav1.LabelSelectorOpNotIn, Values: []string{string(v1alpha1.CapacitySpot)}}
}

// withNoSpot adds the no-spot requirement to an affinity (nil = all
// clusters becomes "all but spot").
func withNoSpot(a *policyv1alpha1.ClusterAffinity) *policyv1alpha1.ClusterAffinity {
	if a == nil {
		a = &policyv1alpha1.ClusterAffinity{}
	}
	if a.LabelSelector == nil {
		a.LabelSelector = &metav1.LabelSelector{}
	}
	a.LabelSelector.MatchExpressions = append(a.LabelSelector.MatchExpressions, noSpot())
	return a
}

// Placement translates an app's placement into Karmada's.
func Placement(app *v1alpha1.App) policyv1alpha1.Placement {
	p := app.Spec.Placement
	var out policyv1alpha1.Placement
	if len(p.Groups) > 0 {
		for _, g := range p.Groups {
			a := Affinity(g.ClusterSelection)
			if !app.Spec.Spot.Allowed {
				a = withNoSpot(a)
			}
			term := policyv1alpha1.ClusterAffinityTerm{AffinityName: g.Name}
			if a != nil {
				term.ClusterAffinity = *a
			}
			out.ClusterAffinities = append(out.ClusterAffinities, term)
		}
	} else {
		out.ClusterAffinity = Affinity(p.ClusterSelection)
		if !app.Spec.Spot.Allowed {
			out.ClusterAffinity = withNoSpot(out.ClusterAffinity)
		}
	}
	out.ClusterTolerations = append([]corev1.Toleration(nil), p.Tolerations...)
	for _, s := range p.Spread {
		out.SpreadConstraints = append(out.SpreadConstraints, policyv1alpha1.SpreadConstraint{
			SpreadByField: policyv1alpha1.SpreadFieldValue(s.By),
			SpreadByLabel: s.Label,
			MinGroups:     s.Min,
			MaxGroups:     s.Max,
		})
	}
	out.ReplicaScheduling = ReplicaScheduling(p.Replicas)
	return out
}

// ReplicaScheduling translates how replicas are shared.
func ReplicaScheduling(r v1alpha1.ReplicaPlacement) *policyv1alpha1.ReplicaSchedulingStrategy {
	if r.Mode != v1alpha1.ReplicasDivided {
		return &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated}
	}
	s := &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDivided}
	switch r.Division {
	case v1alpha1.DivisionAggregated:
		s.ReplicaDivisionPreference = policyv1alpha1.ReplicaDivisionPreferenceAggregated
	case v1alpha1.DivisionAvailableReplicas:
		s.ReplicaDivisionPreference = policyv1alpha1.ReplicaDivisionPreferenceWeighted
		s.WeightPreference = &policyv1alpha1.ClusterPreferences{DynamicWeight: policyv1alpha1.DynamicWeightByAvailableReplicas}
	default:
		s.ReplicaDivisionPreference = policyv1alpha1.ReplicaDivisionPreferenceWeighted
		prefs := &policyv1alpha1.ClusterPreferences{}
		for _, w := range r.Weights {
			target := policyv1alpha1.ClusterAffinity{}
			if a := Affinity(w.ClusterSelection); a != nil {
				target = *a
			}
			prefs.StaticWeightList = append(prefs.StaticWeightList, policyv1alpha1.StaticClusterWeight{TargetCluster: target, Weight: w.Weight})
		}
		s.WeightPreference = prefs
	}
	return s
}

// Failover translates the failover intent; nil when the app has none.
func Failover(app *v1alpha1.App) *policyv1alpha1.FailoverBehavior {
	f := app.Spec.Placement.Failover
	if f == nil {
		return nil
	}
	return &policyv1alpha1.FailoverBehavior{Application: &policyv1alpha1.ApplicationFailoverBehavior{
		DecisionConditions: policyv1alpha1.DecisionConditions{TolerationSeconds: f.AfterSeconds},
		PurgeMode:          policyv1alpha1.PurgeMode(f.Purge),
		GracePeriodSeconds: f.GracePeriodSeconds,
	}}
}

// Matches reports whether Karmada's affinity matching selects the cluster
// (nil affinity: every cluster). To match many clusters, use NewMatcher.
func Matches(kc *clusterv1alpha1.Cluster, a *policyv1alpha1.ClusterAffinity) bool {
	return NewMatcher(a).Matches(kc)
}

// Tolerates reports whether the tolerations admit the cluster, as
// karmada-scheduler's TaintToleration filter decides (NoSchedule and
// NoExecute taints must be tolerated), and returns the first taint that is
// not tolerated.
func Tolerates(kc *clusterv1alpha1.Cluster, tolerations []corev1.Toleration) (bool, *corev1.Taint) {
	taint, untolerated := v1helper.FindMatchingUntoleratedTaint(kc.Spec.Taints, tolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	})
	if untolerated {
		return false, &taint
	}
	return true, nil
}

// Admits reports whether a placement can use the cluster: its affinity
// (or one of its ordered affinities) selects it and its tolerations admit
// it, as Karmada's scheduler filters decide.
func Admits(p policyv1alpha1.Placement, kc *clusterv1alpha1.Cluster) bool {
	one := []*clusterv1alpha1.Cluster{kc}
	if len(p.ClusterAffinities) == 0 {
		return len(Candidates(one, p.ClusterAffinity, p.ClusterTolerations)) == 1
	}
	for i := range p.ClusterAffinities {
		if len(Candidates(one, &p.ClusterAffinities[i].ClusterAffinity, p.ClusterTolerations)) == 1 {
			return true
		}
	}
	return false
}

// Candidates returns the clusters an affinity selects and the placement
// tolerates, in the order given.
func Candidates(kcs []*clusterv1alpha1.Cluster, a *policyv1alpha1.ClusterAffinity, tolerations []corev1.Toleration) []*clusterv1alpha1.Cluster {
	var out []*clusterv1alpha1.Cluster
	m := NewMatcher(a)
	for _, kc := range kcs {
		if !m.Matches(kc) {
			continue
		}
		if ok, _ := Tolerates(kc, tolerations); ok {
			out = append(out, kc)
		}
	}
	return out
}
