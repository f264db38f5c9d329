package optimize

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// Optimize plans every app: the division of its replicas over its
// clusters (Karmada static weights), the on-demand/spot split and the hedge
// in each cluster, that minimise expected cost while meeting the
// objective, held back by the app's rebalancing limits. Plans come out in
// the order of in.Apps; the result does not depend on Parallelism. An
// objective the clusters cannot meet (not enough clusters under the caps)
// is an error naming the app; all such errors are returned together, with
// the plans of the other apps.
func Optimize(ctx context.Context, clusters []Cluster, apps []App, opts Options) ([]Plan, error) {
	idx, err := indexClusters(clusters)
	if err != nil {
		return nil, err
	}
	par := opts.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	plans := make([]Plan, len(apps))
	errs := make([]error, len(apps))
	run := func(n int, f func(i int)) error {
		g, ctx := errgroup.WithContext(ctx)
		g.SetLimit(par)
		for i := 0; i < n; i++ {
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					return err
				}
				f(i)
				return nil
			})
		}
		return g.Wait()
	}
	// Apps of one class (objective, clusters allowed, and what they hold
	// in clusters without signals) have the same problem and the same
	// optimum: build and solve each class once.
	classes := map[string]int{}
	var firsts []int
	class := make([]int, len(apps))
	for i := range apps {
		plans[i].App = apps[i].Name
		k := classKey(clusters, idx, &apps[i])
		c, ok := classes[k]
		if !ok {
			c = len(firsts)
			classes[k] = c
			firsts = append(firsts, i)
		}
		class[i] = c
	}
	probs := make([]*problem, len(firsts))
	optima := make([]optimum, len(firsts))
	classErr := make([]error, len(firsts))
	if err := run(len(firsts), func(c int) {
		p, err := buildProblem(clusters, idx, &apps[firsts[c]], opts)
		if err != nil {
			classErr[c] = err
			return
		}
		probs[c] = p
		buf := p.scratch()
		best := p.solve(buf)
		optima[c] = optimum{assignments: p.assignments(best), hedges: best.dyn, cost: p.cost(best), risk: p.risk(best, buf), meets: p.meetsWithin(best, buf, p.target)}
	}); err != nil {
		return nil, err
	}
	if err := run(len(apps), func(i int) {
		c := class[i]
		if classErr[c] != nil {
			// The class's error names its first app: name this one.
			_, errs[i] = buildProblem(clusters, idx, &apps[i], opts)
			return
		}
		plans[i] = finish(probs[c], &apps[i], &optima[c], opts)
	}); err != nil {
		return nil, err
	}
	var msgs []string
	for _, e := range errs {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	if len(msgs) > 0 {
		return plans, fmt.Errorf("%s", strings.Join(msgs, "\n"))
	}
	return plans, nil
}

// indexClusters maps names to positions and checks the input.
func indexClusters(clusters []Cluster) (map[string]int, error) {
	idx := make(map[string]int, len(clusters))
	var msgs []string
	for i, c := range clusters {
		if _, dup := idx[c.Name]; dup {
			msgs = append(msgs, fmt.Sprintf("cluster %s: listed twice", c.Name))
			continue
		}
		idx[c.Name] = i
		if !(c.OnDemandPrice > 0) {
			msgs = append(msgs, fmt.Sprintf("cluster %s: on-demand price %v is not a price", c.Name, c.OnDemandPrice))
		}
		rate := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
		if c.SpotKnown && (!(c.SpotPrice > 0) || !(c.Availability >= 0 && c.Availability <= 1) || !rate(c.InterruptionsPerHour) || !rate(c.OutagesPerHour) ||
			!(c.ReclaimShare >= 0 && c.ReclaimShare <= 1)) {
			msgs = append(msgs, fmt.Sprintf("cluster %s: spot price %v, availability %v, reclaims/h %v, outages/h %v, reclaim share %v: not a price, a share in 0..1, two rates and a share",
				c.Name, c.SpotPrice, c.Availability, c.InterruptionsPerHour, c.OutagesPerHour, c.ReclaimShare))
		}
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(msgs, "\n"))
	}
	return idx, nil
}

// cand is a cluster as one app sees it.
type cand struct {
	name     string
	cap      int // primaries the app may hold here (the share cap)
	capacity int // replicas of any kind the cluster takes
	region   int
	domain   int
	spotOK   bool
	fallback bool
	share    float64 // of its spot replicas one reclaim takes (0: all)
	a        float64 // spot availability
	eSpot    float64 // expected USD/h of a spot replica (with fall-back if any)
	eHedge   float64 // expected USD/h of a hedge replica
	eWait    float64 // expected USD/h of a spot-only hedge replica
	pOD      float64
	pSpot    float64
	// lossRate is the rate (per hour) of reclaims that take all the
	// cluster's spot: the descheduler then moves its dynamic hedges.
	lossRate float64
}

// domainRisk are a failure domain's probabilities at a random minute.
type domainRisk struct {
	recovering float64 // a zone's reclaim in progress: its share of the spot replicas is unready
	outage     float64 // a reclaim of all the domain's spot in progress: every spot replica is unready
	down       float64 // spot gone: spot and hedge replicas wait where there is no fall-back
	// react is the chance that the domain's whole spot went less than
	// the descheduler's reaction ago, but more than the primaries'
	// recovery: its dynamic hedges are still unready, its primaries are
	// back on the fall-back.
	react float64
}

// problem is one app's planning problem.
type problem struct {
	n, floor, maxHedge int
	target             float64 // 1 − availability target
	budget             float64 // the risk a new plan may have: target over the slack
	cands              []cand
	regionCap          []int
	domains            []domainRisk
	// dest are the candidates worth considering as destinations, by
	// expected spot cost (the best of each domain first).
	dest []int
	// pos finds a candidate by cluster name.
	pos map[string]int

	// dynamic says the hedge is the app's dynamic workload
	// (App.DynamicHedge): a count, state.dyn, placed by Karmada.
	dynamic bool
	// hedgeTake is, per domain, the expected share of the dynamic hedge
	// its clusters hold when the domain's whole spot goes (at most 1),
	// and hedgeZoneTake the share a reclaim of one of its zones takes.
	hedgeTake, hedgeZoneTake []float64
	// allDark is the chance that no cluster the hedge may use has spot:
	// the dynamic hedge waits then.
	allDark float64
	// eDyn is the expected USD/h of a dynamic hedge replica: spot where
	// Karmada holds it, nothing while it waits.
	eDyn float64
	// hedgeCache holds the hedge-only loss distribution for each count
	// of the dynamic hedge up to maxHedge (hedgeOnly).
	hedgeCache []hedgeDist
}

// state is a division of one app. Besides the counts per cluster it keeps
// the exposure per failure domain and the hedge total, updated by add, so
// that the risk is computed from the domains alone.
type state struct {
	// wait are the spot-only hedges (they wait for spot).
	od, spot, hedge, wait []int
	regionUsed            []int
	// A zone's reclaim in the domain takes each cluster's reclaim share
	// of its spot and hedge replicas: spread evenly over the zones, the
	// zone holds ⌊share·k⌋ or ⌈share·k⌉ of them. expLo and expHi are the
	// domain's sums of the two, expFrac the sum of share·k (the expected
	// take): a reclaim takes expHi with probability expFrac − expLo over
	// expHi − expLo, else expLo. tookLo, tookHi and frac are each
	// cluster's parts. expDown is what waits while the domain is down
	// (hedge, spot without fall-back).
	expLo, expHi, expDown []int
	expFrac               []float64
	tookLo, tookHi        []int
	frac                  []float64
	// expFull is what an outage of the whole domain takes.
	expFull []int
	h       int
	// dyn is the dynamic hedge's replicas (problem.dynamic).
	dyn int
}

func (s *state) clone() *state {
	return &state{od: slices.Clone(s.od), spot: slices.Clone(s.spot), hedge: slices.Clone(s.hedge), wait: slices.Clone(s.wait), regionUsed: slices.Clone(s.regionUsed),
		expLo: slices.Clone(s.expLo), expHi: slices.Clone(s.expHi), expDown: slices.Clone(s.expDown), expFrac: slices.Clone(s.expFrac),
		tookLo: slices.Clone(s.tookLo), tookHi: slices.Clone(s.tookHi), frac: slices.Clone(s.frac), expFull: slices.Clone(s.expFull), h: s.h, dyn: s.dyn}
}

func (s *state) total(i int) int { return s.od[i] + s.spot[i] + s.hedge[i] + s.wait[i] }

// hedges counts the hedges of every sort, the dynamic one's included.
func (s *state) hedges() int { return s.h + s.dyn }

// add changes cluster i's counts by the deltas, keeping the rest in step.
func (p *problem) add(s *state, i, od, spot, hedge int) { p.change(s, i, od, spot, hedge, 0) }

// change is add with spot-only hedges too.
func (p *problem) change(s *state, i, od, spot, hedge, wait int) {
	c := &p.cands[i]
	s.od[i] += od
	s.spot[i] += spot
	s.hedge[i] += hedge
	s.wait[i] += wait
	s.regionUsed[c.region] += od + spot
	k := s.spot[i] + s.hedge[i] + s.wait[i]
	lo, hi, frac := k, k, float64(k)
	if c.share > 0 && c.share < 1 {
		frac = c.share * float64(k)
		lo = int(math.Floor(frac + 1e-9))
		hi = int(math.Ceil(frac - 1e-9))
	}
	s.expLo[c.domain] += lo - s.tookLo[i]
	s.expHi[c.domain] += hi - s.tookHi[i]
	s.expFrac[c.domain] += frac - s.frac[i]
	s.tookLo[i], s.tookHi[i], s.frac[i] = lo, hi, frac
	s.expFull[c.domain] += spot + hedge + wait
	// With a fall-back, spot and hedge replicas run on on-demand while
	// the domain is down: only where there is none do they wait, and
	// spot-only hedges always do.
	s.expDown[c.domain] += wait
	if !c.fallback {
		s.expDown[c.domain] += spot + hedge
	}
	s.h += hedge + wait
}

// room says cluster i can take one more primary: under its share cap,
// its region's, and its capacity.
func (p *problem) room(s *state, i int) bool {
	c := &p.cands[i]
	return s.od[i]+s.spot[i] < c.cap && s.total(i) < c.capacity && s.regionUsed[c.region] < p.regionCap[c.region]
}

// roomHedge says cluster i can take one more hedge: the share caps are
// about the N replicas that must be ready; a hedge only needs capacity.
func (p *problem) roomHedge(s *state, i int) bool {
	return s.total(i) < p.cands[i].capacity
}

// capsOK checks the caps of cluster i and its region.
func (p *problem) capsOK(s *state, i int) bool {
	c := &p.cands[i]
	return s.od[i]+s.spot[i] <= c.cap && s.total(i) <= c.capacity && s.regionUsed[c.region] <= p.regionCap[c.region]
}

func (p *problem) cost(s *state) float64 {
	sum := 0.0
	for i, c := range p.cands {
		sum += float64(s.od[i])*c.pOD + float64(s.spot[i])*c.eSpot + float64(s.hedge[i])*c.eHedge + float64(s.wait[i])*c.eWait
	}
	return sum + float64(s.dyn)*p.eDyn
}

// risk is the expected share of time with fewer than N ready: the chance
// that the replicas lost at a random minute exceed the hedge, with each
// failure domain independently up, recovering from a zone's reclaim (its
// share of the replicas lost) or from an outage of all its spot (all
// lost), or down.
func (p *problem) risk(s *state, buf []float64) float64 {
	r, _ := p.riskShortfall(s, buf)
	return r
}

// riskShortfall returns the risk and the expected shortfall (replicas
// below N, on average): the shortfall guides the search across plateaus
// where one step does not change the risk (a domain stays exposed until
// its last spot replica leaves it).
func (p *problem) riskShortfall(s *state, buf []float64) (float64, float64) {
	if p.dynamic {
		return p.riskDynamic(s, buf)
	}
	h := s.h
	top := 0
	for d, x := range s.expFull {
		top += max(x, s.expDown[d])
	}
	if cap(buf) < 2*(top+1) {
		buf = make([]float64, 2*(top+1))
	}
	buf = buf[:cap(buf)]
	dist, next := buf[:top+1], buf[top+1:2*(top+1)]
	clear(dist)
	dist[0] = 1
	reach := 0
	for d, full := range s.expFull {
		down := s.expDown[d]
		if full == 0 && down == 0 {
			continue
		}
		lo, hi := s.expLo[d], s.expHi[d]
		r := p.domains[d]
		up := 1 - r.recovering - r.outage - r.down
		recHi := r.recovering
		if hi > lo {
			recHi *= min(1, max(0, (s.expFrac[d]-float64(lo))/float64(hi-lo)))
		}
		recLo := r.recovering - recHi
		width := max(full, down)
		clear(next[:min(reach+width, top)+1])
		for k := 0; k <= reach; k++ {
			pr := dist[k]
			if pr == 0 {
				continue
			}
			next[k] += pr * up
			next[k+lo] += pr * recLo
			next[k+hi] += pr * recHi
			next[k+full] += pr * r.outage
			next[k+down] += pr * r.down
		}
		reach += width
		dist, next = next, dist
	}
	risk, short := 0.0, 0.0
	for k := h + 1; k <= reach; k++ {
		risk += dist[k]
		short += dist[k] * float64(k-h)
	}
	return risk, short
}

func capOf(share float64, n int) int {
	if share <= 0 {
		return math.MaxInt32
	}
	return max(1, int(math.Floor(share*float64(n)+1e-9)))
}

// buildProblem turns an app and the clusters into its planning problem.
func buildProblem(clusters []Cluster, idx map[string]int, app *App, opts Options) (*problem, error) {
	o := app.Objective
	if o.Replicas < 1 {
		return nil, fmt.Errorf("app %s: objective needs at least 1 replica, got %d", app.Name, o.Replicas)
	}
	if !(o.Availability > 0 && o.Availability <= 1) {
		return nil, fmt.Errorf("app %s: availability target %v is not a share in (0, 1]", app.Name, o.Availability)
	}
	current := map[string]Assignment{}
	for _, a := range app.Current {
		current[a.Cluster] = a
	}
	// The plan is made with the hysteresis margin inside the objective:
	// its risk at most (1 − target)/RiskSlack, so that the estimates may
	// rise by that factor before the division misses the target.
	p := &problem{n: o.Replicas, maxHedge: max(o.MaxHedge, 0), target: 1 - o.Availability, budget: (1 - o.Availability) / max(o.Limits.RiskSlack, 1),
		dynamic: app.DynamicHedge}
	p.floor = min(o.Replicas, max(o.OnDemandFloor, int(math.Ceil(o.OnDemandFloorShare*float64(o.Replicas)-1e-9))))
	names := slices.Clone(app.Clusters)
	sort.Strings(names)
	names = slices.Compact(names)
	regions := map[string]int{}
	domains := map[string]int{}
	clusterCap := capOf(o.MaxClusterShare, o.Replicas)
	regionCap := capOf(o.MaxRegionShare, o.Replicas)
	recovery := max(opts.RecoveryMinutes, 0) / 60
	outageRecovery := recovery
	if opts.OutageRecoveryMinutes > 0 {
		outageRecovery = opts.OutageRecoveryMinutes / 60
	}
	// A dynamic hedge replica whose cluster lost all its spot is unready
	// for the descheduler's reaction; the primaries there for the
	// outage's recovery, which the domain's outage already counts.
	hedgeReaction := max(opts.HedgeReactionMinutes/60, outageRecovery)
	var missing []string
	for _, name := range names {
		ci, ok := idx[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		c := clusters[ci]
		r, ok := regions[c.Region]
		if !ok {
			r = len(p.regionCap)
			regions[c.Region] = r
			p.regionCap = append(p.regionCap, regionCap)
		}
		dname := c.Domain
		if dname == "" {
			dname = "cluster/" + c.Name
		}
		a, rate, outages := c.Availability, c.InterruptionsPerHour, c.OutagesPerHour
		if !c.SpotKnown {
			a, rate, outages = 0, 0, 0
		}
		d, ok := domains[dname]
		if !ok {
			d = len(p.domains)
			domains[dname] = d
			p.domains = append(p.domains, domainRisk{down: 1 - a})
		}
		// Clusters of one domain share it: keep the worse estimates.
		dr := &p.domains[d]
		dr.down = max(dr.down, 1-a)
		// A reclaim that takes all of a cluster's spot leaves nowhere to
		// go but on-demand.
		partial := recovery
		if c.ReclaimShare <= 0 || c.ReclaimShare >= 1 {
			partial = outageRecovery
		}
		dr.outage = min(1-dr.down, max(dr.outage, outages*outageRecovery))
		dr.recovering = min(1-dr.down-dr.outage, max(dr.recovering, rate*partial))
		// Reclaims that take all the cluster's spot: its outages, and
		// every reclaim of a cluster whose reclaim takes all.
		lossRate := outages
		if c.ReclaimShare <= 0 || c.ReclaimShare >= 1 {
			lossRate += rate
		}
		if p.dynamic {
			dr.react = max(dr.react, lossRate*(hedgeReaction-outageRecovery))
		}
		k := cand{name: c.Name, cap: clusterCap, region: r, domain: d, spotOK: c.SpotKnown && c.SpotPrice < c.OnDemandPrice,
			fallback: c.Fallback, share: c.ReclaimShare, a: a, pOD: c.OnDemandPrice, pSpot: c.SpotPrice, lossRate: lossRate}
		k.capacity = math.MaxInt32
		if c.Capacity > 0 {
			k.capacity = c.Capacity
		}
		if !c.SpotKnown {
			// No new load toward an unknown: keep at most what is there.
			k.capacity = min(k.capacity, current[c.Name].Replicas())
		}
		k.cap = min(k.cap, k.capacity)
		// A spot or hedge replica costs spot while the cluster has it, and
		// on-demand meanwhile where the cluster falls back.
		k.eSpot = a * c.SpotPrice
		if c.Fallback {
			k.eSpot += (1 - a) * c.OnDemandPrice
		}
		k.eHedge = k.eSpot
		k.eWait = a * c.SpotPrice
		p.cands = append(p.cands, k)
	}
	// Feasibility: the caps must leave room for N.
	room := make([]int, len(p.regionCap))
	for _, c := range p.cands {
		room[c.region] = min(room[c.region]+c.cap, math.MaxInt32)
	}
	total := 0
	for r, x := range room {
		total += min(x, p.regionCap[r])
	}
	if total < o.Replicas {
		why := fmt.Sprintf("app %s: the objective cannot be met: %d replicas, but its %d known clusters hold at most %d under the caps (cluster share %v, region share %v)",
			app.Name, o.Replicas, len(p.cands), total, o.MaxClusterShare, o.MaxRegionShare)
		if len(missing) > 0 {
			why += fmt.Sprintf("; clusters without signals: %s", strings.Join(missing, ", "))
		}
		return nil, fmt.Errorf("%s", why)
	}
	p.dest = p.destinations()
	p.pos = make(map[string]int, len(p.cands))
	for i, c := range p.cands {
		p.pos[c.name] = i
	}
	hasSpot := p.dynamicShares()
	if p.dynamic {
		for d := range p.domains {
			r := &p.domains[d]
			r.react = max(0, min(r.react, 1-r.down-r.outage-r.recovering))
		}
		if !hasSpot {
			p.maxHedge = 0 // nowhere to run a spot-only hedge
		}
		for dyn := 0; dyn <= p.maxHedge; dyn++ {
			p.hedgeCache = append(p.hedgeCache, p.hedgeDistribution(dyn, p.n+p.maxHedge+1))
		}
	}
	return p, nil
}

// finish completes an app's plan from the optimum of its problem: the
// figures of the optimum and of the current division, and the
// rebalancing limits.
func finish(p *problem, app *App, opt *optimum, opts Options) Plan {
	o := app.Objective
	plan := Plan{App: app.Name}
	buf := p.scratch()
	plan.Optimum = opt.assignments
	plan.OptimumHedgeReplicas = opt.hedges
	plan.OptimumCost, plan.OptimumRisk = opt.cost, opt.risk
	optMeets := opt.meets
	current := normalize(app.Current)
	plan.CurrentHedgeReplicas = app.CurrentHedgeReplicas

	cur, curValid := p.fromAssignments(app.Current)
	if app.CurrentHedgeReplicas < 0 {
		curValid = false
	}
	if p.dynamic {
		// Without the dynamic hedge (the app moves off it), its current
		// replicas are not counted: the plan removes them.
		cur.dyn = max(0, app.CurrentHedgeReplicas)
	}
	curMeets := false
	if curValid {
		plan.CurrentCost, plan.CurrentRisk = p.cost(cur), p.risk(cur, buf)
		// The current division keeps counting as meeting the objective
		// up to the target itself, while new plans are made within
		// target/RiskSlack: the estimates move with every round, and a
		// plan on the edge would otherwise be moved back and forth. The
		// band lies inside the objective, never beyond it.
		curMeets = p.meetsWithin(cur, buf, p.target)
	} else {
		plan.CurrentCost, plan.CurrentRisk = math.NaN(), 1
	}

	apply := func() {
		plan.Assignments, plan.Cost, plan.Risk, plan.MeetsObjective = plan.Optimum, plan.OptimumCost, plan.OptimumRisk, optMeets
		plan.HedgeReplicas = plan.OptimumHedgeReplicas
	}
	keep := func(why string) {
		plan.Held = why
		plan.Assignments = current
		if p.dynamic {
			// Without the dynamic hedge the app renders none: its
			// current replicas go whatever else is kept.
			plan.HedgeReplicas = plan.CurrentHedgeReplicas
		}
		plan.Cost, plan.Risk, plan.MeetsObjective = plan.CurrentCost, plan.CurrentRisk, curMeets
	}
	same := curValid && slices.Equal(plan.Optimum, current) && plan.OptimumHedgeReplicas == plan.CurrentHedgeReplicas
	recent, last := 0, time.Time{}
	for _, t := range app.Moves {
		if t.After(opts.Now.Add(-24*time.Hour)) && !t.After(opts.Now) {
			recent++
		}
		if t.After(last) && !t.After(opts.Now) {
			last = t
		}
	}
	saving := 0.0
	if curValid && plan.CurrentCost > 0 {
		saving = (plan.CurrentCost - plan.OptimumCost) / plan.CurrentCost
	}
	switch {
	case same:
		keep("")
	case len(app.Current) == 0:
		apply() // first placement
	case o.Limits.MaxMovesPerDay > 0 && recent >= o.Limits.MaxMovesPerDay:
		keep(fmt.Sprintf("%d moves in the last 24 h, the most allowed", recent))
	case curMeets && !last.IsZero() && opts.Now.Sub(last) < o.Limits.MinInterval:
		keep(fmt.Sprintf("last move %v ago, less than the minimum interval %v", opts.Now.Sub(last).Round(time.Minute), o.Limits.MinInterval))
	case curMeets && saving < o.Limits.MinSaving:
		keep(fmt.Sprintf("saving %.1f %% is less than the minimum %.1f %%", 100*saving, 100*o.Limits.MinSaving))
	default:
		apply()
	}
	plan.Changed = !slices.Equal(plan.Assignments, current) || plan.HedgeReplicas != plan.CurrentHedgeReplicas
	if plan.Changed {
		plan.Moves = p.explain(app.Current, plan.Assignments)
		plan.Moves = append(plan.Moves, p.explainDynamic(plan.CurrentHedgeReplicas, plan.HedgeReplicas)...)
	}
	for _, a := range plan.Assignments {
		plan.Weights = append(plan.Weights, Weight{Cluster: a.Cluster, Weight: a.Replicas()})
		plan.Replicas += a.Replicas()
	}
	return plan
}

// scratch is a buffer for the risk: the exposure never exceeds N plus the
// hedge.
func (p *problem) scratch() []float64 {
	return make([]float64, 3*(p.n+p.maxHedge+2))
}

// meets says a state meets the objective: N primaries, the floor, the
// caps and the availability target.
func (p *problem) meets(s *state, buf []float64) bool { return p.meetsWithin(s, buf, p.budget) }

// meetsWithin is meets with another risk budget.
func (p *problem) meetsWithin(s *state, buf []float64, budget float64) bool {
	prim, od := 0, 0
	for i, c := range p.cands {
		prim += s.od[i] + s.spot[i]
		od += s.od[i]
		if s.od[i]+s.spot[i] > c.cap || s.total(i) > c.capacity {
			return false
		}
	}
	for r, used := range s.regionUsed {
		if used > p.regionCap[r] {
			return false
		}
	}
	return prim == p.n && od >= p.floor && s.hedges() <= p.maxHedge && p.risk(s, buf) <= budget+1e-12
}

// fromAssignments builds a state from a division; false when it names a
// cluster the app cannot use.
func (p *problem) fromAssignments(as []Assignment) (*state, bool) {
	s := p.empty()
	if len(as) == 0 {
		return s, false
	}
	for _, a := range as {
		i, ok := p.pos[a.Cluster]
		if !ok {
			if a.Replicas() > 0 {
				return s, false
			}
			continue
		}
		if a.OnDemand < 0 || a.Spot < 0 || a.Hedge < 0 || a.HedgeSpotOnly < 0 {
			return s, false
		}
		p.change(s, i, a.OnDemand, a.Spot, a.Hedge, a.HedgeSpotOnly)
	}
	return s, true
}

func (p *problem) empty() *state {
	n := len(p.cands)
	return &state{od: make([]int, n), spot: make([]int, n), hedge: make([]int, n), wait: make([]int, n), regionUsed: make([]int, len(p.regionCap)),
		expLo: make([]int, len(p.domains)), expHi: make([]int, len(p.domains)), expDown: make([]int, len(p.domains)), expFrac: make([]float64, len(p.domains)),
		tookLo: make([]int, n), tookHi: make([]int, n), frac: make([]float64, n), expFull: make([]int, len(p.domains))}
}

func (p *problem) assignments(s *state) []Assignment {
	var out []Assignment
	for i, c := range p.cands {
		if s.total(i) > 0 {
			out = append(out, Assignment{Cluster: c.name, OnDemand: s.od[i], Spot: s.spot[i], Hedge: s.hedge[i], HedgeSpotOnly: s.wait[i]})
		}
	}
	return out
}

// normalize sorts a division by cluster and drops empty entries.
func normalize(as []Assignment) []Assignment {
	var out []Assignment
	for _, a := range as {
		if a.Replicas() > 0 {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Cluster < out[j].Cluster })
	return out
}

// destinations lists candidate clusters in order of expected spot cost,
// keeping the cheapest few of each domain (clusters of a domain fail
// together; beyond a few, the dearer ones are not worth a look).
func (p *problem) destinations() []int {
	order := make([]int, len(p.cands))
	for i := range order {
		order[i] = i
	}
	key := func(i int) float64 {
		if p.cands[i].spotOK {
			return p.cands[i].eSpot
		}
		return p.cands[i].pOD
	}
	sort.SliceStable(order, func(a, b int) bool { return key(order[a]) < key(order[b]) })
	perDomain := map[int]int{}
	var out []int
	for _, i := range order {
		d := p.cands[i].domain
		if perDomain[d] >= 4 || p.cands[i].cap == 0 {
			continue
		}
		perDomain[d]++
		out = append(out, i)
		if len(out) >= 32 {
			break
		}
	}
	return out
}

// solve finds a cheap division that meets the objective. The risk is not
// convex in the division (a domain stays exposed until its last spot
// replica leaves), so the search starts from several divisions — the
// cheapest under the caps, one spread a replica per domain, each of those
// with the hedge already added (in the cheapest clusters, or where a
// hedge is cheapest outside the primaries' domains), all on-demand, and the replicas gathered in
// each of the cheapest few domains — repairs each
// (lowering the risk at the best price per unit of risk removed), prunes
// what the repair made unnecessary, and keeps the cheapest that meets the
// objective (the first on a tie).
func (p *problem) solve(buf []float64) *state {
	type option struct {
		i    int
		od   bool
		cost float64
	}
	var opts []option
	for i, c := range p.cands {
		opts = append(opts, option{i, true, c.pOD})
		if c.spotOK {
			opts = append(opts, option{i, false, c.eSpot})
		}
	}
	// On a tie, an on-demand replica goes where spot is worst: it leaves
	// the good spot clusters' room to spot.
	spotValue := func(o option) float64 {
		if c := p.cands[o.i]; c.spotOK {
			return c.eSpot
		}
		return math.Inf(1)
	}
	sort.SliceStable(opts, func(a, b int) bool {
		if opts[a].cost != opts[b].cost {
			return opts[a].cost < opts[b].cost
		}
		return opts[a].od && opts[b].od && spotValue(opts[a]) > spotValue(opts[b])
	})
	put := func(s *state, i int, od bool) {
		if od {
			p.add(s, i, 1, 0, 0)
		} else {
			p.add(s, i, 0, 1, 0)
		}
	}
	// greedy places left replicas on the cheapest options with room; with
	// spread, one per domain first.
	greedy := func(s *state, left int, odOnly, spread bool) int {
		if spread {
			used := map[int]bool{}
			for i := range p.cands {
				if s.total(i) > 0 {
					used[p.cands[i].domain] = true
				}
			}
			for _, o := range opts {
				if left == 0 {
					break
				}
				d := p.cands[o.i].domain
				if (odOnly && !o.od) || (!odOnly && o.od) || used[d] || !p.room(s, o.i) {
					continue
				}
				put(s, o.i, o.od)
				used[d] = true
				left--
			}
		}
		for _, o := range opts {
			if left == 0 {
				break
			}
			if odOnly && !o.od {
				continue
			}
			for left > 0 && p.room(s, o.i) {
				put(s, o.i, o.od)
				left--
			}
		}
		return left
	}
	addHedges := func(s *state) {
		for _, to := range p.dest {
			if s.hedges() >= p.maxHedge {
				return
			}
			if p.cands[to].spotOK && p.roomHedge(s, to) {
				p.apply(s, step{kind: 0, to: to})
			}
		}
	}
	// cheapHedges adds the hedge where it is cheapest, one per domain
	// the primaries do not use (a hedge must not fail with them): with
	// the fall-back, or spot-only.
	byHedge := slices.Clone(p.dest)
	sort.SliceStable(byHedge, func(a, b int) bool { return p.cands[byHedge[a]].eHedge < p.cands[byHedge[b]].eHedge })
	byWait := slices.Clone(p.dest)
	sort.SliceStable(byWait, func(a, b int) bool { return p.cands[byWait[a]].eWait < p.cands[byWait[b]].eWait })
	cheapHedges := func(s *state, waits bool) {
		used := map[int]bool{}
		for d, x := range s.expFull {
			used[d] = x > 0
		}
		order := byHedge
		if waits {
			order = byWait
		}
		for _, to := range order {
			d := p.cands[to].domain
			if s.hedges() >= p.maxHedge {
				return
			}
			if !used[d] && p.cands[to].spotOK && p.roomHedge(s, to) {
				p.apply(s, step{kind: 0, to: to, waits: waits && p.cands[to].fallback})
				used[d] = true
			}
		}
	}
	// With the dynamic hedge, the starts are the primaries' alone: each is
	// tried with every hedge count below (Karmada places the hedge).
	perClusterHedge := p.maxHedge > 0 && !p.dynamic
	var starts []*state
	for _, spread := range []bool{false, true} {
		s := p.empty()
		greedy(s, p.floor, true, false)
		greedy(s, p.n-p.floor, false, spread)
		starts = append(starts, s)
		if !p.dynamic {
			h := s.clone()
			addHedges(h)
			starts = append(starts, h)
		}
		if perClusterHedge {
			for _, waits := range []bool{false, true} {
				h := s.clone()
				cheapHedges(h, waits)
				starts = append(starts, h)
			}
		}
	}
	allOD := p.empty()
	greedy(allOD, p.n, true, false)
	starts = append(starts, allOD)
	// Concentrated in one of the cheapest clusters (then its domain): a
	// reliable zone can hold the app alone where spreading would expose
	// two; and the same with the hedge beside them, which covers a
	// reclaim that takes only a share of a cluster's replicas.
	tops := 0
	for _, first := range p.dest {
		if !p.cands[first].spotOK {
			continue
		}
		if tops++; tops > 4 {
			break
		}
		d := p.cands[first].domain
		s := p.empty()
		greedy(s, p.floor, true, false)
		left := p.n - p.floor
		for left > 0 && p.room(s, first) {
			put(s, first, false)
			left--
		}
		for _, i := range p.dest {
			for left > 0 && p.cands[i].domain == d && p.cands[i].spotOK && p.room(s, i) {
				put(s, i, false)
				left--
			}
		}
		greedy(s, left, false, false)
		starts = append(starts, s)
		if p.dynamic {
			// Spot there only, the rest (the floor included) on
			// on-demand: spot where the dynamic hedge is seldom, which
			// can then cover it.
			r := p.empty()
			left := p.n - p.floor
			for _, i := range p.dest {
				for left > 0 && p.cands[i].domain == d && p.cands[i].spotOK && p.room(r, i) {
					put(r, i, false)
					left--
				}
			}
			greedy(r, p.n-(p.n-p.floor-left), true, false)
			starts = append(starts, r)
		}
		if perClusterHedge {
			h := s.clone()
			for h.hedges() < p.maxHedge && p.roomHedge(h, first) {
				p.apply(h, step{kind: 0, to: first})
			}
			cheapHedges(h, false)
			starts = append(starts, h)
			// The same with spot-only hedges: beside them (they cover a
			// zone's reclaim and cost spot only), and elsewhere.
			h = s.clone()
			for h.hedges() < p.maxHedge && p.cands[first].fallback && p.roomHedge(h, first) {
				p.apply(h, step{kind: 0, to: first, waits: true})
			}
			cheapHedges(h, true)
			starts = append(starts, h)
		}
	}

	if p.dynamic {
		var all []*state
		for dyn := 0; dyn <= p.maxHedge; dyn++ {
			for _, s := range starts {
				x := s.clone()
				x.dyn = dyn
				all = append(all, x)
			}
		}
		starts = all
	}

	var best *state
	bestCost, bestMeets := 0.0, false
	tried := map[string]bool{}
	for _, start := range starts {
		if k := p.key(start); tried[k] {
			continue // the same start gives the same end
		} else {
			tried[k] = true
		}
		// Two repairs from each start: the one that completes with the
		// cheapest step at hand, and the one that always takes the best
		// risk per dollar (a dearer step may complete the repair where
		// two cheap ones would, e.g. two spot-only hedges beside the
		// primaries instead of one hedge with the fall-back elsewhere).
		for _, patient := range []bool{false, true} {
			s := start
			if !patient {
				s = start.clone()
			}
			p.repair(s, buf, patient)
			p.prune(s, buf)
			c, m := p.cost(s), p.meets(s, buf)
			if best == nil || (m && !bestMeets) || (m == bestMeets && c < bestCost-1e-9) {
				best, bestCost, bestMeets = s, c, m
			}
		}
	}
	return best
}

// step is one change considered by repair and prune.
type step struct {
	// 0 add hedge, 1 spot→od in place, 2 move spot, 3 move hedge, 4 remove
	// hedge, 5 od→spot in place, 6 swap spot (from) and hedge (to), 7 a
	// spot replica becomes a hedge in place and an on-demand one starts
	// elsewhere, 8 a spot replica moves to on-demand elsewhere, 9 an
	// on-demand replica (from) turns to spot with a hedge added at to, 10
	// a hedge becomes spot-only in place, 11 a spot-only hedge gets the
	// fall-back in place, 12 the dynamic hedge gains a replica, 13 it
	// loses one.
	kind     int
	from, to int
	// waits says the hedge the step adds, moves or removes is spot-only.
	waits bool
}

// hedgeDelta is the change of one hedge of the step's sort.
func (st step) hedgeDelta(n int) (hedge, wait int) {
	if st.waits {
		return 0, n
	}
	return n, 0
}

func (p *problem) apply(s *state, st step) {
	switch st.kind {
	case 0:
		h, w := st.hedgeDelta(1)
		p.change(s, st.to, 0, 0, h, w)
	case 1:
		p.add(s, st.from, 1, -1, 0)
	case 2:
		p.add(s, st.from, 0, -1, 0)
		p.add(s, st.to, 0, 1, 0)
	case 3:
		h, w := st.hedgeDelta(1)
		p.change(s, st.from, 0, 0, -h, -w)
		p.change(s, st.to, 0, 0, h, w)
	case 4:
		h, w := st.hedgeDelta(1)
		p.change(s, st.from, 0, 0, -h, -w)
	case 5:
		p.add(s, st.from, -1, 1, 0)
	case 6:
		h, w := st.hedgeDelta(1)
		p.change(s, st.from, 0, -1, h, w)
		p.change(s, st.to, 0, 1, -h, -w)
	case 7:
		h, w := st.hedgeDelta(1)
		p.change(s, st.from, 0, -1, h, w)
		p.add(s, st.to, 1, 0, 0)
	case 8:
		p.add(s, st.from, 0, -1, 0)
		p.add(s, st.to, 1, 0, 0)
	case 9:
		h, w := st.hedgeDelta(1)
		p.add(s, st.from, -1, 1, 0)
		p.change(s, st.to, 0, 0, h, w)
	case 10:
		p.change(s, st.from, 0, 0, -1, 1)
	case 11:
		p.change(s, st.from, 0, 0, 1, -1)
	case 12:
		s.dyn++
	case 13:
		s.dyn--
	}
}

func (p *problem) undo(s *state, st step) {
	switch st.kind {
	case 0:
		p.apply(s, step{kind: 4, from: st.to, waits: st.waits})
	case 1:
		p.apply(s, step{kind: 5, from: st.from})
	case 2:
		p.apply(s, step{kind: 2, from: st.to, to: st.from})
	case 3:
		p.apply(s, step{kind: 3, from: st.to, to: st.from, waits: st.waits})
	case 4:
		p.apply(s, step{kind: 0, to: st.from, waits: st.waits})
	case 5:
		p.apply(s, step{kind: 1, from: st.from})
	case 6:
		p.apply(s, step{kind: 6, from: st.to, to: st.from, waits: st.waits})
	case 7:
		h, w := st.hedgeDelta(1)
		p.add(s, st.to, -1, 0, 0)
		p.change(s, st.from, 0, 1, -h, -w)
	case 8:
		p.add(s, st.to, -1, 0, 0)
		p.add(s, st.from, 0, 1, 0)
	case 9:
		h, w := st.hedgeDelta(1)
		p.change(s, st.to, 0, 0, -h, -w)
		p.add(s, st.from, 1, -1, 0)
	case 10:
		p.apply(s, step{kind: 11, from: st.from})
	case 11:
		p.apply(s, step{kind: 10, from: st.from})
	case 12:
		s.dyn--
	case 13:
		s.dyn++
	}
}

// movable says whether a replica can move from one cluster to another
// under the caps.
func (p *problem) movable(s *state, from, to int) bool {
	c := &p.cands[to]
	if from == to || s.od[to]+s.spot[to] >= c.cap || s.total(to) >= c.capacity {
		return false
	}
	rf, rt := p.cands[from].region, c.region
	return rf == rt || s.regionUsed[rt] < p.regionCap[rt]
}

func (p *problem) stepCost(st step) float64 {
	c := func(i int) *cand { return &p.cands[i] }
	hedge := func(i int) float64 {
		if st.waits {
			return c(i).eWait
		}
		return c(i).eHedge
	}
	switch st.kind {
	case 0:
		return hedge(st.to)
	case 1:
		return c(st.from).pOD - c(st.from).eSpot
	case 2:
		return c(st.to).eSpot - c(st.from).eSpot
	case 3:
		return hedge(st.to) - hedge(st.from)
	case 4:
		return -hedge(st.from)
	case 5:
		return c(st.from).eSpot - c(st.from).pOD
	case 6:
		return c(st.to).eSpot + hedge(st.from) - c(st.from).eSpot - hedge(st.to)
	case 7:
		return hedge(st.from) + c(st.to).pOD - c(st.from).eSpot
	case 8:
		return c(st.to).pOD - c(st.from).eSpot
	case 9:
		return c(st.from).eSpot - c(st.from).pOD + hedge(st.to)
	case 10:
		return c(st.from).eWait - c(st.from).eHedge
	case 11:
		return c(st.from).eHedge - c(st.from).eWait
	case 12:
		return p.eDyn
	case 13:
		return -p.eDyn
	}
	return 0
}

// repair lowers the risk until it is within the budget: the cheapest step
// that brings it within (unless patient), else the step that removes the
// most risk per dollar (a free step first), else the one that lowers the
// expected shortfall most per dollar.
func (p *problem) repair(s *state, buf []float64, patient bool) {
	risk, short := p.riskShortfall(s, buf)
	for iter := 0; risk > p.budget && iter < 8*(p.n+p.maxHedge)+16; iter++ {
		var steps []step
		h := s.hedges()
		// The dynamic hedge's count is fixed during a repair: only the
		// primaries move (the search tries every count).
		addHedge := h < p.maxHedge && !p.dynamic
		if p.dynamic && h < p.maxHedge {
			steps = append(steps, step{kind: 12})
		}
		for _, to := range p.dest {
			if addHedge && p.cands[to].spotOK && p.roomHedge(s, to) {
				steps = append(steps, step{kind: 0, to: to})
				if p.cands[to].fallback {
					steps = append(steps, step{kind: 0, to: to, waits: true})
				}
			}
		}
		for from := range p.cands {
			if s.wait[from] > 0 {
				steps = append(steps, step{kind: 11, from: from})
				for _, to := range p.dest {
					if p.cands[to].spotOK && to != from && p.roomHedge(s, to) {
						steps = append(steps, step{kind: 3, from: from, to: to, waits: true})
					}
				}
			}
			if s.spot[from] > 0 {
				steps = append(steps, step{kind: 1, from: from})
				for _, to := range p.dest {
					if p.cands[to].spotOK && p.movable(s, from, to) {
						steps = append(steps, step{kind: 2, from: from, to: to})
					}
					if p.movable(s, from, to) {
						steps = append(steps, step{kind: 8, from: from, to: to})
					}
					if addHedge && to != from && p.room(s, to) {
						steps = append(steps, step{kind: 7, from: from, to: to})
						if p.cands[from].fallback {
							steps = append(steps, step{kind: 7, from: from, to: to, waits: true})
						}
					}
				}
			}
			if s.hedge[from] > 0 {
				for _, to := range p.dest {
					if p.cands[to].spotOK && to != from && p.roomHedge(s, to) {
						steps = append(steps, step{kind: 3, from: from, to: to})
					}
				}
			}
		}
		steps = p.swaps(s, steps)
		type choice struct {
			idx         int
			tier        int // -2 ends the repair, 0 free risk gain, 1 risk gain, 2 free shortfall gain, 3 shortfall gain
			score       float64
			risk, short float64
		}
		best := choice{idx: -1}
		for k, st := range steps {
			p.apply(s, st)
			if !p.stepCapsOK(s, st) {
				p.undo(s, st)
				continue
			}
			r, sh := p.riskShortfall(s, buf)
			p.undo(s, st)
			dc := p.stepCost(st)
			free := dc <= 1e-12
			var c choice
			switch {
			case r <= p.budget && !patient:
				// A step that completes the repair: the cheapest wins.
				c = choice{k, -2, -dc, r, sh}
			case risk-r > 1e-15:
				c = choice{k, 1, (risk - r) / math.Max(dc, 1e-12), r, sh}
			case short-sh > 1e-15 && r <= risk+1e-15:
				c = choice{k, 3, (short - sh) / math.Max(dc, 1e-12), r, sh}
			default:
				continue
			}
			if free && c.tier > -2 {
				c.tier--
				c.score = -dc // among free steps, the one that saves most
			}
			if best.idx < 0 || c.tier < best.tier || (c.tier == best.tier && c.score > best.score*(1+1e-12)+1e-15) {
				best = c
			}
		}
		if best.idx < 0 {
			return // nothing helps: the plan misses the target
		}
		p.apply(s, steps[best.idx])
		risk, short = best.risk, best.short
	}
}

// prune takes back what is not needed: hedges, on-demand above the floor,
// and replicas on dearer clusters, as long as the risk stays within the
// budget and each step saves money.
func (p *problem) prune(s *state, buf []float64) {
	for iter := 0; iter < 4*(p.n+p.maxHedge)+16; iter++ {
		var steps []step
		odTotal := 0
		for i := range p.cands {
			odTotal += s.od[i]
		}
		if s.dyn > 0 {
			steps = append(steps, step{kind: 13})
		}
		for from, c := range p.cands {
			if s.hedge[from] > 0 {
				steps = append(steps, step{kind: 4, from: from})
				if c.fallback {
					steps = append(steps, step{kind: 10, from: from})
				}
			}
			if s.wait[from] > 0 {
				steps = append(steps, step{kind: 4, from: from, waits: true})
			}
			for _, waits := range []bool{false, true} {
				if (waits && s.wait[from] == 0) || (!waits && s.hedge[from] == 0) {
					continue
				}
				for _, to := range p.dest {
					if p.cands[to].spotOK && to != from && p.roomHedge(s, to) {
						steps = append(steps, step{kind: 3, from: from, to: to, waits: waits})
					}
				}
			}
			if s.od[from] > 0 && odTotal > p.floor && c.spotOK {
				steps = append(steps, step{kind: 5, from: from})
				if s.hedges() < p.maxHedge && !p.dynamic {
					for _, to := range p.dest {
						if p.cands[to].spotOK && p.roomHedge(s, to) {
							steps = append(steps, step{kind: 9, from: from, to: to})
							if p.cands[to].fallback {
								steps = append(steps, step{kind: 9, from: from, to: to, waits: true})
							}
						}
					}
				}
			}
			if s.spot[from] > 0 {
				for _, to := range p.dest {
					if p.cands[to].spotOK && p.movable(s, from, to) {
						steps = append(steps, step{kind: 2, from: from, to: to})
					}
				}
			}
		}
		steps = p.swaps(s, steps)
		bestIdx, bestSave := -1, 0.0
		for k, st := range steps {
			save := -p.stepCost(st)
			if save <= 1e-9 || (bestIdx >= 0 && save <= bestSave*(1+1e-12)) {
				continue
			}
			p.apply(s, st)
			ok := p.stepCapsOK(s, st) && p.risk(s, buf) <= p.budget
			p.undo(s, st)
			if ok {
				bestIdx, bestSave = k, save
			}
		}
		if bestIdx < 0 {
			return
		}
		p.apply(s, steps[bestIdx])
	}
}

// swaps adds the steps that trade a spot replica in one cluster for a
// hedge in another: the hedge belongs where spot is most reliable, the
// spot replica (which falls back) where it is cheap.
func (p *problem) swaps(s *state, steps []step) []step {
	for from := range p.cands {
		if s.spot[from] == 0 {
			continue
		}
		for to := range p.cands {
			if to != from && s.hedge[to] > 0 {
				steps = append(steps, step{kind: 6, from: from, to: to})
			}
			if to != from && s.wait[to] > 0 && p.cands[from].fallback {
				steps = append(steps, step{kind: 6, from: from, to: to, waits: true})
			}
		}
	}
	return steps
}

// key identifies a division.
func (p *problem) key(s *state) string {
	var b strings.Builder
	for i := range p.cands {
		if s.total(i) > 0 {
			fmt.Fprintf(&b, "%d:%d/%d/%d/%d;", i, s.od[i], s.spot[i], s.hedge[i], s.wait[i])
		}
	}
	if s.dyn > 0 {
		fmt.Fprintf(&b, "dyn:%d", s.dyn)
	}
	return b.String()
}

// stepCapsOK checks the caps where a step changed something.
func (p *problem) stepCapsOK(s *state, st step) bool {
	switch st.kind {
	case 0:
		return p.capsOK(s, st.to)
	case 1, 4, 5, 10, 11:
		return p.capsOK(s, st.from)
	case 12, 13:
		return true // the hedge is outside the caps, Karmada places it
	}
	return p.capsOK(s, st.from) && p.capsOK(s, st.to)
}

// classKey identifies what an app's problem depends on besides the
// clusters' figures: its objective, the clusters it may use, and what it
// holds in clusters without known spot (they keep at most that).
func classKey(clusters []Cluster, idx map[string]int, app *App) string {
	o := app.Objective
	b := make([]byte, 0, 128)
	b = strconv.AppendInt(b, int64(o.Replicas), 10)
	for _, f := range []float64{o.Availability, o.MaxClusterShare, o.MaxRegionShare, o.OnDemandFloorShare, max(o.Limits.RiskSlack, 1)} {
		b = append(b, '|')
		b = strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(o.OnDemandFloor), 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(o.MaxHedge), 10)
	if app.DynamicHedge {
		b = append(b, "|dynamic"...)
	}
	b = append(b, '|')
	names := app.Clusters
	if !slices.IsSorted(names) {
		names = slices.Clone(names)
		sort.Strings(names)
	}
	for i, n := range names {
		if i > 0 && names[i-1] == n {
			continue
		}
		b = append(b, n...)
		if ci, ok := idx[n]; ok && !clusters[ci].SpotKnown {
			held := 0
			for _, a := range app.Current {
				if a.Cluster == n {
					held += a.Replicas()
				}
			}
			b = append(b, '=')
			b = strconv.AppendInt(b, int64(held), 10)
		}
		b = append(b, ',')
	}
	return string(b)
}

// optimum is a class's best division and its figures.
type optimum struct {
	assignments []Assignment
	hedges      int // the dynamic hedge's replicas
	cost, risk  float64
	meets       bool
}
