package forecast

import (
	"math"
	"time"
)

// History is an availability series with prefix counts, so that any
// trailing window is counted in constant time.
type History struct {
	step time.Duration
	up   []bool
	// upTo[i], falls[i], rises[i] count over steps [0, i): steps up,
	// up→down transitions and down→up transitions (a transition at step
	// j compares j−1 and j).
	upTo, falls, rises []int32
}

// NewHistory indexes a series: up[i] says spot could be had at step i.
func NewHistory(up []bool, step time.Duration) *History {
	n := len(up)
	h := &History{step: step, up: up, upTo: make([]int32, n+1), falls: make([]int32, n+1), rises: make([]int32, n+1)}
	for i, u := range up {
		h.upTo[i+1] = h.upTo[i]
		h.falls[i+1] = h.falls[i]
		h.rises[i+1] = h.rises[i]
		if u {
			h.upTo[i+1]++
		}
		if i > 0 && up[i-1] && !u {
			h.falls[i+1]++
		}
		if i > 0 && !up[i-1] && u {
			h.rises[i+1]++
		}
	}
	return h
}

// Len is the number of steps.
func (h *History) Len() int { return len(h.up) }

// Options shape an estimate.
type Options struct {
	// Window is how far back transitions are counted.
	Window time.Duration
	// Delay is when the estimate starts to matter (a change takes Delay
	// to take effect), Horizon how long it is meant to hold.
	Delay, Horizon time.Duration
	// PriorExposure is the time in each state that comes with one
	// transition before any is seen; 24 h when zero.
	PriorExposure time.Duration
}

// Estimate is what the optimizer takes for one pool.
type Estimate struct {
	// Up says spot could be had at the step of the estimate.
	Up bool
	// Availability is the expected share of time spot can be had over
	// [now+Delay, now+Delay+Horizon].
	Availability float64
	// InterruptionsPerHour is the expected number of reclaims per hour
	// over the same interval: the up→down rate times the share up.
	InterruptionsPerHour float64
	// FallRate and RiseRate are λ and μ per hour.
	FallRate, RiseRate float64
}

// At estimates from the steps up to and including t.
func (h *History) At(t int, o Options) Estimate {
	if t < 0 || t >= len(h.up) {
		return Estimate{}
	}
	perHour := float64(time.Hour) / float64(h.step)
	w := int(o.Window / h.step)
	if w < 1 {
		w = 1
	}
	from := max(0, t+1-w)
	to := t + 1
	upSteps := float64(h.upTo[to] - h.upTo[from])
	downSteps := float64(to-from) - upSteps
	// Transitions inside the window: those at steps from+1..t.
	falls := float64(h.falls[to] - h.falls[from+1])
	rises := float64(h.rises[to] - h.rises[from+1])
	prior := float64(o.PriorExposure / h.step)
	if prior <= 0 {
		prior = float64(24 * time.Hour / h.step)
	}
	lambda := (falls + 1) / (upSteps + prior) // per step
	mu := (rises + 1) / (downSteps + prior)
	kappa := lambda + mu
	pi := mu / kappa
	x0 := 0.0
	if h.up[t] {
		x0 = 1
	}
	d := float64(o.Delay) / float64(h.step)
	hz := float64(o.Horizon) / float64(h.step)
	avail := pi
	if hz > 0 {
		avail += (x0 - pi) * (math.Exp(-kappa*d) - math.Exp(-kappa*(d+hz))) / (kappa * hz)
	} else {
		avail += (x0 - pi) * math.Exp(-kappa*d)
	}
	avail = min(1, max(0, avail))
	return Estimate{Up: h.up[t], Availability: avail, InterruptionsPerHour: lambda * perHour * avail, FallRate: lambda * perHour, RiseRate: mu * perHour}
}
