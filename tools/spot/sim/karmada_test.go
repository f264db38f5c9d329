package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/helper"
)

// TestDivideMatchesKarmada compares divide with Karmada's own dispenser on
// random weights, wherever Karmada's division is not a coin toss (no two
// clusters with the same weight and the same replicas before compete for
// the remainder).
func TestDivideMatchesKarmada(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	compared := 0
	for k := 0; k < 2000; k++ {
		m := 1 + rng.IntN(6)
		weights := make([]int, m)
		last := make([]int, m)
		var tcs, init []workv1alpha2.TargetCluster
		for i := range weights {
			weights[i] = rng.IntN(9)
			last[i] = rng.IntN(4)
			name := fmt.Sprintf("c%d", i)
			tcs = append(tcs, workv1alpha2.TargetCluster{Name: name, Replicas: int32(weights[i])})
			init = append(init, workv1alpha2.TargetCluster{Name: name, Replicas: int32(last[i])})
		}
		n := 1 + rng.IntN(12)
		if ambiguous(weights, last) {
			continue
		}
		// Karmada merges the division into init; give it an empty one and
		// pass the last division only as the tie-breaker, as the
		// scheduler does (GetStaticWeightInfoListByTargetClusters).
		wl := helper.GetStaticWeightInfoListByTargetClusters(tcs, init)
		d := helper.NewDispenser(int32(n), nil)
		d.TakeByWeight(wl)
		got := map[string]int32{}
		for _, tc := range d.Result {
			got[tc.Name] = tc.Replicas
		}
		mine := divide(n, weights, last)
		for i := range weights {
			if int32(mine[i]) != got[fmt.Sprintf("c%d", i)] {
				t.Fatalf("weights %v last %v n %d: divide %v, Karmada %v", weights, last, n, mine, d.Result)
			}
		}
		compared++
	}
	t.Logf("%d divisions compared", compared)
	if compared < 500 {
		t.Fatalf("only %d unambiguous cases", compared)
	}
}

func ambiguous(weights, last []int) bool {
	seen := map[[2]int]bool{}
	for i := range weights {
		k := [2]int{weights[i], last[i]}
		if seen[k] && weights[i] > 0 {
			return true
		}
		seen[k] = true
	}
	return false
}
