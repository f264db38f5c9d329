package crosscheck

import (
	"slices"
	"strconv"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
)

// drill checks a DrillPlan against the fleet: the clusters exist, the
// recovery cluster is not the source and sits in another region, and every
// app backs up on the source with that recovery cluster — so the recovery
// side has a read-only copy of the source's storage location to restore
// from (render writes it as <location>-from-<source>).
func (c *checker) drill(d *intent.Drill) {
	ref := intent.KindRef(v1alpha1.KindDrillPlan, "", d.Name)
	s := &d.Spec
	src := c.repo.Cluster(s.Source)
	if src == nil {
		c.add(d.Source, ref, "spec.source", "unknown cluster %q%s", s.Source, c.suggest(s.Source))
		return
	}
	if s.Failure.Type == v1alpha1.FailureSpotReclaim {
		c.spotReclaimDrill(d, src)
		return
	}
	if s.Failure.SpotReclaim != nil {
		c.add(d.Source, ref, "spec.failure.spotReclaim", "set, but the failure is %s: only a SpotReclaim failure takes nodes", orNone(string(s.Failure.Type)))
	}
	recovery := s.Recovery
	field := "spec.recovery"
	if recovery == "" {
		recovery, field = src.Spec.DRPartner, "spec.source"
		if recovery == "" {
			c.add(d.Source, ref, "spec.recovery", "not set, and source %s has no drPartner to default to", s.Source)
			return
		}
	}
	rc := c.repo.Cluster(recovery)
	switch {
	case rc == nil:
		c.add(d.Source, ref, field, "unknown recovery cluster %q%s", recovery, c.suggest(recovery))
		return
	case recovery == s.Source:
		c.add(d.Source, ref, field, "the recovery cluster is the source: a drill never restores into the cluster it recovers")
		return
	case rc.Spec.Region != "" && rc.Spec.Region == src.Spec.Region:
		c.add(d.Source, ref, field, "recovery cluster %s is in the source's region %s: a regional outage takes both", recovery, src.Spec.Region)
	}
	for i, name := range s.Apps {
		f := "spec.apps[" + strconv.Itoa(i) + "]"
		a := c.repo.App(name)
		if a == nil {
			c.add(d.Source, ref, f, "unknown app %q", name)
			continue
		}
		b := a.Spec.Backup
		if b == nil {
			c.add(d.Source, ref, f, "app %s declares no backup (spec.backup): there is nothing to restore", name)
			continue
		}
		if c.repo.BackupSkips(a, s.Source) || !c.landsOn(a, s.Source) {
			c.add(d.Source, ref, f, "app %s is not backed up on %s (its placement does not reach it, or backup skips it)", name, s.Source)
			continue
		}
		appRecovery := b.RecoveryCluster
		if appRecovery == "" {
			appRecovery = src.Spec.DRPartner
		}
		if appRecovery != recovery {
			c.add(d.Source, ref, field, "app %s recovers %s into %s, not %s: the recovery side has no read-only copy of its backups (set the app's spec.backup.recoveryCluster or the drill's spec.recovery)", name, s.Source, orNone(appRecovery), recovery)
		}
	}
	if s.Objectives.RTO.Duration <= 0 {
		c.add(d.Source, ref, "spec.objectives.rto", "must be positive")
	}
	if s.Objectives.RPO.Duration <= 0 {
		c.add(d.Source, ref, "spec.objectives.rpo", "must be positive")
	}
	for from := range s.NamespaceMapping {
		if !slices.ContainsFunc(s.Apps, func(n string) bool { a := c.repo.App(n); return a != nil && a.Spec.Namespace == from }) {
			c.add(d.Source, ref, "spec.namespaceMapping", "maps namespace %q, which none of the drill's apps uses", from)
		}
	}
}

// spotReclaimDrill checks a SpotReclaim drill: its source has capacity of
// the type it takes, and every app lands there (a drill of an app the
// reclaim cannot touch would pass without proving anything). Nothing is
// backed up or restored, so neither backup intent nor a recovery cluster
// is asked for.
func (c *checker) spotReclaimDrill(d *intent.Drill, src *intent.Cluster) {
	ref := intent.KindRef(v1alpha1.KindDrillPlan, "", d.Name)
	s := &d.Spec
	sr := s.Failure.SpotReclaim
	capType := ""
	if sr != nil {
		capType = sr.CapacityType
		if sr.Percent > 0 && sr.Count > 0 {
			c.add(d.Source, ref, "spec.failure.spotReclaim", "percent and count both set: a reclaim takes a share or a number of nodes, not both")
		}
		if sr.Notice != nil && sr.Notice.Duration <= 0 {
			c.add(d.Source, ref, "spec.failure.spotReclaim.notice", "must be positive")
		}
	}
	hasSpot := src.Spec.Capacity.Type == v1alpha1.CapacitySpot || src.Spec.Capacity.Type == v1alpha1.CapacityMixed
	if (capType == "" || capType == "spot") && !hasSpot {
		c.add(d.Source, ref, "spec.source", "cluster %s has no spot capacity (capacity.type %s): a spot reclaim would take nothing", s.Source, orNone(string(src.Spec.Capacity.Type)))
	}
	if src.Spec.Kind == v1alpha1.ClusterKindEdge {
		c.add(d.Source, ref, "spec.source", "cluster %s is an edge cluster: its nodes are sites, not capacity a cloud takes back", s.Source)
	}
	if s.Recovery != "" {
		c.add(d.Source, ref, "spec.recovery", "not used by a SpotReclaim drill: Karmada decides where the replicas go (the report says where they went)")
	}
	for i, name := range s.Apps {
		f := "spec.apps[" + strconv.Itoa(i) + "]"
		a := c.repo.App(name)
		if a == nil {
			c.add(d.Source, ref, f, "unknown app %q", name)
			continue
		}
		if !c.landsOn(a, s.Source) {
			c.add(d.Source, ref, f, "app %s does not land on %s: the reclaim would not touch it", name, s.Source)
		}
	}
	if s.Objectives.RTO.Duration <= 0 {
		c.add(d.Source, ref, "spec.objectives.rto", "must be positive")
	}
	if s.Objectives.RPO.Duration != 0 {
		c.add(d.Source, ref, "spec.objectives.rpo", "not used by a SpotReclaim drill: nothing is restored (RTO is from the notice until the apps have their required ready replicas again)")
	}
	if len(s.NamespaceMapping) > 0 || s.Backup != "" || len(s.Verify.Ready) > 0 {
		c.add(d.Source, ref, "spec", "backup, namespaceMapping and verify are not used by a SpotReclaim drill: nothing is backed up or restored")
	}
}

// landsOn says whether the app's placement can use the cluster (affinity
// and taints, as Karmada's filters).
func (c *checker) landsOn(a *intent.App, cluster string) bool {
	p := karmadaspec.Placement(&a.App)
	kc := c.karmada[cluster]
	if kc == nil {
		return false
	}
	return karmadaspec.Admits(p, kc)
}

func orNone(s string) string {
	if s == "" {
		return "no cluster"
	}
	return s
}
