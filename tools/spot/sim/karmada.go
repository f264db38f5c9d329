package sim

import "sort"

// divide splits n replicas by weights the way Karmada's static weight
// division does (pkg/util/helper.Dispenser.TakeByWeight): each cluster
// first gets floor(weight·n/Σweight), and the remainder goes one by one
// in order of weight (higher first), then of replicas held before (more
// first: Karmada keeps the inertia of the last division). Karmada breaks
// the last tie at random; the simulator by cluster position, so that a run
// can be repeated. Clusters with weight 0 get nothing; when every weight is
// 0 nothing is divided.
func divide(n int, weights, last []int) []int {
	out := make([]int, len(weights))
	sum := 0
	for _, w := range weights {
		sum += w
	}
	if sum == 0 || n <= 0 {
		return out
	}
	order := make([]int, 0, len(weights))
	remain := n
	for i, w := range weights {
		out[i] = w * n / sum
		remain -= out[i]
		order = append(order, i)
	}
	sort.SliceStable(order, func(a, b int) bool {
		i, j := order[a], order[b]
		if weights[i] != weights[j] {
			return weights[i] > weights[j]
		}
		return last[i] > last[j]
	})
	for _, i := range order {
		if remain == 0 {
			break
		}
		out[i]++
		remain--
	}
	return out
}
