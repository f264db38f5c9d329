package optimize

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/helper"
)

var now = time.Date(2023, 2, 20, 12, 0, 0, 0, time.UTC)

func gpu(name, region, zone string, a, rate float64) Cluster {
	return Cluster{Name: name, Region: region, Domain: zone, SpotPrice: 0.612, OnDemandPrice: 3.06, SpotKnown: true,
		Availability: a, InterruptionsPerHour: rate, Fallback: true}
}

func objective(n int) Objective {
	return Objective{Replicas: n, Availability: 0.999, MaxClusterShare: 0.5, MaxHedge: 2,
		Limits: Limits{MinSaving: 0.05, MinInterval: 30 * time.Minute, MaxMovesPerDay: 6}}
}

func plan1(t *testing.T, clusters []Cluster, app App) Plan {
	t.Helper()
	plans, err := Optimize(context.Background(), clusters, []App{app}, Options{Now: now, RecoveryMinutes: 3})
	if err != nil {
		t.Fatal(err)
	}
	return plans[0]
}

func names(cs []Cluster) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// checkPlan checks a plan against its objective independently of the
// search: N primaries, the caps, the floor, and its own figures.
func checkPlan(t *testing.T, clusters []Cluster, o Objective, p Plan) {
	t.Helper()
	byName := map[string]Cluster{}
	for _, c := range clusters {
		byName[c.Name] = c
	}
	prim, od, hedge := 0, 0, 0
	perRegion := map[string]int{}
	for _, a := range p.Assignments {
		prim += a.OnDemand + a.Spot
		od += a.OnDemand
		hedge += a.Hedge + a.HedgeSpotOnly
		perRegion[byName[a.Cluster].Region] += a.OnDemand + a.Spot
		if o.MaxClusterShare > 0 && a.OnDemand+a.Spot > max(1, int(o.MaxClusterShare*float64(o.Replicas)+1e-9)) {
			t.Errorf("%s holds %d primaries, over the cluster share %v of %d", a.Cluster, a.OnDemand+a.Spot, o.MaxClusterShare, o.Replicas)
		}
	}
	for r, n := range perRegion {
		if o.MaxRegionShare > 0 && n > max(1, int(o.MaxRegionShare*float64(o.Replicas)+1e-9)) {
			t.Errorf("region %s holds %d replicas, over the region share", r, n)
		}
	}
	if prim != o.Replicas || od < o.OnDemandFloor || hedge > o.MaxHedge || p.Replicas != prim+hedge {
		t.Errorf("primaries %d (want %d), on-demand %d (floor %d), hedge %d (max %d), replicas %d", prim, o.Replicas, od, o.OnDemandFloor, hedge, o.MaxHedge, p.Replicas)
	}
	if p.MeetsObjective && p.Risk > 1-o.Availability+1e-12 {
		t.Errorf("meets the objective with risk %v > %v", p.Risk, 1-o.Availability)
	}
}

func TestPlanPrefersAvailableSpotAndHedges(t *testing.T) {
	clusters := []Cluster{
		gpu("gpu-use1a", "us-east-1", "us-east-1a", 0.17, 0.2),
		gpu("gpu-usw2a", "us-west-2", "us-west-2a", 0.88, 0.05),
		gpu("gpu-usw2b", "us-west-2", "us-west-2b", 0.90, 0.05),
		gpu("gpu-usw2c", "us-west-2", "us-west-2c", 0.89, 0.05),
	}
	o := objective(4)
	p := plan1(t, clusters, App{Name: "inference", Objective: o, Clusters: names(clusters)})
	checkPlan(t, clusters, o, p)
	if !p.MeetsObjective || !p.Changed {
		t.Fatalf("plan %+v", p)
	}
	for _, a := range p.Assignments {
		if a.Cluster == "gpu-use1a" {
			t.Errorf("uses the 17 %% zone: %+v", p.Assignments)
		}
	}
	// A reclaim takes every spot replica of a zone; with 2 replicas per
	// zone allowed, meeting 99.9 % needs a hedge or a spread.
	if p.Risk > 0.001 {
		t.Errorf("risk %v", p.Risk)
	}
	// All on-demand would cost 4 × 3.06 $/h; spot where it is 90 % available saves.
	if p.Cost >= 4*3.06*0.5 {
		t.Errorf("expected cost %.2f $/h is not half of on-demand", p.Cost)
	}
	t.Logf("plan %+v cost %.3f risk %.5f", p.Assignments, p.Cost, p.Risk)
}

func TestFloorAndUnknown(t *testing.T) {
	clusters := []Cluster{
		gpu("a", "us-west-2", "us-west-2a", 0.9, 0.05),
		gpu("b", "us-west-2", "us-west-2b", 0.9, 0.05),
		{Name: "u", Region: "us-west-2", Domain: "us-west-2c", OnDemandPrice: 3.06, SpotPrice: 0.1, Availability: 1, Fallback: true}, // unknown, cheap-looking
	}
	o := objective(4)
	o.OnDemandFloor = 1
	o.MaxClusterShare = 0 // no cap
	app := App{Name: "x", Objective: o, Clusters: names(clusters), Current: []Assignment{{Cluster: "u", Spot: 1}, {Cluster: "a", Spot: 3}}}
	p := plan1(t, clusters, app)
	checkPlan(t, clusters, o, p)
	for _, a := range p.Optimum {
		if a.Cluster == "u" && (a.Replicas() > 1 || a.Spot+a.Hedge > 0) {
			t.Errorf("unknown cluster u gets %+v: more than it had, or spot", a)
		}
	}
	od := 0
	for _, a := range p.Optimum {
		od += a.OnDemand
	}
	if od < 1 {
		t.Errorf("no on-demand replica for the floor: %+v", p.Optimum)
	}
}

func TestHysteresis(t *testing.T) {
	clusters := []Cluster{
		gpu("a", "us-west-2", "us-west-2a", 0.90, 0.01),
		gpu("b", "us-west-2", "us-west-2b", 0.89, 0.01),
		gpu("c", "us-east-1", "us-east-1a", 0.30, 0.01),
		gpu("d", "us-east-2", "us-east-2a", 0.88, 0.01),
	}
	o := objective(2)
	o.MaxHedge = 0
	o.Availability = 0.99
	good := App{Name: "x", Objective: o, Clusters: names(clusters)}
	first := plan1(t, clusters, good)
	if !first.MeetsObjective || len(first.Assignments) != 2 || first.Assignments[0].Cluster != "a" || first.Assignments[1].Cluster != "b" {
		t.Fatalf("first plan %+v", first)
	}
	// The current division is the optimum: nothing to do.
	good.Current = first.Assignments
	if p := plan1(t, clusters, good); p.Changed || p.Held != "" {
		t.Errorf("optimum as current: changed %v held %q", p.Changed, p.Held)
	}
	// d becomes a little better than b: a saving below 5 % is held.
	slightly := slices.Clone(clusters)
	slightly[3].Availability = 0.895
	if p := plan1(t, slightly, good); p.Changed || !strings.Contains(p.Held, "less than the minimum 5.0 %") || p.Optimum[1].Cluster != "d" {
		t.Errorf("small saving: changed %v held %q optimum %+v", p.Changed, p.Held, p.Optimum)
	}
	// a collapses: the saving is large, but the last move was 10 minutes
	// ago.
	collapsed := slices.Clone(clusters)
	collapsed[0].Availability = 0.05
	recent := good
	recent.Moves = []time.Time{now.Add(-10 * time.Minute)}
	p := plan1(t, collapsed, recent)
	if p.Changed || !strings.Contains(p.Held, "minimum interval") {
		t.Errorf("recent move: changed %v held %q", p.Changed, p.Held)
	}
	// The same after the interval: moved, and explained.
	recent.Moves = []time.Time{now.Add(-40 * time.Minute)}
	p = plan1(t, collapsed, recent)
	if !p.Changed || len(p.Moves) != 1 {
		t.Fatalf("after the interval: changed %v held %q moves %v", p.Changed, p.Held, p.Moves)
	}
	if got, want := p.Moves[0].String(), "1 spot replica(s) a → d ($2.938/h → $0.906/h per replica; spot available 5.0 % → 88.0 %)"; got != want {
		t.Errorf("move %q, want %q", got, want)
	}
	// The move budget holds even then.
	recent.Moves = []time.Time{now.Add(-5 * time.Hour), now.Add(-4 * time.Hour), now.Add(-3 * time.Hour), now.Add(-2 * time.Hour), now.Add(-90 * time.Minute), now.Add(-80 * time.Minute)}
	if p := plan1(t, collapsed, recent); p.Changed || !strings.Contains(p.Held, "6 moves in the last 24 h") {
		t.Errorf("move budget: changed %v held %q", p.Changed, p.Held)
	}
	// A division that misses the objective moves even for a small saving,
	// and even right after a move.
	risky := good
	risky.Current = []Assignment{{Cluster: "a", Spot: 1}, {Cluster: "c", Spot: 1}}
	risky.Moves = []time.Time{now.Add(-time.Minute)}
	worse := slices.Clone(clusters)
	worse[2].InterruptionsPerHour = 2
	if p := plan1(t, worse, risky); !p.Changed || !p.MeetsObjective || p.CurrentRisk <= 0.01 {
		t.Errorf("objective missed: changed %v held %q meets %v current risk %v", p.Changed, p.Held, p.MeetsObjective, p.CurrentRisk)
	}
}

func TestInfeasible(t *testing.T) {
	clusters := []Cluster{gpu("a", "r", "z1", 0.9, 0.1), gpu("b", "r", "z2", 0.9, 0.1)}
	o := objective(6)
	o.MaxClusterShare = 0.25 // 1 replica per cluster, 2 clusters
	_, err := Optimize(context.Background(), clusters, []App{{Name: "big", Objective: o, Clusters: names(clusters)}, {Name: "small", Objective: objective(2), Clusters: names(clusters)}}, Options{Now: now})
	if err == nil || !strings.Contains(err.Error(), "app big: the objective cannot be met: 6 replicas, but its 2 known clusters hold at most 2") || strings.Contains(err.Error(), "small") {
		t.Errorf("error %v", err)
	}
}

// TestWeightsMatchKarmada divides each plan's total replicas by its weights
// with Karmada's own static-weight dispenser: every cluster gets exactly
// its weight, so the division the plan intends is the one Karmada makes.
func TestWeightsMatchKarmada(t *testing.T) {
	clusters, apps := synthetic(40, 30, 7)
	plans, err := Optimize(context.Background(), clusters, apps, Options{Now: now, RecoveryMinutes: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		var tcs []workv1alpha2.TargetCluster
		want := map[string]int32{}
		for _, w := range p.Weights {
			tcs = append(tcs, workv1alpha2.TargetCluster{Name: w.Cluster, Replicas: int32(w.Weight)})
			want[w.Cluster] = int32(w.Weight)
		}
		got := helper.SpreadReplicasByTargetClusters(int32(p.Replicas), tcs, nil)
		for _, tc := range got {
			if tc.Replicas != want[tc.Name] {
				t.Errorf("%s: Karmada gives %s %d replicas, the plan %d", p.App, tc.Name, tc.Replicas, want[tc.Name])
			}
		}
	}
}

// TestDeterministic plans the same fleet with clusters and placements in
// another order and at another parallelism: the plans are identical. A
// third of the apps have the dynamic hedge.
func TestDeterministic(t *testing.T) {
	clusters, apps := synthetic(60, 40, 3)
	for i := range apps {
		apps[i].DynamicHedge = i%3 == 0
	}
	a, err := Optimize(context.Background(), clusters, apps, Options{Now: now, RecoveryMinutes: 3, HedgeReactionMinutes: 9, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	shuffled := slices.Clone(clusters)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	apps2 := slices.Clone(apps)
	for i := range apps2 {
		apps2[i].Clusters = slices.Clone(apps2[i].Clusters)
		rng.Shuffle(len(apps2[i].Clusters), func(x, y int) {
			apps2[i].Clusters[x], apps2[i].Clusters[y] = apps2[i].Clusters[y], apps2[i].Clusters[x]
		})
	}
	b, err := Optimize(context.Background(), shuffled, apps2, Options{Now: now, RecoveryMinutes: 3, HedgeReactionMinutes: 9, Parallelism: 8})
	if err != nil {
		t.Fatal(err)
	}
	dynamic := 0
	for i := range a {
		dynamic += a[i].HedgeReplicas
		if !slices.Equal(a[i].Assignments, b[i].Assignments) || a[i].HedgeReplicas != b[i].HedgeReplicas || a[i].Cost != b[i].Cost || !slices.Equal(a[i].Moves, b[i].Moves) {
			t.Fatalf("%s: %+v\nvs %+v", a[i].App, a[i].Assignments, b[i].Assignments)
		}
	}
	if dynamic == 0 {
		t.Error("no dynamic hedge planned: the dynamic apps were not exercised")
	}
}

// TestNearBruteForce compares the search with every division of small
// problems: it meets the planning budget (the target over the risk slack)
// whenever some division does, at a cost within 5 % of the cheapest.
func TestNearBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	exact, worst := 0, 0.0
	const cases = 300
	for k := 0; k < cases; k++ {
		var clusters []Cluster
		// Clusters of one failure domain have its zones, so one reclaim
		// share.
		shares := map[string]float64{}
		for i := 0; i < 3; i++ {
			c := gpu(string(rune('a'+i)), []string{"r1", "r2"}[rng.IntN(2)], []string{"z1", "z2", "z3"}[rng.IntN(3)], 0.2+0.79*rng.Float64(), 0.3*rng.Float64())
			c.Fallback = rng.IntN(4) > 0
			c.SpotPrice = 0.3 + 1.5*rng.Float64()
			c.ReclaimShare = []float64{0, 0, 0.5, 1.0 / 3}[rng.IntN(4)]
			if share, ok := shares[c.Domain]; ok {
				c.ReclaimShare = share
			}
			shares[c.Domain] = c.ReclaimShare
			clusters = append(clusters, c)
		}
		o := Objective{Replicas: 1 + rng.IntN(3), Availability: []float64{0.99, 0.999, 0.9999}[rng.IntN(3)],
			MaxClusterShare: []float64{0, 0.5, 0.67}[rng.IntN(3)], OnDemandFloor: rng.IntN(2), MaxHedge: rng.IntN(3),
			Limits: Limits{RiskSlack: []float64{0, 2}[rng.IntN(2)]}}
		// A new plan is made within the target over the slack: the
		// divisions counted are those.
		budget := (1 - o.Availability) / max(o.Limits.RiskSlack, 1)
		o.OnDemandFloor = min(o.OnDemandFloor, o.Replicas)
		app := App{Name: "x", Objective: o, Clusters: names(clusters)}
		plans, err := Optimize(context.Background(), clusters, []App{app}, Options{Now: now, RecoveryMinutes: 3})
		if err != nil {
			continue // infeasible caps: covered by TestInfeasible
		}
		p := plans[0]
		checkPlan(t, clusters, o, p)
		bestCost, found := bruteForce(t, clusters, app)
		switch {
		case found && !p.MeetsObjective:
			t.Errorf("case %d: a division meets the objective at %.3f, the search found none (%+v)", k, bestCost, p.Assignments)
		case found && p.Risk > budget+1e-12:
			t.Errorf("case %d: plan risk %v over the planning budget %v (%+v)", k, p.Risk, budget, p.Assignments)
		case found:
			gap := p.Cost/bestCost - 1
			worst = math.Max(worst, gap)
			if gap < 1e-9 {
				exact++
			}
			if gap > 0.05 {
				t.Errorf("case %d: cost %.4f, the cheapest division %.4f (%.1f %% more): %+v", k, p.Cost, bestCost, 100*gap, p.Assignments)
			}
		}
	}
	t.Logf("%d of %d cases at the exact optimum; worst gap %.2f %%", exact, cases, 100*worst)
}

func bruteForce(t *testing.T, clusters []Cluster, app App) (float64, bool) {
	idx, _ := indexClusters(clusters)
	p, err := buildProblem(clusters, idx, &app, Options{RecoveryMinutes: 3})
	if err != nil {
		t.Fatal(err)
	}
	o := app.Objective
	best, found := math.Inf(1), false
	var bestState []Assignment
	s := p.empty()
	buf := make([]float64, 0, 8)
	var rec func(i int)
	rec = func(i int) {
		if i == len(p.cands) {
			if p.meets(s, buf) {
				if c := p.cost(s); c < best {
					best, found = c, true
					bestState = p.assignments(s)
				}
			}
			return
		}
		for od := 0; od <= o.Replicas; od++ {
			for sp := 0; od+sp <= o.Replicas; sp++ {
				if sp > 0 && !p.cands[i].spotOK {
					break
				}
				for h := 0; h <= o.MaxHedge; h++ {
					if h > 0 && !p.cands[i].spotOK {
						break
					}
					// Spot-only hedges differ from hedges only where the
					// cluster falls back.
					for w := 0; h+w <= o.MaxHedge; w++ {
						if w > 0 && (!p.cands[i].spotOK || !p.cands[i].fallback) {
							break
						}
						p.change(s, i, od, sp, h, w)
						rec(i + 1)
						p.change(s, i, -od, -sp, -h, -w)
					}
				}
			}
		}
	}
	rec(0)
	if found {
		t.Logf("cheapest division %+v at %.4f $/h", bestState, best)
	}
	return best, found
}

// divisionRisk builds an app's problem and returns the risk and expected
// cost of one division of it.
func divisionRisk(t *testing.T, clusters []Cluster, o Objective, as []Assignment) (risk, cost float64) {
	t.Helper()
	idx, err := indexClusters(clusters)
	if err != nil {
		t.Fatal(err)
	}
	app := App{Name: "x", Objective: o, Clusters: names(clusters)}
	p, err := buildProblem(clusters, idx, &app, Options{RecoveryMinutes: 3})
	if err != nil {
		t.Fatal(err)
	}
	s, ok := p.fromAssignments(as)
	if !ok {
		t.Fatalf("division %+v not valid", as)
	}
	return p.risk(s, p.scratch()), p.cost(s)
}

// TestRiskModel checks the risk of hand-counted divisions: with the
// fall-back, a dark cluster's spot and hedge replicas run on on-demand
// (a cost, no loss) and only a reclaim's transition counts; without it
// they wait. A zone's reclaim takes ⌊share·k⌋ or ⌈share·k⌉ of k replicas
// spread over the zones, so that it takes share·k on average.
func TestRiskModel(t *testing.T) {
	// One zone, spot half the time, 0.6 reclaims an hour: a reclaim's
	// transition (3 min) is 0.6·3/60 = 3 % of the time.
	c := gpu("c", "r", "z", 0.5, 0.6)
	o := Objective{Replicas: 1, Availability: 0.99, MaxHedge: 1}
	both := []Assignment{{Cluster: "c", Spot: 1, Hedge: 1}}
	risk, cost := divisionRisk(t, []Cluster{c}, o, both)
	// A reclaim takes spot and hedge (both in the zone); darkness none.
	if !near(risk, 0.03) || !near(cost, 2*(0.5*0.612+0.5*3.06)) {
		t.Errorf("with the fall-back: risk %v cost %v, want 0.03 and %v", risk, cost, 2*(0.5*0.612+0.5*3.06))
	}
	// A spot-only hedge beside it: lost with the spot replica in a
	// reclaim, and waiting while spot is gone (the primary on on-demand
	// then: N still ready); it costs spot only.
	risk, cost = divisionRisk(t, []Cluster{c}, o, []Assignment{{Cluster: "c", Spot: 1, HedgeSpotOnly: 1}})
	if !near(risk, 0.03) || !near(cost, 0.5*0.612+0.5*3.06+0.5*0.612) {
		t.Errorf("spot-only hedge: risk %v cost %v, want 0.03 and %v", risk, cost, 0.5*0.612+0.5*3.06+0.5*0.612)
	}
	// Two replicas and a spot-only hedge: while spot is gone the hedge
	// waits and both replicas run on on-demand; a reclaim takes all three.
	o2 := Objective{Replicas: 2, Availability: 0.99, MaxHedge: 1}
	if risk, _ := divisionRisk(t, []Cluster{c}, o2, []Assignment{{Cluster: "c", Spot: 2, HedgeSpotOnly: 1}}); !near(risk, 0.03) {
		t.Errorf("2 spot + spot-only hedge: risk %v, want 0.03", risk)
	}
	c.Fallback = false
	risk, cost = divisionRisk(t, []Cluster{c}, o, both)
	if !near(risk, 0.53) || !near(cost, 2*0.5*0.612) {
		t.Errorf("without: risk %v cost %v, want 0.53 and %v", risk, cost, 2*0.5*0.612)
	}

	// Three zones, always some spot: 3 % of the time one zone's reclaim
	// is in progress.
	z3 := gpu("c", "r", "z", 1, 0.6)
	z3.ReclaimShare = 1.0 / 3
	for _, tc := range []struct {
		n, spot, hedge int
		want           float64
	}{
		{1, 1, 0, 0.01},         // hit one time in three
		{2, 2, 0, 0.02},         // two zones of three hold one
		{3, 3, 0, 0.03},         // every zone holds one
		{4, 4, 0, 0.03},         // one or two taken: N short either way
		{4, 4, 1, 0.03 * 2 / 3}, // five over three zones: two taken two times in three
	} {
		o := Objective{Replicas: tc.n, Availability: 0.99, MaxHedge: tc.hedge}
		risk, _ := divisionRisk(t, []Cluster{z3}, o, []Assignment{{Cluster: "c", Spot: tc.spot, Hedge: tc.hedge}})
		if !near(risk, tc.want) {
			t.Errorf("%d spot + %d hedge over 3 zones: risk %v, want %v", tc.spot, tc.hedge, risk, tc.want)
		}
	}
}

// TestRiskBand: a new plan is made within the target over the slack; the
// current division keeps counting as meeting the objective up to the
// target itself, and not beyond.
func TestRiskBand(t *testing.T) {
	o := Objective{Replicas: 1, Availability: 0.999, MaxHedge: 1,
		Limits: Limits{MinSaving: 0.05, MinInterval: time.Hour, MaxMovesPerDay: 10, RiskSlack: 2}}
	for _, tc := range []struct {
		rate  float64 // reclaims an hour in a: the current division's risk is rate·3/60
		moved bool
	}{
		{0.016, false}, // risk 0.0008: within the target, held by the interval
		{0.03, true},   // risk 0.0015: within twice the target, but not the target: moved at once
	} {
		clusters := []Cluster{gpu("a", "r1", "za", 1, tc.rate), gpu("b", "r2", "zb", 1, 0.03)}
		app := App{Name: "x", Objective: o, Clusters: names(clusters), Current: []Assignment{{Cluster: "a", Spot: 1}},
			Moves: []time.Time{now.Add(-time.Minute)}}
		p := plan1(t, clusters, app)
		checkPlan(t, clusters, o, p)
		if p.Changed != tc.moved || !p.MeetsObjective || p.OptimumRisk > 0.0005+1e-12 {
			t.Errorf("current risk %v: changed %v (want %v) held %q meets %v, optimum risk %v (want ≤ 0.0005)",
				p.CurrentRisk, p.Changed, tc.moved, p.Held, p.MeetsObjective, p.OptimumRisk)
		}
		if !tc.moved && !strings.Contains(p.Held, "minimum interval") {
			t.Errorf("current risk %v: held %q, want the interval", p.CurrentRisk, p.Held)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestExplainHedgeSorts: a hedge that changes sort in place is a split;
// spot-only hedges are added and removed under their own name.
func TestExplainHedgeSorts(t *testing.T) {
	clusters := []Cluster{gpu("a", "r1", "za", 0.5, 0.1), gpu("b", "r2", "zb", 0.9, 0.1)}
	idx, _ := indexClusters(clusters)
	app := App{Name: "x", Objective: Objective{Replicas: 1, Availability: 0.99, MaxHedge: 2}, Clusters: names(clusters)}
	p, err := buildProblem(clusters, idx, &app, Options{RecoveryMinutes: 3})
	if err != nil {
		t.Fatal(err)
	}
	moves := p.explain([]Assignment{{Cluster: "a", Spot: 1, Hedge: 1}}, []Assignment{{Cluster: "a", Spot: 1, HedgeSpotOnly: 1}, {Cluster: "b", HedgeSpotOnly: 1}})
	var got []string
	for _, m := range moves {
		got = append(got, m.String())
	}
	want := []string{
		"a: 1 replica(s) hedge → spot-only hedge ($1.836/h → $0.306/h per replica; spot available 50.0 %)",
		"add 1 spot-only hedge replica(s) in b ($0.551/h per replica; spot available 90.0 %)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("moves\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
