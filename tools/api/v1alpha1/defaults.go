package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaulting mirrors the +kubebuilder:default markers (a test checks that
// the CRD defaults and these functions agree) and adds the defaults that
// depend on other fields, which a schema cannot express.

// Default values.
const (
	DefaultTargetRevision   = "main"
	DefaultArgoCDNamespace  = "argocd"
	DefaultArgoCDProject    = "fleet"
	DefaultSourcePath       = "manifests"
	DefaultFailoverSeconds  = int32(300)
	DefaultPodsPerNode      = int32(110)
	DefaultSpotPercentSpot  = int32(100)
	DefaultSpotPercentOnDem = int32(0)
	// DefaultMinInstanceTypes is the diversity Karpenter needs before it
	// consolidates spot nodes into other spot nodes.
	DefaultMinInstanceTypes      = int32(15)
	DefaultKarpenterNodeClass    = "default"
	DefaultDisruptionBudget      = "10%"
	DefaultMaxSharePercent       = int32(100)
	DefaultMinSavingPercent      = int32(5)
	DefaultRebalanceInterval     = time.Hour
	DefaultMaxRebalanceMovesADay = int32(6)
)

// SetFleetDefaults fills unset Fleet fields.
func SetFleetDefaults(f *Fleet) {
	if f.Spec.TargetRevision == "" {
		f.Spec.TargetRevision = DefaultTargetRevision
	}
	if f.Spec.ArgoCD.Namespace == "" {
		f.Spec.ArgoCD.Namespace = DefaultArgoCDNamespace
	}
	if f.Spec.ArgoCD.Project == "" {
		f.Spec.ArgoCD.Project = DefaultArgoCDProject
	}
	for i := range f.Spec.ControlPlanes {
		if f.Spec.ControlPlanes[i].Delivery == "" {
			f.Spec.ControlPlanes[i].Delivery = DeliveryKarmada
		}
	}
}

// SetClusterDefaults fills unset Cluster fields.
func SetClusterDefaults(c *Cluster) {
	if c.Spec.Capacity.Type == "" {
		c.Spec.Capacity.Type = CapacityOnDemand
	}
	if c.Spec.Capacity.SpotPercent == nil {
		switch c.Spec.Capacity.Type {
		case CapacitySpot:
			v := DefaultSpotPercentSpot
			c.Spec.Capacity.SpotPercent = &v
		case CapacityOnDemand:
			v := DefaultSpotPercentOnDem
			c.Spec.Capacity.SpotPercent = &v
		}
	}
	if c.Spec.Capacity.Pods == nil {
		v := c.Spec.Capacity.Nodes * DefaultPodsPerNode
		c.Spec.Capacity.Pods = &v
	}
	if c.Spec.Access.SyncMode == "" {
		c.Spec.Access.SyncMode = SyncModePush
	}
	if sp := c.Spec.Spot; sp != nil {
		if sp.MinInstanceTypes == nil {
			v := DefaultMinInstanceTypes
			sp.MinInstanceTypes = &v
		}
		if k := sp.Karpenter; k != nil {
			if k.NodeClass == "" {
				k.NodeClass = DefaultKarpenterNodeClass
			}
			if k.DisruptionBudget == "" {
				k.DisruptionBudget = DefaultDisruptionBudget
			}
		}
	}
}

// SetAppDefaults fills unset App fields.
func SetAppDefaults(a *App) {
	if a.Spec.Source.Path == "" {
		a.Spec.Source.Path = DefaultSourcePath
	}
	r := &a.Spec.Placement.Replicas
	if r.Mode == "" {
		r.Mode = ReplicasDuplicated
	}
	if r.Mode == ReplicasDivided && r.Division == "" {
		if len(r.Weights) > 0 {
			r.Division = DivisionStaticWeights
		} else {
			r.Division = DivisionAvailableReplicas
		}
	}
	if o := a.Spec.Spot.Objective; o != nil {
		for _, p := range []**int32{&o.MaxClusterPercent, &o.MaxRegionPercent} {
			if *p == nil {
				v := DefaultMaxSharePercent
				*p = &v
			}
		}
	}
	if rb := a.Spec.Spot.Rebalance; rb != nil {
		if rb.MinSavingPercent == nil {
			v := DefaultMinSavingPercent
			rb.MinSavingPercent = &v
		}
		if rb.MinInterval == nil {
			rb.MinInterval = &metav1.Duration{Duration: DefaultRebalanceInterval}
		}
		if rb.MaxMovesPerDay == nil {
			v := DefaultMaxRebalanceMovesADay
			rb.MaxMovesPerDay = &v
		}
	}
	if f := a.Spec.Placement.Failover; f != nil {
		if f.AfterSeconds == nil {
			v := DefaultFailoverSeconds
			f.AfterSeconds = &v
		}
		if f.Purge == "" {
			f.Purge = "Graciously"
		}
	}
}

// SetEdgeGroupDefaults fills unset EdgeGroup fields.
func SetEdgeGroupDefaults(g *EdgeGroup) {
	if g.Spec.Taint == nil {
		t := DefaultEdgeTaint()
		g.Spec.Taint = &t
	}
}

// SetDrillPlanDefaults fills unset DrillPlan fields. The recovery cluster
// is left to the loader, which knows the source's DR partner.
func SetDrillPlanDefaults(d *DrillPlan) {
	if d.Spec.Failure.Type == FailureSpotReclaim {
		// Nothing is backed up or restored: the Velero defaults stay unset.
		if d.Spec.Failure.SpotReclaim == nil {
			d.Spec.Failure.SpotReclaim = &SpotReclaimFailure{}
		}
		if d.Spec.Failure.SpotReclaim.CapacityType == "" {
			d.Spec.Failure.SpotReclaim.CapacityType = "spot"
		}
		if d.Spec.Failure.SpotReclaim.Notice == nil {
			d.Spec.Failure.SpotReclaim.Notice = &metav1.Duration{Duration: DefaultSpotNotice}
		}
		return
	}
	if d.Spec.Backup == "" {
		d.Spec.Backup = DrillBackupNew
	}
	if d.Spec.Failure.Type == "" {
		d.Spec.Failure.Type = FailureNone
	}
	if d.Spec.Cleanup.RemoveRestored == nil {
		t := true
		d.Spec.Cleanup.RemoveRestored = &t
	}
}
