package sim

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"
)

// oracleCosts is one app's perfect-foresight cost per minute, as a
// histogram: minutes at each cost (USD per minute).
type oracleCosts struct {
	costs   []float64 // descending
	minutes []int64
	total   float64
}

// at is the oracle's cost when drop minutes may have fewer than N ready:
// it leaves out the most expensive minutes (paying nothing in them).
func (o *oracleCosts) at(drop int64) float64 {
	total := o.total
	for i := 0; i < len(o.costs) && drop > 0; i++ {
		n := min(drop, o.minutes[i])
		total -= float64(n) * o.costs[i]
		drop -= n
	}
	return max(total, 0)
}

// oracle computes an app's costs. Each minute it puts N replicas on the
// cheapest capacity, within the objective's caps when capped: spot in any
// pool that is up or whose notice is still running (an instance that got
// the notice serves until the reclaim), on-demand anywhere. It never pays
// a start-up or loses a replica to a reclaim: a lower bound. Within caps
// that nest (cluster inside region), taking the cheapest replica that fits
// one at a time is optimal (the caps form a laminar matroid).
func oracle(w *world, app *App, capped bool) *oracleCosts {
	s := newAppSim(w, app, nil)
	clusterCap, regionCap := never, never
	if capped {
		clusterCap, regionCap = s.clusterCap, s.regionCap
	}
	notice := w.d.notice
	// The usable capacity of a pool at minute m: the most it had over
	// [m−notice, m].
	usable := func(pi, m int) int {
		best := 0
		for x := max(0, m-notice); x <= m; x++ {
			best = max(best, w.pools[pi].capacity(x))
		}
		return best
	}
	// Minutes where any usable capacity may change.
	var marks []int
	for _, pi := range s.pools {
		for _, c := range w.pools[pi].changes {
			marks = append(marks, int(c), int(c)+notice)
		}
	}
	marks = append(marks, 0)
	sort.Ints(marks)
	hist := map[float64]int64{}
	cache := map[string]float64{}
	key := make([]byte, 0, 8*len(s.pools))
	caps := make([]int, len(s.pools))
	for i, m := range marks {
		if m >= w.minutes || (i > 0 && marks[i-1] == m) {
			continue
		}
		end := w.minutes
		for _, x := range marks[i+1:] {
			if x > m {
				end = min(end, x)
				break
			}
		}
		key = key[:0]
		for j, pi := range s.pools {
			caps[j] = usable(pi, m)
			key = binary.LittleEndian.AppendUint32(key, uint32(caps[j]))
		}
		cost, ok := cache[string(key)]
		if !ok {
			cost = oracleMinute(w, s, caps, clusterCap, regionCap)
			cache[string(key)] = cost
		}
		hist[cost] += int64(end - m)
	}
	o := &oracleCosts{}
	for c := range hist {
		o.costs = append(o.costs, c)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(o.costs)))
	for _, c := range o.costs {
		o.minutes = append(o.minutes, hist[c])
		o.total += c * float64(hist[c])
	}
	return o
}

// oracleMinute is the cheapest cost of N replicas for one minute, given
// the usable capacity of the app's pools.
func oracleMinute(w *world, s *appSim, caps []int, clusterCap, regionCap int) float64 {
	type option struct {
		k     int
		price float64
		units int
	}
	var opts []option
	for k, ci := range s.cl {
		c := &w.clusters[ci]
		for j, pi := range s.pools {
			if w.pools[pi].cluster == ci && caps[j] > 0 {
				opts = append(opts, option{k, w.pools[pi].price, caps[j]})
			}
		}
		opts = append(opts, option{k, c.od, math.MaxInt32})
	}
	sort.SliceStable(opts, func(a, b int) bool { return opts[a].price < opts[b].price })
	inCluster := make([]int, len(s.cl))
	inRegion := map[int]int{}
	left, cost := s.n, 0.0
	for _, o := range opts {
		if left == 0 {
			break
		}
		ci := s.cl[o.k]
		r := w.clusters[ci].region
		take := min(left, o.units, clusterCap-inCluster[o.k], regionCap-inRegion[r])
		if c := w.clusters[ci].cap; c > 0 {
			take = min(take, c-inCluster[o.k])
		}
		if take <= 0 {
			continue
		}
		inCluster[o.k] += take
		inRegion[r] += take
		left -= take
		cost += float64(take) * o.price
	}
	if left > 0 {
		return math.Inf(1) // the caps cannot hold N
	}
	return cost / 60
}

// oracleKey identifies what an app's oracle depends on: its replicas, its
// caps and the clusters it may use (not its name, weights or limits).
func oracleKey(app *App, capped bool) string {
	o := app.Objective
	names := append([]string(nil), app.Clusters...)
	sort.Strings(names)
	return fmt.Sprintf("%d|%v|%v|%v|%s", o.Replicas, capped, o.MaxClusterShare, o.MaxRegionShare, strings.Join(names, ","))
}
