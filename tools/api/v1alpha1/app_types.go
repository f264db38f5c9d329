package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// App is one application of the fleet: its manifests, where it runs, how it
// is adapted per cluster group, and how it is backed up. It lives in
// apps/<name>/app.yaml beside its manifests.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
type App struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the app's intent.
	Spec AppSpec `json:"spec"`
}

// AppSpec is the intent for one app.
type AppSpec struct {
	// Namespace is where the app's namespaced objects live. Objects in the
	// manifests without a namespace are put here; objects naming another
	// namespace are an error.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`

	// Source locates the app's manifests.
	// +optional
	Source AppSource `json:"source,omitempty"`

	// Placement says which clusters run the app and how replicas are shared.
	Placement Placement `json:"placement"`

	// Overrides adapt the app's workloads for groups of clusters.
	// +optional
	// +listType=map
	// +listMapKey=name
	Overrides []Override `json:"overrides,omitempty"`

	// Edge is required when the placement reaches edge clusters: it names
	// the KubeEdge node groups the app runs on there.
	// +optional
	Edge *AppEdge `json:"edge,omitempty"`

	// Rollout orders this app's delivery.
	// +optional
	Rollout Rollout `json:"rollout,omitempty"`

	// Backup, when set, makes Velero back up the app's namespace on every
	// cluster it runs on.
	// +optional
	Backup *Backup `json:"backup,omitempty"`

	// Spot says whether the app may run on spot capacity and, when it
	// may, the service objective rebalancing keeps.
	// +optional
	Spot SpotTolerance `json:"spot,omitempty"`

	// Scaling scales the app's workload inside each cluster (KEDA) or by
	// time of day on the control plane (Karmada CronFederatedHPA).
	// +optional
	Scaling *AppScaling `json:"scaling,omitempty"`
}

// AppSource locates an app's manifests.
type AppSource struct {
	// Path is the folder holding the manifests, relative to apps/<name>/.
	// A folder with a kustomization.yaml is built with kustomize; any other
	// folder is read as plain YAML (every *.yaml and *.yml file, except
	// app.yaml). Defaults to "manifests".
	// +kubebuilder:default=manifests
	// +optional
	Path string `json:"path,omitempty"`
}

// ClusterSelection picks clusters by name, labels and location. All the
// criteria that are set must hold; Exclude always wins.
type ClusterSelection struct {
	// Clusters lists clusters by name.
	// +optional
	Clusters []string `json:"clusters,omitempty"`

	// Selector matches cluster labels: the Cluster's metadata.labels plus
	// the labels flotilla adds (flotilla.io/kind, flotilla.io/capacity-type,
	// flotilla.io/wave).
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`

	// Providers restricts to clusters of these providers.
	// +optional
	Providers []string `json:"providers,omitempty"`

	// Regions restricts to clusters in these regions.
	// +optional
	Regions []string `json:"regions,omitempty"`

	// Zones restricts to clusters in these zones.
	// +optional
	Zones []string `json:"zones,omitempty"`

	// Exclude removes clusters by name.
	// +optional
	Exclude []string `json:"exclude,omitempty"`
}

// IsEmpty reports whether no criterion is set.
func (s ClusterSelection) IsEmpty() bool {
	return len(s.Clusters) == 0 && s.Selector == nil && len(s.Providers) == 0 &&
		len(s.Regions) == 0 && len(s.Zones) == 0 && len(s.Exclude) == 0
}

// Placement is where an app runs. Either the inline selection or Groups is
// used, not both.
type Placement struct {
	// ClusterSelection picks the candidate clusters.
	ClusterSelection `json:",inline"`

	// Groups are ordered affinity groups (for example primary, then DR): the
	// scheduler uses the first group that can hold the app and falls back to
	// the next one when it cannot.
	// +optional
	// +listType=map
	// +listMapKey=name
	Groups []AffinityGroup `json:"groups,omitempty"`

	// Spread constrains how many distinct clusters, regions, zones or
	// providers the app spans.
	// +optional
	Spread []SpreadConstraint `json:"spread,omitempty"`

	// Tolerations let the app land on clusters with matching taints.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Replicas says how replicas are shared between the chosen clusters.
	// +optional
	Replicas ReplicaPlacement `json:"replicas,omitempty"`

	// Failover moves the app away from a cluster where it stays unhealthy.
	// +optional
	Failover *Failover `json:"failover,omitempty"`
}

// AffinityGroup is one named, ordered set of candidate clusters.
type AffinityGroup struct {
	// Name identifies the group (for example primary or dr).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32
	Name string `json:"name"`

	// ClusterSelection picks the group's clusters.
	ClusterSelection `json:",inline"`
}

// SpreadBy is the cluster property a spread constraint groups by.
// +kubebuilder:validation:Enum=cluster;region;zone;provider
type SpreadBy string

// Spread properties, as Karmada names them.
const (
	SpreadByCluster  SpreadBy = "cluster"
	SpreadByRegion   SpreadBy = "region"
	SpreadByZone     SpreadBy = "zone"
	SpreadByProvider SpreadBy = "provider"
)

// SpreadConstraint bounds the number of distinct groups an app spans.
type SpreadConstraint struct {
	// By is the cluster property to group by. Exactly one of By and Label.
	// +optional
	By SpreadBy `json:"by,omitempty"`

	// Label groups clusters by the value of this cluster label.
	// +optional
	Label string `json:"label,omitempty"`

	// Min is the least number of groups.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Min int `json:"min,omitempty"`

	// Max is the most number of groups.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Max int `json:"max,omitempty"`
}

// ReplicaMode is how replicas are shared.
// +kubebuilder:validation:Enum=Duplicated;Divided
type ReplicaMode string

// Replica modes, as Karmada names them.
const (
	ReplicasDuplicated ReplicaMode = "Duplicated"
	ReplicasDivided    ReplicaMode = "Divided"
)

// Division says how Divided replicas are split.
// +kubebuilder:validation:Enum=StaticWeights;AvailableReplicas;Aggregated
type Division string

// Divisions.
const (
	// DivisionStaticWeights splits by the Weights list.
	DivisionStaticWeights Division = "StaticWeights"
	// DivisionAvailableReplicas splits in proportion to what each cluster
	// can still hold.
	DivisionAvailableReplicas Division = "AvailableReplicas"
	// DivisionAggregated packs replicas into as few clusters as possible.
	DivisionAggregated Division = "Aggregated"
)

// ReplicaPlacement is how replicas are shared between chosen clusters.
type ReplicaPlacement struct {
	// Mode is Duplicated (every cluster runs the full replica count) or
	// Divided (the replica count is split between clusters).
	// +kubebuilder:default=Duplicated
	// +optional
	Mode ReplicaMode `json:"mode,omitempty"`

	// Division, for Divided, picks how the split is made. Defaults to
	// StaticWeights when Weights are given, AvailableReplicas otherwise.
	// +optional
	Division Division `json:"division,omitempty"`

	// Weights, for Divided by StaticWeights, give clusters their share.
	// Clusters matched by no weight get none.
	// +optional
	Weights []ClusterWeight `json:"weights,omitempty"`
}

// ClusterWeight gives the clusters it selects a share of the replicas.
type ClusterWeight struct {
	// ClusterSelection picks the clusters that get this weight.
	ClusterSelection `json:",inline"`

	// Weight is the relative share.
	// +kubebuilder:validation:Minimum=1
	Weight int64 `json:"weight"`
}

// PurgeMode is how the old copy is removed after failover.
// +kubebuilder:validation:Enum=Immediately;Graciously;Never
type PurgeMode string

// Failover moves an app away from a cluster where it stays unhealthy.
type Failover struct {
	// AfterSeconds is how long the app may be unhealthy before it is moved.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=300
	// +optional
	AfterSeconds *int32 `json:"afterSeconds,omitempty"`

	// Purge is how the old copy is removed: Immediately, Graciously (after
	// the new copy is healthy, or GracePeriodSeconds) or Never.
	// +kubebuilder:default=Graciously
	// +optional
	Purge PurgeMode `json:"purge,omitempty"`

	// GracePeriodSeconds bounds a Graciously purge.
	// +kubebuilder:validation:Minimum=1
	// +optional
	GracePeriodSeconds *int32 `json:"gracePeriodSeconds,omitempty"`
}

// Override adapts the app's workloads on a group of clusters.
type Override struct {
	// Name identifies the override (for example edge or eu).
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Target picks the clusters the override applies to.
	Target ClusterSelection `json:"target"`

	// ImageRegistry replaces the registry of every image (a pull-through
	// mirror close to the clusters).
	// +optional
	ImageRegistry string `json:"imageRegistry,omitempty"`

	// NodeSelector is merged into the pod's node selector.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations are appended to the pod's tolerations.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Containers adapt named containers.
	// +optional
	// +listType=map
	// +listMapKey=name
	Containers []ContainerOverride `json:"containers,omitempty"`
}

// ContainerOverride adapts one container of the app's workloads.
type ContainerOverride struct {
	// Name is the container's name.
	Name string `json:"name"`

	// Resources replace the container's requests and limits.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// Env sets variables (replacing a variable of the same name).
	// +optional
	Env []EnvVar `json:"env,omitempty"`
}

// EnvVar is a plain environment variable.
type EnvVar struct {
	// Name of the variable.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Value of the variable.
	Value string `json:"value"`
}

// AppEdge places an app on KubeEdge nodes of edge clusters.
type AppEdge struct {
	// Groups are the EdgeGroups whose nodes run the app. Every edge cluster
	// the placement reaches must hold one of them.
	// +kubebuilder:validation:MinItems=1
	Groups []string `json:"groups"`

	// HostNetwork declares that the app uses the host network on edge nodes
	// (gateways); without it, hostNetwork on the edge is a policy finding.
	// +optional
	HostNetwork bool `json:"hostNetwork,omitempty"`
}

// Rollout orders an app's delivery.
type Rollout struct {
	// Wave orders apps within a cluster wave: lower first. It is stamped on
	// every rendered object as the flotilla.io/rollout-wave annotation.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Wave int32 `json:"wave,omitempty"`
}

// Backup is an app's backup intent, carried out by Velero in every member
// the app runs on.
type Backup struct {
	// Schedule is a cron expression (five fields, in UTC).
	// +kubebuilder:validation:MinLength=1
	Schedule string `json:"schedule"`

	// TTL is how long each backup is kept.
	TTL metav1.Duration `json:"ttl"`

	// RPO is the recovery point objective: the most data the app may lose.
	// The schedule must fire at least this often.
	// +optional
	RPO *metav1.Duration `json:"rpo,omitempty"`

	// RecoveryCluster is where the app is restored after a disaster.
	// Defaults to the DR partner of each cluster the app runs on.
	// +optional
	RecoveryCluster string `json:"recoveryCluster,omitempty"`

	// Location is the name of the Velero BackupStorageLocation under
	// backup/locations/. Defaults to the one marked default.
	// +optional
	Location string `json:"location,omitempty"`
}

// SpotTolerance says whether an app may run on spot capacity.
type SpotTolerance struct {
	// Allowed lets the app land on spot clusters. When false, clusters whose
	// capacity type is spot are excluded from its placement.
	// +optional
	Allowed bool `json:"allowed,omitempty"`

	// Objective is the service objective `flotilla spot rebalance` keeps
	// while it moves the app's weights toward cheap capacity. Without it
	// the app is never rebalanced.
	// +optional
	Objective *SpotObjective `json:"objective,omitempty"`

	// Rebalance limits how often and for how little the app is moved.
	// +optional
	Rebalance *SpotRebalance `json:"rebalance,omitempty"`

	// Division is the app's replicas per cluster as `flotilla spot
	// rebalance` last planned them: on-demand, spot and hedge replicas. It
	// replaces placement.replicas.weights for the app's divided Deployment,
	// which flotilla then renders as up to three workloads that Karmada
	// divides by these counts: the Deployment itself (spot replicas and
	// hedges, which fall back to on-demand inside the cluster), <name>-on-
	// demand (never on a spot node) and <name>-spot-only (hedges only on
	// spot nodes). Written by rebalance; edited by hand only with care.
	// +optional
	// +listType=map
	// +listMapKey=cluster
	Division []SpotShare `json:"division,omitempty"`
}
