package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of every intent resource.
var GroupVersion = schema.GroupVersion{Group: "flotilla.io", Version: "v1alpha1"}

// APIVersion is GroupVersion as it is written in files.
const APIVersion = "flotilla.io/v1alpha1"

// Kinds of intent, as written in the `kind` field.
const (
	KindFleet     = "Fleet"
	KindCluster   = "Cluster"
	KindApp       = "App"
	KindEdgeGroup = "EdgeGroup"
	KindDrillPlan = "DrillPlan"
)

// AddToScheme registers the intent types with a scheme. It is a function, not
// a package-level SchemeBuilder, so that no global state is mutated at init.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&Fleet{}, &Cluster{}, &App{}, &EdgeGroup{}, &DrillPlan{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
