package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/spot/internal/spotdata"
	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
	"github.com/flotilla-gitops/flotilla/tools/spot/signals"
)

// P3OnDemand is the on-demand price of p3.2xlarge (1 V100) in us-east-1,
// Linux, in USD per hour (AWS's published price, the figure SkyPilot's
// catalog and the Can't Be Late simulator use); P3Saving the Spot
// Instance Advisor's saving for it there (2025-06 snapshot: "s": 80), so
// spot costs 20 % of on-demand: 0.612 USD per hour.
const (
	P3OnDemand = 3.06
	P3Saving   = 80
)

// NineZoneFleet is the benchmark fleet on the 9-zone V100 availability
// set: one GPU cluster per region (us-east-1, us-east-2, us-west-2), its
// Karpenter node pools in every zone of the set there, each replica a
// p3.2xlarge, spot priced at the advisor's saving; apps of 2 to 8 replicas
// placed on the three clusters, each declaring one of seven static
// weightings (today's division).
// dir is the shared data folder (spotdata.Dir).
func NineZoneFleet(dir string, apps int) (*Fleet, error) {
	f := &Fleet{}
	spot := P3OnDemand * (100 - P3Saving) / 100
	clusters := map[string]*Cluster{}
	var order []string
	for _, zone := range spotdata.NineZones {
		file := filepath.Join(dir, spotdata.NineZoneFile(zone))
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		tr, err := signals.ReadTrace(file, data)
		if err != nil {
			return nil, err
		}
		f.Traces = append(f.Traces, Trace{Name: zone, Start: tr.Name.Start, Gap: tr.Gap, Values: tr.Values})
		region := zone[:len(zone)-1]
		c := clusters[region]
		if c == nil {
			c = &Cluster{Name: "gpu-" + region, Region: region, OnDemandPrice: P3OnDemand}
			clusters[region] = c
			order = append(order, region)
		}
		c.Pools = append(c.Pools, Pool{Zone: zone, Trace: zone, SpotPrice: spot})
	}
	var all []string
	for _, r := range order {
		f.Clusters = append(f.Clusters, *clusters[r])
		all = append(all, clusters[r].Name)
	}
	// Today's weights, chosen without the traces: even, or leaning on one
	// region or another.
	weightings := [][]int{{1, 1, 1}, {2, 1, 1}, {1, 2, 1}, {1, 1, 2}, {3, 2, 1}, {1, 2, 3}, {2, 3, 1}}
	for i := 0; i < apps; i++ {
		n := []int{2, 3, 4, 5, 6, 8}[i%6]
		var weights []Weight
		for j, w := range weightings[(i/6)%len(weightings)] {
			weights = append(weights, Weight{Cluster: all[j], Weight: w})
		}
		f.Apps = append(f.Apps, App{
			Name: fmt.Sprintf("app-%03d", i),
			Objective: optimize.Objective{Replicas: n, Availability: 0.999, MaxClusterShare: 0.5, MaxRegionShare: 0.5, MaxHedge: max(1, n/2),
				Limits: optimize.Limits{MinSaving: 0.10, MinInterval: time.Hour, MaxMovesPerDay: 8, RiskSlack: 2}},
			Clusters:      all,
			Weights:       weights,
			FailoverAfter: 10 * time.Minute,
		})
	}
	return f, nil
}
