package sim

import (
	"time"
)

// Policy names a way of running spot capacity that the simulator compares.
type Policy string

// The policies, in the order the report lists them.
const (
	// OnDemand runs every replica on on-demand, divided by the declared
	// weights.
	OnDemand Policy = "on-demand"
	// Static is today's division: the declared static weights on spot,
	// with no on-demand fall-back; a reclaimed replica waits for spot in
	// its cluster (and Karmada's application failover, when declared).
	Static Policy = "static-weights"
	// Karpenter is the declared weights with Karpenter in each cluster:
	// spot diversified over the cluster's pools, on-demand when none has
	// capacity, consolidation back to spot; no cross-cluster moves beyond
	// Karmada's failover.
	Karpenter Policy = "karpenter"
	// Dynamic is Karmada's dynamic weights by available replicas: the
	// division follows the spot capacity each cluster can get at each
	// scheduling, with the descheduler moving replicas that stay
	// unschedulable, and application failover; spot only.
	Dynamic Policy = "karmada-dynamic"
	// SpotHedge is SkyServe's policy (arXiv 2411.01438): spot replicas
	// spread over zones by its dynamic-fallback placer, a few
	// over-provisioned, on-demand added while fewer than N spot replicas
	// are ready; a controller outside Git and Karmada.
	SpotHedge Policy = "spothedge"
	// Flotilla is `flotilla spot rebalance` on a schedule: the optimizer's
	// weights, splits and hedges committed to Git and applied after the
	// commit delay, with the fast path it renders (Karpenter on-demand
	// fall-back on the notice and consolidation back to spot, for spot
	// replicas and hedges; spot-only hedges wait for spot) and Karmada's
	// failover.
	Flotilla Policy = "flotilla"
	// FlotillaDynamicHedge is flotilla with its hedges on Karmada's fast
	// path: the primaries' static division and splits as Flotilla
	// commits them, and the hedge a workload of its own whose count the
	// rebalance commits, spot only, divided by Karmada's dynamic weights
	// (available replicas) and moved by the karmada-descheduler when its
	// cluster has no spot (optimize.App.DynamicHedge).
	FlotillaDynamicHedge Policy = "flotilla-dynamic-hedge"
	// Oracle knows the future: N replicas on the cheapest capacity each
	// minute within the caps, never a replica lost to a reclaim or a
	// start-up, leaving out the most expensive minutes the objective lets
	// go. No policy can do better at the same availability.
	Oracle Policy = "oracle"
)

// AllPolicies lists the seven policies in report order: what a
// Run without Options.Policies replays.
var AllPolicies = []Policy{OnDemand, Static, Karpenter, Dynamic, SpotHedge, Flotilla, Oracle}

// WithTrials lists AllPolicies and the flotilla variants under trial
// (FlotillaDynamicHedge), each after flotilla, in report order.
func WithTrials() []Policy {
	return []Policy{OnDemand, Static, Karpenter, Dynamic, SpotHedge, Flotilla, FlotillaDynamicHedge, Oracle}
}

// Options set the replay and the model's delays. Every duration is rounded
// to whole minutes (the tick).
type Options struct {
	// Start is the replay's first minute; the zero time means the latest
	// start of the traces. Minutes is its length; 0 means until the first
	// trace ends.
	Start   time.Time
	Minutes int

	// Notice is the spot interruption notice (2 min on AWS, 30 s
	// elsewhere): a reclaimed instance serves until it ends.
	Notice time.Duration
	// NodeStartup and PodStartup are the time from launch to a node ready
	// and from there to the pod ready.
	NodeStartup, PodStartup time.Duration
	// FallbackDelay is the time Karpenter loses before launching
	// on-demand when spot has no capacity (the failed spot launch).
	FallbackDelay time.Duration
	// ConsolidateAfter is how long spot must be back before Karpenter
	// replaces on-demand nodes with spot (make before break).
	ConsolidateAfter time.Duration

	// CommitDelay is Git → Argo CD → Karmada: from a rebalance commit to
	// the new weights in effect.
	CommitDelay time.Duration
	// Surge makes the rebalance move replicas make before break: it
	// commits optimize.Surge first and the plan at the next round.
	Surge bool
	// RebalanceEvery is the schedule of `flotilla spot rebalance`.
	RebalanceEvery time.Duration
	// ForecastWindow is the history the rebalance's estimates count;
	// PriorExposure the prior of package forecast; PlanHorizon the time a
	// plan is expected to hold, over which the estimates average (past
	// the commit delay).
	ForecastWindow, PriorExposure, PlanHorizon time.Duration

	// EvictionGrace bounds a graceful eviction after failover: the old
	// replicas go when the new ones are ready, or after this.
	EvictionGrace time.Duration
	// DeschedulerInterval and UnschedulableThreshold are the
	// karmada-descheduler's (2 min and 5 min by default there).
	DeschedulerInterval, UnschedulableThreshold time.Duration

	// Overprovision is SpotHedge's extra spot replicas; SpotHedgeDetect
	// the time its controller takes to see a preemption or a failed
	// launch.
	Overprovision   int
	SpotHedgeDetect time.Duration

	// Policies to compare; all when empty.
	Policies []Policy
	// FlotillaTargets adds each flotilla policy of Policies at other
	// availability targets (every app's objective set to each), to draw
	// its cost/availability curve.
	FlotillaTargets []float64
	// TimelineApp names the app whose minute-by-minute readiness the
	// result keeps (bucketed by TimelineBucket).
	TimelineApp    string
	TimelineBucket time.Duration
	// Parallelism bounds concurrent work; 0 is GOMAXPROCS.
	Parallelism int

	// stepEveryMinute replays minute by minute (tests).
	stepEveryMinute bool
}

// DefaultOptions are the model's defaults; each is a figure documented in
// README.md.
func DefaultOptions() Options {
	return Options{
		Notice:                 2 * time.Minute,
		NodeStartup:            3 * time.Minute,
		PodStartup:             2 * time.Minute,
		FallbackDelay:          time.Minute,
		ConsolidateAfter:       5 * time.Minute,
		CommitDelay:            10 * time.Minute,
		Surge:                  true,
		RebalanceEvery:         30 * time.Minute,
		ForecastWindow:         7 * 24 * time.Hour,
		PriorExposure:          24 * time.Hour,
		PlanHorizon:            4 * time.Hour,
		EvictionGrace:          10 * time.Minute,
		DeschedulerInterval:    2 * time.Minute,
		UnschedulableThreshold: 5 * time.Minute,
		Overprovision:          1,
		SpotHedgeDetect:        time.Minute,
		TimelineBucket:         time.Hour,
	}
}

func mins(d time.Duration) int { return int((d + time.Minute/2) / time.Minute) }
