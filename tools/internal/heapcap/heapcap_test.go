package heapcap

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	p := Policy{GCPercent: 400, Floor: 512 << 20, Ratio: 2}
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, 512 << 20},
		{100 << 20, 512 << 20},
		{256 << 20, 512 << 20},
		{300 << 20, 600 << 20},
		{math.MaxUint64, math.MaxInt64},
	} {
		if got := p.Limit(c.live); got != c.want {
			t.Errorf("Limit(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// TestEnvironmentWins: GOGC and GOMEMLIMIT set by the user are kept.
func TestEnvironmentWins(t *testing.T) {
	oldPercent := debug.SetGCPercent(123)
	defer debug.SetGCPercent(oldPercent)
	oldLimit := debug.SetMemoryLimit(321 << 20)
	defer debug.SetMemoryLimit(oldLimit)

	stop := Start(Default, env(map[string]string{"GOGC": "123", "GOMEMLIMIT": "321MiB"}))
	if got := debug.SetGCPercent(-1); got != 123 {
		t.Errorf("GC percent %d, want the environment's 123", got)
	}
	debug.SetGCPercent(123)
	if got := debug.SetMemoryLimit(-1); got != 321<<20 {
		t.Errorf("memory limit %d, want the environment's %d", got, 321<<20)
	}
	stop()
}

// TestLimitFollowsTheLiveHeap keeps 96 MB live under a 16 MiB floor: after
// a collection the limit is twice the live heap; with the data released it
// falls back, and stop restores what Start found.
func TestLimitFollowsTheLiveHeap(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	beforePercent := debug.SetGCPercent(-1)
	debug.SetGCPercent(beforePercent)

	stop := Start(Policy{GCPercent: 300, Floor: 16 << 20, Ratio: 2}, env(nil))
	if got := debug.SetGCPercent(-1); got != 300 {
		t.Errorf("GC percent %d, want 300", got)
	}
	debug.SetGCPercent(300)

	live := make([][]byte, 96)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	waitFor(t, "the limit to reach twice 96 MB", func() bool { return debug.SetMemoryLimit(-1) >= 2*96<<20 })
	runtime.KeepAlive(live)
	live = nil

	waitFor(t, "the limit to fall back under 64 MB", func() bool { return debug.SetMemoryLimit(-1) < 64<<20 })

	stop()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("after stop the limit is %d, want %d", got, before)
	}
	if got := debug.SetGCPercent(-1); got != beforePercent {
		t.Errorf("after stop GC percent is %d, want %d", got, beforePercent)
	}
	debug.SetGCPercent(beforePercent)
	// A collection after stop changes nothing.
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("a collection after stop set the limit to %d", got)
	}
}

// waitFor collects garbage until cond holds, for at most 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (limit %d)", what, debug.SetMemoryLimit(-1))
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}
