// Package v1alpha1 holds the intent resources of a Flotilla control
// repository (group flotilla.io, version v1alpha1): Fleet, Cluster, App and
// EdgeGroup.
//
// They are Kubernetes-style resources so that editors, schemas and reviewers
// treat them like everything else in the repository. They are never applied
// to a cluster: `flotilla render` turns them into the Karmada, Argo CD,
// Velero and KubeEdge resources those engines consume. Fields describe
// intent, in the vocabulary of a platform team; the render package owns the
// translation into each engine's own API.
//
// The generated CRDs (crds/) are what strict loading validates against, and
// the editor JSON Schemas under schemas/ are derived from them.
//
// +kubebuilder:object:generate=true
// +groupName=flotilla.io
package v1alpha1
