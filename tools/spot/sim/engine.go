package sim

import (
	"math"
	"slices"
	"sort"
)

type role uint8

const (
	// rolePrimary replicas run on spot, or on on-demand while the
	// cluster's fall-back covers for spot.
	rolePrimary role = iota
	// roleOD replicas are pinned to on-demand.
	roleOD
	// roleHedge replicas are extra: spot, and like primaries on on-demand
	// while the cluster's fall-back covers for spot (a hedge pod has no
	// capacity-type selector, so Karpenter's on-demand NodePool takes it
	// as it takes any pending pod); the caps do not count them.
	roleHedge
	// roleHedgeSpotOnly replicas are extra, spot only (a capacity-type
	// spot selector): while spot is gone they wait.
	roleHedgeSpotOnly
)

// hedge says the role is extra: not counted by the caps or by Karmada's
// health of the N replicas.
func (r role) hedge() bool { return r == roleHedge || r == roleHedgeSpotOnly }

// inst is one replica on its own instance (a replica needs a whole node of
// the pool's type, as a GPU replica does).
type inst struct {
	id        int32
	k         int32 // local cluster
	pool      int32 // world pool, or -1 on on-demand
	role      role
	readyAt   int32
	reclaimAt int32 // -1 unless a notice came
	replaces  int32 // consolidation: the on-demand instance this spot one takes over, or -1
}

type want struct{ od, spot, hedge, spotOnly int }

func (w want) primaries() int { return w.od + w.spot }

const never = math.MaxInt32

// policy decides an app's wants; the engine runs the clusters.
type policy interface {
	// init sets the wants at minute 0.
	init(s *appSim)
	// step runs at every minute the engine stops at, after reclaims and
	// readiness, before the clusters reconcile.
	step(s *appSim, t int)
	// next is the policy's next minute of interest after t.
	next(s *appSim, t int) int
	// reschedule divides the app's replicas again after a Karmada
	// failover, over the clusters not excluded.
	reschedule(s *appSim, t int, excluded []bool)
}

// appSim replays one app under one policy.
type appSim struct {
	w   *world
	app *App
	n   int
	pol policy
	// cl are the world clusters the placement allows, in fleet order;
	// local indexes refer to this slice.
	cl    []int
	local map[int]int
	want  []want
	insts []inst
	ids   int32
	t     int
	// In-cluster behaviour the policy renders.
	fallback, consolidate, noticeReplace bool
	// spotSince is the minute since which a local cluster has had spot,
	// or -1.
	spotSince []int
	// Karmada failover and descheduler state, per local cluster.
	failoverAfter  int
	unhealthySince []int
	evictEnd       []int // -1, or when the graceful eviction ends at the latest
	pendingSince   []int
	descheduler    bool
	// hedgeDescheduler runs the descheduler on the spot-only hedges as a
	// workload of their own, divided by dynamic weights (flotilla's
	// dynamic hedge); hedgePendingSince is since when a cluster has had
	// hedges waiting for spot, or -1.
	hedgeDescheduler  bool
	hedgePendingSince []int
	// lastChange is the last minute a pool of the app changed;
	// deschedChecked the last descheduler tick.
	lastChange, deschedChecked int
	// boot is set while the replay's first minute is processed: the fleet
	// is already running then, so replicas launched are ready at once.
	boot bool
	// everyMinute makes the replay stop at every minute instead of
	// skipping to the next change (the tests compare both).
	everyMinute bool
	// Scratch space reused from minute to minute.
	scratchWants                 []want
	scratchCount, scratchRegions []int
	// Pools the app may use, and the next change of each.
	pools  []int
	cursor []int
	// Caps of the objective, for the metrics.
	clusterCap, regionCap int
	m                     appMetrics
	events                []interruption
	tl                    *timelineRec
}

// costKind is what a replica is and where it runs, for the cost's
// breakdown.
type costKind int

const (
	costPinnedOnDemand  costKind = iota // pinned to on-demand
	costPrimarySpot                     // one of the N on spot
	costPrimaryOnDemand                 // one of the N on on-demand for want of spot (the fall-back)
	costHedgeSpot                       // a hedge on spot
	costHedgeOnDemand                   // a hedge on on-demand for want of spot
	costKinds
)

func kindOf(in *inst) costKind {
	switch {
	case in.role == roleOD:
		return costPinnedOnDemand
	case in.role.hedge() && in.pool >= 0:
		return costHedgeSpot
	case in.role.hedge():
		return costHedgeOnDemand
	case in.pool >= 0:
		return costPrimarySpot
	}
	return costPrimaryOnDemand
}

type interruption struct {
	end      int
	absorbed bool
}

type appMetrics struct {
	// costMicro is USD per hour times 10^6 times minutes: integers, so
	// that the sum does not depend on how the minutes are grouped;
	// costByKind the same by the kind of replica and capacity
	// (costKind).
	costMicro  int64
	costByKind [costKinds]int64
	// hedgeWanted and hedgeReady are hedge replica-minutes wanted and
	// ready (at most the wanted); belowHedgeDown the minutes below N
	// with fewer hedges ready than wanted.
	hedgeWanted, hedgeReady, belowHedgeDown int64
	// withHedge are the reclaims that took one of the N and a hedge
	// replica at once (the hedge lost with what it should cover).
	withHedge     int
	minutes       int64
	below         int64 // minutes with fewer than N ready
	lost          int64 // replica-minutes below N
	overCaps      int64 // minutes with ready replicas over a cap
	interruptions int
	absorbed      int
	failovers     int
	moves         int // replicas moved between clusters by the control loop
}

func newAppSim(w *world, app *App, pol policy) *appSim {
	s := &appSim{w: w, app: app, n: app.Objective.Replicas, pol: pol, local: map[int]int{}}
	allowed := map[string]bool{}
	for _, c := range app.Clusters {
		allowed[c] = true
	}
	for ci, c := range w.fleet.Clusters {
		if allowed[c.Name] {
			s.local[ci] = len(s.cl)
			s.cl = append(s.cl, ci)
		}
	}
	k := len(s.cl)
	s.want = make([]want, k)
	s.spotSince = make([]int, k)
	s.unhealthySince = fill(k, -1)
	s.evictEnd = fill(k, -1)
	s.pendingSince = fill(k, -1)
	s.hedgePendingSince = fill(k, -1)
	s.failoverAfter = mins(app.FailoverAfter)
	seen := map[int]bool{}
	for li, ci := range s.cl {
		for _, pi := range w.clusters[ci].pools {
			if !seen[pi] {
				seen[pi] = true
				s.pools = append(s.pools, pi)
			}
		}
		s.spotSince[li] = -1
		if w.spotUp(ci, 0) {
			s.spotSince[li] = 0
		}
	}
	sort.Ints(s.pools)
	s.cursor = make([]int, len(s.pools))
	s.scratchCount = make([]int, len(s.cl))
	s.scratchRegions = make([]int, len(w.regions))
	s.clusterCap = capOf(app.Objective.MaxClusterShare, s.n)
	s.regionCap = capOf(app.Objective.MaxRegionShare, s.n)
	return s
}

func fill(n, v int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func capOf(share float64, n int) int {
	if share <= 0 {
		return never
	}
	return max(1, int(math.Floor(share*float64(n)+1e-9)))
}

// run replays the whole span.
func (s *appSim) run() {
	s.pol.init(s)
	end := s.w.minutes
	for s.t = 0; s.t < end; {
		s.boot = s.t == 0
		s.process(s.t)
		s.boot = false
		next := min(s.next(s.t), end)
		if s.everyMinute {
			next = s.t + 1
		}
		s.account(s.t, next)
		s.t = next
	}
}

// process brings the app to its state at minute t.
func (s *appSim) process(t int) {
	s.zoneChanges(t)
	s.reclaim(t)
	s.takeOver(t)
	// The policy reads what the clusters did (SpotHedge counts the ready
	// spot replicas): run both until the wants settle within the minute.
	for pass := 0; pass < 4; pass++ {
		before := append(s.scratchWants[:0], s.want...)
		s.scratchWants = before
		s.pol.step(s, t)
		s.karmada(t)
		for k := range s.cl {
			s.reconcile(k, t)
		}
		if pass > 0 && slices.Equal(before, s.want) {
			break
		}
	}
	s.bookkeep(t)
}

// zoneChanges applies the pools' changes at t: a pool that shrinks below
// what the app runs there sends notices; a cluster's spot clock restarts.
func (s *appSim) zoneChanges(t int) {
	changed := false
	for i, pi := range s.pools {
		p := &s.w.pools[pi]
		c := s.cursor[i]
		if c >= len(p.changes) || int(p.changes[c]) != t {
			continue
		}
		s.cursor[i]++
		changed = true
		s.lastChange = t
		capacity := p.capacity(t)
		used := 0
		for j := range s.insts {
			if s.insts[j].pool == int32(pi) && s.insts[j].reclaimAt < 0 {
				used++
			}
		}
		if used <= capacity {
			continue
		}
		// Reclaim the youngest first (the newest capacity goes first).
		excess := used - capacity
		hit, primary, hedge := false, false, false
		for j := len(s.insts) - 1; j >= 0 && excess > 0; j-- {
			in := &s.insts[j]
			if in.pool == int32(pi) && in.reclaimAt < 0 {
				in.reclaimAt = int32(t + s.w.d.notice)
				excess--
				hit = true
				primary = primary || !in.role.hedge()
				hedge = hedge || in.role.hedge()
			}
		}
		if primary && hedge {
			s.m.withHedge++
		}
		if hit {
			s.m.interruptions++
			s.events = append(s.events, interruption{end: t + s.w.d.notice + s.w.d.startup, absorbed: true})
		}
	}
	if changed || t == 0 {
		for li, ci := range s.cl {
			up := s.w.spotUp(ci, t)
			switch {
			case up && s.spotSince[li] < 0:
				s.spotSince[li] = t
			case !up:
				s.spotSince[li] = -1
			}
		}
	}
}

// reclaim removes the instances whose notice has run out.
func (s *appSim) reclaim(t int) {
	out := s.insts[:0]
	for _, in := range s.insts {
		if in.reclaimAt >= 0 && int(in.reclaimAt) <= t {
			if r, ok := s.pol.(reclaimWatcher); ok {
				r.reclaimed(s, int(in.k), t)
			}
			continue
		}
		out = append(out, in)
	}
	s.insts = out
}

// reclaimWatcher is a policy that reacts to reclaims itself (SpotHedge).
type reclaimWatcher interface {
	reclaimed(s *appSim, k, t int)
}

// takeOver ends consolidations whose spot replacement is ready: the
// on-demand instance goes, the replacement becomes an ordinary replica.
func (s *appSim) takeOver(t int) {
	for i := range s.insts {
		in := &s.insts[i]
		if in.replaces >= 0 && int(in.readyAt) <= t && in.reclaimAt < 0 {
			old := in.replaces
			in.replaces = -1
			s.remove(old)
			s.takeOver(t) // remove moved the slice: start again
			return
		}
	}
}

// remove deletes an instance by id, and a replacement still starting for
// it (which has nothing left to replace).
func (s *appSim) remove(id int32) {
	out := s.insts[:0]
	for _, in := range s.insts {
		if in.id == id || in.replaces == id {
			continue
		}
		out = append(out, in)
	}
	s.insts = out
}

func (s *appSim) launch(k, pool int, r role, readyAt int) *inst {
	if s.boot {
		readyAt = s.t
	}
	s.ids++
	s.insts = append(s.insts, inst{id: s.ids, k: int32(k), pool: int32(pool), role: r, readyAt: int32(readyAt), reclaimAt: -1, replaces: -1})
	return &s.insts[len(s.insts)-1]
}

// roomyPool is the pool of a local cluster that takes the app's next spot
// replica at t, or -1 when none has room: the one with the fewest of the
// app's replicas (a zone topology spread), then the cheapest (Karpenter's
// price-capacity choice), then the first.
func (s *appSim) roomyPool(k, t int) int {
	best, bestUsed := -1, 0
	for _, pi := range s.w.clusters[s.cl[k]].pools {
		p := &s.w.pools[pi]
		capacity := p.capacity(t)
		if capacity == 0 {
			continue
		}
		used := 0
		for j := range s.insts {
			if s.insts[j].pool == int32(pi) && s.insts[j].reclaimAt < 0 {
				used++
			}
		}
		if used >= capacity {
			continue
		}
		if best < 0 || used < bestUsed || (used == bestUsed && p.price < s.w.pools[best].price) {
			best, bestUsed = pi, used
		}
	}
	return best
}

// active counts a local cluster's instances of a role that count toward
// its want: not consolidation replacements, and not under notice when the
// cluster replaces on notice.
func (s *appSim) active(k int, r role) int {
	n := 0
	for i := range s.insts {
		in := &s.insts[i]
		if int(in.k) == k && in.role == r && in.replaces < 0 && (in.reclaimAt < 0 || !s.noticeReplace) {
			n++
		}
	}
	return n
}

// reconcile is the cluster's own control loop (ReplicaSet plus node
// autoscaler): it launches what the wants lack and ends what they exceed.
func (s *appSim) reconcile(k, t int) {
	if s.evictEnd[k] >= 0 {
		return // graceful eviction: the old replicas stay until it ends
	}
	startup := s.w.d.startup
	w := s.want[k]
	var have [4]int
	// fellBack says the cluster runs primaries or hedges on on-demand for
	// want of spot: consolidation has something to move back.
	fellBack := false
	for i := range s.insts {
		in := &s.insts[i]
		if int(in.k) != k {
			continue
		}
		if in.replaces < 0 && (in.reclaimAt < 0 || !s.noticeReplace) {
			have[in.role]++
		}
		if in.role != roleOD && in.pool < 0 {
			fellBack = true
		}
	}
	// Pinned on-demand.
	for c := have[roleOD]; c < w.od; c++ {
		s.launch(k, -1, roleOD, t+startup)
	}
	if have[roleOD] > w.od {
		s.trim(k, roleOD, w.od, t)
	}
	// Primaries: spot, else on-demand with a fall-back, else they wait.
	for c := have[rolePrimary]; c < w.spot; c++ {
		if pi := s.roomyPool(k, t); pi >= 0 {
			s.launch(k, pi, rolePrimary, t+startup)
		} else if s.fallback {
			s.launch(k, -1, rolePrimary, t+s.w.d.fallback+startup)
			fellBack = true
		} else {
			break
		}
	}
	if have[rolePrimary] > w.spot {
		s.trim(k, rolePrimary, w.spot, t)
	}
	// Hedges: as primaries.
	for c := have[roleHedge]; c < w.hedge; c++ {
		if pi := s.roomyPool(k, t); pi >= 0 {
			s.launch(k, pi, roleHedge, t+startup)
		} else if s.fallback {
			s.launch(k, -1, roleHedge, t+s.w.d.fallback+startup)
			fellBack = true
		} else {
			break
		}
	}
	if have[roleHedge] > w.hedge {
		s.trim(k, roleHedge, w.hedge, t)
	}
	for c := have[roleHedgeSpotOnly]; c < w.spotOnly; c++ {
		pi := s.roomyPool(k, t)
		if pi < 0 {
			break
		}
		s.launch(k, pi, roleHedgeSpotOnly, t+startup)
	}
	if have[roleHedgeSpotOnly] > w.spotOnly {
		s.trim(k, roleHedgeSpotOnly, w.spotOnly, t)
	}
	// Consolidation: primaries and hedges on on-demand back to spot once
	// spot has been back long enough, make before break.
	if fellBack && s.consolidate && s.spotSince[k] >= 0 && t-s.spotSince[k] >= s.w.d.consolidate {
		for i := 0; i < len(s.insts); i++ {
			in := s.insts[i]
			if int(in.k) != k || (in.role != rolePrimary && in.role != roleHedge) || in.pool >= 0 || int(in.readyAt) > t || s.replaced(in.id) {
				continue
			}
			pi := s.roomyPool(k, t)
			if pi < 0 {
				break
			}
			r := s.launch(k, pi, in.role, t+startup)
			r.replaces = in.id
		}
	}
}

func (s *appSim) replaced(id int32) bool {
	for i := range s.insts {
		if s.insts[i].replaces == id {
			return true
		}
	}
	return false
}

// trim ends a local cluster's instances of a role above its want: those
// still starting first, then on-demand before spot, the youngest first.
func (s *appSim) trim(k int, r role, want, t int) {
	excess := s.active(k, r) - want
	for ; excess > 0; excess-- {
		best := -1
		rank := func(in *inst) int {
			x := 0
			if int(in.readyAt) <= t {
				x += 2
			}
			if in.pool >= 0 {
				x++
			}
			return x
		}
		for i := range s.insts {
			in := &s.insts[i]
			if int(in.k) != k || in.role != r || in.replaces >= 0 || (in.reclaimAt >= 0 && s.noticeReplace) {
				continue
			}
			if best < 0 || rank(in) < rank(&s.insts[best]) || (rank(in) == rank(&s.insts[best]) && in.id > s.insts[best].id) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		s.remove(s.insts[best].id)
	}
}

// readyIn counts the ready replicas of a local cluster: primaries and
// pinned on-demand (health), or all.
func (s *appSim) readyIn(k, t int, withHedge bool) int {
	n := 0
	for i := range s.insts {
		in := &s.insts[i]
		if int(in.k) == k && int(in.readyAt) <= t && (withHedge || !in.role.hedge()) {
			n++
		}
	}
	return n
}

// karmada runs application failover: a cluster whose primaries stay
// unready for the toleration is evicted and the app divided again over the
// others; the eviction ends when the replicas are ready elsewhere or the
// grace runs out. It also runs the descheduler where the policy has it.
func (s *appSim) karmada(t int) {
	s.health(t)
	for k := range s.cl {
		if s.evictEnd[k] < 0 {
			continue
		}
		elsewhere := 0
		for j := range s.cl {
			if j != k && s.evictEnd[j] < 0 {
				elsewhere += s.readyIn(j, t, false)
			}
		}
		if t >= s.evictEnd[k] || elsewhere >= s.n {
			s.evictEnd[k] = -1
		}
	}
	if s.failoverAfter > 0 {
		var evict []int
		for k := range s.cl {
			if s.unhealthySince[k] >= 0 && s.evictEnd[k] < 0 && t-s.unhealthySince[k] >= s.failoverAfter {
				evict = append(evict, k)
			}
		}
		if len(evict) > 0 {
			excluded := make([]bool, len(s.cl))
			for k := range s.cl {
				excluded[k] = s.evictEnd[k] >= 0
			}
			for _, k := range evict {
				excluded[k] = true
			}
			// Karmada does not evict toward nowhere: when the clusters
			// left cannot take the replicas, scheduling fails and the
			// binding stays as it is.
			saved := append([]want(nil), s.want...)
			before := s.totals()
			s.pol.reschedule(s, t, excluded)
			placed := 0
			for k, w := range s.want {
				if !excluded[k] {
					placed += w.primaries()
				}
			}
			if placed >= s.n {
				for _, k := range evict {
					s.evictEnd[k] = t + s.w.d.grace
					s.unhealthySince[k] = -1
					s.m.failovers++
				}
				s.countMoves(before)
			} else {
				s.want = saved
			}
		}
	}
	if (s.descheduler || s.hedgeDescheduler) && t%s.w.d.deschedule == 0 {
		s.deschedule(t)
		s.deschedChecked = t
	}
}

// totals returns the replicas wanted per local cluster.
func (s *appSim) totals() []int {
	out := make([]int, len(s.want))
	for k, w := range s.want {
		out[k] = w.od + w.spot + w.hedge + w.spotOnly
	}
	return out
}

// countMoves adds the replicas a change of wants moved between clusters.
func (s *appSim) countMoves(before []int) {
	moved := 0
	for k, w := range s.want {
		if d := w.od + w.spot + w.hedge + w.spotOnly - before[k]; d > 0 {
			moved += d
		}
	}
	s.m.moves += moved
}

// deschedule moves replicas that have waited for spot longer than the
// threshold to clusters with spot, divided by their available replicas:
// the primaries of a workload divided by dynamic weights (karmada-dynamic)
// and the dynamic hedge (flotilla's), each by its own division.
func (s *appSim) deschedule(t int) {
	if s.descheduler {
		s.m.moves += s.evictPending(t, s.pendingSince, rolePrimary)
	}
	if s.hedgeDescheduler {
		s.m.moves += s.evictPending(t, s.hedgePendingSince, roleHedgeSpotOnly)
	}
}

// wantOf is the want of a local cluster's replicas of a role.
func (s *appSim) wantOf(k int, r role) *int {
	if r == roleHedgeSpotOnly {
		return &s.want[k].spotOnly
	}
	return &s.want[k].spot
}

// evictPending moves the replicas of one role pending since before the
// threshold, and returns how many it moved.
func (s *appSim) evictPending(t int, since []int, r role) int {
	moved := 0
	for k := range s.cl {
		if since[k] < 0 || t-since[k] < s.w.d.unschedulable {
			continue
		}
		p := *s.wantOf(k, r) - s.active(k, r)
		if p <= 0 {
			continue
		}
		avail := s.available(t)
		avail[k] = 0
		any := false
		for _, a := range avail {
			any = any || a > 0
		}
		if !any {
			continue
		}
		*s.wantOf(k, r) -= p
		// Karmada divides by the workload's own last division.
		last := s.totals()
		if r == roleHedgeSpotOnly {
			for j := range last {
				last[j] = s.want[j].spotOnly
			}
		}
		for j, x := range divide(p, avail, last) {
			*s.wantOf(j, r) += x
		}
		moved += p
	}
	return moved
}

// available is Karmada's estimate of the replicas each local cluster can
// take now: its spot capacity (capped by its declared capacity; 1000 when
// neither limits it).
func (s *appSim) available(t int) []int {
	out := make([]int, len(s.cl))
	for k, ci := range s.cl {
		total := 0
		for _, pi := range s.w.clusters[ci].pools {
			total = min(total+s.w.pools[pi].capacity(t), never)
		}
		if c := s.w.clusters[ci].cap; c > 0 {
			total = min(total, c)
		}
		out[k] = min(total, 1000)
		if s.evictEnd[k] >= 0 {
			out[k] = 0
		}
	}
	return out
}

// health updates the failover clock of each cluster: since when its
// primaries have been short of ready.
func (s *appSim) health(t int) {
	for k := range s.cl {
		wantPrim := s.want[k].primaries()
		unhealthy := wantPrim > 0 && s.readyIn(k, t, false) < wantPrim && s.evictEnd[k] < 0
		switch {
		case unhealthy && s.unhealthySince[k] < 0:
			s.unhealthySince[k] = t
		case !unhealthy:
			s.unhealthySince[k] = -1
		}
	}
}

// bookkeep updates the clocks failover and the descheduler read.
func (s *appSim) bookkeep(t int) {
	s.health(t)
	for k := range s.cl {
		pending := s.want[k].spot > s.active(k, rolePrimary)
		switch {
		case pending && s.pendingSince[k] < 0:
			s.pendingSince[k] = t
		case !pending:
			s.pendingSince[k] = -1
		}
		if s.hedgeDescheduler {
			pending := s.want[k].spotOnly > s.active(k, roleHedgeSpotOnly)
			switch {
			case pending && s.hedgePendingSince[k] < 0:
				s.hedgePendingSince[k] = t
			case !pending:
				s.hedgePendingSince[k] = -1
			}
		}
	}
}

// next is the first minute after t at which anything can change.
func (s *appSim) next(t int) int {
	n := never
	for i, pi := range s.pools {
		if c := s.cursor[i]; c < len(s.w.pools[pi].changes) {
			n = min(n, int(s.w.pools[pi].changes[c]))
		}
	}
	for i := range s.insts {
		in := &s.insts[i]
		if int(in.readyAt) > t {
			n = min(n, int(in.readyAt))
		}
		if in.reclaimAt > int32(t) {
			n = min(n, int(in.reclaimAt))
		}
	}
	for k := range s.cl {
		if s.consolidate && s.spotSince[k] >= 0 {
			if at := s.spotSince[k] + s.w.d.consolidate; at > t {
				n = min(n, at)
			}
		}
		if s.failoverAfter > 0 && s.unhealthySince[k] >= 0 && s.unhealthySince[k]+s.failoverAfter > t {
			n = min(n, s.unhealthySince[k]+s.failoverAfter)
		}
		if s.evictEnd[k] > t {
			n = min(n, s.evictEnd[k])
		}
		// The descheduler's first tick once replicas have waited past its
		// threshold; later ticks change nothing until something else
		// does, and then the tick after that change.
		for _, c := range []struct {
			on    bool
			since []int
		}{{s.descheduler, s.pendingSince}, {s.hedgeDescheduler, s.hedgePendingSince}} {
			since := c.since
			if !c.on || since[k] < 0 {
				continue
			}
			iv := s.w.d.deschedule
			at := max(t+1, since[k]+s.w.d.unschedulable)
			if s.lastChange > s.deschedChecked || since[k]+s.w.d.unschedulable > s.deschedChecked {
				n = min(n, (at+iv-1)/iv*iv)
			}
		}
	}
	n = min(n, s.pol.next(s, t))
	return max(n, t+1)
}

// account adds the minutes [t, end) with the state of minute t.
func (s *appSim) account(t, end int) {
	d := int64(end - t)
	ready, readySpot, readyHedge := 0, 0, 0
	var perHour int64
	var perKind [costKinds]int64
	var perCluster []int
	if s.clusterCap < never || s.regionCap < never {
		perCluster = s.scratchCount[:len(s.cl)]
		clear(perCluster)
	}
	for i := range s.insts {
		in := &s.insts[i]
		price := s.w.clusters[s.cl[in.k]].odMicro
		if in.pool >= 0 {
			price = s.w.pools[in.pool].micro
		}
		perHour += price
		perKind[kindOf(in)] += price
		if int(in.readyAt) <= t {
			if in.role.hedge() {
				readyHedge++
			}
			ready++
			if in.pool >= 0 {
				readySpot++
			}
			if perCluster != nil && !in.role.hedge() {
				perCluster[in.k]++
			}
		}
	}
	s.m.costMicro += perHour * d
	for k, x := range perKind {
		s.m.costByKind[k] += x * d
	}
	wantHedge := 0
	for _, w := range s.want {
		wantHedge += w.hedge + w.spotOnly
	}
	readyHedge = min(readyHedge, wantHedge)
	s.m.hedgeWanted += int64(wantHedge) * d
	s.m.hedgeReady += int64(readyHedge) * d
	s.m.minutes += d
	if ready < s.n {
		s.m.below += d
		if readyHedge < wantHedge {
			s.m.belowHedgeDown += d
		}
		s.m.lost += int64(s.n-ready) * d
		for i := range s.events {
			if s.events[i].end > t {
				s.events[i].absorbed = false
			}
		}
	}
	// Close the interruption windows that end by now.
	out := s.events[:0]
	for _, e := range s.events {
		if e.end <= end {
			if e.absorbed {
				s.m.absorbed++
			}
			continue
		}
		out = append(out, e)
	}
	s.events = out
	if perCluster != nil {
		over := false
		regions := s.scratchRegions[:len(s.w.regions)]
		clear(regions)
		for k, c := range perCluster {
			if c > s.clusterCap {
				over = true
			}
			regions[s.w.clusters[s.cl[k]].region] += c
		}
		for _, c := range regions {
			if c > s.regionCap {
				over = true
			}
		}
		if over {
			s.m.overCaps += d
		}
	}
	if s.tl != nil {
		s.tl.add(t, end, ready, readySpot)
	}
}
