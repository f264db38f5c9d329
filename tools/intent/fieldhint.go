package intent

import (
	"reflect"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/internal/suggest"
)

// intentTypes are the Go types of the intent kinds, whose JSON field
// names are what an unknown field is compared with.
var intentTypes = map[string]reflect.Type{
	v1alpha1.KindFleet:      reflect.TypeFor[v1alpha1.Fleet](),
	v1alpha1.KindCluster:    reflect.TypeFor[v1alpha1.Cluster](),
	v1alpha1.KindApp:        reflect.TypeFor[v1alpha1.App](),
	v1alpha1.KindEdgeGroup:  reflect.TypeFor[v1alpha1.EdgeGroup](),
	v1alpha1.KindDrillPlan:  reflect.TypeFor[v1alpha1.DrillPlan](),
	"BackupStorageLocation": reflect.TypeFor[velerov1.BackupStorageLocation](),
}

// fieldHint is " (did you mean "region"?)" for an unknown field path
// ("spec.regoin", "spec.spot.pools[0].zonez") of kind, by the kind's Go
// type.
func fieldHint(kind, path string) string {
	t, ok := intentTypes[kind]
	if !ok {
		return ""
	}
	return suggest.FieldOf(t, path)
}
