package optimize

import (
	"time"
)

// Cluster is one member cluster's spot capacity as the optimizer sees it:
// prices and estimates, already derived from the signals (see package
// forecast for estimates from an availability trace).
type Cluster struct {
	Name   string
	Region string
	// Domain is the failure domain of the cluster's spot capacity,
	// usually its zone: clusters with the same Domain lose spot together.
	// Empty means the cluster's name (a domain of its own).
	Domain string
	// SpotPrice and OnDemandPrice are USD per replica-hour (the price of
	// the instance one replica needs).
	SpotPrice, OnDemandPrice float64
	// SpotKnown is false when the spot price or the interruption risk is
	// unknown. Unknown is not free: the cluster gets no new replicas, and
	// the ones it has are planned on on-demand.
	SpotKnown bool
	// Availability is the expected share of time (0..1) spot capacity can
	// be had over the plan's horizon.
	Availability float64
	// InterruptionsPerHour is the expected number of spot reclaims per
	// hour, each taking ReclaimShare of the cluster's spot replicas (all
	// of them when ReclaimShare is 0).
	InterruptionsPerHour float64
	// OutagesPerHour is the expected number of reclaims per hour that
	// take all the cluster's spot at once (the last of its zones going,
	// with the replicas moved there as the others went). 0 for a
	// single-zone cluster, whose reclaims InterruptionsPerHour counts.
	OutagesPerHour float64
	// ReclaimShare is the share of the cluster's spot and hedge replicas
	// one reclaim takes: 1/zones when the cluster spreads an app's
	// replicas over its zones (Karpenter with a zone topology spread; the
	// zones that have spot, when fewer do) and a reclaim hits one zone.
	// Spread evenly, k replicas put ⌊share·k⌋ or ⌈share·k⌉ in the zone
	// hit, the second with the probability that makes the take share·k on
	// average (one replica over three zones: hit one time in three). 0
	// means all of them.
	ReclaimShare float64
	// Capacity is the most replicas one app may get here; 0 is no limit.
	Capacity int
	// Fallback says the cluster's autoscaler replaces reclaimed or
	// unavailable spot with on-demand (Karpenter's on-demand fall-back, a
	// Cluster Autoscaler priority expander), for spot and hedge replicas
	// alike: a pod pending for want of spot gets an on-demand node, and
	// consolidation moves it back when spot returns. Then a dark pool is
	// a cost (on-demand meanwhile), not a loss: only the minutes from the
	// reclaim to the replacement ready are. Without it, a spot or hedge
	// replica is unready for as long as spot is unavailable.
	Fallback bool
}

// Objective is an app's service objective for spot.
type Objective struct {
	// Replicas is N: the replicas that must be ready.
	Replicas int
	// Availability is the target share of time with N replicas ready
	// (0.999 is 99.9 %).
	Availability float64
	// MaxClusterShare and MaxRegionShare cap the replicas that must be
	// ready (on-demand and spot; not the hedge) one cluster or one region
	// may hold, as a share of N; at least one is always allowed. 0 is no
	// cap. The hedge is extra: it needs capacity, not a share.
	MaxClusterShare, MaxRegionShare float64
	// OnDemandFloor is the number of replicas always on on-demand, and
	// OnDemandFloorShare the same as a share of N; the larger applies.
	OnDemandFloor      int
	OnDemandFloorShare float64
	// MaxHedge is the most extra replicas (hedges of either sort) the
	// plan may add while spot is risky.
	MaxHedge int
	// Limits bound how often the plan changes.
	Limits Limits
}

// Limits are an app's rebalancing limits.
type Limits struct {
	// MinSaving is the smallest saving, as a share of the current plan's
	// expected cost, worth a move (0.05 is 5 %). A plan that misses the
	// objective is moved regardless.
	MinSaving float64
	// MinInterval is the shortest time between two moves of the app.
	MinInterval time.Duration
	// MaxMovesPerDay caps the moves of the app in any 24 hours; 0 is no
	// cap. It holds even when the current plan misses the objective.
	MaxMovesPerDay int
	// RiskSlack is the hysteresis band of the risk, inside the
	// objective: a new plan is made with its risk at most (1 − target) /
	// RiskSlack, and the current division keeps counting as meeting the
	// objective while its risk is at most 1 − target, so the estimates
	// may rise by that factor before it must move. Below 1 counts as 1
	// (no band: plans on the edge of the target).
	RiskSlack float64
}

// Assignment is an app's replicas in one cluster.
type Assignment struct {
	Cluster string
	// OnDemand replicas run on on-demand capacity always.
	OnDemand int
	// Spot replicas run on spot, and on on-demand while spot is gone when
	// the cluster has a fall-back.
	Spot int
	// Hedge replicas are extra (beyond N, outside the caps), run as spot
	// replicas do: on-demand while spot is gone where the cluster falls
	// back, waiting where it does not. They cover the replicas a reclaim
	// takes elsewhere until their replacements are ready.
	Hedge int
	// HedgeSpotOnly replicas are extra too, but never on on-demand (a
	// capacity-type spot selector): they cost spot only, and wait while
	// spot is gone. Cheaper than Hedge where the cluster is often dark,
	// and no cover while it is.
	HedgeSpotOnly int
}

// Replicas is the cluster's Karmada weight: all replicas it holds.
func (a Assignment) Replicas() int { return a.OnDemand + a.Spot + a.Hedge + a.HedgeSpotOnly }

// App is one app to plan.
type App struct {
	Name      string
	Objective Objective
	// Clusters are the clusters the app's placement allows.
	Clusters []string
	// Current is the app's current division (empty for a new app).
	Current []Assignment
	// Moves are the times of the app's past moves (for MinInterval and
	// MaxMovesPerDay); older than a day may be left out.
	Moves []time.Time
	// DynamicHedge says the app's hedge is a workload of its own
	// (<name>-hedge): spot only, divided over the app's clusters by
	// Karmada's dynamic weights (the replicas each cluster's spot can
	// take), its replicas left without spot evicted by the
	// karmada-descheduler and placed again where spot is — Karmada's fast
	// path, no commit. The plan then gives the hedge as a count
	// (Plan.HedgeReplicas), Karmada its placement; Assignments hold the
	// primaries (on-demand and spot with the fall-back) only. Outside the
	// caps as every hedge.
	DynamicHedge bool
	// CurrentHedgeReplicas is that workload's current replicas.
	CurrentHedgeReplicas int
}

// Options configure Optimize.
type Options struct {
	// Now is the time of the decision.
	Now time.Time
	// RecoveryMinutes is how long a reclaimed spot replica stays unready
	// when its cluster replaces it at once on spot elsewhere (another
	// zone): start-up less the interruption notice (2 min on AWS), at
	// least 0. OutageRecoveryMinutes is the same when the cluster has no
	// spot left and falls back to on-demand (the failed spot launch comes
	// first); RecoveryMinutes when 0. A single-zone cluster's reclaims are
	// outages: its figures should come as InterruptionsPerHour with
	// ReclaimShare 0, and are counted with RecoveryMinutes unless
	// OutageRecoveryMinutes is set.
	RecoveryMinutes, OutageRecoveryMinutes float64
	// HedgeReactionMinutes is how long a dynamic hedge replica
	// (App.DynamicHedge) is unready when its cluster loses all its spot:
	// the karmada-descheduler's unschedulable threshold, half its
	// interval (the wait for its next run) and the start-up in another
	// cluster, less the notice. Less than OutageRecoveryMinutes counts as
	// that (the hedge cannot be back before the primaries' fall-back).
	HedgeReactionMinutes float64
	// Parallelism bounds the apps planned at once; 0 is GOMAXPROCS.
	Parallelism int
}

// Weight is one entry of a Karmada static weight list.
type Weight struct {
	Cluster string
	Weight  int
}

// Plan is the result for one app.
type Plan struct {
	App string
	// Assignments is the division to apply: the optimum when Changed,
	// else the current one. Sorted by cluster, without empty entries.
	Assignments []Assignment
	// Weights are the Karmada static weights of Assignments; they sum to
	// Replicas, so Karmada's division gives each cluster exactly its
	// weight.
	Weights []Weight
	// Replicas is the total of Assignments (N plus hedge).
	Replicas int
	// HedgeReplicas is the dynamic hedge workload's replicas
	// (App.DynamicHedge), beside Assignments; OptimumHedgeReplicas and
	// CurrentHedgeReplicas the same of the optimum and of the current
	// division. 0 without a dynamic hedge.
	HedgeReplicas, OptimumHedgeReplicas, CurrentHedgeReplicas int
	// Changed says the plan moves replicas or changes a split.
	Changed bool
	// Held says why the optimum was not applied ("" when it was, or when
	// nothing would change).
	Held string
	// Cost and Risk are the expected USD per hour and the expected share
	// of time with fewer than N ready, of Assignments; CurrentCost and
	// CurrentRisk the same of the current division.
	Cost, Risk               float64
	CurrentCost, CurrentRisk float64
	// Optimum is the best division found, applied or not; OptimumCost and
	// OptimumRisk its figures.
	Optimum                  []Assignment
	OptimumCost, OptimumRisk float64
	// MeetsObjective says Assignments meet the availability target within
	// the caps and floor.
	MeetsObjective bool
	// Moves explain each change of Assignments against the current
	// division, in a stable order.
	Moves []Move
}

// Move is one change, with the figures that justify it.
type Move struct {
	// Kind is "move" (replicas from one cluster to another), "add" or
	// "remove" (the total changed: hedge), or "split" (on-demand/spot, or
	// a hedge's sort, within a cluster).
	Kind string
	// From and To are clusters ("" for add or remove).
	From, To string
	// Replicas is how many replicas the move concerns.
	Replicas int
	// What is which replicas: "spot", "on-demand", "hedge", "spot-only
	// hedge" (at To, for a split or move) or "dynamic hedge" (added to or
	// removed from the <name>-hedge workload: no cluster, Karmada places
	// them); FromWhat what they were at From.
	What, FromWhat string
	// FromCost and ToCost are the expected USD per replica-hour at each
	// end; FromAvailability and ToAvailability the spot availability.
	FromCost, ToCost                 float64
	FromAvailability, ToAvailability float64
}
