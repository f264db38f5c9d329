package sim

import "time"

// Result is one replay of every policy over the same traces.
type Result struct {
	// Start and Minutes are the replay's span; Days its length.
	Start   time.Time `json:"start"`
	Minutes int       `json:"minutes"`
	Days    float64   `json:"days"`
	Apps    int       `json:"apps"`
	// Model holds the delays used, in minutes, for the report.
	Model Model `json:"model"`
	// Policies holds one result per policy, in report order.
	Policies []PolicyResult `json:"policies"`
	// Frontier is the oracle's cost at each availability: the lowest
	// cost at which N replicas of every app are ready that share of the
	// minutes, with the objectives' caps.
	Frontier []FrontierPoint `json:"frontier"`
	// Timeline is one app's readiness under each policy.
	Timeline *Timeline `json:"timeline,omitempty"`
}

// Model are the delays of the replay, in minutes.
type Model struct {
	Notice           int `json:"noticeMinutes"`
	Startup          int `json:"startupMinutes"`
	FallbackDelay    int `json:"fallbackDelayMinutes"`
	ConsolidateAfter int `json:"consolidateAfterMinutes"`
	CommitDelay      int `json:"commitDelayMinutes"`
	RebalanceEvery   int `json:"rebalanceEveryMinutes"`
	EvictionGrace    int `json:"evictionGraceMinutes"`
}

// PolicyResult is a policy's figures summed over every app.
type PolicyResult struct {
	Policy Policy `json:"policy"`
	// Cost is USD over the replay; CostVsOnDemand its ratio to the
	// on-demand policy's; Saving 1 − that ratio.
	Cost           float64 `json:"costUSD"`
	CostVsOnDemand float64 `json:"costVsOnDemand"`
	Saving         float64 `json:"saving"`
	// OracleSavingShare is the policy's saving as a share of the
	// oracle's (at the objectives' targets).
	OracleSavingShare float64 `json:"oracleSavingShare"`
	// ReplicaMinutes is N times the minutes, over the apps;
	// ReplicaMinutesLost the replica-minutes below N, LostShare their
	// share.
	ReplicaMinutes     int64   `json:"replicaMinutes"`
	ReplicaMinutesLost int64   `json:"replicaMinutesLost"`
	LostShare          float64 `json:"lostShare"`
	// AppMinutes is the minutes times the apps; MinutesBelowN those with
	// fewer than N ready; ReadyShare the rest's share, WorstAppReadyShare
	// the lowest of one app.
	AppMinutes         int64   `json:"appMinutes"`
	MinutesBelowN      int64   `json:"minutesBelowN"`
	ReadyShare         float64 `json:"readyShare"`
	WorstAppReadyShare float64 `json:"worstAppReadyShare"`
	// Interruptions are the reclaims that hit an app's replicas; Absorbed
	// those after which N stayed ready through notice and start-up.
	Interruptions int `json:"interruptions"`
	Absorbed      int `json:"absorbed"`
	// Commits are rebalance commits (one per round that changes any app);
	// CommitsPerDay per day of replay.
	Commits       int     `json:"commits"`
	CommitsPerDay float64 `json:"commitsPerDay"`
	// Moves are replicas moved between clusters by the control loop
	// (commits, failover, descheduler, SpotHedge's placer), per day.
	MovesPerDay float64 `json:"movesPerDay"`
	// Failovers are Karmada application failovers.
	Failovers int `json:"failovers"`
	// MinutesOverCaps are app-minutes with more ready replicas in a
	// cluster or region than the objective's caps allow.
	MinutesOverCaps int64 `json:"minutesOverCaps"`
	// CostBreakdown is Cost by the kind of replica and capacity, each as
	// a share of the on-demand policy's cost.
	CostBreakdown CostBreakdown `json:"costBreakdown"`
	// HedgeReadyShare is the hedge replica-minutes ready over those
	// wanted (1 without hedges); MinutesBelowNHedgeDown the app-minutes
	// below N with fewer hedges ready than wanted; ReclaimsWithHedge the
	// reclaims that took one of the N and a hedge replica at once.
	HedgeReadyShare        float64 `json:"hedgeReadyShare"`
	MinutesBelowNHedgeDown int64   `json:"minutesBelowNHedgeDown"`
	ReclaimsWithHedge      int     `json:"reclaimsWithHedge"`
	// OracleAtReadyShare is the oracle's cost at this policy's own
	// availability, app by app: what perfect foresight pays for the same
	// minutes of N ready.
	OracleAtReadyShare float64 `json:"oracleAtReadyShareUSD"`
	// Apps are the per-app figures.
	Apps []AppResult `json:"-"`
}

// CostBreakdown is a policy's cost by what runs where, as shares of the
// on-demand policy's cost.
type CostBreakdown struct {
	// PinnedOnDemand: replicas pinned to on-demand (SpotHedge's
	// on-demand replicas too).
	PinnedOnDemand float64 `json:"pinnedOnDemand"`
	// PrimarySpot and PrimaryOnDemand: the N on spot, and on on-demand
	// for want of spot (the fall-back).
	PrimarySpot     float64 `json:"primarySpot"`
	PrimaryOnDemand float64 `json:"primaryOnDemand"`
	// HedgeSpot and HedgeOnDemand: the hedges, likewise.
	HedgeSpot     float64 `json:"hedgeSpot"`
	HedgeOnDemand float64 `json:"hedgeOnDemand"`
}

// AppResult is one app's figures under one policy.
type AppResult struct {
	App        string
	Cost       float64
	ReadyShare float64
	Lost       int64
	// OracleCapped and OracleRelaxed are the oracle's cost at this
	// availability, with the objective's caps and without.
	OracleCapped, OracleRelaxed float64
	OverCaps                    int64
}

// FrontierPoint is the oracle's cost at one availability.
type FrontierPoint struct {
	ReadyShare     float64 `json:"readyShare"`
	CostVsOnDemand float64 `json:"costVsOnDemand"`
}

// Timeline is one app's readiness per bucket under each policy.
type Timeline struct {
	App           string           `json:"app"`
	Replicas      int              `json:"replicas"`
	BucketMinutes int              `json:"bucketMinutes"`
	Series        []TimelineSeries `json:"series"`
}

// TimelineSeries is one policy's buckets: the fewest ready replicas, the
// mean, and the share of ready replicas on spot.
type TimelineSeries struct {
	Policy    Policy    `json:"policy"`
	MinReady  []int     `json:"minReady"`
	MeanReady []float64 `json:"meanReady"`
	SpotShare []float64 `json:"spotShare"`
}
