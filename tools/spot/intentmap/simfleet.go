package intentmap

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/spot/signals"
	"github.com/flotilla-gitops/flotilla/tools/spot/sim"
)

// OnDemandTrace names the always-up trace of clusters replayed as
// on-demand.
const OnDemandTrace = "on-demand (always available)"

// SimFleet maps a mapped fleet onto the simulator, as sim/README.md's
// "Mapping from intent" says: each cluster an app may use, with one pool
// per signals pool that has a trace (availability, else preemption) and a
// known spot price at the replay's start; each app with its objective,
// the clusters it may use, its current division as its declared weights
// and its failover toleration.
//
// The simulator knows spot clusters only: a cluster without spot pools
// (or none the signals can replay) is replayed as one pool that never goes
// dark, at the on-demand price — what an on-demand cluster is, and, for
// a cluster whose spot has no trace, never cheaper than the truth.
//
// The simulator prices a replica the same in every app. The replica is
// the first app's (by name); when apps' CPU requests differ the notes say
// so — each app's cost against on-demand is unaffected (its prices all
// scale by its own size), the fleet's sum weighs apps by replicas.
func SimFleet(f *Fleet, sig *signals.Signals, start time.Time) (*sim.Fleet, []string, error) {
	var notes []string
	if len(f.Apps) == 0 {
		return nil, nil, fmt.Errorf("no app has a spot objective (spec.spot.objective): nothing to replay")
	}
	ref := f.Apps[0]
	for _, a := range f.Apps[1:] {
		if a.PodCPU != ref.PodCPU {
			notes = append(notes, fmt.Sprintf("apps request different CPUs per replica (%s %g, %s %g): prices are per replica of %s", ref.Name, ref.PodCPU, a.Name, a.PodCPU, ref.Name))
			break
		}
	}
	used := map[string]bool{}
	out := &sim.Fleet{}
	for _, a := range f.Apps {
		sa := sim.App{Name: a.Name, Objective: a.Optimize.Objective, Clusters: a.Optimize.Clusters}
		totals := map[string]int{}
		for _, c := range a.Optimize.Current {
			totals[c.Cluster] += c.Replicas()
		}
		for _, c := range a.Optimize.Clusters {
			used[c] = true
			if totals[c] > 0 {
				sa.Weights = append(sa.Weights, sim.Weight{Cluster: c, Weight: totals[c]})
			}
		}
		if fo := a.Intent.Spec.Placement.Failover; fo != nil && fo.AfterSeconds != nil {
			sa.FailoverAfter = time.Duration(*fo.AfterSeconds) * time.Second
		}
		out.Apps = append(out.Apps, sa)
	}
	byCluster := map[string][]*signals.Pool{}
	for i := range sig.Pools {
		p := &sig.Pools[i]
		byCluster[p.Cluster] = append(byCluster[p.Cluster], p)
	}
	traces := map[string]bool{}
	var onDemand []int // clusters replayed as on-demand, by index in out.Clusters
	for _, c := range f.Clusters {
		if !used[c.Name] {
			continue
		}
		share := 1.0
		if ref.PodCPU > 0 && c.NodeCPU > 0 {
			share = min(1, ref.PodCPU/c.NodeCPU)
		}
		sc := sim.Cluster{Name: c.Name, Region: c.Region, OnDemandPrice: c.OnDemandUSD * share}
		if o := c.Priced(share, ref.PodCPU); o.Capacity > 0 {
			sc.Capacity = o.Capacity
		}
		if !c.OnDemandOnly {
			var left []string
			for _, p := range byCluster[c.Name] {
				s := p.Availability
				if s == nil {
					s = p.Preemption
				}
				price, ok := p.Spot.At(start)
				if s == nil || !ok {
					left = append(left, p.Zone+"/"+p.InstanceType)
					continue
				}
				if !traces[s.File] {
					traces[s.File] = true
					out.Traces = append(out.Traces, sim.Trace{Name: s.File, Start: s.Start, Gap: s.Gap, Values: s.Values})
				}
				sc.Pools = append(sc.Pools, sim.Pool{Zone: p.Zone, Trace: s.File, SpotPrice: price * share})
			}
			if len(left) > 0 {
				sort.Strings(left)
				notes = append(notes, fmt.Sprintf("cluster %s: pools without a trace or a spot price are not replayed: %s", c.Name, strings.Join(left, ", ")))
			}
			if len(sc.Pools) == 0 {
				notes = append(notes, fmt.Sprintf("cluster %s: no pool to replay: replayed as on-demand", c.Name))
			}
		}
		if len(sc.Pools) == 0 {
			onDemand = append(onDemand, len(out.Clusters))
		}
		out.Clusters = append(out.Clusters, sc)
	}
	if len(out.Traces) == 0 {
		return nil, notes, fmt.Errorf("%s: no pool of the apps' clusters has a trace (spec.pools[].availability or .preemption): nothing to replay", sig.File)
	}
	if len(onDemand) > 0 {
		// One trace that is always up over every real trace's span.
		first, last := out.Traces[0].Start, time.Time{}
		gap := out.Traces[0].Gap
		for _, t := range out.Traces {
			if t.Start.Before(first) {
				first = t.Start
			}
			if end := t.Start.Add(time.Duration(len(t.Values)) * t.Gap); end.After(last) {
				last = end
			}
			gap = min(gap, t.Gap)
		}
		values := make([]int, int((last.Sub(first)+gap-1)/gap))
		for i := range values {
			values[i] = 1
		}
		out.Traces = append(out.Traces, sim.Trace{Name: OnDemandTrace, Start: first, Gap: gap, Values: values})
		for _, i := range onDemand {
			c := &out.Clusters[i]
			c.Pools = []sim.Pool{{Zone: "on-demand/" + c.Name, Trace: OnDemandTrace, SpotPrice: c.OnDemandPrice}}
		}
	}
	sort.Slice(out.Traces, func(i, j int) bool { return out.Traces[i].Name < out.Traces[j].Name })
	return out, notes, nil
}
