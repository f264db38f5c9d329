package bounds

import (
	"context"
	"sync"
	"testing"
)

func TestWithDefaultsFillsOnlyUnset(t *testing.T) {
	got := Input{Objects: 7, Depth: -1}.WithDefaults()
	want := Default()
	want.Objects = 7
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{12: "12 bytes", 1536: "1.5 KiB", 8 << 20: "8 MiB", 3<<20 + 1<<19: "3.5 MiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestTallyCrossesAtTheSameItemWhateverTheOrder reports items in reverse
// order from separate goroutines: the item that crosses is decided by item
// order alone.
func TestTallyCrossesAtTheSameItemWhateverTheOrder(t *testing.T) {
	counts := []int{3, 4, 5, 6}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}} {
		tally := NewTally(len(counts), 1, 10)
		type res struct {
			before  int
			crossed bool
		}
		results := make([]res, len(counts))
		var wg sync.WaitGroup
		for _, i := range order {
			wg.Go(func() {
				before, crossed, err := tally.Add(context.Background(), i, counts[i])
				if err != nil {
					t.Error(err)
				}
				results[i] = res{before, crossed}
			})
		}
		wg.Wait()
		want := []res{{1, false}, {4, false}, {8, true}, {13, false}}
		for i := range want {
			if results[i] != want[i] {
				t.Errorf("order %v: item %d = %+v, want %+v", order, i, results[i], want[i])
			}
		}
		if !tally.Over() {
			t.Errorf("order %v: Over is false after a crossing", order)
		}
	}
}

func TestTallyWaitEndsWithContext(t *testing.T) {
	tally := NewTally(2, 0, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := tally.Add(ctx, 1, 1); err == nil {
		t.Error("Add waited for an item that never reports, past its context")
	}
}
