package sim

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/spot/forecast"
)

// world is the fleet on the minute grid, shared read-only by every
// (policy, app) replay.
type world struct {
	fleet   *Fleet
	opts    Options
	start   time.Time
	minutes int
	// pools are every cluster's pools, flattened; pool values per minute
	// and the minutes where they change.
	pools []poolState
	// clusters, by fleet order.
	clusters []clusterInfo
	byName   map[string]int
	// regions index.
	regions map[string]int
	// days is the replay length in days.
	days float64
	// d holds the option durations in minutes.
	d delays
}

type delays struct {
	notice, startup, fallback, consolidate, commit, every, grace, deschedule, unschedulable, detect int
}

type poolState struct {
	history *forecast.History // up per minute
	cluster int
	zone    string
	price   float64
	micro   int64 // price in millionths of a USD per hour
	unit    int
	values  []int32 // per minute
	changes []int32 // minutes where values[m] != values[m-1]
}

// capacity of a pool at minute m: replicas of one app it can hold.
func (p *poolState) capacity(m int) int {
	v := int(p.values[m])
	if v <= 0 {
		return 0
	}
	if p.unit <= 0 {
		return math.MaxInt32
	}
	return v * p.unit
}

type clusterInfo struct {
	name    string
	region  int
	pools   []int // into world.pools
	od      float64
	odMicro int64
	cap     int
	history *forecast.History // any pool up, per minute
	domain  string
}

func newWorld(f *Fleet, o Options) (*world, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	w := &world{fleet: f, opts: o, byName: map[string]int{}, regions: map[string]int{}}
	traces := map[string]*Trace{}
	latest, end := time.Time{}, time.Time{}
	for i := range f.Traces {
		t := &f.Traces[i]
		traces[t.Name] = t
		if t.Start.After(latest) {
			latest = t.Start
		}
		e := t.Start.Add(time.Duration(len(t.Values)) * t.Gap)
		if end.IsZero() || e.Before(end) {
			end = e
		}
	}
	w.start = o.Start
	if w.start.IsZero() {
		w.start = latest
	}
	w.minutes = o.Minutes
	if w.minutes <= 0 {
		w.minutes = int(end.Sub(w.start) / time.Minute)
	}
	if w.minutes <= 0 {
		return nil, fmt.Errorf("the traces do not overlap after %s", w.start.Format(time.RFC3339))
	}
	w.days = float64(w.minutes) / (24 * 60)
	w.d = delays{notice: mins(o.Notice), startup: mins(o.NodeStartup) + mins(o.PodStartup), fallback: mins(o.FallbackDelay),
		consolidate: mins(o.ConsolidateAfter), commit: mins(o.CommitDelay), every: max(1, mins(o.RebalanceEvery)), grace: mins(o.EvictionGrace),
		deschedule: max(1, mins(o.DeschedulerInterval)), unschedulable: mins(o.UnschedulableThreshold), detect: mins(o.SpotHedgeDetect)}
	resampled := map[string][]int32{}
	for ci, c := range f.Clusters {
		if _, ok := w.regions[c.Region]; !ok {
			w.regions[c.Region] = len(w.regions)
		}
		info := clusterInfo{name: c.Name, region: w.regions[c.Region], od: c.OnDemandPrice, odMicro: int64(math.Round(c.OnDemandPrice * 1e6)), cap: c.Capacity}
		var zones []string
		for _, p := range c.Pools {
			vals, ok := resampled[p.Trace]
			if !ok {
				vals = resample(traces[p.Trace], w.start, w.minutes)
				resampled[p.Trace] = vals
			}
			ps := poolState{cluster: ci, zone: p.Zone, price: p.SpotPrice, micro: int64(math.Round(p.SpotPrice * 1e6)), unit: p.UnitReplicas, values: vals}
			up := make([]bool, len(vals))
			for m, v := range vals {
				up[m] = v > 0
			}
			ps.history = forecast.NewHistory(up, time.Minute)
			for m := 1; m < len(vals); m++ {
				if vals[m] != vals[m-1] {
					ps.changes = append(ps.changes, int32(m))
				}
			}
			info.pools = append(info.pools, len(w.pools))
			w.pools = append(w.pools, ps)
			zones = append(zones, p.Zone)
		}
		sort.Strings(zones)
		info.domain = fmt.Sprint(zones)
		if len(zones) == 1 {
			info.domain = zones[0]
		}
		up := make([]bool, w.minutes)
		for m := range up {
			for _, pi := range info.pools {
				if w.pools[pi].values[m] > 0 {
					up[m] = true
					break
				}
			}
		}
		info.history = forecast.NewHistory(up, time.Minute)
		w.byName[c.Name] = ci
		w.clusters = append(w.clusters, info)
	}
	return w, nil
}

// resample puts a trace on the minute grid: the value at minute m is the
// last probe at or before it (a probe's answer holds until the next one);
// minutes outside the trace have no capacity.
func resample(t *Trace, start time.Time, minutes int) []int32 {
	out := make([]int32, minutes)
	for m := range out {
		at := start.Add(time.Duration(m) * time.Minute)
		if at.Before(t.Start) {
			continue
		}
		i := int(at.Sub(t.Start) / t.Gap)
		if i < len(t.Values) {
			out[m] = int32(t.Values[i])
		}
	}
	return out
}

// spotUp says whether cluster c can get spot at minute m.
func (w *world) spotUp(c, m int) bool {
	for _, pi := range w.clusters[c].pools {
		if w.pools[pi].values[m] > 0 {
			return true
		}
	}
	return false
}
