package drill

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// journey builds a SpotRecord whose one app requires 12 of 13 replicas,
// with a sample per entry: seconds since the notice and the ready count
// per cluster.
func journey(t0 time.Time, samples ...[3]int) *SpotRecord {
	sr := &SpotRecord{NoticeAt: &t0, Apps: []SpotApp{{Name: "web", Required: 12, Desired: 13}}}
	for _, s := range samples {
		ready := map[string]map[string]int{"web": {"a": s[1], "b": s[2]}}
		sr.Journey = append(sr.Journey, ReadySample{At: t0.Add(time.Duration(s[0]) * time.Second), Ready: ready})
	}
	return sr
}

func TestSettleMeasuresFromTheNotice(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for _, tc := range []struct {
		name           string
		sr             *SpotRecord
		required, full *time.Time
		lowest         int
	}{{
		name:     "short, then back in the same cluster",
		sr:       journey(t0, [3]int{-1, 11, 2}, [3]int{5, 11, 1}, [3]int{9, 11, 0}, [3]int{12, 11, 1}, [3]int{14, 11, 2}),
		required: ptrTime(at(12)), full: ptrTime(at(14)), lowest: 11,
	}, {
		// The level before the notice counts: a journey with no change
		// since was never short.
		name:     "never short",
		sr:       journey(t0, [3]int{-1, 11, 2}),
		required: &t0, full: &t0, lowest: 13,
	}, {
		name:     "one replica lost for good: required, never full",
		sr:       journey(t0, [3]int{-1, 11, 2}, [3]int{3, 11, 1}),
		required: &t0, full: nil, lowest: 12,
	}, {
		name:     "still short",
		sr:       journey(t0, [3]int{-1, 11, 2}, [3]int{3, 11, 0}),
		required: nil, full: nil, lowest: 11,
	}, {
		// A dip before the notice is not the drill's.
		name:     "short before the notice only",
		sr:       journey(t0, [3]int{-9, 5, 0}, [3]int{-1, 11, 2}),
		required: &t0, full: &t0, lowest: 13,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tc.sr.settle()
			same := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
			if !same(tc.sr.RequiredAt, tc.required) || !same(tc.sr.FullAt, tc.full) {
				t.Errorf("required at %v, full at %v; want %v, %v", tc.sr.RequiredAt, tc.sr.FullAt, tc.required, tc.full)
			}
			if got := tc.sr.Apps[0].Lowest; got != tc.lowest {
				t.Errorf("lowest %d, want %d", got, tc.lowest)
			}
		})
	}
}

func TestSpotReportReadsAsTheJourney(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	sr := journey(t0, [3]int{-1, 11, 2}, [3]int{10, 11, 0}, [3]int{131, 13, 0})
	sr.CapacityType, sr.Notice, sr.Matching = "any", 10*time.Second, 60
	sr.Apps[0].Workloads = []ObjectKey{{Group: "apps", Kind: "Deployment", Namespace: "web", Name: "web"}}
	after := 120 * time.Second
	sr.Apps[0].FailoverAfter = &after
	sr.TerminatedAt = ptrTime(t0.Add(10 * time.Second))
	sr.Killed = []string{"web/web-1", "web/web-2", "other/x"}
	sr.Failovers = []SpotFailover{{Workload: "Deployment/web/web", Reason: "ApplicationFailure", UnhealthyAt: ptrTime(t0.Add(11 * time.Second)), At: t0.Add(131 * time.Second), To: []string{"a (13)"}}}
	sr.Before = []ReadyPlace{{App: "web", Cluster: "a", Ready: 11}, {App: "web", Cluster: "b", CapacityType: "spot", Ready: 2}}
	sr.After = []ReadyPlace{{App: "web", Cluster: "a", Ready: 13}}
	sr.settle()
	rep := &Report{Drill: "d", Source: "b", RTOObjective: 5 * time.Minute, Spot: sr}
	st := &State{Spot: sr}
	spotReport(rep, st)
	if !rep.Passed || rep.RTO != 131*time.Second {
		t.Fatalf("passed %v, RTO %s; want passed, 2m11s", rep.Passed, rep.RTO)
	}
	var b strings.Builder
	if err := WriteMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"| RTO (notice → every app at its required ready replicas) | 2m11s | 5m0s | ✅ |",
		"| web | 12 | 13 | 11 | 2 | 0 | 2m11s after the notice |",
		"| web | b | spot | 2 | 0 |",
		"| web | a | — | 11 | 13 |",
		"Karmada moved `Deployment/web/web` off b (ApplicationFailure) 2m1s after the nodes were terminated, 2m0s after it reported the copy there Unhealthy (the app's failover intent: after 2m0s unhealthy); placed on a (13)",
		"| +10s | 11 | 0 | 11 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	rep.Phases = []PhaseRecord{{Phase: PhaseInjectFailure, Started: t0, Ended: ptrTime(t0.Add(11 * time.Second))}, {Phase: PhaseRecover, Started: t0.Add(11 * time.Second), Ended: ptrTime(t0.Add(140 * time.Second))}}
	var svg strings.Builder
	if err := WriteSVG(&svg, rep); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal([]byte(svg.String()), new(struct{})); err != nil {
		t.Fatalf("timeline is not XML: %v", err)
	}
	// The step line goes 13 → 11 at +10s and back to 13 at +131s, under
	// the required line at 12.
	if !strings.Contains(svg.String(), "<polyline") || !strings.Contains(svg.String(), "required 12") || strings.Count(svg.String(), ",") < 6 {
		t.Errorf("timeline lacks the journey:\n%s", svg.String())
	}
	rep.RTOObjective = time.Minute
	spotReport(rep, st)
	if rep.Passed {
		t.Error("RTO 2m11s against a 1m objective: passed")
	}
}
