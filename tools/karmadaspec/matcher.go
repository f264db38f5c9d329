package karmadaspec

import (
	"slices"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	"github.com/karmada-io/karmada/pkg/util/lifted"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Matcher decides what karmadautil.ClusterMatches decides for one affinity,
// but parses the affinity's selectors once instead of on every call: with
// a thousand clusters and hundreds of apps, re-parsing dominated render
// time. TestMatcherAgreesWithKarmada checks the two agree on randomized
// affinities and clusters.
type Matcher struct {
	all       bool // nil affinity: every cluster
	never     bool // a selector Karmada cannot parse matches nothing
	exclude   []string
	names     []string
	labelSel  labels.Selector
	zoneExprs []corev1.NodeSelectorRequirement
	fieldSel  labels.Selector
}

// NewMatcher prepares an affinity for matching (nil: every cluster).
func NewMatcher(a *policyv1alpha1.ClusterAffinity) *Matcher {
	if a == nil {
		return &Matcher{all: true}
	}
	m := &Matcher{exclude: a.ExcludeClusters, names: a.ClusterNames}
	if a.LabelSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(a.LabelSelector)
		if err != nil {
			return &Matcher{never: true, exclude: a.ExcludeClusters}
		}
		m.labelSel = s
	}
	if a.FieldSelector != nil {
		var other []corev1.NodeSelectorRequirement
		for _, e := range a.FieldSelector.MatchExpressions {
			if e.Key == karmadautil.ZoneField {
				m.zoneExprs = append(m.zoneExprs, e)
			} else {
				other = append(other, e)
			}
		}
		if len(other) > 0 {
			s, errs := lifted.NodeSelectorRequirementsAsSelector(other)
			if errs != nil {
				return &Matcher{never: true, exclude: a.ExcludeClusters}
			}
			m.fieldSel = s
		}
	}
	return m
}

// Matches reports whether the cluster is selected, in the order Karmada
// checks: exclusions, labels, zones, other fields, names.
func (m *Matcher) Matches(kc *clusterv1alpha1.Cluster) bool {
	if m.all {
		return true
	}
	if slices.Contains(m.exclude, kc.Name) {
		return false
	}
	if m.never {
		return false
	}
	if m.labelSel != nil && !m.labelSel.Matches(labels.Set(kc.GetLabels())) {
		return false
	}
	for i := range m.zoneExprs {
		if !matchZones(&m.zoneExprs[i], kc.Spec.Zones) {
			return false
		}
	}
	if m.fieldSel != nil {
		fields := labels.Set{}
		if kc.Spec.Provider != "" {
			fields[karmadautil.ProviderField] = kc.Spec.Provider
		}
		if kc.Spec.Region != "" {
			fields[karmadautil.RegionField] = kc.Spec.Region
		}
		if !m.fieldSel.Matches(fields) {
			return false
		}
	}
	return len(m.names) == 0 || slices.Contains(m.names, kc.Name)
}

// matchZones is Karmada's zone rule (pkg/util/selector.go, unexported):
// In needs every zone of the cluster listed, NotIn none of them.
func matchZones(e *corev1.NodeSelectorRequirement, zones []string) bool {
	switch e.Operator {
	case corev1.NodeSelectorOpIn:
		if len(zones) == 0 {
			return false
		}
		for _, z := range zones {
			if !slices.Contains(e.Values, z) {
				return false
			}
		}
		return true
	case corev1.NodeSelectorOpNotIn:
		for _, z := range zones {
			if slices.Contains(e.Values, z) {
				return false
			}
		}
		return true
	case corev1.NodeSelectorOpExists:
		return len(zones) > 0
	case corev1.NodeSelectorOpDoesNotExist:
		return len(zones) == 0
	}
	return false
}
