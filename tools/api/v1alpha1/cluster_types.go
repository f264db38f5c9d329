package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Cluster is one member cluster of the fleet: where it is, what it can run,
// and how it is reached. Its metadata.labels become the labels of the
// Karmada Cluster object, so placements select on them.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec describes the cluster.
	Spec ClusterSpec `json:"spec"`
}

// ClusterKind says whether a cluster runs in a cloud region or is a KubeEdge
// edge cluster.
// +kubebuilder:validation:Enum=cloud;edge
type ClusterKind string

// Cluster kinds.
const (
	ClusterKindCloud ClusterKind = "cloud"
	ClusterKindEdge  ClusterKind = "edge"
)

// CapacityType says how the cluster's nodes are bought.
// +kubebuilder:validation:Enum=on-demand;spot;mixed
type CapacityType string

// Capacity types.
const (
	CapacityOnDemand CapacityType = "on-demand"
	CapacitySpot     CapacityType = "spot"
	CapacityMixed    CapacityType = "mixed"
)

// ClusterSpec is the intent for one member cluster.
type ClusterSpec struct {
	// ControlPlane is the Karmada control plane (Fleet.spec.controlPlanes)
	// that federates this cluster. May be omitted when the fleet has one.
	// +optional
	ControlPlane string `json:"controlPlane,omitempty"`

	// Kind is cloud or edge. Edge clusters run KubeEdge; apps reach their
	// nodes only through an EdgeGroup.
	Kind ClusterKind `json:"kind"`

	// Provider is the infrastructure provider (aws, gcp, azure, onprem, ...);
	// it becomes the Karmada Cluster's spec.provider, so spread constraints
	// and field selectors can use it.
	// +kubebuilder:validation:MinLength=1
	Provider string `json:"provider"`

	// Region is the provider region (Karmada spec.region).
	// +kubebuilder:validation:MinLength=1
	Region string `json:"region"`

	// Zone is the availability zone (Karmada spec.zone).
	// +optional
	Zone string `json:"zone,omitempty"`

	// Taints are Karmada cluster taints: only apps whose placement tolerates
	// them are scheduled here (for example, edge clusters keep cloud apps
	// out with a NoSchedule taint).
	// +optional
	Taints []corev1.Taint `json:"taints,omitempty"`

	// Capacity is what the cluster can hold. The placement preview uses it
	// as the cluster's allocatable resources when dividing replicas by
	// available capacity.
	Capacity ClusterCapacity `json:"capacity"`

	// Spot is the cluster's spot capacity: its pools, the autoscaler that
	// buys them and the on-demand fall-back. Required when the capacity
	// type is spot or mixed and the cluster's nodes are autoscaled.
	// +optional
	Spot *ClusterSpot `json:"spot,omitempty"`

	// Kernel holds the node kernel facts that workloads depend on (eBPF
	// agents need BTF).
	Kernel KernelFacts `json:"kernel"`

	// KubernetesVersion is the member's Kubernetes version (for example
	// v1.31.3).
	// +kubebuilder:validation:Pattern=`^v[0-9]+\.[0-9]+(\.[0-9]+)?$`
	KubernetesVersion string `json:"kubernetesVersion"`

	// DRPartner names the cluster this one recovers into. It must be another
	// cluster, in another region.
	// +optional
	DRPartner string `json:"drPartner,omitempty"`

	// Wave is the rollout wave: changes reach lower waves first.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Wave int32 `json:"wave,omitempty"`

	// Access says how live operations reach the cluster. It names a
	// kubeconfig context and never holds credentials.
	Access ClusterAccess `json:"access"`
}

// ClusterCapacity is the size of a cluster.
type ClusterCapacity struct {
	// Nodes is the number of worker nodes.
	// +kubebuilder:validation:Minimum=1
	Nodes int32 `json:"nodes"`

	// CPU is the total allocatable CPU.
	CPU resource.Quantity `json:"cpu"`

	// Memory is the total allocatable memory.
	Memory resource.Quantity `json:"memory"`

	// Pods is the total number of pods the cluster admits. Defaults to 110
	// per node.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Pods *int32 `json:"pods,omitempty"`

	// Type is how the nodes are bought: on-demand, spot or mixed.
	// +kubebuilder:default=on-demand
	// +optional
	Type CapacityType `json:"type,omitempty"`

	// SpotPercent is the share of capacity on spot instances (0-100). It is
	// 100 for spot clusters, 0 for on-demand ones, and required for mixed.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	SpotPercent *int32 `json:"spotPercent,omitempty"`
}

// KernelFacts are what the cluster's node kernels offer.
type KernelFacts struct {
	// Version is the node kernel version (for example 6.1.0).
	// +kubebuilder:validation:Pattern=`^[0-9]+\.[0-9]+(\.[0-9]+)?([-+.~].*)?$`
	Version string `json:"version"`

	// BTF is true when the kernel exposes BPF Type Format
	// (/sys/kernel/btf/vmlinux), which CO-RE eBPF programs need.
	// +optional
	BTF bool `json:"btf,omitempty"`
}

// SyncMode is how Karmada talks to a member cluster.
// +kubebuilder:validation:Enum=Push;Pull
type SyncMode string

// Sync modes, as Karmada names them.
const (
	SyncModePush SyncMode = "Push"
	SyncModePull SyncMode = "Pull"
)

// ClusterAccess says how the cluster is reached, without credentials.
type ClusterAccess struct {
	// Context is the kubeconfig context live operations (drills, rollout
	// checks) use for this member.
	// +kubebuilder:validation:MinLength=1
	Context string `json:"context"`

	// SyncMode is Push (Karmada reaches the member) or Pull (an agent in the
	// member reaches Karmada).
	// +kubebuilder:default=Push
	// +optional
	SyncMode SyncMode `json:"syncMode,omitempty"`

	// APIEndpoint is the member API server URL Karmada uses in Push mode.
	// The credentials live in the Secret karmada-cluster/<cluster name>,
	// which is created when the cluster is joined and never kept in Git.
	// +optional
	APIEndpoint string `json:"apiEndpoint,omitempty"`
}
