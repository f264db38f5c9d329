package sim

import (
	"math"
	"os"
	"testing"
)

// TestDynamicHedgeWhereabouts measures where flotilla-dynamic-hedge's
// hedge sits on the 9-zone replay (200 apps, every app's target 98 %, where
// the plans use the hedge): per cluster, the share of the hedge's
// replica-minutes there; at the outages of a cluster holding spot
// primaries, the share of the app's hedge there; and, of the outages that
// found some of it there, those that found all of it. The figures are the
// README's "Why, from the traces" of the dynamic hedge. Skipped unless
// FLOTILLA_SPOT_WHEREABOUTS is set (and the data is there): it replays
// minute by minute.
func TestDynamicHedgeWhereabouts(t *testing.T) {
	if os.Getenv("FLOTILLA_SPOT_WHEREABOUTS") == "" {
		t.Skip("set FLOTILLA_SPOT_WHEREABOUTS=1 to measure the dynamic hedge's whereabouts")
	}
	f := nineZoneFleet(t, 200)
	for i := range f.Apps {
		f.Apps[i].Objective.Availability = 0.98
	}
	w, err := newWorld(f, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	commits, _, err := flotillaCommits(t.Context(), w, f.Apps, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := len(w.clusters)
	// The optimizer's stationary shares from the whole trace: π ∝
	// a·(A − a)/outage rate (package optimize, dynamic.go).
	avail, rate := make([]float64, n), make([]float64, n)
	for ci := range w.clusters {
		for m := 0; m < w.minutes; m++ {
			if w.spotUp(ci, m) {
				avail[ci]++
				if m+1 < w.minutes && !w.spotUp(ci, m+1) {
					rate[ci]++
				}
			}
		}
		avail[ci] /= float64(w.minutes)
		rate[ci] /= w.days
	}
	sumA, z := 0.0, 0.0
	for _, a := range avail {
		sumA += a
	}
	pi := make([]float64, n)
	for ci := range pi {
		pi[ci] = avail[ci] * (sumA - avail[ci]) / rate[ci]
		z += pi[ci]
	}
	timeShare := make([]float64, n)
	timeN := 0.0
	atOutage, outages := make([]float64, n), make([]float64, n)
	some, all := make([]float64, n), make([]float64, n)
	for ai := range f.Apps {
		s := newAppSim(w, &f.Apps[ai], &flotillaPolicy{commits: commits[ai], dynamic: true})
		s.noticeReplace, s.fallback, s.consolidate, s.hedgeDescheduler = true, true, true, true
		s.pol.init(s)
		for t0 := 0; t0 < w.minutes; t0++ {
			s.t = t0
			hedge := 0
			for _, x := range s.want {
				hedge += x.spotOnly
			}
			if hedge > 0 {
				for k, ci := range s.cl {
					timeShare[ci] += float64(s.want[k].spotOnly) / float64(hedge)
				}
				timeN++
				for k, ci := range s.cl {
					if t0 == 0 || !w.spotUp(ci, t0-1) || w.spotUp(ci, t0) {
						continue
					}
					held := s.want[k].spotOnly
					if s.want[k].spot > 0 {
						atOutage[ci] += float64(held) / float64(hedge)
						outages[ci]++
					}
					if held > 0 {
						some[ci]++
						if held == hedge {
							all[ci]++
						}
					}
				}
			}
			s.boot = t0 == 0
			s.process(t0)
			s.boot = false
			s.account(t0, t0+1)
		}
	}
	sum := 0.0
	for ci, c := range w.clusters {
		share := timeShare[ci] / timeN
		sum += share
		mean := atOutage[ci] / outages[ci]
		t.Logf("%s: spot %.1f %% of the time, %.2f outages a day; modelled π %.1f %%, θ %.1f %%", c.name, 100*avail[ci], rate[ci], 100*pi[ci]/z, 100*pi[ci]/z/avail[ci])
		t.Logf("%s: %.1f %% of the hedge's time; at %.0f outages with spot primaries there it held %.1f %% of the hedge; of %.0f outages finding some of it, %.0f %% found all of it",
			c.name, 100*share, outages[ci], 100*mean, some[ci], 100*all[ci]/some[ci])
		if !(mean >= 0 && mean <= 1) || all[ci] > some[ci] {
			t.Errorf("%s: share at outages %v, all %v of some %v", c.name, mean, all[ci], some[ci])
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("the hedge's time shares sum to %v", sum)
	}
}
