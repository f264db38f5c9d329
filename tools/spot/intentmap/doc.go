// Package intentmap maps a control repository's spot intent and a
// SpotSignals file onto the inputs of the optimizer (package optimize) and
// of the simulator (package sim): plain data in, plain data out, no Git
// and no writes. `flotilla spot rebalance` and `flotilla spot simulate`
// both read the fleet through it, so they see the same clusters, prices
// and objectives.
//
// # Clusters
//
// A cluster with spot pools is one optimize.Cluster. Its signals are the
// SpotSignals pools of the cluster (each a zone and an instance type that
// the cluster's intent pools list — anything else is an error); a pool
// with an unknown spot price or interruption risk gives nothing, and a
// cluster none of whose pools is known is unknown (SpotKnown false: the
// optimizer moves no load toward it and plans what it holds on
// on-demand). Zone and instance-type pairs of the intent that the signals
// do not list are left out and counted in the cluster's notes.
//
//   - Spot price: in each zone, the cheapest known pool at the time of the
//     plan (Karpenter's price-capacity-optimized launch buys it); the
//     cluster's price is the mean over its zones, because Karpenter
//     spreads an app's replicas over them.
//   - Availability and reclaims: from the pools' traces where they cover
//     the time of the plan (a zone is up while any of its traced pools
//     is), with package forecast over the trailing window, as the
//     simulator's rebalance does: the cluster's availability and its
//     outages (its last zone going) from the zones together, zone
//     reclaims as the zones' rates less the outages, a reclaim share of
//     1/(zones with spot). Where a zone has no trace, the Spot Instance
//     Advisor's interruption bucket of its riskiest known pool stands in
//     (BucketEstimates), and the zones are taken as independent.
//     Interruption notices received in the window count as reclaims: a
//     zone's rate is at least notices per hour of the window.
//   - On-demand price: the signals' onDemandClusters entry for the
//     cluster, else the cheapest priced instance type of its on-demand
//     fall-back (or of its pools) in its region. A cluster without spot
//     pools is on-demand only (spot priced as on-demand, so the optimizer
//     never puts spot or hedge replicas there) and needs an entry.
//   - Fall-back: the cluster's autoscaler renders an on-demand fall-back
//     (karpenter or cluster-autoscaler with spec.spot.onDemandFallback).
//
// # Replica prices
//
// What share of an instance one replica takes is not in the signals. It
// is taken from the requests: the pod's CPU request (Kubernetes' own
// PodRequests: init containers, sidecars and overhead as the scheduler
// counts them) over the CPUs of one of the cluster's nodes, which the
// cluster's intent gives as capacity.cpu / capacity.nodes, at most one
// whole instance. A pod without a CPU request takes a whole instance
// (the instance price). The same share bounds how many replicas the
// cluster holds: capacity.cpu over the request.
//
// # Apps
//
// An app with spec.spot.objective is one optimize.App: the objective one
// to one (availability in percent, shares in percent of N), the clusters
// its placement admits (Karmada's affinity and taint filters), Current
// from spec.spot.division or, without one, from the placement preview of
// its divided workload (Karmada's scheduler over the declared weights):
// replicas in on-demand clusters as on-demand, the others as spot. The
// workload is spec.scaling.workload or the app's only Deployment or
// StatefulSet (the <name>-on-demand and <name>-spot-only variants that
// render derives from a division are not counted).
package intentmap
