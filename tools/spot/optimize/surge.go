package optimize

import "sort"

// Surge is the division to commit before a plan that moves replicas, so
// that no replica stops before its replacement is ready: in each cluster,
// the larger of before and after for each kind. Karmada scales a cluster
// down as soon as its weight drops, and up only as fast as pods start; so
// a move committed at once leaves the moved replicas unready for a
// start-up. Committing the surge first and the plan once the surge's new
// replicas are ready (the next rebalance round) moves them make before
// break, for the price of the extra replicas meanwhile.
func Surge(before, after []Assignment) []Assignment {
	by := map[string]Assignment{}
	for _, list := range [][]Assignment{before, after} {
		for _, a := range list {
			b := by[a.Cluster]
			b.Cluster = a.Cluster
			b.OnDemand = max(b.OnDemand, a.OnDemand)
			b.Spot = max(b.Spot, a.Spot)
			b.Hedge = max(b.Hedge, a.Hedge)
			b.HedgeSpotOnly = max(b.HedgeSpotOnly, a.HedgeSpotOnly)
			by[a.Cluster] = b
		}
	}
	out := make([]Assignment, 0, len(by))
	for _, a := range by {
		if a.Replicas() > 0 {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cluster < out[j].Cluster })
	return out
}
