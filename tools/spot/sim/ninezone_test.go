package sim

import (
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/spot/internal/spotdata"
)

// nineZoneFleet is NineZoneFleet for tests and benchmarks, skipped
// without the data.
func nineZoneFleet(tb testing.TB, apps int) *Fleet {
	tb.Helper()
	f, err := NineZoneFleet(spotdata.Require(tb), apps)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}
