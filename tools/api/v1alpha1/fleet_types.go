package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Fleet is the repository-wide settings of a control repository: where the
// repository itself lives (Argo CD reads rendered/ from there) and which
// Karmada control planes federate its clusters. There is exactly one, in
// fleet.yaml at the repository root.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
type Fleet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the fleet's settings.
	Spec FleetSpec `json:"spec"`
}

// FleetSpec holds the settings that every rendered ApplicationSet needs.
type FleetSpec struct {
	// RepoURL is the Git URL Argo CD clones to read rendered/.
	// +kubebuilder:validation:MinLength=1
	RepoURL string `json:"repoURL"`

	// TargetRevision is the branch, tag or commit Argo CD tracks.
	// +kubebuilder:default=main
	// +optional
	TargetRevision string `json:"targetRevision,omitempty"`

	// ArgoCD says where the ApplicationSets and their Applications live.
	// +optional
	ArgoCD ArgoCDSettings `json:"argocd,omitempty"`

	// ControlPlanes are the Karmada control planes of the fleet. Every
	// Cluster belongs to exactly one; each gets its own rendered/<name>/ tree
	// and its own ApplicationSet.
	// +kubebuilder:validation:MinItems=1
	// +listType=map
	// +listMapKey=name
	ControlPlanes []ControlPlane `json:"controlPlanes"`
}

// ArgoCDSettings locate the Argo CD instance that delivers rendered/.
type ArgoCDSettings struct {
	// Namespace is where Argo CD runs and where ApplicationSets and
	// Applications are created.
	// +kubebuilder:default=argocd
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Project is the AppProject every generated Application belongs to.
	// Flotilla renders it, restricted to this repository and the fleet's
	// control planes.
	// +kubebuilder:default=fleet
	// +optional
	Project string `json:"project,omitempty"`
}

// ControlPlane is one Karmada control plane as Argo CD knows it.
type ControlPlane struct {
	// Name identifies the control plane in Cluster.spec.controlPlane and is
	// the folder name under rendered/.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=40
	Name string `json:"name"`

	// Destination is the name under which the Karmada API server is
	// registered in Argo CD (its cluster Secret). Defaults to Name.
	// +optional
	Destination string `json:"destination,omitempty"`

	// Delivery is how Argo CD delivers this control plane's apps.
	// Karmada (the default): one Application per app to the Karmada API
	// server, which propagates the workloads to the members. PerCluster:
	// one Application per app and member cluster, straight to the member
	// (registered in Argo CD under the cluster's name), holding what
	// Karmada's scheduler and override policies give that cluster —
	// rendered into rendered/<plane>/clusters/<cluster>/<app> — and rolled
	// out wave by wave (Cluster spec.wave) by the ApplicationSet's
	// RollingSync strategy.
	// +kubebuilder:validation:Enum=Karmada;PerCluster
	// +optional
	Delivery Delivery `json:"delivery,omitempty"`
}

// Delivery is how Argo CD delivers a control plane's apps.
type Delivery string

const (
	DeliveryKarmada    Delivery = "Karmada"
	DeliveryPerCluster Delivery = "PerCluster"
)

// DestinationName is the Argo CD cluster name of the control plane.
func (c ControlPlane) DestinationName() string {
	if c.Destination != "" {
		return c.Destination
	}
	return c.Name
}
