package heapcap

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Policy is the garbage collector's target: GCPercent while the heap is
// under Floor, then a soft memory limit of Ratio times the live heap.
type Policy struct {
	// GCPercent is the collector's target ratio (debug.SetGCPercent).
	GCPercent int
	// Floor is the memory limit below which GCPercent alone decides.
	Floor int64
	// Ratio is the limit's multiple of the live heap once that is over
	// Floor/Ratio.
	Ratio float64
}

// Default is flotilla's policy. GCPercent 400 cut a 1,000-cluster plan
// from 1.75 to 1.26 CPU-s; the floor and ratio keep a 10k-object check's
// peak near twice its live data instead of five times.
var Default = Policy{GCPercent: 400, Floor: 512 << 20, Ratio: 2}

// Limit is the memory limit the policy sets for a live heap of live bytes.
func (p Policy) Limit(live uint64) int64 {
	l := p.Ratio * float64(live)
	if l >= math.MaxInt64 {
		return math.MaxInt64
	}
	return max(p.Floor, int64(l))
}

// liveHeapMetric is the heap the last collection found live.
const liveHeapMetric = "/gc/heap/live:bytes"

// Start applies the policy to this process and keeps the limit in step
// with the live heap after every collection, until the returned stop is
// called; stop restores the settings Start found. Environment settings
// win: with GOGC set the collector's ratio is left alone, and with
// GOMEMLIMIT set the limit is (Start is then a no-op for it).
func Start(p Policy, env func(string) (string, bool)) (stop func()) {
	_, gogc := env("GOGC")
	_, memlimit := env("GOMEMLIMIT")
	var restore []func()
	if !gogc {
		old := debug.SetGCPercent(p.GCPercent)
		restore = append(restore, func() { debug.SetGCPercent(old) })
	}
	if !memlimit {
		old := debug.SetMemoryLimit(-1)
		t := &tracker{policy: p, sample: []metrics.Sample{{Name: liveHeapMetric}}}
		t.mu.Lock()
		t.adjust()
		t.mu.Unlock()
		t.arm()
		restore = append(restore, func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.stopped = true
			debug.SetMemoryLimit(old)
		})
	}
	return func() {
		for _, r := range restore {
			r()
		}
	}
}

// tracker re-reads the live heap after each collection. It runs on the
// runtime's cleanup goroutine, one call at a time: a cleanup attached to
// an object nothing refers to runs once the collection that freed it has
// finished, and each run attaches the next.
type tracker struct {
	policy Policy
	sample []metrics.Sample

	// mu keeps a late cleanup from setting a limit after stop restored
	// the old one.
	mu      sync.Mutex
	stopped bool
	limit   int64 // the limit last set
}

// sentinel is what a collection frees to tell the tracker it ran. It
// holds a pointer and is over 16 bytes, so it is never a tiny-allocator
// object (those are freed in batches, late).
type sentinel struct {
	_ *int
	_ [2]uint64
}

func (t *tracker) arm() {
	s := new(sentinel)
	runtime.AddCleanup(s, func(t *tracker) {
		t.mu.Lock()
		stopped := t.stopped
		if !stopped {
			t.adjust()
		}
		t.mu.Unlock()
		if !stopped {
			t.arm()
		}
	}, t)
}

func (t *tracker) adjust() {
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return // not reported by this runtime: keep the floor
	}
	if l := t.policy.Limit(t.sample[0].Value.Uint64()); l != t.limit {
		debug.SetMemoryLimit(l)
		t.limit = l
	}
}
