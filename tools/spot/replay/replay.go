package replay

import (
	"context"
	"fmt"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/spot/intentmap"
	"github.com/flotilla-gitops/flotilla/tools/spot/signals"
	"github.com/flotilla-gitops/flotilla/tools/spot/sim"
)

// Options configure Run.
type Options struct {
	// Root is the control repository; Signals the SpotSignals file.
	Root, Signals string
	// From and To bound the replay; zero: the traces' common span.
	From, To time.Time
	Engine   *pipeline.Engine
	// Parallelism bounds the replay's concurrent work; 0 is GOMAXPROCS.
	Parallelism int
	// Phase, when set, is told each phase as it begins and returns what
	// to call when it ends (a summary, or the error).
	Phase func(phase string) func(msg string, err error)
}

// Result is the replay and what the mapping left out.
type Result struct {
	*sim.Result
	Notes []string
}

// Run replays the repository's spot apps over the signals' traces.
func Run(ctx context.Context, o Options) (*Result, error) {
	phase := func(name string) func(string, error) {
		if o.Phase == nil {
			return func(string, error) {}
		}
		return o.Phase(name)
	}
	done := phase("render")
	r, err := o.Engine.Render(ctx, o.Root)
	if err != nil {
		done("", err)
		return nil, err
	}
	done(fmt.Sprintf("%d apps, %d clusters", len(r.Repo.Apps), len(r.Repo.Clusters)), nil)

	done = phase("signals")
	sig, err := signals.Load(o.Signals, signals.Options{})
	if err != nil {
		done("", err)
		return nil, err
	}
	done(fmt.Sprintf("%d pools", len(sig.Pools)), nil)

	done = phase("map")
	var placed []place.Result
	if apps := intentmap.NeedsPlacement(r.Repo); len(apps) > 0 {
		placed, _, err = o.Engine.PlaceWith(ctx, r, pipeline.PlaceRequest{Apps: apps, Options: place.Options{Alternatives: true}})
		if err != nil {
			done("", err)
			return nil, err
		}
		for i := range placed {
			placed[i].Canonical()
		}
	}
	// The replay's start prices the pools; the estimates that Map makes
	// at that time are not used (the replay makes its own as it goes).
	start := o.From
	if start.IsZero() {
		start = latestStart(sig)
	}
	fleet, err := intentmap.Map(intentmap.Input{Repo: r.Repo, Output: r.Output, Signals: sig, Placed: placed, Now: start})
	if err != nil {
		done("", err)
		return nil, err
	}
	sf, notes, err := intentmap.SimFleet(fleet, sig, start)
	if err != nil {
		done("", err)
		return nil, err
	}
	done(fmt.Sprintf("%d apps over %d clusters, %d traces", len(sf.Apps), len(sf.Clusters), len(sf.Traces)), nil)

	so := sim.DefaultOptions()
	so.Start, so.Parallelism = o.From, o.Parallelism
	if !o.To.IsZero() {
		from := start
		so.Minutes = int(o.To.Sub(from) / time.Minute)
		if so.Minutes <= 0 {
			return nil, fmt.Errorf("--to %s is not after the replay's start %s", o.To.Format(time.RFC3339), from.Format(time.RFC3339))
		}
	}
	so.TimelineApp = sf.Apps[0].Name
	done = phase("replay")
	res, err := sim.Run(ctx, sf, so)
	if err != nil {
		done("", err)
		return nil, err
	}
	done(fmt.Sprintf("%.1f days, %d apps, %d policies", res.Days, res.Apps, len(res.Policies)), nil)
	return &Result{Result: res, Notes: notes}, nil
}

// latestStart is the latest start of the signals' traces: where the
// simulator starts by default.
func latestStart(sig *signals.Signals) time.Time {
	var t time.Time
	for _, p := range sig.Pools {
		for _, s := range []*signals.Series{p.Availability, p.Preemption} {
			if s != nil && s.Start.After(t) {
				t = s.Start
			}
		}
	}
	return t
}
