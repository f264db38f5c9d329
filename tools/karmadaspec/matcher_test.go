package karmadaspec

import (
	"fmt"
	"testing"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	karmadautil "github.com/karmada-io/karmada/pkg/util"

	"github.com/flotilla-gitops/flotilla/tools/internal/karmadarand"
)

// TestMatcherAgreesWithKarmada compares Matcher with Karmada's own
// util.ClusterMatches on random affinities (labels, fields with every
// operator, zones, names, exclusions, and invalid selectors) over random
// clusters.
func TestMatcherAgreesWithKarmada(t *testing.T) {
	g := karmadarand.New(1, 2)
	var clusters []*clusterv1alpha1.Cluster
	for i := 0; i < 40; i++ {
		c := &clusterv1alpha1.Cluster{}
		c.Name = fmt.Sprintf("c%d", i)
		c.Labels = map[string]string{}
		for _, k := range g.Some("env", "tier", "team") {
			c.Labels[k] = g.Pick("a", "b", "c")
		}
		c.Spec.Provider = g.Pick("aws", "gcp", "")
		c.Spec.Region = g.Pick("r1", "r2", "r3", "5", "12", "")
		c.Spec.Zones = g.Some("z1", "z2", "z3")
		clusters = append(clusters, c)
	}
	checked, matched := 0, 0
	for i := 0; i < 3000; i++ {
		a := g.Affinity()
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
