package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EdgeGroup is a KubeEdge node group present in one or more edge clusters
// (for example the gateway nodes of every factory), with the constraints
// apps must respect to run there. It renders to a KubeEdge NodeGroup
// (apps.kubeedge.io/v1alpha1) propagated to those clusters, and to the
// overrides that steer an app's pods onto its nodes.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
type EdgeGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec describes the node group.
	Spec EdgeGroupSpec `json:"spec"`
}

// EdgeGroupSpec describes a KubeEdge node group.
type EdgeGroupSpec struct {
	// Clusters are the edge clusters holding this node group.
	// +kubebuilder:validation:MinItems=1
	Clusters []string `json:"clusters"`

	// MatchLabels selects the group's edge nodes by label (KubeEdge
	// NodeGroup spec.matchLabels).
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`

	// Nodes lists the group's edge nodes by name (KubeEdge NodeGroup
	// spec.nodes).
	// +optional
	Nodes []string `json:"nodes,omitempty"`

	// NodeCapacity is the allocatable capacity of one node of the group;
	// a pod that does not fit it cannot run there.
	NodeCapacity EdgeNodeCapacity `json:"nodeCapacity"`

	// RegistryMirror is the image registry the group's nodes pull from (a
	// mirror reachable from the factory network).
	// +kubebuilder:validation:MinLength=1
	RegistryMirror string `json:"registryMirror"`

	// Taint is the taint the group's nodes carry; apps placed on them
	// tolerate it. Defaults to node-role.kubernetes.io/edge:NoSchedule.
	// +optional
	Taint *corev1.Taint `json:"taint,omitempty"`
}

// EdgeNodeCapacity is the allocatable capacity of one edge node.
type EdgeNodeCapacity struct {
	// CPU allocatable on one node.
	CPU resource.Quantity `json:"cpu"`
	// Memory allocatable on one node.
	Memory resource.Quantity `json:"memory"`
	// Hugepages2Mi is the memory reserved at boot as 2 MiB hugepages on
	// one node (allocatable as hugepages-2Mi, apart from Memory); none
	// when unset.
	// +optional
	Hugepages2Mi *resource.Quantity `json:"hugepages-2Mi,omitempty"`
}

// DefaultEdgeTaint is the taint KubeEdge edge nodes conventionally carry.
func DefaultEdgeTaint() corev1.Taint {
	return corev1.Taint{Key: "node-role.kubernetes.io/edge", Effect: corev1.TaintEffectNoSchedule}
}

// EdgeTaint is the group's taint, or the default one.
func (g *EdgeGroup) EdgeTaint() corev1.Taint {
	if g.Spec.Taint != nil {
		return *g.Spec.Taint
	}
	return DefaultEdgeTaint()
}
