package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Spot capacity has two speeds (DESIGN.md): in each cluster an autoscaler
// answers a reclaim within its two-minute notice, configured by what
// flotilla renders from ClusterSpot; across clusters `flotilla spot
// rebalance` moves an app's Karmada weights and hedge through Git, within
// the app's SpotObjective. The types below are the intent of both.

// SpotAutoscaler is the in-cluster autoscaler that buys a cluster's nodes.
// +kubebuilder:validation:Enum=karpenter;cluster-autoscaler;none
type SpotAutoscaler string

// Autoscalers flotilla renders for.
const (
	// AutoscalerKarpenter: Karpenter NodePools (karpenter.sh/v1), one per
	// spot pool and one on-demand fall-back pool of lower weight.
	AutoscalerKarpenter SpotAutoscaler = "karpenter"
	// AutoscalerClusterAutoscaler: the Cluster Autoscaler's priority
	// expander ConfigMap, spot node groups above on-demand ones.
	AutoscalerClusterAutoscaler SpotAutoscaler = "cluster-autoscaler"
	// AutoscalerNone: nodes are managed outside flotilla; the pools only
	// inform rebalancing and simulation.
	AutoscalerNone SpotAutoscaler = "none"
)

// ClusterSpot is a cluster's spot capacity: the pools it buys spot
// instances from, the autoscaler that buys them, and the on-demand
// capacity that takes over when spot is gone.
type ClusterSpot struct {
	// Autoscaler is the in-cluster autoscaler flotilla configures.
	Autoscaler SpotAutoscaler `json:"autoscaler"`

	// Pools are the spot capacity pools. Each pool is a set of instance
	// types in a set of zones of the cluster's region: one price and
	// interruption signal per (zone, instance type).
	// +kubebuilder:validation:MinItems=1
	// +listType=map
	// +listMapKey=name
	Pools []SpotPool `json:"pools"`

	// MinInstanceTypes is the least number of distinct instance types the
	// spot pools must offer together. Karpenter's spot-to-spot
	// consolidation needs 15; fewer types mean correlated reclaims.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:default=15
	// +optional
	MinInstanceTypes *int32 `json:"minInstanceTypes,omitempty"`

	// OnDemandFallback is the on-demand capacity that replaces reclaimed
	// spot nodes inside the cluster, without waiting for Git.
	// +optional
	OnDemandFallback *OnDemandFallback `json:"onDemandFallback,omitempty"`

	// Karpenter configures the NodePools rendered for karpenter.
	// +optional
	Karpenter *KarpenterSettings `json:"karpenter,omitempty"`
}

// SpotPool is one pool of spot capacity of a cluster.
type SpotPool struct {
	// Name identifies the pool within the cluster; the rendered NodePool
	// is named spot-<name>.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=40
	Name string `json:"name"`

	// InstanceTypes are the instance types the pool may buy (for example
	// m6i.2xlarge).
	// +kubebuilder:validation:MinItems=1
	InstanceTypes []string `json:"instanceTypes"`

	// Zones are the availability zones of the pool; each must be in the
	// cluster's region. Defaults to the cluster's zone.
	// +optional
	Zones []string `json:"zones,omitempty"`

	// NodeGroups name the pool's node groups (Auto Scaling groups) for the
	// Cluster Autoscaler, as regular expressions over node group names.
	// +optional
	NodeGroups []string `json:"nodeGroups,omitempty"`

	// MaxCPU bounds the CPU the pool may buy (the NodePool's limit).
	// +optional
	MaxCPU *resource.Quantity `json:"maxCPU,omitempty"`
}

// OnDemandFallback is the on-demand capacity behind a cluster's spot pools.
type OnDemandFallback struct {
	// InstanceTypes the fall-back may buy. Defaults to every spot pool's
	// instance types.
	// +optional
	InstanceTypes []string `json:"instanceTypes,omitempty"`

	// NodeGroups name the on-demand node groups for the Cluster
	// Autoscaler (regular expressions).
	// +optional
	NodeGroups []string `json:"nodeGroups,omitempty"`

	// MaxCPU bounds the CPU the fall-back may buy.
	// +optional
	MaxCPU *resource.Quantity `json:"maxCPU,omitempty"`
}

// KarpenterSettings configure the NodePools rendered for Karpenter.
type KarpenterSettings struct {
	// NodeClass is the name of the provider's node class (an EC2NodeClass
	// on AWS) the NodePools use; it is managed with the cluster, not by
	// flotilla.
	// +kubebuilder:default=default
	// +optional
	NodeClass string `json:"nodeClass,omitempty"`

	// DisruptionBudget is the share of a pool's nodes Karpenter may
	// disrupt at once (consolidation, drift), as a percentage.
	// +kubebuilder:validation:Pattern=`^((100|[0-9]{1,2})%|[0-9]+)$`
	// +kubebuilder:default="10%"
	// +optional
	DisruptionBudget string `json:"disruptionBudget,omitempty"`
}

// SpotObjective is an app's service objective on spot capacity: what
// rebalancing must keep while it moves replicas toward cheap capacity.
type SpotObjective struct {
	// MinReady is the number of replicas that must be ready (N) across the
	// fleet.
	// +kubebuilder:validation:Minimum=1
	MinReady int32 `json:"minReady"`

	// Availability is the share of minutes with at least MinReady replicas
	// ready that the app's spot exposure must allow, in percent (for
	// example "99.9").
	// +kubebuilder:validation:Pattern=`^(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$`
	Availability string `json:"availability"`

	// MaxClusterPercent is the largest share of the app's replicas one
	// cluster may hold.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=100
	// +optional
	MaxClusterPercent *int32 `json:"maxClusterPercent,omitempty"`

	// MaxRegionPercent is the largest share of the app's replicas one
	// region may hold.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=100
	// +optional
	MaxRegionPercent *int32 `json:"maxRegionPercent,omitempty"`

	// OnDemandFloor is the number of replicas kept on on-demand clusters
	// whatever spot costs.
	// +kubebuilder:validation:Minimum=0
	// +optional
	OnDemandFloor int32 `json:"onDemandFloor,omitempty"`

	// MaxHedge is the most extra replicas (hedges of either kind, over
	// the whole division) rebalancing may add while spot is risky.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxHedge int32 `json:"maxHedge,omitempty"`
}

// SpotShare is one cluster's part of an app's division under its spot
// objective.
type SpotShare struct {
	// Cluster is the member cluster.
	// +kubebuilder:validation:MinLength=1
	Cluster string `json:"cluster"`

	// OnDemand replicas never run on spot nodes.
	// +kubebuilder:validation:Minimum=0
	// +optional
	OnDemand int32 `json:"onDemand,omitempty"`

	// Spot replicas run on spot nodes, and on on-demand ones while the
	// cluster has no spot (its autoscaler's fall-back).
	// +kubebuilder:validation:Minimum=0
	// +optional
	Spot int32 `json:"spot,omitempty"`

	// Hedge replicas are extra (beyond minReady, outside the share caps),
	// run as spot replicas do: they cover what a reclaim elsewhere takes
	// until its replacements are ready.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Hedge int32 `json:"hedge,omitempty"`

	// HedgeSpotOnly replicas are extra too, but only ever on spot nodes:
	// cheaper where spot is often gone, and no cover while it is.
	// +kubebuilder:validation:Minimum=0
	// +optional
	HedgeSpotOnly int32 `json:"hedgeSpotOnly,omitempty"`
}

// SpotRebalance limits how often and for how little rebalancing moves an
// app: hysteresis, so prices that wobble do not churn Git.
type SpotRebalance struct {
	// MinSavingPercent is the least expected saving, in percent of the
	// app's current hourly cost, that justifies a move.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=5
	// +optional
	MinSavingPercent *int32 `json:"minSavingPercent,omitempty"`

	// MinInterval is the least time between two moves of the app.
	// +kubebuilder:default="1h"
	// +optional
	MinInterval *metav1.Duration `json:"minInterval,omitempty"`

	// MaxMovesPerDay bounds the app's moves (commits) per day.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:default=6
	// +optional
	MaxMovesPerDay *int32 `json:"maxMovesPerDay,omitempty"`
}

// AppScaling scales an app's workload inside each cluster (KEDA) or its
// template on the control plane by time of day (Karmada's
// CronFederatedHPA).
type AppScaling struct {
	// Workload is the scaled object as Kind/name (for example
	// Deployment/web). Defaults to the app's only Deployment or
	// StatefulSet.
	// +optional
	Workload string `json:"workload,omitempty"`

	// Metrics scale the workload in every member with a KEDA ScaledObject.
	// Karmada then retains the members' replica counts
	// (resourcetemplate.karmada.io/retain-replicas).
	// +optional
	Metrics *MetricScaling `json:"metrics,omitempty"`

	// Daily are time-of-day replica counts for the workload's template,
	// rendered as a Karmada CronFederatedHPA (Karmada divides the count
	// between clusters as usual). Not with Metrics: put cron triggers
	// under metrics.cron instead.
	// +optional
	// +listType=map
	// +listMapKey=name
	Daily []DailyScale `json:"daily,omitempty"`
}

// MetricScaling is a KEDA ScaledObject's intent.
type MetricScaling struct {
	// MinReplicas and MaxReplicas bound each member's copy.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// +kubebuilder:validation:Minimum=1
	MaxReplicas int32 `json:"maxReplicas"`

	// Prometheus triggers: scale on a PromQL query.
	// +optional
	Prometheus []PrometheusTrigger `json:"prometheus,omitempty"`

	// Cron triggers: a replica count within a daily window.
	// +optional
	Cron []CronTrigger `json:"cron,omitempty"`

	// FallbackReplicas is what KEDA scales to when its metrics fail three
	// times in a row: never zero for a serving app.
	// +kubebuilder:validation:Minimum=1
	FallbackReplicas int32 `json:"fallbackReplicas"`
}

// PrometheusTrigger is a KEDA prometheus trigger.
type PrometheusTrigger struct {
	// ServerAddress is the Prometheus URL in the member cluster.
	// +kubebuilder:validation:MinLength=1
	ServerAddress string `json:"serverAddress"`
	// Query is the PromQL query.
	// +kubebuilder:validation:MinLength=1
	Query string `json:"query"`
	// Threshold is the target value per replica.
	// +kubebuilder:validation:Pattern=`^[0-9]+(\.[0-9]+)?$`
	Threshold string `json:"threshold"`
}

// CronTrigger is a KEDA cron trigger.
type CronTrigger struct {
	// TimeZone is an IANA time zone (for example Europe/Berlin).
	// +kubebuilder:validation:MinLength=1
	TimeZone string `json:"timeZone"`
	// Start and End are cron expressions (five fields).
	// +kubebuilder:validation:MinLength=1
	Start string `json:"start"`
	// +kubebuilder:validation:MinLength=1
	End string `json:"end"`
	// Replicas is the count between Start and End.
	// +kubebuilder:validation:Minimum=1
	Replicas int32 `json:"replicas"`
}

// DailyScale is one rule of a CronFederatedHPA: at Schedule, set the
// workload template's replicas.
type DailyScale struct {
	// Name identifies the rule.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// Schedule is a cron expression (five fields).
	// +kubebuilder:validation:MinLength=1
	Schedule string `json:"schedule"`
	// TimeZone is an IANA time zone; defaults to UTC.
	// +optional
	TimeZone string `json:"timeZone,omitempty"`
	// Replicas is the template's replica count from Schedule on.
	// +kubebuilder:validation:Minimum=0
	Replicas int32 `json:"replicas"`
}

// KarpenterNodeClass returns the node class kind Karpenter's provider for
// a cluster provider defines: a NodePool must reference its provider's.
func KarpenterNodeClass(provider string) (group, kind string, ok bool) {
	switch provider {
	case "aws":
		return "karpenter.k8s.aws", "EC2NodeClass", true
	case "azure":
		return "karpenter.azure.com", "AKSNodeClass", true
	}
	return "", "", false
}

// KarpenterProviders are the cluster providers KarpenterNodeClass knows.
func KarpenterProviders() []string { return []string{"aws", "azure"} }
