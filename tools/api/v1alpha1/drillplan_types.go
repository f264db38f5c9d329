package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DrillPlan declares a disaster-recovery rehearsal: back up a source
// cluster's apps with Velero, inject a failure, restore into the recovery
// cluster, verify what was restored, and measure RTO and RPO against the
// objectives. Files live under backup/drills/. `flotilla drill run` carries
// it out (previewing unless told --yes).
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
type DrillPlan struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec describes the drill.
	Spec DrillPlanSpec `json:"spec"`
}

// DrillPlanSpec describes a drill.
type DrillPlanSpec struct {
	// Source is the cluster whose backup is restored.
	// +kubebuilder:validation:MinLength=1
	Source string `json:"source"`

	// Recovery is the cluster the backup is restored into. Defaults to the
	// source's DR partner (Cluster spec.drPartner). Never the source.
	// +optional
	Recovery string `json:"recovery,omitempty"`

	// Apps are the apps whose namespaces are backed up and restored; each
	// must declare backup intent.
	// +kubebuilder:validation:MinItems=1
	Apps []string `json:"apps"`

	// NamespaceMapping restores a source namespace under another name
	// (Velero's restore namespaceMapping), e.g. to restore beside a live
	// copy.
	// +optional
	NamespaceMapping map[string]string `json:"namespaceMapping,omitempty"`

	// Backup says which backup is restored: a new one taken by the drill
	// (New, the default) or the latest completed one of the apps' Velero
	// Schedule (LatestScheduled), which measures the RPO the schedule
	// really gives.
	// +kubebuilder:validation:Enum=New;LatestScheduled
	// +optional
	Backup DrillBackup `json:"backup,omitempty"`

	// Failure is the failure injected after the backup.
	// +optional
	Failure DrillFailure `json:"failure,omitempty"`

	// Verify says what a successful restore is.
	// +optional
	Verify DrillVerify `json:"verify,omitempty"`

	// Objectives are the RTO and RPO the drill must meet.
	Objectives DrillObjectives `json:"objectives"`

	// Cleanup says what the drill removes at the end.
	// +optional
	Cleanup DrillCleanup `json:"cleanup,omitempty"`
}

// DrillBackup is which backup a drill restores.
type DrillBackup string

const (
	DrillBackupNew             DrillBackup = "New"
	DrillBackupLatestScheduled DrillBackup = "LatestScheduled"
)

// DrillFailure is the failure a drill injects.
type DrillFailure struct {
	// Type is None (restore beside a healthy source), TaintNoExecute (taint
	// the source cluster NoExecute in Karmada, as an outage looks to the
	// scheduler), StopAPIServer (stop the source's API server: local fleet
	// only) or DeleteNamespace (delete the apps' namespaces in the source).
	// Every injected failure is undone at cleanup.
	// +kubebuilder:validation:Enum=None;TaintNoExecute;StopAPIServer;DeleteNamespace
	// +optional
	Type DrillFailureType `json:"type,omitempty"`
}

// DrillFailureType names an injected failure.
type DrillFailureType string

const (
	FailureNone            DrillFailureType = "None"
	FailureTaintNoExecute  DrillFailureType = "TaintNoExecute"
	FailureStopAPIServer   DrillFailureType = "StopAPIServer"
	FailureDeleteNamespace DrillFailureType = "DeleteNamespace"
)

// DrillVerify says what a successful restore is.
type DrillVerify struct {
	// IgnoreFields are extra field paths (dot-separated, e.g.
	// "spec.clusterIP") left out of the comparison of backed-up and
	// restored objects, beside those the API server owns (uid,
	// resourceVersion, creationTimestamp, managedFields, status...).
	// +optional
	IgnoreFields []string `json:"ignoreFields,omitempty"`

	// Ready lists objects that must exist in the recovery cluster after
	// the restore, optionally with a condition True.
	// +optional
	Ready []DrillReadyCheck `json:"ready,omitempty"`
}

// DrillReadyCheck is a named readiness check.
type DrillReadyCheck struct {
	// Kind and APIVersion of the object (default apiVersion v1).
	Kind string `json:"kind"`
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// Namespace and Name of the object, after namespace mapping.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Condition, when set, must be True on the object's status.
	// +optional
	Condition string `json:"condition,omitempty"`
}

// DrillObjectives are the targets a drill measures against.
type DrillObjectives struct {
	// RTO is the longest acceptable time from the failure to a verified
	// restore.
	RTO metav1.Duration `json:"rto"`
	// RPO is the largest acceptable age of the restored backup at the
	// moment of failure.
	RPO metav1.Duration `json:"rpo"`
}

// DrillCleanup says what a drill removes when it ends.
type DrillCleanup struct {
	// RemoveRestored deletes what the drill restored into the recovery
	// cluster (default true: a rehearsal leaves the recovery site as it
	// found it).
	// +optional
	RemoveRestored *bool `json:"removeRestored,omitempty"`
	// KeepBackup keeps a backup the drill took (default false).
	// +optional
	KeepBackup bool `json:"keepBackup,omitempty"`
}
