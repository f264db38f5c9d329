package optimize

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// dynOpts are the rebalance's figures for the 9-zone replay: 3 min for a
// zone's reclaim, 4 for an outage (the failed spot launch first), 9 for a
// dynamic hedge replica whose cluster lost its spot (the descheduler's 5
// min threshold and half its 2 min interval, then 5 min start-up, less
// the 2 min notice).
var dynOpts = Options{Now: now, RecoveryMinutes: 3, OutageRecoveryMinutes: 4, HedgeReactionMinutes: 9}

func dynProblem(t *testing.T, clusters []Cluster, o Objective) *problem {
	t.Helper()
	idx, err := indexClusters(clusters)
	if err != nil {
		t.Fatal(err)
	}
	app := App{Name: "x", Objective: o, Clusters: names(clusters), DynamicHedge: true}
	p, err := buildProblem(clusters, idx, &app, dynOpts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDynamicHedgeShares: a replica of the dynamic hedge leaves a cluster
// when its spot goes and lands where spot is; with two clusters it
// alternates, so it spends time in each inversely to its loss rate, and
// is in a cluster only while the cluster has spot.
func TestDynamicHedgeShares(t *testing.T) {
	a := gpu("a", "r1", "za", 0.5, 0.3) // single zone: every reclaim takes all its spot
	b := gpu("b", "r2", "zb", 1, 0.1)
	p := dynProblem(t, []Cluster{a, b}, Objective{Replicas: 1, Availability: 0.999, MaxHedge: 1})
	// π_a = λ_b/(λ_a+λ_b) = 0.25, π_b = 0.75; θ = π/availability.
	if !near(p.hedgeTake[0], 0.25/0.5) || !near(p.hedgeTake[1], 0.75) {
		t.Errorf("hedge shares at an outage %v, want [0.5 0.75]", p.hedgeTake)
	}
	// b never goes dark: the hedge always has somewhere to run, at spot.
	if p.allDark != 0 || !near(p.eDyn, 0.612) {
		t.Errorf("all dark %v, cost %v; want 0 and 0.612", p.allDark, p.eDyn)
	}
	// With b dark half the time too, the hedge waits a quarter of it.
	b.Availability = 0.5
	p = dynProblem(t, []Cluster{a, b}, Objective{Replicas: 1, Availability: 0.999, MaxHedge: 1})
	if !near(p.allDark, 0.25) || !near(p.eDyn, 0.75*0.612) {
		t.Errorf("all dark %v, cost %v; want 0.25 and %v", p.allDark, p.eDyn, 0.75*0.612)
	}
	// A three-zone cluster loses its hedges to an outage (all) or to a
	// zone's reclaim (a third of them).
	c := gpu("c", "r3", "zc", 1, 0.6)
	c.ReclaimShare, c.OutagesPerHour = 1.0/3, 0.05
	p = dynProblem(t, []Cluster{c}, Objective{Replicas: 1, Availability: 0.999, MaxHedge: 1})
	if !near(p.hedgeTake[0], 1) || !near(p.hedgeZoneTake[0], 1.0/3) {
		t.Errorf("one cluster: shares %v %v, want 1 and 1/3", p.hedgeTake, p.hedgeZoneTake)
	}
}

// TestDynamicHedgeRisk counts by hand the risk of one spot replica in a
// and the dynamic hedge: a's reclaim takes the replica for the outage's 4
// min, and the hedge too when it sits in a (a quarter of the time); the
// hedge sitting in a cluster whose spot goes is away for the
// descheduler's 9 min. The hedge covers the replica only from b, and its
// replicas sit together.
func TestDynamicHedgeRisk(t *testing.T) {
	a := gpu("a", "r1", "za", 1, 0.3)
	b := gpu("b", "r2", "zb", 1, 0.1)
	p := dynProblem(t, []Cluster{a, b}, Objective{Replicas: 1, Availability: 0.99, MaxHedge: 1})
	s := p.empty()
	p.add(s, 0, 0, 1, 0)
	s.dyn = 1
	thA, thB := 0.25, 0.75
	recA, reactA := 0.3*4/60, 0.3*5/60
	recB, reactB := 0.1*4/60, 0.1*5/60
	// a: 0, 1 or 2 lost; b: 0 or the hedge.
	pa0 := 1 - recA - reactA*thA
	pa1 := recA*(1-thA) + reactA*thA
	qb0 := 1 - (recB+reactB)*thB
	want := 1 - pa0 - pa1*qb0
	buf := p.scratch()
	if got := p.risk(s, buf); math.Abs(got-want) > 1e-12 {
		t.Errorf("risk %v, want %v", got, want)
	}
	// Without the hedge: a's reclaim alone.
	s.dyn = 0
	if got := p.risk(s, buf); math.Abs(got-recA) > 1e-12 {
		t.Errorf("risk without hedge %v, want %v", got, recA)
	}
	// The same replica in b, where the hedge sits three quarters of the
	// time (it drifts to the cluster that keeps its spot): b's reclaims
	// are rarer, but take the hedge with the replica more often.
	sb := p.empty()
	p.add(sb, 1, 0, 1, 0)
	sb.dyn = 1
	qb1 := recB*(1-thB) + reactB*thB
	pa0h := 1 - (recA+reactA)*thA
	wantB := 1 - (1 - recB - reactB*thB) - qb1*pa0h
	if got := p.risk(sb, buf); math.Abs(got-wantB) > 1e-12 {
		t.Errorf("replica in b: risk %v, want %v", got, wantB)
	}
	// Two hedge replicas sit together: a's reclaim takes both with the
	// replica when they are in a (loss 3), not one of them always (the
	// even spread would say 1.5: never short alone).
	s.dyn = 2
	lossB2 := (recB + reactB) * thB
	want2 := recA*thA + (reactA*thA+recA*(1-thA))*lossB2
	if got := p.risk(s, buf); math.Abs(got-want2) > 1e-12 {
		t.Errorf("two hedge replicas: risk %v, want %v", got, want2)
	}
	// The fast path (hedge-only distribution with the state's domains
	// replaced) equals the direct convolution of every domain.
	for d := range p.hedgeCache {
		p.hedgeCache[d].ok = false
	}
	if got := p.risk(sb, buf); math.Abs(got-wantB) > 1e-12 {
		t.Errorf("direct: risk %v, want %v", got, wantB)
	}
}

// TestDynamicRiskPaths compares, on random problems and divisions, the
// risk and shortfall of the fast path with the direct convolution.
func TestDynamicRiskPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for k := 0; k < 200; k++ {
		clusters := randomClusters(rng, 5)
		o := Objective{Replicas: 1 + rng.IntN(6), Availability: 0.999, MaxHedge: 3}
		p := dynProblem(t, clusters, o)
		s := p.empty()
		for i := range p.cands {
			p.change(s, i, rng.IntN(2), rng.IntN(3), 0, rng.IntN(2))
		}
		s.dyn = rng.IntN(p.maxHedge + 1)
		buf := p.scratch()
		r1, sh1 := p.riskShortfall(s, buf)
		for d := range p.hedgeCache {
			p.hedgeCache[d].ok = false
		}
		r2, sh2 := p.riskShortfall(s, buf)
		if math.Abs(r1-r2) > 1e-12 || math.Abs(sh1-sh2) > 1e-9 {
			t.Fatalf("case %d: fast %v/%v, direct %v/%v", k, r1, sh1, r2, sh2)
		}
	}
}

func randomClusters(rng *rand.Rand, n int) []Cluster {
	var clusters []Cluster
	shares := map[string]float64{}
	for i := 0; i < n; i++ {
		c := gpu(string(rune('a'+i)), []string{"r1", "r2", "r3"}[rng.IntN(3)], []string{"z1", "z2", "z3", "z4"}[rng.IntN(4)], 0.2+0.79*rng.Float64(), 0.3*rng.Float64())
		c.Fallback = rng.IntN(4) > 0
		c.SpotPrice = 0.3 + 1.5*rng.Float64()
		c.ReclaimShare = []float64{0, 0, 0.5, 1.0 / 3}[rng.IntN(4)]
		if c.ReclaimShare > 0 {
			c.OutagesPerHour = 0.1 * rng.Float64()
		}
		if share, ok := shares[c.Domain]; ok {
			c.ReclaimShare = share
		}
		shares[c.Domain] = c.ReclaimShare
		clusters = append(clusters, c)
	}
	return clusters
}

// TestDynamicNearBruteForce compares the search with every division of
// the primaries and every hedge count on small problems: it meets the
// planning budget whenever some division does, at a cost within 5 % of
// the cheapest.
func TestDynamicNearBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 8))
	exact, worst, found := 0, 0.0, 0
	const cases = 300
	for k := 0; k < cases; k++ {
		clusters := randomClusters(rng, 3)
		o := Objective{Replicas: 1 + rng.IntN(4), Availability: []float64{0.99, 0.999, 0.9999}[rng.IntN(3)],
			MaxClusterShare: []float64{0, 0.5, 0.67}[rng.IntN(3)], MaxRegionShare: []float64{0, 0.5}[rng.IntN(2)], OnDemandFloor: rng.IntN(2), MaxHedge: rng.IntN(4),
			Limits: Limits{RiskSlack: []float64{0, 2}[rng.IntN(2)]}}
		o.OnDemandFloor = min(o.OnDemandFloor, o.Replicas)
		app := App{Name: "x", Objective: o, Clusters: names(clusters), DynamicHedge: true}
		plans, err := Optimize(context.Background(), clusters, []App{app}, dynOpts)
		if err != nil {
			continue // infeasible caps
		}
		p := plans[0]
		checkPlan(t, clusters, o, p)
		for _, a := range p.Assignments {
			if a.Hedge+a.HedgeSpotOnly > 0 {
				t.Errorf("case %d: a per-cluster hedge with the dynamic one: %+v", k, p.Assignments)
			}
		}
		if p.HedgeReplicas > o.MaxHedge || p.Replicas != o.Replicas {
			t.Errorf("case %d: hedge %d (max %d), replicas %d (N %d)", k, p.HedgeReplicas, o.MaxHedge, p.Replicas, o.Replicas)
		}
		bestCost, ok := bruteForceDynamic(t, clusters, app)
		budget := (1 - o.Availability) / max(o.Limits.RiskSlack, 1)
		switch {
		case ok && !p.MeetsObjective:
			t.Errorf("case %d: a division meets the objective at %.3f, the search found none (%+v, hedge %d)", k, bestCost, p.Assignments, p.HedgeReplicas)
		case ok && p.Risk > budget+1e-12:
			t.Errorf("case %d: plan risk %v over the planning budget %v", k, p.Risk, budget)
		case ok:
			found++
			gap := p.Cost/bestCost - 1
			worst = math.Max(worst, gap)
			if gap < 1e-9 {
				exact++
			}
			if gap > 0.05 {
				t.Errorf("case %d: cost %.4f, the cheapest division %.4f (%.1f %% more): %+v hedge %d", k, p.Cost, bestCost, 100*gap, p.Assignments, p.HedgeReplicas)
			}
		}
	}
	t.Logf("%d of %d feasible cases at the exact optimum; worst gap %.2f %%", exact, found, 100*worst)
	if found < cases/2 {
		t.Errorf("only %d feasible cases", found)
	}
}

// bruteForceDynamic is the cheapest division of the primaries (on-demand
// and spot per cluster) with any count of the dynamic hedge that meets
// the objective.
func bruteForceDynamic(t *testing.T, clusters []Cluster, app App) (float64, bool) {
	t.Helper()
	idx, _ := indexClusters(clusters)
	p, err := buildProblem(clusters, idx, &app, dynOpts)
	if err != nil {
		t.Fatal(err)
	}
	o := app.Objective
	best, found := math.Inf(1), false
	var bestState []Assignment
	bestDyn := 0
	s := p.empty()
	buf := p.scratch()
	defer func() {
		if found {
			t.Logf("cheapest division %+v hedge %d at %.4f $/h", bestState, bestDyn, best)
		}
	}()
	var rec func(i int)
	rec = func(i int) {
		if i == len(p.cands) {
			for dyn := 0; dyn <= p.maxHedge; dyn++ {
				s.dyn = dyn
				if p.meets(s, buf) {
					if c := p.cost(s); c < best {
						best, found = c, true
						bestState, bestDyn = p.assignments(s), dyn
					}
				}
			}
			s.dyn = 0
			return
		}
		for od := 0; od <= o.Replicas; od++ {
			for sp := 0; od+sp <= o.Replicas; sp++ {
				if sp > 0 && !p.cands[i].spotOK {
					break
				}
				p.add(s, i, od, sp, 0)
				rec(i + 1)
				p.add(s, i, -od, -sp, 0)
			}
		}
	}
	rec(0)
	return best, found
}

// TestDynamicHedgePlan plans an app whose cheap clusters lose spot more
// often than a steady, dearer one, to which the dynamic hedge drifts (so
// it is seldom lost with the primaries): the hedge comes as a count, the
// weights divide N, and without the hedge the division misses the
// objective, so the plan adds it and says so.
func TestDynamicHedgePlan(t *testing.T) {
	cheap := func(name, region string) Cluster {
		c := gpu(name, region, name, 0.9, 0.1)
		c.SpotPrice = 0.3
		return c
	}
	steady := gpu("steady", "r3", "steady", 0.99, 0.01)
	steady.SpotPrice = 1.5
	clusters := []Cluster{cheap("cheap1", "r1"), cheap("cheap2", "r2"), steady}
	o := Objective{Replicas: 2, Availability: 0.995, MaxClusterShare: 0.5, MaxRegionShare: 0.5, MaxHedge: 1,
		Limits: Limits{MinSaving: 0.05, MaxMovesPerDay: 10, RiskSlack: 2}}
	app := App{Name: "x", Objective: o, Clusters: names(clusters), DynamicHedge: true}
	plans, err := Optimize(context.Background(), clusters, []App{app}, dynOpts)
	if err != nil {
		t.Fatal(err)
	}
	p := plans[0]
	checkPlan(t, clusters, o, p)
	if !p.MeetsObjective || !p.Changed || p.Replicas != 2 || p.HedgeReplicas != 1 || p.HedgeReplicas != p.OptimumHedgeReplicas {
		t.Fatalf("plan %+v", p)
	}
	sum := 0
	for _, w := range p.Weights {
		sum += w.Weight
	}
	if sum != 2 || len(p.Assignments) != 2 || p.Assignments[0].Spot != 1 || p.Assignments[1].Spot != 1 {
		t.Errorf("weights %v do not divide N, or not a spot replica in each cheap cluster: %+v", p.Weights, p.Assignments)
	}
	t.Logf("plan %+v hedge %d cost %.3f risk %.6f", p.Assignments, p.HedgeReplicas, p.Cost, p.Risk)
	// Held as current: nothing to do.
	app.Current, app.CurrentHedgeReplicas = p.Assignments, p.HedgeReplicas
	plans, _ = Optimize(context.Background(), clusters, []App{app}, dynOpts)
	if plans[0].Changed || plans[0].Held != "" || plans[0].HedgeReplicas != p.HedgeReplicas {
		t.Errorf("optimum as current: %+v", plans[0])
	}
	// Without the hedge the risk is over the target: the plan adds it
	// back and says so.
	app.CurrentHedgeReplicas = 0
	plans, _ = Optimize(context.Background(), clusters, []App{app}, dynOpts)
	q := plans[0]
	if q.CurrentRisk <= 1-o.Availability || !q.Changed || q.HedgeReplicas != p.HedgeReplicas || len(q.Moves) != 1 {
		t.Fatalf("no hedge: current risk %v, changed %v, hedge %d, moves %v", q.CurrentRisk, q.Changed, q.HedgeReplicas, q.Moves)
	}
	if got, want := q.Moves[0].String(), "add 1 dynamic hedge replica(s), spot only, placed by Karmada where spot is ($1.308/h per replica; spot in some cluster 100.0 %)"; got != want {
		t.Errorf("move %q, want %q", got, want)
	}
}

// TestDynamicHedgeSwitch: an app moving off the dynamic hedge renders
// none, so its replicas go (here the rest is held: the two spot replicas
// alone meet 99 %, a hedge would cost more than it saves); moving back,
// its division with a per-cluster hedge is judged as it is: it meets the
// objective, and a spot-only hedge in the third cluster (outside both
// replicas' clusters) is cheaper than a dynamic one, which sits beside a
// replica part of the time, so it is held.
func TestDynamicHedgeSwitch(t *testing.T) {
	clusters := []Cluster{gpu("a", "r1", "za", 0.9, 0.05), gpu("b", "r2", "zb", 0.9, 0.05), gpu("c", "r3", "zc", 0.9, 0.05)}
	o := Objective{Replicas: 2, Availability: 0.99, MaxClusterShare: 0.5, MaxHedge: 1,
		Limits: Limits{MinSaving: 0.05, MaxMovesPerDay: 10, RiskSlack: 2}}
	app := App{Name: "x", Objective: o, Clusters: names(clusters), DynamicHedge: true}
	plan := func() Plan {
		t.Helper()
		plans, err := Optimize(context.Background(), clusters, []App{app}, dynOpts)
		if err != nil {
			t.Fatal(err)
		}
		checkPlan(t, clusters, o, plans[0])
		return plans[0]
	}
	dyn := plan()
	if dyn.HedgeReplicas != 1 || !dyn.MeetsObjective {
		t.Fatalf("dynamic plan %+v", dyn)
	}
	app.Current, app.CurrentHedgeReplicas, app.DynamicHedge = dyn.Assignments, dyn.HedgeReplicas, false
	static := plan()
	var got []string
	for _, m := range static.Moves {
		got = append(got, m.String())
	}
	want := []string{"remove 1 dynamic hedge replica(s) ($0.611/h per replica; spot in some cluster 99.9 %)"}
	if static.HedgeReplicas != 0 || !static.Changed || !strings.Contains(static.Held, "saving") || !slices.Equal(got, want) {
		t.Errorf("off the dynamic hedge: hedge %d, held %q, moves\n%s\nwant\n%s", static.HedgeReplicas, static.Held, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	static.Assignments = append(static.Assignments, Assignment{Cluster: "c", HedgeSpotOnly: 1})
	app.Current, app.CurrentHedgeReplicas, app.DynamicHedge = static.Assignments, 0, true
	back := plan()
	if back.Changed || !strings.Contains(back.Held, "saving") || back.OptimumHedgeReplicas != 1 || back.HedgeReplicas != 0 || !back.MeetsObjective {
		t.Errorf("back to the dynamic hedge: %+v", back)
	}
}

// TestDynamicHedgeCoLocation: with three like clusters, a spot replica in
// each of two and one hedge, the per-cluster hedge sits in the third and
// covers either reclaim; the dynamic one is in the replica's cluster a
// third of the time (its share θ = π/a), so the same division with it is
// riskier, by the reclaims it does not cover and the descheduler's
// reaction after them.
func TestDynamicHedgeCoLocation(t *testing.T) {
	clusters := []Cluster{gpu("a", "r1", "za", 0.9, 0.1), gpu("b", "r2", "zb", 0.9, 0.1), gpu("c", "r3", "zc", 0.9, 0.1)}
	o := Objective{Replicas: 2, Availability: 0.999, MaxClusterShare: 0.5, MaxHedge: 1}
	perCluster, _ := divisionRisk(t, clusters, o, []Assignment{{Cluster: "a", Spot: 1}, {Cluster: "b", Spot: 1}, {Cluster: "c", Hedge: 1}})
	p := dynProblem(t, clusters, o)
	s := p.empty()
	p.add(s, 0, 0, 1, 0)
	p.add(s, 1, 0, 1, 0)
	s.dyn = 1
	dynamic := p.risk(s, p.scratch())
	theta := (1.0 / 3) / 0.9
	if !near(p.hedgeTake[0], theta) {
		t.Errorf("share %v, want %v", p.hedgeTake[0], theta)
	}
	// Each reclaim of a or b (0.1/h, 4 min for an outage) takes the
	// replica; the dynamic hedge is lost with it a θ of the time.
	rec := 0.1 * 4 / 60
	if perCluster > 2*rec*rec || dynamic < 2*rec*theta {
		t.Errorf("per-cluster hedge risk %v (want only overlaps, below %v); dynamic %v (want at least %v)", perCluster, 2*rec*rec, dynamic, 2*rec*theta)
	}
}
