package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/fleetgen"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/place"
)

var (
	// benchDir holds generated fleets for the whole package run; TestMain
	// removes it.
	benchDir string
	fleetsMu sync.Mutex
	fleets   = map[string]string{}
)

// syntheticFleet writes a generated fleet once per size for the package's
// benchmarks.
func syntheticFleet(b *testing.B, clusters, apps int) string {
	b.Helper()
	fleetsMu.Lock()
	defer fleetsMu.Unlock()
	key := fmt.Sprintf("%dx%d", clusters, apps)
	if dir, ok := fleets[key]; ok {
		return dir
	}
	dir := filepath.Join(benchDir, key)
	if err := fleetgen.Generate(dir, fleetgen.Options{Clusters: clusters, Apps: apps, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	fleets[key] = dir
	return dir
}

var sizes = []struct{ clusters, apps int }{{20, 10}, {1000, 200}}

// BenchmarkRender measures load + cross-check + render (in memory).
func BenchmarkRender(b *testing.B) {
	eng := sharedEngine(b)
	for _, s := range sizes {
		b.Run(fmt.Sprintf("%dclusters-%dapps", s.clusters, s.apps), func(b *testing.B) {
			dir := syntheticFleet(b, s.clusters, s.apps)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := eng.Render(context.Background(), dir)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(len(r.Output.Objects)), "objects")
			}
		})
	}
}

// BenchmarkValidate measures schema validation of every rendered object.
func BenchmarkValidate(b *testing.B) {
	eng := sharedEngine(b)
	for _, s := range sizes {
		b.Run(fmt.Sprintf("%dclusters-%dapps", s.clusters, s.apps), func(b *testing.B) {
			r, err := eng.Render(context.Background(), syntheticFleet(b, s.clusters, s.apps))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fs, err := eng.Validate(context.Background(), r)
				if err != nil || len(fs) > 0 {
					b.Fatalf("%v %v", err, fs)
				}
			}
			b.ReportMetric(float64(len(r.Output.Objects)), "objects")
		})
	}
}

// BenchmarkPlace measures the Karmada scheduling preview of every app: as
// lint asks for it (targets only) and as `flotilla place` does (with the
// reasons clusters are left out and Karmada's tie alternatives).
func BenchmarkPlace(b *testing.B) {
	eng := sharedEngine(b)
	modes := []struct {
		name string
		opts place.Options
	}{{"targets", place.Options{}}, {"explained", place.Options{Reasons: true, Alternatives: true}}}
	for _, s := range sizes {
		for _, m := range modes {
			b.Run(fmt.Sprintf("%dclusters-%dapps-%s", s.clusters, s.apps, m.name), func(b *testing.B) {
				r, err := eng.Render(context.Background(), syntheticFleet(b, s.clusters, s.apps))
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					res, _, err := eng.Place(context.Background(), r, "", m.opts)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(len(res)), "workloads")
				}
			})
		}
	}
}

// BenchmarkNewEngine measures preparing every schema (paid once per run).
func BenchmarkNewEngine(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := pipeline.NewEngine(0); err != nil {
			b.Fatal(err)
		}
	}
}
