package plan

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/report"
)

// Side is one revision of the repository as the fleet will see it.
type Side struct {
	// Label names the revision for people: "main (1a2b3c4)", "working tree".
	Label string
	// Clusters are the member clusters' facts, sorted by name.
	Clusters []Cluster
	// Objects are every rendered object that is applied somewhere, keyed
	// by Key.
	Objects map[string]*Object
	// Findings are the policy findings of this side; nil when the plan
	// does not lint.
	Findings []report.Finding
	// Apps limits the side to these apps (the changed-only fast path):
	// objects of other apps and platform objects are absent on purpose.
	// Nil means the whole repository.
	Apps []string
}

// Cluster is what a plan needs to know of a member cluster.
type Cluster struct {
	Name         string `json:"name"`
	Wave         int32  `json:"wave"`
	Kind         string `json:"kind"`
	CapacityType string `json:"capacityType,omitempty"`
	Region       string `json:"region,omitempty"`
	ControlPlane string `json:"controlPlane,omitempty"`
	// DRPartner is the cluster this one fails over to.
	DRPartner string `json:"drPartner,omitempty"`
}

// Object is one rendered object and where it lands.
type Object struct {
	// Scope is where the object itself is applied: a Karmada control
	// plane's name, or ScopeArgoCD.
	Scope string
	Ref   string // Kind/ns/name
	App   string // "" for platform objects
	// Source is the intent or manifest to edit, as file:line.
	Source string
	// FieldSource, when set, is the file:line of a field of the object
	// (a semdiff path) in its manifest or intent, "" when unknown: a
	// change is shown at the line of its first changed field.
	FieldSource func(path string) string
	// Template is the object as applied to Scope.
	Template *unstructured.Unstructured
	// Replicas is the replica count Karmada divides or duplicates (0 when
	// it does not: ConfigMaps, DaemonSets...). Divided says how.
	Replicas int32
	Divided  bool
	// Members are the member clusters the object lands on, sorted by
	// cluster name, each with the object as it lands there.
	Members []Member
}

// Member is an object as it lands on one member cluster.
type Member struct {
	Cluster string
	// Replicas on this cluster (for objects with Replicas > 0).
	Replicas int32
	// Object is the template with the cluster's overrides applied and, for
	// divided workloads, the cluster's share of replicas. Clusters with
	// equal variants share one pointer.
	Object *unstructured.Unstructured
}

// ScopeArgoCD is the scope of Argo CD's objects (ApplicationSets,
// AppProject), applied where Argo CD runs.
const ScopeArgoCD = "argocd"

// Key identifies an object across both sides.
func Key(scope, ref string) string { return scope + "|" + ref }
