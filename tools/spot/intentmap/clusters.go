package intentmap

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/spot/forecast"
	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
	"github.com/flotilla-gitops/flotilla/tools/spot/signals"
	"github.com/flotilla-gitops/flotilla/tools/spot/sim"
)

// Model holds the figures the estimates are made with.
type Model struct {
	// Window is the history a trace's estimate counts; Delay the time
	// before a plan takes effect (Git → Argo CD → Karmada); Horizon how
	// long it is meant to hold; Prior package forecast's prior exposure.
	Window, Delay, Horizon, Prior time.Duration
	// RecoveryMinutes is how long a reclaimed replica is unready when its
	// cluster has spot in another zone (start-up less the notice);
	// OutageRecoveryMinutes when it falls back to on-demand (the failed
	// spot launch first).
	RecoveryMinutes, OutageRecoveryMinutes float64
	// RiskSlack is the hysteresis band of the risk (optimize.Limits).
	RiskSlack float64
}

// DefaultModel is the simulator's model (sim.DefaultOptions): what the
// replay shows is what the rebalance plans against.
func DefaultModel() Model {
	o := sim.DefaultOptions()
	startup := o.NodeStartup + o.PodStartup
	return Model{
		Window: o.ForecastWindow, Delay: o.CommitDelay, Horizon: max(o.PlanHorizon, o.RebalanceEvery), Prior: o.PriorExposure,
		RecoveryMinutes:       max(0, (startup - o.Notice).Minutes()),
		OutageRecoveryMinutes: max(0, (o.FallbackDelay + startup - o.Notice).Minutes()),
		RiskSlack:             2,
	}
}

// BucketEstimate is what one of the Spot Instance Advisor's
// interruption-frequency buckets stands for when a zone has no trace.
type BucketEstimate struct {
	// Label is the advisor's ("<5%" ... ">20%").
	Label string
	// MonthlyShare is the share of a pool's instances taken as
	// interrupted in a month: the bucket's upper bound, and 30 % for the
	// open ">20%" (a guess: the advisor bounds it only by 100 %).
	MonthlyShare float64
}

// ReclaimsPerHour reads the monthly share as each instance's reclaim
// rate: an app's replicas in a zone sit on one node or a few, so one
// node's reclaim is the event that takes them.
func (b BucketEstimate) ReclaimsPerHour() float64 { return b.MonthlyShare / (30 * 24) }

// Availability reads the same share as the share of time spot may be
// unobtainable: the advisor does not measure availability, and this
// pessimistic reading makes a risky bucket cost on-demand hours.
func (b BucketEstimate) Availability() float64 { return 1 - b.MonthlyShare }

// BucketEstimates are the advisor's five buckets, by index.
var BucketEstimates = []BucketEstimate{
	{"<5%", 0.05}, {"5-10%", 0.10}, {"10-15%", 0.15}, {"15-20%", 0.20}, {">20%", 0.30},
}

func bucket(i signals.Interruption) BucketEstimate {
	if i.Bucket >= 0 && i.Bucket < len(BucketEstimates) {
		return BucketEstimates[i.Bucket]
	}
	return BucketEstimates[len(BucketEstimates)-1]
}

// Cluster is one cluster's figures, per instance (not yet per replica).
type Cluster struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	// File is the cluster's intent file.
	File string `json:"file"`
	// OnDemandOnly says the cluster has no spot pools.
	OnDemandOnly bool `json:"onDemandOnly"`
	// OnDemandType and OnDemandUSD are what an on-demand instance is and
	// costs per hour.
	OnDemandType string  `json:"onDemandInstanceType"`
	OnDemandUSD  float64 `json:"onDemandUSDPerHour"`
	// SpotUSD is the mean of the zones' spot prices per instance-hour.
	SpotUSD float64 `json:"spotUSDPerHour"`
	// NodeCPU is the CPUs of one node (capacity.cpu / capacity.nodes);
	// CapacityCPU all of them.
	NodeCPU     float64 `json:"nodeCPU"`
	CapacityCPU float64 `json:"capacityCPU"`
	// SpotKnown, Availability, InterruptionsPerHour, OutagesPerHour,
	// ReclaimShare, Domain and Fallback are optimize.Cluster's.
	SpotKnown            bool    `json:"spotKnown"`
	Availability         float64 `json:"availability"`
	InterruptionsPerHour float64 `json:"zoneReclaimsPerHour"`
	OutagesPerHour       float64 `json:"outagesPerHour"`
	ReclaimShare         float64 `json:"reclaimShare"`
	Domain               string  `json:"domain"`
	Fallback             bool    `json:"fallback"`
	// Zones are the zones with known spot signals.
	Zones []Zone `json:"zones,omitempty"`
	// Notes say what was left out: pools with unknown signals, pairs of
	// the intent without signals, traces that do not cover the time.
	Notes []string `json:"notes,omitempty"`
}

// Zone is one zone's estimates.
type Zone struct {
	Zone string `json:"zone"`
	// SpotUSD is the cheapest known pool's price per instance-hour, and
	// InstanceType that pool's type.
	SpotUSD      float64 `json:"spotUSDPerHour"`
	InstanceType string  `json:"instanceType"`
	Availability float64 `json:"availability"`
	// ReclaimsPerHour is the zone's expected reclaims per hour.
	ReclaimsPerHour float64 `json:"reclaimsPerHour"`
	// Source says where the estimates come from: "trace" (the files) or
	// "advisor <bucket>"; Notices the interruption notices in the window.
	Source  string `json:"source"`
	Notices int    `json:"notices"`
	// up is the zone's per-minute availability over the window when it
	// comes from traces, and start its first minute.
	up    []bool
	start time.Time
}

// Priced is the cluster as the optimizer sees an app whose replica takes
// share of an instance (0 < share ≤ 1) and cpu CPUs (0: unknown).
func (c *Cluster) Priced(share, cpu float64) optimize.Cluster {
	o := optimize.Cluster{Name: c.Name, Region: c.Region, Domain: c.Domain, OnDemandPrice: c.OnDemandUSD * share,
		SpotKnown: c.SpotKnown, Availability: c.Availability, InterruptionsPerHour: c.InterruptionsPerHour,
		OutagesPerHour: c.OutagesPerHour, ReclaimShare: c.ReclaimShare, Fallback: c.Fallback}
	if c.OnDemandOnly {
		// Spot at the on-demand price is never cheaper: the optimizer
		// puts only on-demand replicas here (and no spot is available).
		o.SpotKnown, o.SpotPrice, o.Availability = true, o.OnDemandPrice, 0
	} else if c.SpotKnown {
		o.SpotPrice = c.SpotUSD * share
	}
	switch {
	case cpu > 0:
		o.Capacity = max(1, int(math.Floor(c.CapacityCPU/cpu+1e-9)))
	case c.NodeCPU > 0:
		o.Capacity = max(1, int(math.Floor(c.CapacityCPU/c.NodeCPU+1e-9)))
	}
	return o
}

// clusters derives every cluster's figures. Problems of the signals
// against the intent are returned together.
func (m *mapper) clusters() {
	sig := m.in.Signals
	byCluster := map[string][]*signals.Pool{}
	for i := range sig.Pools {
		p := &sig.Pools[i]
		byCluster[p.Cluster] = append(byCluster[p.Cluster], p)
	}
	odEntry := map[string]signals.OnDemandCluster{}
	for _, oc := range sig.OnDemandClusters {
		odEntry[oc.Cluster] = oc
	}
	repo := m.in.Repo
	for name, pools := range byCluster {
		if c := repo.Cluster(name); c == nil {
			m.signalErr(pools[0].Line, pools[0].Column, pools[0].Field+".cluster", "cluster %q is not in the repository", name)
		} else if c.Spec.Spot == nil {
			m.signalErr(pools[0].Line, pools[0].Column, pools[0].Field+".cluster", "cluster %s has no spot pools in %s (spec.spot)", name, c.File())
		}
	}
	for _, oc := range sig.OnDemandClusters {
		if c := repo.Cluster(oc.Cluster); c == nil {
			m.signalErr(oc.Line, oc.Column, oc.Field+".cluster", "cluster %q is not in the repository", oc.Cluster)
		} else if oc.Region != c.Spec.Region {
			m.signalErr(oc.Line, oc.Column, oc.Field+".region", "cluster %s is in %s, not %s", oc.Cluster, c.Spec.Region, oc.Region)
		}
	}
	for _, c := range repo.Clusters {
		m.byName[c.Name] = len(m.out.Clusters)
		m.out.Clusters = append(m.out.Clusters, m.cluster(c, byCluster[c.Name], odEntry))
	}
}

// signalErr reports a problem of the signals file at an entry's
// position.
func (m *mapper) signalErr(line, col int, field, format string, args ...any) {
	m.errs = append(m.errs, &diag.Error{File: m.in.Signals.File, Line: line, Column: col, Object: signals.Kind + "/" + m.in.Signals.Name, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (m *mapper) cluster(c *intent.Cluster, pools []*signals.Pool, odEntry map[string]signals.OnDemandCluster) *Cluster {
	out := &Cluster{Name: c.Name, Region: c.Spec.Region, File: c.File(), OnDemandOnly: c.Spec.Spot == nil,
		CapacityCPU: c.Spec.Capacity.CPU.AsApproximateFloat64()}
	if n := c.Spec.Capacity.Nodes; n > 0 {
		out.NodeCPU = out.CapacityCPU / float64(n)
	}
	sp := c.Spec.Spot
	if sp != nil {
		out.Fallback = sp.Autoscaler != v1alpha1.AutoscalerNone && sp.OnDemandFallback != nil
	}
	// On-demand price.
	if oc, ok := odEntry[c.Name]; ok {
		out.OnDemandType, out.OnDemandUSD = oc.InstanceType, oc.OnDemandUSD
	} else if sp != nil {
		var types []string
		if sp.OnDemandFallback != nil {
			types = sp.OnDemandFallback.InstanceTypes
		}
		if len(types) == 0 {
			for _, p := range sp.Pools {
				types = append(types, p.InstanceTypes...)
			}
		}
		for _, t := range types {
			if price, ok := m.in.Signals.OnDemandUSD(c.Spec.Region, t); ok && (out.OnDemandType == "" || price < out.OnDemandUSD || price == out.OnDemandUSD && t < out.OnDemandType) {
				out.OnDemandType, out.OnDemandUSD = t, price
			}
		}
	}
	if sp == nil {
		out.Domain = "on-demand/" + c.Name
		return out
	}

	// The intent's pairs of zone and instance type.
	pairs := map[[2]string]bool{}
	for _, p := range sp.Pools {
		zones := p.Zones
		if len(zones) == 0 {
			zones = []string{c.Spec.Zone}
		}
		for _, z := range zones {
			for _, t := range p.InstanceTypes {
				pairs[[2]string{z, t}] = true
			}
		}
	}
	now := m.in.Now
	known := map[string][]*signals.Pool{}
	listed := 0
	for _, p := range pools {
		switch {
		case p.Region != c.Spec.Region:
			m.signalErr(p.Line, p.Column, p.Field+".region", "pool %s/%s is in region %s, but cluster %s is in %s", p.Zone, p.InstanceType, p.Region, c.Name, c.Spec.Region)
			continue
		case !pairs[[2]string{p.Zone, p.InstanceType}]:
			m.signalErr(p.Line, p.Column, p.Field, "cluster %s has no spot pool with %s in %s (%s spec.spot.pools)", c.Name, p.InstanceType, p.Zone, c.File())
			continue
		}
		listed++
		if u := p.Unknown(); len(u) > 0 {
			out.Notes = append(out.Notes, fmt.Sprintf("pool %s/%s: unknown %s: left out", p.Zone, p.InstanceType, strings.Join(u, " and ")))
			continue
		}
		if _, ok := p.Spot.At(now); !ok {
			out.Notes = append(out.Notes, fmt.Sprintf("pool %s/%s: no spot price at %s: left out", p.Zone, p.InstanceType, now.Format(time.RFC3339)))
			continue
		}
		known[p.Zone] = append(known[p.Zone], p)
	}
	if missing := len(pairs) - listed; missing > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d of the intent's %d zone × instance type pairs have no signals: left out", missing, len(pairs)))
	}
	zones := make([]string, 0, len(known))
	for z := range known {
		zones = append(zones, z)
	}
	sort.Strings(zones)
	if len(zones) == 0 {
		out.Notes = append(out.Notes, "no pool with known signals: spot is unknown (no new replicas here; the ones here planned on on-demand)")
		out.Domain = c.Name
		return out
	}
	out.SpotKnown = true
	out.Domain = strings.Join(zones, "+")
	traced := true
	for _, z := range zones {
		zf := m.zone(z, known[z], out)
		out.Zones = append(out.Zones, zf)
		out.SpotUSD += zf.SpotUSD / float64(len(zones))
		traced = traced && zf.up != nil
	}
	m.combine(out, traced)
	return out
}

// zone estimates one zone from its known pools.
func (m *mapper) zone(z string, pools []*signals.Pool, c *Cluster) Zone {
	now := m.in.Now
	zf := Zone{Zone: z}
	slices.SortFunc(pools, func(a, b *signals.Pool) int { return strings.Compare(a.InstanceType, b.InstanceType) })
	for _, p := range pools {
		price, _ := p.Spot.At(now)
		if zf.InstanceType == "" || price < zf.SpotUSD {
			zf.SpotUSD, zf.InstanceType = price, p.InstanceType
		}
	}
	windowStart := now.Add(-m.model.Window)
	for _, p := range pools {
		for _, n := range p.Notices {
			if !n.Before(windowStart) && !n.After(now) {
				zf.Notices++
			}
		}
	}
	// Traces that cover the time of the plan.
	var series []*signals.Series
	for _, p := range pools {
		for _, s := range []*signals.Series{p.Availability, p.Preemption} {
			if s == nil {
				continue
			}
			if now.Before(s.Start) || !now.Before(s.End()) {
				c.Notes = append(c.Notes, fmt.Sprintf("pool %s/%s: its trace runs %s to %s, not at %s: not used", z, p.InstanceType,
					s.Start.Format(time.RFC3339), s.End().Format(time.RFC3339), now.Format(time.RFC3339)))
				continue
			}
			series = append(series, s)
		}
	}
	fo := m.forecastOptions()
	if len(series) > 0 {
		start := windowStart
		for _, s := range series {
			if s.Start.After(start) {
				start = s.Start
			}
		}
		n := int(now.Sub(start)/time.Minute) + 1
		up := make([]bool, n)
		for i := range up {
			at := start.Add(time.Duration(i) * time.Minute)
			for _, s := range series {
				if v, ok := s.At(at); ok && v > 0 {
					up[i] = true
					break
				}
			}
		}
		e := forecast.NewHistory(up, time.Minute).At(n-1, fo)
		zf.Availability, zf.ReclaimsPerHour, zf.Source = e.Availability, e.InterruptionsPerHour, "trace"
		zf.up, zf.start = up, start
	} else {
		// The riskiest known pool's bucket.
		worst := pools[0].Interruption
		for _, p := range pools[1:] {
			if p.Interruption.Bucket > worst.Bucket {
				worst = p.Interruption
			}
		}
		b := bucket(worst)
		zf.Availability, zf.ReclaimsPerHour, zf.Source = b.Availability(), b.ReclaimsPerHour(), "advisor "+b.Label
	}
	if hours := m.model.Window.Hours(); hours > 0 {
		zf.ReclaimsPerHour = max(zf.ReclaimsPerHour, float64(zf.Notices)/hours)
	}
	return zf
}

func (m *mapper) forecastOptions() forecast.Options {
	return forecast.Options{Window: m.model.Window, Delay: m.model.Delay, Horizon: m.model.Horizon, PriorExposure: m.model.Prior}
}

// combine turns the zones' estimates into the cluster's: availability
// (any zone up), whole-cluster outages (the last zone going), zone
// reclaims (the rest) and the reclaim share, as the simulator's rebalance
// does; from the zones' traces together when every zone has one, else
// with the zones taken as independent.
func (m *mapper) combine(c *Cluster, traced bool) {
	zs := c.Zones
	if len(zs) == 1 {
		c.Availability, c.InterruptionsPerHour = zs[0].Availability, zs[0].ReclaimsPerHour
		return
	}
	sumRates, sumAvail := 0.0, 0.0
	for _, z := range zs {
		sumRates += z.ReclaimsPerHour
		sumAvail += z.Availability
	}
	var avail, outages float64
	if traced {
		start := zs[0].start
		for _, z := range zs[1:] {
			if z.start.After(start) {
				start = z.start
			}
		}
		n := int(m.in.Now.Sub(start)/time.Minute) + 1
		up := make([]bool, n)
		for _, z := range zs {
			off := int(start.Sub(z.start) / time.Minute)
			for i := range up {
				up[i] = up[i] || z.up[off+i]
			}
		}
		e := forecast.NewHistory(up, time.Minute).At(n-1, m.forecastOptions())
		avail, outages = e.Availability, e.InterruptionsPerHour
	} else {
		allDown := 1.0
		for _, z := range zs {
			allDown *= 1 - z.Availability
		}
		avail = 1 - allDown
		for i, z := range zs {
			othersDown := 1.0
			for j, y := range zs {
				if j != i {
					othersDown *= 1 - y.Availability
				}
			}
			outages += z.ReclaimsPerHour * othersDown
		}
	}
	c.Availability = avail
	c.OutagesPerHour = outages
	c.InterruptionsPerHour = max(0, sumRates-outages)
	c.ReclaimShare = 1 / float64(len(zs))
	if sumAvail > 0 {
		c.ReclaimShare = min(1, max(c.ReclaimShare, avail/sumAvail))
	}
}
