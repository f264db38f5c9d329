// Package checkprof profiles the stages of `flotilla check` separately, by
// calling the library functions the command calls (tools/cli runCheck):
// Engine.Render, renderfs.Compare (render --check), Engine.Validate,
// Engine.Lint and lint.Test, on a synthetic fleet from tools/fleetgen.
//
//	CHECKPROF_OUT=/tmp/prof go test ./scripts/bench/checkprof -run '^$' -bench . -benchtime 1x -benchmem
//	go tool pprof -top -cum /tmp/prof/lint.cpu
//
// With CHECKPROF_OUT set, each stage writes its own CPU profile
// (STAGE.cpu), covering only that stage, not the fleet's set-up, and
// allocation profiles before and after it (see writeAllocs).
// CHECKPROF_CLUSTERS and CHECKPROF_APPS size the fleet (default 100 × 300).
// It is a profiling harness for scripts/bench, not part of `make bench`.
package checkprof

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/sirupsen/logrus"
	"k8s.io/klog/v2"

	"github.com/flotilla-gitops/flotilla/tools/fleetgen"
	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/renderfs"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// stage runs fn as sub-benchmark name, profiled on its own when
// CHECKPROF_OUT is set.
func stage(b *testing.B, name string, fn func(b *testing.B)) {
	b.Run(name, func(b *testing.B) {
		// CPU time (user + system, all threads) says what a stage costs on
		// a machine that is busy with something else too; wall time does not.
		before := cpuTime(b)
		defer func() { b.ReportMetric((cpuTime(b)-before).Seconds()/float64(b.N), "cpu-s/op") }()
		out := os.Getenv("CHECKPROF_OUT")
		if out == "" {
			fn(b)
			return
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(filepath.Join(out, name+".cpu"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		runtime.GC()
		writeAllocs(b, filepath.Join(out, name+".allocs-before"))
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		fn(b)
		pprof.StopCPUProfile()
		writeAllocs(b, filepath.Join(out, name+".allocs"))
	})
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeAllocs writes the allocation profile (cumulative since the start):
// go tool pprof -sample_index=alloc_space -diff_base STAGE.allocs-before STAGE.allocs
// shows what the stage allocated.
func writeAllocs(b *testing.B, path string) {
	h, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	if err := pprof.Lookup("allocs").WriteTo(h, 0); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkCheck(b *testing.B) {
	klog.SetLogger(logr.Discard())
	logrus.SetOutput(io.Discard)
	ctx := context.Background()
	clusters, apps := envInt("CHECKPROF_CLUSTERS", 100), envInt("CHECKPROF_APPS", 300)
	dir := filepath.Join(b.TempDir(), "fleet")
	if err := fleetgen.Generate(dir, fleetgen.Options{Clusters: clusters, Apps: apps, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	eng, err := pipeline.NewEngine(0)
	if err != nil {
		b.Fatal(err)
	}
	pack, err := lint.LoadPack(pipeline.PolicySources(dir, nil)...)
	if err != nil {
		b.Fatal(err)
	}
	r, err := eng.Render(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	files, err := r.Output.Files()
	if err != nil {
		b.Fatal(err)
	}
	if err := renderfs.Write(ctx, dir, render.RenderedDir, files, renderfs.LockOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d clusters × %d apps: %d objects", clusters, apps, len(r.Output.Objects))

	stage(b, "render", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := eng.Render(ctx, dir); err != nil {
				b.Fatal(err)
			}
		}
	})
	stage(b, "compare", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			files, err := r.Output.Files()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := renderfs.Compare(ctx, dir, render.RenderedDir, files, renderfs.LockOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	stage(b, "validate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := eng.Validate(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	stage(b, "place", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, _, err := eng.Place(ctx, r, "", place.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	stage(b, "lint", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := eng.Lint(ctx, r, pipeline.LintOptions{Pack: pack}); err != nil {
				b.Fatal(err)
			}
		}
	})
	stage(b, "policytest", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := lint.Test(ctx, pack); err != nil {
				b.Fatal(err)
			}
		}
	})
	stage(b, "newengine-loadpack", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := pipeline.NewEngine(0); err != nil {
				b.Fatal(err)
			}
			if _, err := lint.LoadPack(pipeline.PolicySources(dir, nil)...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLintRule lints the fleet with one rule of the pack at a time
// ("none": no rule, i.e. placement, overrides, input conversion and the
// query overhead), so the cost of each rule is its time minus "none".
func BenchmarkLintRule(b *testing.B) {
	klog.SetLogger(logr.Discard())
	logrus.SetOutput(io.Discard)
	ctx := context.Background()
	clusters, apps := envInt("CHECKPROF_CLUSTERS", 100), envInt("CHECKPROF_APPS", 300)
	dir := filepath.Join(b.TempDir(), "fleet")
	if err := fleetgen.Generate(dir, fleetgen.Options{Clusters: clusters, Apps: apps, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	eng, err := pipeline.NewEngine(0)
	if err != nil {
		b.Fatal(err)
	}
	pack, err := lint.LoadPack(pipeline.PolicySources(dir, nil)...)
	if err != nil {
		b.Fatal(err)
	}
	r, err := eng.Render(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	subsets := map[string][]lint.Rule{"none": {}}
	names := []string{"none"}
	for _, rule := range pack.Rules {
		subsets[rule.ID] = []lint.Rule{rule}
		names = append(names, rule.ID)
	}
	for _, name := range names {
		one := *pack
		one.Rules = subsets[name]
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := eng.Lint(ctx, r, pipeline.LintOptions{Pack: &one}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
