package sim

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/flotilla-gitops/flotilla/tools/spot/forecast"
	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
)

// Run replays the fleet under every policy of o.Policies over the same
// traces. The result does not depend on o.Parallelism.
func Run(ctx context.Context, f *Fleet, o Options) (*Result, error) {
	w, err := newWorld(f, o)
	if err != nil {
		return nil, err
	}
	policies := o.Policies
	if len(policies) == 0 {
		policies = AllPolicies
	}
	par := o.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	res := &Result{Start: w.start, Minutes: w.minutes, Days: w.days, Apps: len(f.Apps),
		Model: Model{Notice: w.d.notice, Startup: w.d.startup, FallbackDelay: w.d.fallback, ConsolidateAfter: w.d.consolidate,
			CommitDelay: w.d.commit, RebalanceEvery: w.d.every, EvictionGrace: w.d.grace}}

	// Flotilla, and its variants at other availability targets: each has
	// its commits, planned for the whole fleet beforehand.
	if len(o.FlotillaTargets) > 0 {
		var variants []Policy
		for _, p := range policies {
			if base, target, ok := flotillaVariant(p); !ok || target > 0 {
				continue
			} else {
				for _, target := range o.FlotillaTargets {
					variants = append(variants, VariantAt(base, target))
				}
			}
		}
		var with []Policy
		for _, p := range policies {
			if p == Oracle && variants != nil {
				with = append(with, variants...)
				variants = nil
			}
			with = append(with, p)
		}
		policies = append(with, variants...)
	}
	commits := map[Policy][][]commit{}
	rounds := map[Policy]int{}
	for _, p := range policies {
		base, target, ok := flotillaVariant(p)
		if !ok {
			continue
		}
		apps := f.Apps
		if target > 0 {
			apps = append([]App(nil), f.Apps...)
			for i := range apps {
				apps[i].Objective.Availability = target
			}
		}
		commits[p], rounds[p], err = flotillaCommits(ctx, w, apps, base == FlotillaDynamicHedge, par)
		if err != nil {
			return nil, err
		}
	}

	// Oracle costs per app, capped and relaxed; apps with the same
	// replicas, caps and clusters share them.
	capped := make([]*oracleCosts, len(f.Apps))
	relaxed := make([]*oracleCosts, len(f.Apps))
	type oracleJob struct {
		app    int
		capped bool
	}
	var jobs []oracleJob
	jobOf := map[string]int{}
	appJobs := make([][2]int, len(f.Apps))
	for i := range f.Apps {
		for c, isCapped := range []bool{true, false} {
			k := oracleKey(&f.Apps[i], isCapped)
			j, ok := jobOf[k]
			if !ok {
				j = len(jobs)
				jobOf[k] = j
				jobs = append(jobs, oracleJob{i, isCapped})
			}
			appJobs[i][c] = j
		}
	}
	oracles := make([]*oracleCosts, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(par)
	for j, job := range jobs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			oracles[j] = oracle(w, &f.Apps[job.app], job.capped)
			return nil
		})
	}
	// The replays.
	type slot struct {
		m  appMetrics
		tl *timelineRec
	}
	var simulated []Policy
	for _, p := range policies {
		if p != Oracle {
			simulated = append(simulated, p)
		}
	}
	slots := make([][]slot, len(simulated))
	for pi, p := range simulated {
		slots[pi] = make([]slot, len(f.Apps))
		for ai := range f.Apps {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				s := newAppSim(w, &f.Apps[ai], nil)
				s.noticeReplace = true
				s.everyMinute = o.stepEveryMinute
				switch p {
				case OnDemand:
					s.pol = &staticPolicy{onDemand: true}
				case Static:
					s.pol = &staticPolicy{}
				case Karpenter:
					s.pol = &staticPolicy{}
					s.fallback, s.consolidate = true, true
				case Dynamic:
					s.pol = dynamicPolicy{}
					s.descheduler = true
				case SpotHedge:
					s.pol = &spotHedge{}
					s.noticeReplace = false
					s.failoverAfter = 0 // not Karmada's
				default:
					if base, _, ok := flotillaVariant(p); ok {
						dynamic := base == FlotillaDynamicHedge
						s.pol = &flotillaPolicy{commits: commits[p][ai], dynamic: dynamic}
						s.fallback, s.consolidate = true, true
						s.hedgeDescheduler = dynamic
						break
					}
					return fmt.Errorf("unknown policy %q", p)
				}
				if f.Apps[ai].Name == o.TimelineApp {
					s.tl = newTimelineRec(w.minutes, max(1, mins(o.TimelineBucket)))
				}
				s.run()
				slots[pi][ai] = slot{s.m, s.tl}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i := range f.Apps {
		capped[i], relaxed[i] = oracles[appJobs[i][0]], oracles[appJobs[i][1]]
	}

	odCost := 0.0
	for pi, p := range simulated {
		if p == OnDemand {
			for _, s := range slots[pi] {
				odCost += s.m.usd()
			}
		}
	}
	// The oracle at each app's target.
	oracleCost := 0.0
	oracleBelow, oracleLost := int64(0), int64(0)
	for i, a := range f.Apps {
		drop := int64(math.Floor((1 - a.Objective.Availability) * float64(w.minutes)))
		oracleCost += capped[i].at(drop)
		oracleBelow += drop
		oracleLost += drop * int64(a.Objective.Replicas)
	}
	replicaMinutes := int64(0)
	for _, a := range f.Apps {
		replicaMinutes += int64(a.Objective.Replicas) * int64(w.minutes)
	}
	appMinutes := int64(len(f.Apps)) * int64(w.minutes)
	finish := func(r *PolicyResult) {
		if odCost > 0 {
			r.CostVsOnDemand = r.Cost / odCost
			r.Saving = 1 - r.CostVsOnDemand
			if odCost > oracleCost {
				r.OracleSavingShare = (odCost - r.Cost) / (odCost - oracleCost)
			}
		}
		r.ReplicaMinutes = replicaMinutes
		r.AppMinutes = appMinutes
		r.LostShare = float64(r.ReplicaMinutesLost) / float64(replicaMinutes)
		r.ReadyShare = 1 - float64(r.MinutesBelowN)/float64(appMinutes)
		r.CommitsPerDay = float64(r.Commits) / w.days
	}
	for _, p := range policies {
		var r PolicyResult
		r.Policy = p
		if p == Oracle {
			r.Cost = oracleCost
			r.OracleAtReadyShare = oracleCost
			r.MinutesBelowN = oracleBelow
			r.ReplicaMinutesLost = oracleLost
			r.WorstAppReadyShare = 1
			for _, a := range f.Apps {
				r.WorstAppReadyShare = min(r.WorstAppReadyShare, 1-math.Floor((1-a.Objective.Availability)*float64(w.minutes))/float64(w.minutes))
			}
			finish(&r)
			res.Policies = append(res.Policies, r)
			continue
		}
		pi := indexOf(simulated, p)
		r.WorstAppReadyShare = 1
		moves := 0
		var byKind [costKinds]int64
		var hedgeWanted, hedgeReady int64
		for ai, s := range slots[pi] {
			m := s.m
			r.Cost += m.usd()
			r.ReplicaMinutesLost += m.lost
			r.MinutesBelowN += m.below
			r.Interruptions += m.interruptions
			r.Absorbed += m.absorbed
			r.Failovers += m.failovers
			r.MinutesOverCaps += m.overCaps
			r.MinutesBelowNHedgeDown += m.belowHedgeDown
			r.ReclaimsWithHedge += m.withHedge
			hedgeWanted += m.hedgeWanted
			hedgeReady += m.hedgeReady
			for k, x := range m.costByKind {
				byKind[k] += x
			}
			moves += m.moves
			share := 1 - float64(m.below)/float64(w.minutes)
			r.WorstAppReadyShare = min(r.WorstAppReadyShare, share)
			oc, orx := capped[ai].at(m.below), relaxed[ai].at(m.below)
			r.OracleAtReadyShare += oc
			r.Apps = append(r.Apps, AppResult{App: f.Apps[ai].Name, Cost: m.usd(), ReadyShare: share, Lost: m.lost,
				OracleCapped: oc, OracleRelaxed: orx, OverCaps: m.overCaps})
			if s.tl != nil {
				if res.Timeline == nil {
					res.Timeline = &Timeline{App: o.TimelineApp, Replicas: f.Apps[ai].Objective.Replicas, BucketMinutes: s.tl.bucket}
				}
				res.Timeline.Series = append(res.Timeline.Series, s.tl.series(p))
			}
		}
		r.Commits = rounds[p]
		r.MovesPerDay = float64(moves) / w.days
		r.HedgeReadyShare = 1
		if hedgeWanted > 0 {
			r.HedgeReadyShare = float64(hedgeReady) / float64(hedgeWanted)
		}
		if odCost > 0 {
			share := func(k costKind) float64 { return float64(byKind[k]) / 60 / 1e6 / odCost }
			r.CostBreakdown = CostBreakdown{PinnedOnDemand: share(costPinnedOnDemand), PrimarySpot: share(costPrimarySpot), PrimaryOnDemand: share(costPrimaryOnDemand),
				HedgeSpot: share(costHedgeSpot), HedgeOnDemand: share(costHedgeOnDemand)}
		}
		finish(&r)
		res.Policies = append(res.Policies, r)
	}
	// The frontier: the oracle's cost at every availability from the
	// lowest a policy reached to 1.
	if odCost > 0 {
		lo := 1.0
		for _, r := range res.Policies {
			lo = min(lo, r.ReadyShare)
		}
		lo = max(0, lo-0.01)
		const steps = 40
		for i := 0; i <= steps; i++ {
			share := lo + (1-lo)*float64(i)/steps
			drop := int64(math.Floor((1 - share) * float64(w.minutes)))
			c := 0.0
			for _, o := range capped {
				c += o.at(drop)
			}
			res.Frontier = append(res.Frontier, FrontierPoint{ReadyShare: share, CostVsOnDemand: c / odCost})
		}
	}
	return res, nil
}

func indexOf(ps []Policy, p Policy) int {
	for i, x := range ps {
		if x == p {
			return i
		}
	}
	return -1
}

// flotillaCommits runs `flotilla spot rebalance` on its schedule over the
// whole fleet: at each round, the optimizer plans every app from the
// estimates the traces allow so far; a changed plan is a commit that takes
// effect after the commit delay. With dynamic, every app's hedge is the
// dynamic workload (a count). It returns the commits per app and the
// number of rounds that committed (one commit each).
func flotillaCommits(ctx context.Context, w *world, fleetApps []App, dynamic bool, par int) ([][]commit, int, error) {
	f := w.fleet
	apps := make([]optimize.App, len(fleetApps))
	for i := range fleetApps {
		a := &fleetApps[i]
		s := newAppSim(w, a, nil)
		d := divide(s.n, declared(s), make([]int, len(s.cl)))
		apps[i] = optimize.App{Name: a.Name, Objective: a.Objective, Clusters: a.Clusters, DynamicHedge: dynamic}
		for k, x := range d {
			if x > 0 {
				apps[i].Current = append(apps[i].Current, optimize.Assignment{Cluster: w.clusters[s.cl[k]].name, Spot: x})
			}
		}
	}
	every := w.d.every
	fo := forecast.Options{Window: w.opts.ForecastWindow, Delay: w.opts.CommitDelay, Horizon: max(w.opts.PlanHorizon, time.Duration(every)*time.Minute), PriorExposure: w.opts.PriorExposure}
	// A reclaimed replica is unready from the end of its notice until its
	// replacement is ready: spot in another zone, or on-demand after the
	// failed spot launch when no zone is left.
	recovery := float64(max(0, w.d.startup-w.d.notice))
	outageRecovery := float64(max(0, w.d.fallback+w.d.startup-w.d.notice))
	// A dynamic hedge replica whose cluster lost its spot: pending from
	// the notice, moved at the descheduler's first run past its threshold
	// (half an interval later on average), then started elsewhere; it
	// served through the notice.
	hedgeReaction := float64(w.d.unschedulable) + float64(w.d.deschedule)/2 + float64(w.d.startup) - float64(w.d.notice)
	out := make([][]commit, len(apps))
	rounds := 0
	// settle holds, per app, the plan to commit at the next round after a
	// surge (make before break).
	settle := make([]*commit, len(apps))
	clusters := make([]optimize.Cluster, len(w.clusters))
	for t := 0; t < w.minutes; t += every {
		for ci, c := range w.clusters {
			// The cluster has spot while any of its pools has; a reclaim
			// in one pool takes the replicas spread there.
			e := c.history.At(t, fo)
			price, rate, zonesUp := math.Inf(1), 0.0, 0.0
			for _, pi := range c.pools {
				price = min(price, w.pools[pi].price)
				pe := w.pools[pi].history.At(t, fo)
				rate += pe.InterruptionsPerHour
				zonesUp += pe.Availability
			}
			// A reclaim of one zone takes the replicas spread there:
			// Karpenter spreads them over the zones that have spot, on
			// average zonesUp/a of them while the cluster has any. The
			// last zone going takes them all (they moved there as the
			// others went).
			share, outages := 0.0, 0.0
			if len(c.pools) > 1 {
				share = 1 / float64(len(c.pools))
				if zonesUp > 0 {
					share = min(1, max(share, e.Availability/zonesUp))
				}
				outages = e.InterruptionsPerHour
				rate = max(0, rate-outages)
			}
			clusters[ci] = optimize.Cluster{Name: c.name, Region: f.Clusters[ci].Region, Domain: c.domain, SpotPrice: price, OnDemandPrice: c.od,
				SpotKnown: len(c.pools) > 0, Availability: e.Availability, InterruptionsPerHour: rate, OutagesPerHour: outages, ReclaimShare: share,
				Capacity: c.cap, Fallback: true}
		}
		now := w.start.Add(time.Duration(t) * time.Minute)
		// Apps settling a surge commit their plan; the others are planned.
		changed := false
		var plan []optimize.App
		var index []int
		for i := range apps {
			if settle[i] != nil {
				c := *settle[i]
				c.at = t + w.d.commit
				out[i] = append(out[i], c)
				settle[i] = nil
				changed = true
				continue
			}
			plan = append(plan, apps[i])
			index = append(index, i)
		}
		plans, err := optimize.Optimize(ctx, clusters, plan, optimize.Options{Now: now, RecoveryMinutes: recovery, OutageRecoveryMinutes: outageRecovery,
			HedgeReactionMinutes: hedgeReaction, Parallelism: par})
		if err != nil {
			return nil, 0, fmt.Errorf("rebalance at %s: %w", now.Format(time.RFC3339), err)
		}
		for j, p := range plans {
			i := index[j]
			if !p.Changed {
				continue
			}
			changed = true
			surge := optimize.Surge(apps[i].Current, p.Assignments)
			final := commit{plan: p.Assignments, hedges: p.HedgeReplicas}
			if w.opts.Surge && len(apps[i].Current) > 0 && !slices.Equal(surge, p.Assignments) {
				out[i] = append(out[i], commit{at: t + w.d.commit, plan: surge, hedges: max(p.HedgeReplicas, apps[i].CurrentHedgeReplicas)})
				settle[i] = &final
			} else {
				final.at = t + w.d.commit
				out[i] = append(out[i], final)
			}
			apps[i].Current, apps[i].CurrentHedgeReplicas = p.Assignments, p.HedgeReplicas
			var recent []time.Time
			for _, m := range apps[i].Moves {
				if now.Sub(m) < 24*time.Hour {
					recent = append(recent, m)
				}
			}
			apps[i].Moves = append(recent, now)
		}
		if changed {
			rounds++
		}
	}
	return out, rounds, nil
}

// usd is the cost in USD.
func (m *appMetrics) usd() float64 { return float64(m.costMicro) / 60 / 1e6 }

// FlotillaAt is the flotilla policy with every app's availability target
// set to target (a point of its cost/availability curve).
func FlotillaAt(target float64) Policy { return VariantAt(Flotilla, target) }

// VariantAt is a flotilla policy (Flotilla or FlotillaDynamicHedge) with
// every app's availability target set to target.
func VariantAt(base Policy, target float64) Policy {
	return Policy(fmt.Sprintf("%s@%s%%", base, strconv.FormatFloat(100*target, 'f', -1, 64)))
}

// flotillaVariant says whether p is a flotilla policy, which one, and the
// target of a variant at another target (0 for the apps' own).
func flotillaVariant(p Policy) (Policy, float64, bool) {
	name, rest, at := strings.Cut(string(p), "@")
	base := Policy(name)
	if base != Flotilla && base != FlotillaDynamicHedge {
		return "", 0, false
	}
	if !at {
		return base, 0, true
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(rest, "%"), 64)
	if err != nil || !strings.HasSuffix(rest, "%") || !(v > 0 && v <= 100) {
		return "", 0, false
	}
	return base, v / 100, true
}
