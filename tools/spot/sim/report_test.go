package sim

import (
	"math"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/internal/race"
)

// TestNineZoneReplay replays the 9-zone V100 set (30 apps) and checks the
// facts that hold whatever the figures: on-demand loses nothing; no policy
// pays less than perfect foresight would for the same minutes of N ready
// (with the caps, for the apps a policy kept within them; without, for
// all); the oracle's frontier rises with availability; only flotilla
// commits; nothing absorbs more reclaims than it had.
func TestNineZoneReplay(t *testing.T) {
	if race.Enabled {
		t.Skip("replays 45 days of real traces: run without -race (make unit does); TestDeterministic covers the replay's concurrency under the detector")
	}
	f := nineZoneFleet(t, 30)
	o := DefaultOptions()
	o.FlotillaTargets = []float64{0.99}
	o.Policies = WithTrials()
	o.TimelineApp = "app-002"
	res, err := Run(t.Context(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Days < 45 || res.Apps != 30 || res.Timeline == nil || len(res.Timeline.Series) != len(res.Policies)-1 {
		t.Fatalf("replayed %.1f days, %d apps, timeline %v", res.Days, res.Apps, res.Timeline != nil)
	}
	for _, p := range res.Policies {
		t.Logf("%-15s cost %5.1f %% of on-demand, N ready %.3f %% (worst app %.3f %%), lost %.3f %%, absorbed %d of %d, %.1f commits/day, %.1f moves/day",
			p.Policy, 100*p.CostVsOnDemand, 100*p.ReadyShare, 100*p.WorstAppReadyShare, 100*p.LostShare, p.Absorbed, p.Interruptions, p.CommitsPerDay, p.MovesPerDay)
		if p.Absorbed > p.Interruptions || p.ReclaimsWithHedge > p.Interruptions {
			t.Errorf("%s: absorbed %d and %d with a hedge, of %d interruptions", p.Policy, p.Absorbed, p.ReclaimsWithHedge, p.Interruptions)
		}
		b := p.CostBreakdown
		if sum := b.PinnedOnDemand + b.PrimarySpot + b.PrimaryOnDemand + b.HedgeSpot + b.HedgeOnDemand; p.Policy != Oracle && math.Abs(sum-p.CostVsOnDemand) > 1e-9 {
			t.Errorf("%s: the cost's breakdown sums to %v, the cost is %v of on-demand", p.Policy, sum, p.CostVsOnDemand)
		}
		_, _, isFlotilla := flotillaVariant(p.Policy)
		if (p.Commits > 0) != isFlotilla && p.Policy != Oracle {
			t.Errorf("%s: %d commits", p.Policy, p.Commits)
		}
		for _, a := range p.Apps {
			if a.Cost < a.OracleRelaxed-1e-6 {
				t.Errorf("%s, %s: cost %.2f below the oracle's %.2f for the same availability", p.Policy, a.App, a.Cost, a.OracleRelaxed)
			}
			if a.OverCaps == 0 && a.Cost < a.OracleCapped-1e-6 {
				t.Errorf("%s, %s: within the caps at cost %.2f, below the capped oracle's %.2f", p.Policy, a.App, a.Cost, a.OracleCapped)
			}
		}
	}
	od := res.Policies[0]
	if od.Policy != OnDemand || od.ReplicaMinutesLost != 0 || od.MinutesBelowN != 0 || od.Interruptions != 0 || od.CostVsOnDemand != 1 {
		t.Errorf("on-demand: %+v", od)
	}
	oracle := res.Policies[len(res.Policies)-1]
	if oracle.Policy != Oracle || oracle.CostVsOnDemand >= 1 || oracle.OracleSavingShare != 1 {
		t.Errorf("oracle: %+v", oracle)
	}
	for i := 1; i < len(res.Frontier); i++ {
		if res.Frontier[i].CostVsOnDemand < res.Frontier[i-1].CostVsOnDemand-1e-12 {
			t.Errorf("the frontier falls from %v to %v", res.Frontier[i-1], res.Frontier[i])
		}
	}
}
