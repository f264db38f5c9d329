package karmadaspec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestMatcherAgreesWithKarmada compares Matcher with Karmada's own
// util.ClusterMatches on random affinities (labels, fields with every
// operator, zones, names, exclusions, and invalid selectors) over random
// clusters.
func TestMatcherAgreesWithKarmada(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	some := func(vals ...string) []string {
		var out []string
		for _, v := range vals {
			if rng.IntN(2) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	var clusters []*clusterv1alpha1.Cluster
	for i := 0; i < 40; i++ {
		c := &clusterv1alpha1.Cluster{}
		c.Name = fmt.Sprintf("c%d", i)
		c.Labels = map[string]string{}
		for _, k := range some("env", "tier", "team") {
			c.Labels[k] = pick("a", "b", "c")
		}
		c.Spec.Provider = pick("aws", "gcp", "")
		c.Spec.Region = pick("r1", "r2", "r3", "")
		c.Spec.Zones = some("z1", "z2", "z3")
		clusters = append(clusters, c)
	}
	ops := []corev1.NodeSelectorOperator{corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist, corev1.NodeSelectorOpGt, "Bogus"}
	lops := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist, "Bogus"}
	checked, matched := 0, 0
	for i := 0; i < 3000; i++ {
		a := &policyv1alpha1.ClusterAffinity{ClusterNames: some("c1", "c2", "c3", "c5", "c8"), ExcludeClusters: some("c2", "c7")}
		if rng.IntN(2) == 0 {
			sel := &metav1.LabelSelector{MatchLabels: map[string]string{}}
			for _, k := range some("env", "tier") {
				sel.MatchLabels[k] = pick("a", "b")
			}
			for range rng.IntN(2) {
				op := lops[rng.IntN(len(lops))]
				r := metav1.LabelSelectorRequirement{Key: pick("env", "team"), Operator: op}
				if op == metav1.LabelSelectorOpIn || op == metav1.LabelSelectorOpNotIn || rng.IntN(4) == 0 {
					r.Values = some("a", "b", "c")
				}
				sel.MatchExpressions = append(sel.MatchExpressions, r)
			}
			a.LabelSelector = sel
		}
		if rng.IntN(2) == 0 {
			fs := &policyv1alpha1.FieldSelector{}
			for range 1 + rng.IntN(2) {
				op := ops[rng.IntN(len(ops))]
				e := corev1.NodeSelectorRequirement{Key: pick(karmadautil.ProviderField, karmadautil.RegionField, karmadautil.ZoneField, "bogus"), Operator: op}
				if op != corev1.NodeSelectorOpExists && op != corev1.NodeSelectorOpDoesNotExist || rng.IntN(4) == 0 {
					e.Values = some("aws", "gcp", "r1", "r2", "z1", "z2", "3")
				}
				fs.MatchExpressions = append(fs.MatchExpressions, e)
			}
			a.FieldSelector = fs
		}
		m := NewMatcher(a)
		for _, c := range clusters {
			want := karmadautil.ClusterMatches(c, *a)
			if got := m.Matches(c); got != want {
				t.Fatalf("affinity %+v on cluster %s (labels %v, %s/%s zones %v): Matcher %v, Karmada %v",
					*a, c.Name, c.Labels, c.Spec.Provider, c.Spec.Region, c.Spec.Zones, got, want)
			}
			checked++
			if want {
				matched++
			}
		}
	}
	// Guard against a generator that only ever produces "no match".
	if matched < checked/50 {
		t.Fatalf("only %d of %d pairs matched: the random cases do not exercise matching", matched, checked)
	}
	if !NewMatcher(nil).Matches(clusters[0]) {
		t.Errorf("nil affinity must match every cluster")
	}
}
