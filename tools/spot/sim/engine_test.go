package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
)

var t0 = time.Date(2023, 2, 15, 0, 0, 0, 0, time.UTC)

// randomFleet is a small fleet on random traces: three regional clusters
// of two zones each, spot available in runs of random length.
func randomFleet(seed uint64, minutes int) *Fleet {
	rng := rand.New(rand.NewPCG(seed, 11))
	f := &Fleet{}
	for r, region := range []string{"r1", "r2", "r3"} {
		c := Cluster{Name: "c-" + region, Region: region, OnDemandPrice: 3}
		for z := 0; z < 2; z++ {
			name := fmt.Sprintf("%s%c", region, 'a'+z)
			vals := make([]int, minutes/3)
			up := rng.IntN(2)
			for i := range vals {
				if rng.IntN(10+10*r) == 0 {
					up = 1 - up
				}
				vals[i] = up
			}
			f.Traces = append(f.Traces, Trace{Name: name, Start: t0, Gap: 3 * time.Minute, Values: vals})
			c.Pools = append(c.Pools, Pool{Zone: name, Trace: name, SpotPrice: 0.6 + 0.1*float64(z)})
		}
		f.Clusters = append(f.Clusters, c)
	}
	for i, n := range []int{2, 3, 4} {
		f.Apps = append(f.Apps, App{Name: fmt.Sprintf("app-%d", i),
			Objective: optimize.Objective{Replicas: n, Availability: 0.99, MaxClusterShare: 0.67, MaxHedge: 1,
				Limits: optimize.Limits{MinSaving: 0.05, MinInterval: 30 * time.Minute, MaxMovesPerDay: 20, RiskSlack: 1.5}},
			Clusters:      []string{"c-r1", "c-r2", "c-r3"},
			Weights:       []Weight{{"c-r1", 1 + i}, {"c-r2", 1}, {"c-r3", 1}},
			FailoverAfter: 8 * time.Minute})
	}
	return f
}

// TestSkippingEqualsEveryMinute replays random fleets twice, once jumping
// from change to change and once minute by minute: every figure of every
// policy is the same, so the skipping loses nothing.
func TestSkippingEqualsEveryMinute(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		f := randomFleet(seed, 2000)
		o := DefaultOptions()
		o.TimelineApp = "app-1"
		o.Policies = WithTrials()
		a, err := Run(context.Background(), f, o)
		if err != nil {
			t.Fatal(err)
		}
		o.stepEveryMinute = true
		b, err := Run(context.Background(), f, o)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			for i := range a.Policies {
				if !reflect.DeepEqual(a.Policies[i], b.Policies[i]) {
					t.Errorf("seed %d, %s: skipping %+v\nevery minute %+v", seed, a.Policies[i].Policy, a.Policies[i], b.Policies[i])
				}
			}
			if !reflect.DeepEqual(a.Timeline, b.Timeline) {
				t.Errorf("seed %d: timelines differ", seed)
			}
		}
	}
}

// TestDeterministic replays at parallelism 1 and 8: the same result.
func TestDeterministic(t *testing.T) {
	f := randomFleet(9, 3000)
	o := DefaultOptions()
	o.Parallelism = 1
	o.Policies = WithTrials()
	a, err := Run(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Parallelism = 8
	b, err := Run(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("the result depends on the parallelism")
	}
}
