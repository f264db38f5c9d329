package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
)

// pattern is a one-minute trace: '1' spot can be had, '0' not; a digit
// run is written as count×char, e.g. "10x1 30x0 20x1".
func pattern(t *testing.T, name, spec string) Trace {
	t.Helper()
	var vals []int
	for _, part := range strings.Fields(spec) {
		n, c, ok := strings.Cut(part, "x")
		if !ok {
			t.Fatalf("bad pattern part %q", part)
		}
		var count int
		for _, d := range n {
			count = 10*count + int(d-'0')
		}
		for i := 0; i < count; i++ {
			vals = append(vals, int(c[0]-'0'))
		}
	}
	return Trace{Name: name, Start: t0, Gap: time.Minute, Values: vals}
}

// replay runs one app under one policy over hand-made traces.
func replay(t *testing.T, f *Fleet, p Policy) PolicyResult {
	t.Helper()
	o := DefaultOptions()
	o.Policies = []Policy{OnDemand, p}
	res, err := Run(t.Context(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	return res.Policies[1]
}

func oneApp(n int, clusters []string, failover time.Duration) App {
	var w []Weight
	for _, c := range clusters {
		w = append(w, Weight{Cluster: c, Weight: 1})
	}
	return App{Name: "app", Objective: optimize.Objective{Replicas: n, Availability: 0.99, MaxHedge: 1,
		Limits: optimize.Limits{MinSaving: 0.05, MinInterval: time.Hour, MaxMovesPerDay: 10}},
		Clusters: clusters, Weights: w, FailoverAfter: failover}
}

// A reclaim with Karpenter's fall-back: the notice at minute 10, the
// on-demand replacement launched then (after the failed spot launch, 1
// min) and ready at 16, the spot instance gone at 12: 4 minutes short.
// When spot returns at 40, consolidation starts a spot node at 45 and
// ends the on-demand one when it is ready at 50.
func TestKarpenterFallback(t *testing.T) {
	f := &Fleet{Traces: []Trace{pattern(t, "z", "10x1 30x0 60x1")},
		Clusters: []Cluster{{Name: "c", Region: "r", OnDemandPrice: 3, Pools: []Pool{{Zone: "z", Trace: "z", SpotPrice: 1}}}},
		Apps:     []App{oneApp(1, []string{"c"}, 0)}}
	r := replay(t, f, Karpenter)
	if r.MinutesBelowN != 4 || r.ReplicaMinutesLost != 4 || r.Interruptions != 1 || r.Absorbed != 0 {
		t.Errorf("below %d lost %d interruptions %d absorbed %d, want 4, 4, 1, 0", r.MinutesBelowN, r.ReplicaMinutesLost, r.Interruptions, r.Absorbed)
	}
	// Spot 0-12 and 45-100 (the consolidation's node from 45), on-demand
	// 10-50: (12+55)·1 + 40·3 = 187 dollar-minutes.
	if want := 187.0 / 60; !near(r.Cost, want) {
		t.Errorf("cost %.4f, want %.4f", r.Cost, want)
	}
	// Without a fall-back (today's static weights) the replica waits for
	// spot: unready from 12 until 45, when its spot node is ready again.
	r = replay(t, f, Static)
	if r.MinutesBelowN != 33 {
		t.Errorf("static: %d minutes below N, want 33", r.MinutesBelowN)
	}
}

// Karmada's application failover: zone a goes at 10; its replica is
// reclaimed at 12 and cannot come back; after the toleration (8 min) the
// cluster is evicted at 20 and Karmada gives both replicas to b, whose
// new one is ready at 25.
func TestFailover(t *testing.T) {
	f := &Fleet{Traces: []Trace{pattern(t, "a", "10x1 90x0"), pattern(t, "b", "100x1")},
		Clusters: []Cluster{{Name: "ca", Region: "r1", OnDemandPrice: 3, Pools: []Pool{{Zone: "a", Trace: "a", SpotPrice: 1}}},
			{Name: "cb", Region: "r2", OnDemandPrice: 3, Pools: []Pool{{Zone: "b", Trace: "b", SpotPrice: 1}}}},
		Apps: []App{oneApp(2, []string{"ca", "cb"}, 8*time.Minute)}}
	r := replay(t, f, Static)
	if r.Failovers != 1 || r.MinutesBelowN != 13 || r.ReplicaMinutesLost != 13 {
		t.Errorf("failovers %d below %d lost %d, want 1, 13, 13", r.Failovers, r.MinutesBelowN, r.ReplicaMinutesLost)
	}
	// Static weights ignore capacity: with b out of spot too, Karmada
	// still moves the replicas there, and back when b's turn comes. By
	// available replicas (dynamic weights) no cluster can take them, the
	// scheduling fails and nothing is evicted.
	f.Traces[1] = pattern(t, "b", "5x1 95x0")
	if r := replay(t, f, Static); r.Failovers < 2 {
		t.Errorf("static weights: %d failovers, want them to go back and forth", r.Failovers)
	}
	if r := replay(t, f, Dynamic); r.Failovers != 0 {
		t.Errorf("dynamic weights: %d failovers toward clusters without capacity", r.Failovers)
	}
}

// SpotHedge: one replica plus one over-provisioned, in two zones; the
// reclaim of one leaves N ready (absorbed), the placer moves the lost
// replica to the zone left and no on-demand replica starts.
func TestSpotHedgeAbsorbs(t *testing.T) {
	f := &Fleet{Traces: []Trace{pattern(t, "a", "10x1 90x0"), pattern(t, "b", "100x1"), pattern(t, "c", "100x0")},
		Clusters: []Cluster{{Name: "ca", Region: "r1", OnDemandPrice: 3, Pools: []Pool{{Zone: "a", Trace: "a", SpotPrice: 1}}},
			{Name: "cb", Region: "r2", OnDemandPrice: 3, Pools: []Pool{{Zone: "b", Trace: "b", SpotPrice: 1}}},
			{Name: "cc", Region: "r3", OnDemandPrice: 3, Pools: []Pool{{Zone: "c", Trace: "c", SpotPrice: 1}}}},
		Apps: []App{oneApp(1, []string{"ca", "cb", "cc"}, 0)}}
	r := replay(t, f, SpotHedge)
	if r.MinutesBelowN != 0 || r.Interruptions != 1 || r.Absorbed != 1 {
		t.Errorf("below %d interruptions %d absorbed %d, want 0, 1, 1", r.MinutesBelowN, r.Interruptions, r.Absorbed)
	}
}

// The descheduler moves a replica that waits for spot longer than its
// threshold (5 min) at its next tick (every 2 min) to a cluster with
// spot: drained at the notice (10) with nowhere to go, pending from then,
// moved at the tick at 16, ready at 21; its old node went at 12.
func TestDescheduler(t *testing.T) {
	f := &Fleet{Traces: []Trace{pattern(t, "a", "10x1 90x0"), pattern(t, "b", "100x1")},
		Clusters: []Cluster{{Name: "ca", Region: "r1", OnDemandPrice: 3, Pools: []Pool{{Zone: "a", Trace: "a", SpotPrice: 1}}},
			{Name: "cb", Region: "r2", OnDemandPrice: 3, Pools: []Pool{{Zone: "b", Trace: "b", SpotPrice: 1}}}},
		Apps: []App{oneApp(2, []string{"ca", "cb"}, 0)}}
	r := replay(t, f, Dynamic)
	if r.MinutesBelowN != 9 {
		t.Errorf("below %d, want 9 (12 to 21)", r.MinutesBelowN)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// Flotilla's hedges under the Karpenter it renders: one replica and one
// hedge in a single zone, both get the notice at 10; the replica falls
// back to on-demand (requested then, ready at 16 after the failed spot
// launch; 4 minutes short from 12) and moves back to spot when it returns
// (started at 45, on-demand ended at 50). A hedge does the same; a
// spot-only hedge waits for spot (started at 40).
func TestFlotillaHedges(t *testing.T) {
	f := &Fleet{Traces: []Trace{pattern(t, "z", "10x1 30x0 60x1")},
		Clusters: []Cluster{{Name: "c", Region: "r", OnDemandPrice: 3, Pools: []Pool{{Zone: "z", Trace: "z", SpotPrice: 1}}}},
		Apps:     []App{oneApp(1, []string{"c"}, 0)}}
	w, err := newWorld(f, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		plan optimize.Assignment
		// dollar-minutes: the replica spot 0–12 and 45–100, on-demand
		// 10–50 (billed from the request, as in TestKarpenterFallback):
		// 12 + 55 + 40·3 = 187; a hedge the same; a spot-only one spot
		// 0–12 and 40–100: 72.
		cost float64
	}{
		{optimize.Assignment{Cluster: "c", Spot: 1, Hedge: 1}, 187 + 187},
		{optimize.Assignment{Cluster: "c", Spot: 1, HedgeSpotOnly: 1}, 187 + 72},
	} {
		s := newAppSim(w, &f.Apps[0], &flotillaPolicy{commits: []commit{{at: 0, plan: []optimize.Assignment{tc.plan}}}})
		s.fallback, s.consolidate, s.noticeReplace = true, true, true
		s.run()
		if s.m.below != 4 || s.m.lost != 4 || s.m.interruptions != 1 {
			t.Errorf("%+v: below %d lost %d interruptions %d, want 4, 4, 1", tc.plan, s.m.below, s.m.lost, s.m.interruptions)
		}
		if want := tc.cost / 60; !near(s.m.usd(), want) {
			t.Errorf("%+v: cost %.4f, want %.4f", tc.plan, s.m.usd(), want)
		}
	}
}

// Flotilla's dynamic hedge on Karmada's fast path: Karmada puts the hedge
// where spot is (both clusters can take it: the first by position); zone a
// goes at 10, the hedge there gets the notice and waits for spot from
// then; the descheduler's first run past its 5 min threshold (every 2
// min) at 16 evicts it and Karmada places it in b, ready at 21 — away
// 12 to 21. The primaries stay where Git put them: in b, never short; in
// a, the primary falls back to on-demand (ready at 16, short from 12) and
// the hedge, lost with it, cannot cover it.
func TestFlotillaDynamicHedge(t *testing.T) {
	f := &Fleet{Traces: []Trace{pattern(t, "a", "10x1 90x0"), pattern(t, "b", "100x1")},
		Clusters: []Cluster{{Name: "ca", Region: "r1", OnDemandPrice: 3, Pools: []Pool{{Zone: "a", Trace: "a", SpotPrice: 1}}},
			{Name: "cb", Region: "r2", OnDemandPrice: 3, Pools: []Pool{{Zone: "b", Trace: "b", SpotPrice: 1}}}},
		Apps: []App{oneApp(1, []string{"ca", "cb"}, 0)}}
	w, err := newWorld(f, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		primary string
		commits []commit
		// below and belowHedgeDown are minutes; cost is dollar-minutes.
		below, belowHedgeDown   int64
		hedgeWanted, hedgeReady int64
		cost, hedgeCost         float64
		moves, withHedge        int
	}{
		// The primary in b (spot 0–100, moved there from a, where the
		// declared weights put it, by the commit at 0) and the hedge,
		// removed by the commit at 50: spot in a 0–12 and in b 16–50.
		{"cb", []commit{{at: 0, plan: []optimize.Assignment{{Cluster: "cb", Spot: 1}}, hedges: 1}, {at: 50, plan: []optimize.Assignment{{Cluster: "cb", Spot: 1}}}},
			0, 0, 50, 12 + 29, 100 + 12 + 34, 12 + 34, 2, 0},
		// The primary in a: spot 0–12, on-demand from 10 (requested at
		// the notice, ready at 16 after the failed spot launch); the
		// hedge as above, kept.
		{"ca", []commit{{at: 0, plan: []optimize.Assignment{{Cluster: "ca", Spot: 1}}, hedges: 1}},
			4, 4, 100, 12 + 79, 12 + 90*3 + 12 + 84, 12 + 84, 1, 1},
	} {
		s := newAppSim(w, &f.Apps[0], &flotillaPolicy{commits: tc.commits, dynamic: true})
		s.fallback, s.consolidate, s.noticeReplace, s.hedgeDescheduler = true, true, true, true
		s.run()
		m := s.m
		if m.below != tc.below || m.belowHedgeDown != tc.belowHedgeDown || m.hedgeWanted != tc.hedgeWanted || m.hedgeReady != tc.hedgeReady || m.moves != tc.moves || m.withHedge != tc.withHedge {
			t.Errorf("primary in %s: below %d (hedge down %d), hedge wanted %d ready %d, moves %d, reclaims with the hedge %d; want %d (%d), %d, %d, %d, %d",
				tc.primary, m.below, m.belowHedgeDown, m.hedgeWanted, m.hedgeReady, m.moves, m.withHedge, tc.below, tc.belowHedgeDown, tc.hedgeWanted, tc.hedgeReady, tc.moves, tc.withHedge)
		}
		sum := int64(0)
		for _, x := range m.costByKind {
			sum += x
		}
		if sum != m.costMicro {
			t.Errorf("primary in %s: the cost's kinds sum to %d, the cost is %d", tc.primary, sum, m.costMicro)
		}
		if want := tc.cost / 60; !near(m.usd(), want) {
			t.Errorf("primary in %s: cost %.4f, want %.4f", tc.primary, m.usd(), want)
		}
		hedgeCost := float64(m.costByKind[costHedgeSpot]+m.costByKind[costHedgeOnDemand]) / 60 / 1e6
		if m.costByKind[costHedgeOnDemand] != 0 || !near(hedgeCost, tc.hedgeCost/60) {
			t.Errorf("primary in %s: the hedge ran on on-demand or cost %.4f (want spot only, %.4f)", tc.primary, hedgeCost, tc.hedgeCost/60)
		}
	}
}
