package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DrillPlan declares a disaster-recovery rehearsal: back up a source
// cluster's apps with Velero, inject a failure, restore into the recovery
// cluster, verify what was restored, and measure RTO and RPO against the
// objectives. Files live under backup/drills/. `flotilla drill run` carries
// it out (previewing unless told --yes).
//
// A SpotReclaim drill rehearses a loss of capacity instead of data: the
// source's spot nodes are taken back as a cloud takes them, nothing is
// backed up or restored, and the drill measures how long the apps take to
// have their required ready replicas again and where those replicas went.
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
	// Source is the cluster whose backup is restored (SpotReclaim: the
	// cluster whose capacity is taken).
	// +kubebuilder:validation:MinLength=1
	Source string `json:"source"`

	// Recovery is the cluster the backup is restored into. Defaults to the
	// source's DR partner (Cluster spec.drPartner). Never the source.
	// Unused by SpotReclaim (Karmada decides where replicas go).
	// +optional
	Recovery string `json:"recovery,omitempty"`

	// Apps are the apps whose namespaces are backed up and restored; each
	// must declare backup intent. SpotReclaim: the apps whose ready
	// replicas are watched (each app's spot.objective.minReady is what it
	// requires; without one, all of its replicas).
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
	// SpotReclaim (take the source's spot nodes as a cloud takes spot
	// capacity back: notice, evictions, termination; see spotReclaim)
	// rehearses a capacity loss without backup or restore.
	// Every injected failure is undone at cleanup.
	// +kubebuilder:validation:Enum=None;TaintNoExecute;StopAPIServer;DeleteNamespace;SpotReclaim
	// +optional
	Type DrillFailureType `json:"type,omitempty"`

	// SpotReclaim says which nodes a SpotReclaim failure takes and with
	// how much notice.
	// +optional
	SpotReclaim *SpotReclaimFailure `json:"spotReclaim,omitempty"`
}

// SpotReclaimFailure is the capacity a SpotReclaim drill takes from its
// source: nodes of one capacity type, by count or share, each given the
// interruption notice (Karpenter's disrupted taint and a SpotInterruption
// condition), its pods evicted through the Eviction API while the notice
// lasts, then terminated. Local fleet only: its nodes are what flotilla
// created.
type SpotReclaimFailure struct {
	// CapacityType of the nodes taken, by their karpenter.sh/capacity-type
	// label: spot (the default), on-demand, or any (every node of the
	// cluster: its whole capacity lost, as in a zone or region outage).
	// +kubebuilder:validation:Enum=spot;on-demand;any
	// +optional
	CapacityType string `json:"capacityType,omitempty"`
	// Percent of the matching nodes taken (rounded up); Count takes that
	// many instead. Neither: all of them.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	Percent int32 `json:"percent,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +optional
	Count int32 `json:"count,omitempty"`
	// Notice is how long the nodes live after the interruption notice
	// (default 2m, what AWS gives).
	// +optional
	Notice *metav1.Duration `json:"notice,omitempty"`
}

// DrillFailureType names an injected failure.
type DrillFailureType string

const (
	FailureNone            DrillFailureType = "None"
	FailureTaintNoExecute  DrillFailureType = "TaintNoExecute"
	FailureStopAPIServer   DrillFailureType = "StopAPIServer"
	FailureDeleteNamespace DrillFailureType = "DeleteNamespace"
	FailureSpotReclaim     DrillFailureType = "SpotReclaim"
)

// DefaultSpotNotice is the notice a SpotReclaim gives unless told: what
// AWS gives a spot instance before it takes it back.
const DefaultSpotNotice = 2 * time.Minute

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
	// moment of failure. Required but for SpotReclaim, which restores
	// nothing (there RTO is from the notice until every app has its
	// required ready replicas again).
	// +optional
	RPO metav1.Duration `json:"rpo,omitempty"`
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
