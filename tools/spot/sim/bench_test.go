package sim

import (
	"context"
	"testing"
)

// BenchmarkNineZones replays 45 days at one-minute ticks for 200 apps
// over the 9-zone V100 availability set, the seven policies (its goal:
// under 10 s on 2 cores).
func BenchmarkNineZones(b *testing.B) {
	f := nineZoneFleet(b, 200)
	o := DefaultOptions()
	for b.Loop() {
		if _, err := Run(context.Background(), f, o); err != nil {
			b.Fatal(err)
		}
	}
}
