package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	flotilla "github.com/flotilla-gitops/flotilla"
	"github.com/flotilla-gitops/flotilla/tools/fleetgen"
	"github.com/flotilla-gitops/flotilla/tools/lint"
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

// planBenchRepo is a Git repository of a generated fleet whose working
// tree bumps the image of the first app (one) or of every app (all).
func planBenchRepo(b *testing.B, clusters, apps int, all bool) string {
	b.Helper()
	src := syntheticFleet(b, clusters, apps)
	root := b.TempDir()
	if err := os.CopyFS(root, os.DirFS(src)); err != nil {
		b.Fatal(err)
	}
	git(b, root, "init", "-q", "-b", "main")
	git(b, root, "add", ".")
	git(b, root, "commit", "-q", "-m", "base")
	entries, err := os.ReadDir(filepath.Join(root, "apps"))
	if err != nil {
		b.Fatal(err)
	}
	bumped := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		err := filepath.WalkDir(filepath.Join(root, "apps", e.Name()), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil || !bytes.Contains(data, []byte(":1.0.0")) {
				return err
			}
			bumped++
			return os.WriteFile(p, bytes.ReplaceAll(data, []byte(":1.0.0"), []byte(":1.0.1")), 0o644)
		})
		if err != nil {
			b.Fatal(err)
		}
		if bumped > 0 && !all {
			break
		}
	}
	return root
}

// BenchmarkPlan measures `flotilla plan` (both sides exported from Git,
// rendered, placed and compared) for an image bump of one app — the
// changed-only fast path, and --full for comparison — and of every app,
// without and with policy findings diffed.
func BenchmarkPlan(b *testing.B) {
	eng := sharedEngine(b)
	pack, err := lint.LoadPack(lint.Source{Name: "policies", FS: flotilla.DefaultPolicies()})
	if err != nil {
		b.Fatal(err)
	}
	const clusters, apps = 1000, 200
	cases := []struct {
		name string
		all  bool
		full bool
		lint bool
	}{
		{"one-app", false, false, false},
		{"one-app-full", false, true, false},
		{"one-app-lint", false, false, true},
		{"all-apps", true, false, false},
		{"all-apps-lint", true, false, true},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%dclusters-%dapps-%s", clusters, apps, c.name), func(b *testing.B) {
			root := planBenchRepo(b, clusters, apps, c.all)
			o := pipeline.PlanOptions{Root: root, Base: "main", Full: c.full}
			if c.lint {
				o.Lint = pack
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p, err := eng.Plan(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				if !p.Summary.Changed {
					b.Fatal("no change planned")
				}
				b.ReportMetric(float64(p.Summary.Modified), "changes")
			}
		})
	}
}
