// Package karmadarand draws random Karmada cluster affinities and the
// values they select on, for the tests that hold flotilla's cluster
// matching (tools/karmadaspec's Matcher, the policy pack's lib/karmada) to
// Karmada's own util.ClusterMatches. One generator serves both, so both
// face the same corners: every label and field operator (and invalid
// ones), values where none belong, integer comparisons, zones, names and
// exclusions.
package karmadarand

import (
	"math/rand/v2"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Gen draws reproducibly from its seed.
type Gen struct{ rng *rand.Rand }

// New returns a generator seeded with a and b.
func New(a, b uint64) *Gen { return &Gen{rng: rand.New(rand.NewPCG(a, b))} }

// IntN returns a number in [0, n).
func (g *Gen) IntN(n int) int { return g.rng.IntN(n) }

// Pick returns one of vals.
func (g *Gen) Pick(vals ...string) string { return vals[g.rng.IntN(len(vals))] }

// Some returns each of vals with probability one half, in order.
func (g *Gen) Some(vals ...string) []string {
	var out []string
	for _, v := range vals {
		if g.rng.IntN(2) == 0 {
			out = append(out, v)
		}
	}
	return out
}

var (
	fieldOps = []corev1.NodeSelectorOperator{corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist, corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt, "Bogus"}
	labelOps = []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist, "Bogus"}
)

// Affinity draws an affinity over clusters named c0, c1, ... with labels
// env, tier and team valued a, b or c, providers aws and gcp, regions r1,
// r2, r3 or integers, and zones z1, z2, z3.
func (g *Gen) Affinity() *policyv1alpha1.ClusterAffinity {
	a := &policyv1alpha1.ClusterAffinity{ClusterNames: g.Some("c1", "c2", "c3", "c5", "c8", "c13"), ExcludeClusters: g.Some("c2", "c7", "c11")}
	if g.rng.IntN(2) == 0 {
		sel := &metav1.LabelSelector{MatchLabels: map[string]string{}}
		for _, k := range g.Some("env", "tier") {
			sel.MatchLabels[k] = g.Pick("a", "b")
		}
		for range g.rng.IntN(3) {
			op := labelOps[g.rng.IntN(len(labelOps))]
			r := metav1.LabelSelectorRequirement{Key: g.Pick("env", "team", "absent"), Operator: op}
			if op == metav1.LabelSelectorOpIn || op == metav1.LabelSelectorOpNotIn || g.rng.IntN(4) == 0 {
				r.Values = g.Some("a", "b", "c")
			}
			sel.MatchExpressions = append(sel.MatchExpressions, r)
		}
		a.LabelSelector = sel
	}
	if g.rng.IntN(2) == 0 {
		fs := &policyv1alpha1.FieldSelector{}
		for range 1 + g.rng.IntN(2) {
			op := fieldOps[g.rng.IntN(len(fieldOps))]
			e := corev1.NodeSelectorRequirement{Key: g.Pick(karmadautil.ProviderField, karmadautil.RegionField, karmadautil.ZoneField, "bogus"), Operator: op}
			if op != corev1.NodeSelectorOpExists && op != corev1.NodeSelectorOpDoesNotExist || g.rng.IntN(4) == 0 {
				e.Values = g.Some("aws", "gcp", "r1", "r2", "z1", "z2", "3", "+8", "10")
			}
			fs.MatchExpressions = append(fs.MatchExpressions, e)
		}
		a.FieldSelector = fs
	}
	return a
}
