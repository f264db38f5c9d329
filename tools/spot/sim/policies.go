package sim

import (
	"math"

	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
)

// declared returns the app's declared weights per local cluster.
func declared(s *appSim) []int {
	out := make([]int, len(s.cl))
	for _, w := range s.app.Weights {
		if k, ok := s.local[s.w.byName[w.Cluster]]; ok {
			out[k] += w.Weight
		}
	}
	return out
}

func without(weights []int, excluded []bool) []int {
	out := make([]int, len(weights))
	for k, w := range weights {
		if excluded == nil || !excluded[k] {
			out[k] = w
		}
	}
	return out
}

// staticPolicy divides the replicas by the declared weights: on-demand
// only, spot only (today), or spot with Karpenter in each cluster.
type staticPolicy struct {
	onDemand bool
}

func (p *staticPolicy) init(s *appSim) { p.divide(s, nil) }

func (p *staticPolicy) divide(s *appSim, excluded []bool) {
	d := divide(s.n, without(declared(s), excluded), s.totals())
	for k := range s.want {
		if p.onDemand {
			s.want[k] = want{od: d[k]}
		} else {
			s.want[k] = want{spot: d[k]}
		}
	}
}

func (p *staticPolicy) step(*appSim, int)                        {}
func (p *staticPolicy) next(*appSim, int) int                    { return never }
func (p *staticPolicy) reschedule(s *appSim, _ int, excl []bool) { p.divide(s, excl) }

// dynamicPolicy is Karmada's dynamic weights by available replicas.
type dynamicPolicy struct{}

func (dynamicPolicy) init(s *appSim) { dynamicPolicy{}.fill(s, 0) }

// fill schedules the replicas not yet assigned (all at first; more when a
// division found no capacity) by the clusters' available replicas.
func (dynamicPolicy) fill(s *appSim, t int) {
	missing := s.n
	for _, w := range s.want {
		missing -= w.spot
	}
	if missing <= 0 {
		return
	}
	for k, x := range divide(missing, s.available(t), s.totals()) {
		s.want[k].spot += x
	}
}

func (dynamicPolicy) step(s *appSim, t int) { dynamicPolicy{}.fill(s, t) }
func (dynamicPolicy) next(*appSim, int) int { return never }

func (dynamicPolicy) reschedule(s *appSim, t int, excluded []bool) {
	for k := range s.want {
		if excluded[k] {
			s.want[k] = want{}
		}
	}
	dynamicPolicy{}.fill(s, t)
}

// spotHedge is SkyServe's SpotHedge: N+extra spot replicas placed one by
// one by the dynamic-fallback placer (prefer active zones the service does
// not use, then the cheapest; a zone that preempts or fails a launch is
// marked preempted, and all are active again when fewer than two remain),
// and on-demand replicas while fewer than N spot replicas are ready. It
// reacts when it sees a preemption (after the reclaim), not on the notice.
type spotHedge struct {
	preempted []bool
	// detections are (minute, cluster, replicas lost) to handle.
	detections []detection
	odAt       int
}

type detection struct{ at, k, lost int }

func (p *spotHedge) init(s *appSim) {
	p.preempted = make([]bool, len(s.cl))
	// On-demand replicas go to the cheapest on-demand cluster.
	p.odAt = 0
	for k, ci := range s.cl {
		if s.w.clusters[ci].od < s.w.clusters[s.cl[p.odAt]].od {
			p.odAt = k
		}
	}
	for i := 0; i < s.n+s.w.opts.Overprovision; i++ {
		s.want[p.place(s)].spot++
	}
}

// place picks the next zone for a spot replica: an active zone the
// service does not use yet if there is one, else any active zone; the
// cheapest, then the one with the fewest replicas, then the first.
func (p *spotHedge) place(s *appSim) int {
	price := func(k int) float64 {
		best := math.Inf(1)
		for _, pi := range s.w.clusters[s.cl[k]].pools {
			best = min(best, s.w.pools[pi].price)
		}
		return best
	}
	pick := func(unused bool) int {
		best := -1
		for k := range s.cl {
			if p.preempted[k] || (unused && s.want[k].spot > 0) {
				continue
			}
			if best < 0 || price(k) < price(best) || (price(k) == price(best) && s.want[k].spot < s.want[best].spot) {
				best = k
			}
		}
		return best
	}
	if k := pick(true); k >= 0 {
		return k
	}
	return pick(false)
}

func (p *spotHedge) markPreempted(k int) {
	p.preempted[k] = true
	active := 0
	for _, x := range p.preempted {
		if !x {
			active++
		}
	}
	if active < 2 {
		clear(p.preempted)
	}
}

func (p *spotHedge) reclaimed(s *appSim, k, t int) {
	p.detections = append(p.detections, detection{at: t + s.w.d.detect, k: k, lost: 1})
}

func (p *spotHedge) step(s *appSim, t int) {
	// Preemptions seen: the zone is preempted, the lost replicas go
	// elsewhere.
	rest := p.detections[:0]
	for _, d := range p.detections {
		if d.at > t {
			rest = append(rest, d)
			continue
		}
		p.markPreempted(d.k)
		if s.want[d.k].spot > 0 {
			s.want[d.k].spot--
			s.want[p.place(s)].spot++
			s.m.moves++
		}
	}
	p.detections = rest
	// Launches that fail (no capacity) for the detection time: the zone is
	// preempted and the replica goes elsewhere.
	for k := range s.cl {
		if s.pendingSince[k] >= 0 && t-s.pendingSince[k] >= s.w.d.detect && s.roomyPool(k, t) < 0 {
			pending := s.want[k].spot - s.active(k, rolePrimary)
			p.markPreempted(k)
			// Launches retried elsewhere: not a replica moved.
			for ; pending > 0; pending-- {
				s.want[k].spot--
				s.want[p.place(s)].spot++
			}
			s.pendingSince[k] = -1
		}
	}
	// A zone where a spot replica is up is active again.
	for i := range s.insts {
		in := &s.insts[i]
		if in.pool >= 0 && int(in.readyAt) <= t {
			p.preempted[in.k] = false
		}
	}
	// Dynamic on-demand fall-back: one on-demand replica for each spot
	// replica short of N.
	readySpot := 0
	for i := range s.insts {
		if s.insts[i].pool >= 0 && int(s.insts[i].readyAt) <= t {
			readySpot++
		}
	}
	s.want[p.odAt].od = max(0, s.n-readySpot)
}

func (p *spotHedge) next(s *appSim, t int) int {
	n := never
	for _, d := range p.detections {
		if d.at > t {
			n = min(n, d.at)
		}
	}
	for k := range s.cl {
		if s.pendingSince[k] >= 0 && s.pendingSince[k]+s.w.d.detect > t {
			n = min(n, s.pendingSince[k]+s.w.d.detect)
		}
	}
	return n
}

func (p *spotHedge) reschedule(*appSim, int, []bool) {}

// commit is a rebalance commit as it takes effect.
type commit struct {
	at   int // minute it takes effect
	plan []optimize.Assignment
	// hedges is the dynamic hedge's replicas (flotillaPolicy.dynamic).
	hedges int
}

// flotillaPolicy applies the rebalance commits (computed for the whole
// fleet beforehand: the rebalance reads Git and the signals, never the
// clusters) over the Karpenter fast path. With dynamic, the hedge is the
// app's <name>-hedge workload: its count comes from Git, its division
// from Karmada's dynamic weights (the replicas each cluster's spot can
// take, at each scheduling), spot only, with the karmada-descheduler
// moving the replicas a cluster without spot leaves pending (the engine's
// hedgeDescheduler); the primaries keep the static division.
type flotillaPolicy struct {
	commits []commit
	next0   int
	weights []int // the weights in Git, per local cluster
	plan    []want
	dynamic bool
	hedges  int // the dynamic hedge's replicas in Git
}

func (p *flotillaPolicy) init(s *appSim) {
	p.weights = declared(s)
	d := divide(s.n, p.weights, s.totals())
	for k := range s.want {
		s.want[k] = want{spot: d[k]}
	}
	p.plan = append([]want(nil), s.want...)
}

func (p *flotillaPolicy) step(s *appSim, t int) {
	for p.next0 < len(p.commits) && p.commits[p.next0].at <= t {
		c := p.commits[p.next0]
		p.next0++
		before := s.totals()
		p.plan = make([]want, len(s.cl))
		p.weights = make([]int, len(s.cl))
		for _, a := range c.plan {
			k := s.local[s.w.byName[a.Cluster]]
			p.plan[k] = want{od: a.OnDemand, spot: a.Spot, hedge: a.Hedge, spotOnly: a.HedgeSpotOnly}
			p.weights[k] = a.Replicas()
		}
		excluded := make([]bool, len(s.cl))
		for k := range s.cl {
			excluded[k] = s.evictEnd[k] >= 0
		}
		p.apply(s, excluded)
		if p.dynamic {
			p.hedges = c.hedges
			p.scaleDown(s)
		}
		s.countMoves(before)
	}
	if p.dynamic {
		p.scaleUp(s, t)
	}
}

// scaleDown is Karmada's scale-down of a workload divided by dynamic
// weights: the new count divided by the current division's replicas.
func (p *flotillaPolicy) scaleDown(s *appSim) {
	cur := make([]int, len(s.cl))
	sum := 0
	for k := range s.want {
		cur[k] = s.want[k].spotOnly
		sum += cur[k]
	}
	if sum <= p.hedges {
		return
	}
	for k, x := range divide(p.hedges, cur, cur) {
		s.want[k].spotOnly = x
	}
}

// scaleUp is Karmada's scheduling of the replicas the dynamic hedge's
// binding lacks (a scale-up, or replicas the descheduler evicted): divided
// by the replicas each cluster can take now, on top of the current
// division; when the clusters cannot take them all, the scheduling fails
// and is retried at the next change.
func (p *flotillaPolicy) scaleUp(s *appSim, t int) {
	missing := p.hedges
	last := make([]int, len(s.cl))
	for k, w := range s.want {
		missing -= w.spotOnly
		last[k] = w.spotOnly
	}
	if missing <= 0 {
		return
	}
	avail := s.available(t)
	room := 0
	for _, a := range avail {
		room += a
	}
	if room < missing {
		return
	}
	for k, x := range divide(missing, avail, last) {
		s.want[k].spotOnly += x
	}
}

// apply sets the wants of the plan in Git; Karmada gives the replicas of
// clusters it excludes (under eviction) to the others by their weights.
// The dynamic hedge is another binding: neither the plan nor the
// primaries' failover moves it.
func (p *flotillaPolicy) apply(s *appSim, excluded []bool) {
	moved := 0
	for k := range s.want {
		hedge := s.want[k].spotOnly
		if excluded[k] {
			moved += p.plan[k].primaries()
			s.want[k] = want{}
		} else {
			s.want[k] = p.plan[k]
		}
		if p.dynamic {
			s.want[k].spotOnly = hedge
		}
	}
	if moved > 0 {
		for k, x := range divide(moved, without(p.weights, excluded), s.totals()) {
			s.want[k].spot += x
		}
	}
}

func (p *flotillaPolicy) next(_ *appSim, t int) int {
	if p.next0 < len(p.commits) {
		return max(t+1, p.commits[p.next0].at)
	}
	return never
}

func (p *flotillaPolicy) reschedule(s *appSim, _ int, excluded []bool) { p.apply(s, excluded) }
