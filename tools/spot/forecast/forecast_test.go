package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func series(pattern string, repeat int) []bool {
	var out []bool
	for i := 0; i < repeat; i++ {
		for _, c := range pattern {
			out = append(out, c == '1')
		}
	}
	return out
}

func TestCountsAndState(t *testing.T) {
	// 60 up, 30 down, repeated: 2 falls and 2 rises per 180 steps.
	var up []bool
	for i := 0; i < 40; i++ {
		up = append(up, series("1", 60)...)
		up = append(up, series("0", 30)...)
	}
	h := NewHistory(up, time.Minute)
	o := Options{Window: 7 * 24 * time.Hour, Horizon: time.Hour, PriorExposure: time.Minute}
	e := h.At(len(up)-1, o) // the last step is down
	// λ ≈ 1 fall per 60 min up, μ ≈ 1 rise per 30 min down.
	if math.Abs(e.FallRate-1) > 0.05 || math.Abs(e.RiseRate-2) > 0.1 {
		t.Errorf("rates %v/h and %v/h, want about 1 and 2", e.FallRate, e.RiseRate)
	}
	if e.Up {
		t.Error("the last step is down")
	}
	upNow := h.At(len(up)-31, o)
	if !upNow.Up || upNow.Availability <= e.Availability {
		t.Errorf("up now: availability %v, down now: %v; being up must count", upNow.Availability, e.Availability)
	}
	// Over a long horizon both tend to the stationary share 2/3.
	long := Options{Window: o.Window, Horizon: 1000 * time.Hour, PriorExposure: time.Minute}
	for _, s := range []int{len(up) - 1, len(up) - 31} {
		if a := h.At(s, long).Availability; math.Abs(a-2.0/3) > 0.01 {
			t.Errorf("step %d: long-run availability %v, want about 2/3", s, a)
		}
	}
}

func TestOnlyThePast(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	up := make([]bool, 2000)
	for i := range up {
		up[i] = rng.IntN(10) > 2
	}
	h := NewHistory(up, time.Minute)
	changed := append([]bool(nil), up...)
	for i := 1001; i < len(changed); i++ {
		changed[i] = !changed[i]
	}
	h2 := NewHistory(changed, time.Minute)
	o := Options{Window: 6 * time.Hour, Delay: 10 * time.Minute, Horizon: time.Hour}
	if h.At(1000, o) != h2.At(1000, o) {
		t.Error("an estimate at step 1000 depends on later steps")
	}
	if h.At(1001, o) == h2.At(1001, o) {
		t.Error("an estimate at step 1001 ignores step 1001")
	}
}

func TestPriorWithoutTransitions(t *testing.T) {
	h := NewHistory(series("1", 600), time.Minute)
	e := h.At(599, Options{Window: 24 * time.Hour, Horizon: time.Hour})
	if e.FallRate <= 0 || e.Availability >= 1 || e.Availability < 0.95 {
		t.Errorf("10 h up, no fall: %+v; the prior must keep a rate above zero and availability high", e)
	}
	if (h.At(-1, Options{}) != Estimate{}) || (h.At(600, Options{}) != Estimate{}) {
		t.Error("estimates outside the history")
	}
}
