package spotdata

import (
	"os"
	"path/filepath"
)

// Rel is where the data lives, relative to the module root.
const Rel = "../shared/data/spot"

// Dir returns the data folder, found from the working directory (a
// package folder when `go test` runs) by walking up to go.mod, and whether
// it exists.
func Dir() (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, filepath.FromSlash(Rel))
			if st, err := os.Stat(dir); err == nil && st.IsDir() {
				return dir, true
			}
			return dir, false
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// Skipper is the part of testing.TB that Require needs (so that this
// package, which the simulator's benchmark fleet uses, does not import
// testing).
type Skipper interface {
	Helper()
	Skipf(format string, args ...any)
}

// Require returns the data folder or skips the test or benchmark.
func Require(tb Skipper) string {
	tb.Helper()
	dir, ok := Dir()
	if !ok {
		tb.Skipf("real spot data not found at %s (module root + %s): this test replays it and is skipped without it", dir, Rel)
	}
	return dir
}

// NineZones are the zones of the 9-zone V100 availability set
// (p3.2xlarge, from 2023-02-15, 195 s ticks).
var NineZones = []string{"us-east-1a", "us-east-1c", "us-east-1d", "us-east-1f", "us-east-2a", "us-east-2b", "us-west-2a", "us-west-2b", "us-west-2c"}

// NineZoneFile is the file name of one zone's trace in the 9-zone set.
func NineZoneFile(zone string) string {
	return "skypilot-traces/availability_1-node_aws-02-15-2023_" + zone + "_v100_1.json"
}
