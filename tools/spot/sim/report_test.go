package sim

import (
	"context"
	"testing"
	"time"
)

func TestNineZoneQuick(t *testing.T) {
	f := nineZoneFleet(t, 20)
	o := DefaultOptions()
	o.TimelineApp = "app-002"
	start := time.Now()
	res, err := Run(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("took %v", time.Since(start))
	for _, p := range res.Policies {
		t.Logf("%-16s cost %.3f saving %.1f%% oracle-share %.1f%% ready %.4f%% worst %.4f%% lost %.3f%% intr %d/%d commits/d %.1f moves/d %.1f failovers %d overcaps %d oracle@ready %.3f",
			p.Policy, p.CostVsOnDemand, 100*p.Saving, 100*p.OracleSavingShare, 100*p.ReadyShare, 100*p.WorstAppReadyShare, 100*p.LostShare,
			p.Absorbed, p.Interruptions, p.CommitsPerDay, p.MovesPerDay, p.Failovers, p.MinutesOverCaps, p.OracleAtReadyShare/res.Policies[0].Cost)
	}
}
