package crosscheck

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	"github.com/robfig/cron/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/internal/suggest"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
)

// Check returns every cross-file problem of the repository, sorted.
func Check(repo *intent.Repo) diag.List {
	c := newChecker(repo)
	c.fleet()
	for _, cl := range repo.Clusters {
		c.cluster(cl)
	}
	for _, g := range repo.EdgeGroups {
		c.edgeGroup(g)
	}
	c.locations()
	for _, a := range repo.Apps {
		c.app(a)
	}
	for _, d := range repo.Drills {
		c.drill(d)
	}
	return c.errs.Sort()
}

type checker struct {
	repo *intent.Repo
	errs diag.List
	// karmada holds the Karmada Cluster object of every cluster, by name.
	karmada    map[string]*clusterv1alpha1.Cluster
	ordered    []*clusterv1alpha1.Cluster
	labelKeys  sets.Set[string]
	labelPairs sets.Set[string]
	providers  sets.Set[string]
	regions    sets.Set[string]
	zones      sets.Set[string]
}

func newChecker(repo *intent.Repo) *checker {
	c := &checker{
		repo: repo, karmada: map[string]*clusterv1alpha1.Cluster{},
		labelKeys: sets.New[string](), labelPairs: sets.New[string](),
		providers: sets.New[string](), regions: sets.New[string](), zones: sets.New[string](),
	}
	for _, cl := range repo.Clusters {
		kc := karmadaspec.Cluster(&cl.Cluster)
		c.karmada[cl.Name] = kc
		c.ordered = append(c.ordered, kc)
		for k, v := range kc.Labels {
			c.labelKeys.Insert(k)
			c.labelPairs.Insert(k + "=" + v)
		}
		c.providers.Insert(cl.Spec.Provider)
		c.regions.Insert(cl.Spec.Region)
		if cl.Spec.Zone != "" {
			c.zones.Insert(cl.Spec.Zone)
		}
	}
	return c
}

func (c *checker) add(src intent.Source, ref, field, format string, args ...any) {
	e := src.Err(field, format, args...).(*diag.Error)
	e.Object = ref
	c.errs = append(c.errs, e)
}

func (c *checker) fleet() {
	f := c.repo.Fleet
	if f == nil {
		return
	}
	planes := sets.New[string]()
	for _, p := range f.Spec.ControlPlanes {
		planes.Insert(p.Name)
	}
	for _, cl := range c.repo.Clusters {
		ref := intent.KindRef(v1alpha1.KindCluster, "", cl.Name)
		switch {
		case cl.Spec.ControlPlane == "" && len(f.Spec.ControlPlanes) > 1:
			c.add(cl.Source, ref, "spec.controlPlane", "required: the fleet has %d control planes (%s)", len(f.Spec.ControlPlanes), strings.Join(sets.List(planes), ", "))
		case cl.Spec.ControlPlane != "" && !planes.Has(cl.Spec.ControlPlane):
			c.add(cl.Source, ref, "spec.controlPlane", "unknown control plane %q (fleet.yaml declares: %s)", cl.Spec.ControlPlane, strings.Join(sets.List(planes), ", "))
		}
	}
}

func (c *checker) cluster(cl *intent.Cluster) {
	ref := intent.KindRef(v1alpha1.KindCluster, "", cl.Name)
	if p := cl.Spec.DRPartner; p != "" {
		partner := c.repo.Cluster(p)
		switch {
		case p == cl.Name:
			c.add(cl.Source, ref, "spec.drPartner", "a cluster cannot be its own DR partner")
		case partner == nil:
			c.add(cl.Source, ref, "spec.drPartner", "unknown cluster %q%s", p, c.suggest(p))
		case partner.Spec.Region == cl.Spec.Region:
			c.add(cl.Source, ref, "spec.drPartner", "DR partner %q is in the same region (%s): a regional outage would take both", p, cl.Spec.Region)
		}
	}
	capy := cl.Spec.Capacity
	if capy.Type == v1alpha1.CapacityMixed && capy.SpotPercent == nil {
		c.add(cl.Source, ref, "spec.capacity.spotPercent", "required when capacity type is mixed")
	}
	if capy.SpotPercent != nil {
		switch {
		case capy.Type == v1alpha1.CapacitySpot && *capy.SpotPercent != 100:
			c.add(cl.Source, ref, "spec.capacity.spotPercent", "must be 100 for a spot cluster (use type mixed for a share)")
		case capy.Type == v1alpha1.CapacityOnDemand && *capy.SpotPercent != 0:
			c.add(cl.Source, ref, "spec.capacity.spotPercent", "must be 0 for an on-demand cluster (use type mixed for a share)")
		}
	}
	if capy.CPU.Sign() <= 0 {
		c.add(cl.Source, ref, "spec.capacity.cpu", "must be positive")
	}
	c.clusterSpot(cl, ref)
	if capy.Memory.Sign() <= 0 {
		c.add(cl.Source, ref, "spec.capacity.memory", "must be positive")
	}
}

func (c *checker) edgeGroup(g *intent.EdgeGroup) {
	ref := intent.KindRef(v1alpha1.KindEdgeGroup, "", g.Name)
	for i, name := range g.Spec.Clusters {
		field := fmt.Sprintf("spec.clusters[%d]", i)
		cl := c.repo.Cluster(name)
		switch {
		case cl == nil:
			c.add(g.Source, ref, field, "unknown cluster %q%s", name, c.suggest(name))
		case cl.Spec.Kind != v1alpha1.ClusterKindEdge:
			c.add(g.Source, ref, field, "cluster %q is a %s cluster: edge groups live in edge clusters", name, cl.Spec.Kind)
		}
	}
	if len(g.Spec.MatchLabels) == 0 && len(g.Spec.Nodes) == 0 {
		c.add(g.Source, ref, "spec", "set matchLabels or nodes: a node group with neither holds no node")
	}
	if g.Spec.NodeCapacity.CPU.Sign() <= 0 {
		c.add(g.Source, ref, "spec.nodeCapacity.cpu", "must be positive")
	}
	if g.Spec.NodeCapacity.Memory.Sign() <= 0 {
		c.add(g.Source, ref, "spec.nodeCapacity.memory", "must be positive")
	}
}

func (c *checker) locations() {
	var defaults []*intent.Location
	for _, l := range c.repo.Locations {
		ref := intent.KindRef("BackupStorageLocation", l.Namespace, l.Name)
		if l.Namespace != "" && l.Namespace != "velero" {
			c.add(l.Source, ref, "metadata.namespace", "must be velero (or left out): Velero reads its locations from its own namespace")
		}
		if l.Spec.Default {
			defaults = append(defaults, l)
		}
	}
	for _, l := range defaults[min(1, len(defaults)):] {
		c.add(l.Source, intent.KindRef("BackupStorageLocation", l.Namespace, l.Name), "spec.default", "only one storage location can be the default (also: %s)", defaults[0].Name)
	}
}

// suggest returns " (did you mean X?)" for a close cluster name.
func (c *checker) suggest(name string) string {
	names := make([]string, len(c.repo.Clusters))
	for i, cl := range c.repo.Clusters {
		names[i] = cl.Name
	}
	return suggest.DidYouMean(name, names)
}

// selection checks the references of one cluster selection at field.
func (c *checker) selection(src intent.Source, ref, field string, s v1alpha1.ClusterSelection) {
	for i, n := range s.Clusters {
		if c.repo.Cluster(n) == nil {
			c.add(src, ref, fmt.Sprintf("%s.clusters[%d]", field, i), "unknown cluster %q%s", n, c.suggest(n))
		}
	}
	for i, n := range s.Exclude {
		if c.repo.Cluster(n) == nil {
			c.add(src, ref, fmt.Sprintf("%s.exclude[%d]", field, i), "unknown cluster %q%s", n, c.suggest(n))
		}
	}
	for _, f := range []struct {
		name   string
		values []string
		known  sets.Set[string]
	}{{"providers", s.Providers, c.providers}, {"regions", s.Regions, c.regions}, {"zones", s.Zones, c.zones}} {
		for i, v := range f.values {
			if !f.known.Has(v) {
				c.add(src, ref, fmt.Sprintf("%s.%s[%d]", field, f.name, i), "no cluster is in %s %q (known: %s)", strings.TrimSuffix(f.name, "s"), v, strings.Join(sets.List(f.known), ", "))
			}
		}
	}
	if s.Selector != nil {
		c.selector(src, ref, field+".selector", s.Selector)
	}
}

// selector reports label keys and pairs no cluster carries. NotIn and
// DoesNotExist on an unknown key are legitimate, so only positive
// requirements are checked.
func (c *checker) selector(src intent.Source, ref, field string, sel *metav1.LabelSelector) {
	if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
		c.add(src, ref, field, "invalid selector: %v", err)
		return
	}
	keys := make([]string, 0, len(sel.MatchLabels))
	for k := range sel.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := sel.MatchLabels[k]
		f := fmt.Sprintf("%s.matchLabels[%s]", field, k)
		switch {
		case !c.labelKeys.Has(k):
			c.add(src, ref, f, "no cluster has the label %q", k)
		case !c.labelPairs.Has(k + "=" + v):
			c.add(src, ref, f, "no cluster has the label %s=%s", k, v)
		}
	}
	for i, e := range sel.MatchExpressions {
		f := fmt.Sprintf("%s.matchExpressions[%d]", field, i)
		if e.Operator != metav1.LabelSelectorOpIn && e.Operator != metav1.LabelSelectorOpExists {
			continue
		}
		if !c.labelKeys.Has(e.Key) {
			c.add(src, ref, f+".key", "no cluster has the label %q", e.Key)
			continue
		}
		if e.Operator == metav1.LabelSelectorOpIn && !slices.ContainsFunc(e.Values, func(v string) bool { return c.labelPairs.Has(e.Key + "=" + v) }) {
			c.add(src, ref, f+".values", "no cluster has the label %s with any of: %s", e.Key, strings.Join(e.Values, ", "))
		}
	}
}

func (c *checker) app(a *intent.App) {
	ref := intent.KindRef(v1alpha1.KindApp, "", a.Name)
	p := a.Spec.Placement
	placement := karmadaspec.Placement(&a.App)

	// References first: an unknown name would make "selects nothing" noise.
	before := len(c.errs)
	hasInline := !p.ClusterSelection.IsEmpty()
	if hasInline && len(p.Groups) > 0 {
		c.add(a.Source, ref, "spec.placement.groups", "use either groups or the inline selection (clusters, selector, providers, regions, zones, exclude), not both")
	}
	c.selection(a.Source, ref, "spec.placement", p.ClusterSelection)
	for i, g := range p.Groups {
		c.selection(a.Source, ref, fmt.Sprintf("spec.placement.groups[%d]", i), g.ClusterSelection)
	}
	for i, w := range p.Replicas.Weights {
		c.selection(a.Source, ref, fmt.Sprintf("spec.placement.replicas.weights[%d]", i), w.ClusterSelection)
	}
	for i, o := range a.Spec.Overrides {
		c.selection(a.Source, ref, fmt.Sprintf("spec.overrides[%d].target", i), o.Target)
	}

	// Candidates: what affinity and taints allow (per group, if any).
	var candidates []*clusterv1alpha1.Cluster
	if len(placement.ClusterAffinities) > 0 {
		seen := sets.New[string]()
		for i := range placement.ClusterAffinities {
			term := &placement.ClusterAffinities[i]
			got := karmadaspec.Candidates(c.ordered, &term.ClusterAffinity, placement.ClusterTolerations)
			if len(got) == 0 && len(c.errs) == before {
				c.add(a.Source, ref, fmt.Sprintf("spec.placement.groups[%d]", i), "group %q selects no cluster%s", term.AffinityName, c.whyNone(&term.ClusterAffinity, placement.ClusterTolerations, a))
			}
			for _, kc := range got {
				if !seen.Has(kc.Name) {
					seen.Insert(kc.Name)
					candidates = append(candidates, kc)
				}
			}
		}
	} else {
		candidates = karmadaspec.Candidates(c.ordered, placement.ClusterAffinity, placement.ClusterTolerations)
		if len(candidates) == 0 && len(c.errs) == before {
			c.add(a.Source, ref, "spec.placement", "the placement selects no cluster%s", c.whyNone(placement.ClusterAffinity, placement.ClusterTolerations, a))
		}
	}
	c.replicas(a, ref, candidates)
	c.spread(a, ref)
	c.appSpot(a, ref, candidates)
	if len(candidates) > 0 {
		// Edge and backup findings about an app that lands nowhere would
		// only repeat the placement error.
		c.edge(a, ref, candidates)
		c.backup(a, ref, candidates)
	}
}

// whyNone explains an empty candidate set: affinity matched nothing, or
// every matching cluster has an untolerated taint.
func (c *checker) whyNone(aff *policyv1alpha1.ClusterAffinity, tol []corev1.Toleration, a *intent.App) string {
	var tainted []string
	for _, kc := range c.ordered {
		if !karmadaspec.Matches(kc, aff) {
			continue
		}
		if ok, t := karmadaspec.Tolerates(kc, tol); !ok {
			tainted = append(tainted, fmt.Sprintf("%s has taint %s:%s", kc.Name, t.Key, t.Effect))
		}
	}
	if len(tainted) > 0 {
		return ": every matching cluster has a taint the app does not tolerate (" + strings.Join(tainted, "; ") + ")"
	}
	if !a.Spec.Spot.Allowed {
		for _, kc := range c.ordered {
			if kc.Labels[karmadaspec.LabelCapacityType] == string(v1alpha1.CapacitySpot) && karmadaspec.Matches(kc, withoutNoSpot(aff)) {
				return " (spot clusters are excluded unless spec.spot.allowed is true)"
			}
		}
	}
	return ""
}

// withoutNoSpot drops the requirement flotilla adds to keep apps off spot
// clusters, to ask whether a spot cluster would otherwise match.
func withoutNoSpot(a *policyv1alpha1.ClusterAffinity) *policyv1alpha1.ClusterAffinity {
	if a == nil || a.LabelSelector == nil {
		return a
	}
	cp := a.DeepCopy()
	cp.LabelSelector.MatchExpressions = slices.DeleteFunc(cp.LabelSelector.MatchExpressions, func(r metav1.LabelSelectorRequirement) bool {
		return r.Key == karmadaspec.LabelCapacityType && r.Operator == metav1.LabelSelectorOpNotIn
	})
	return cp
}

func (c *checker) replicas(a *intent.App, ref string, candidates []*clusterv1alpha1.Cluster) {
	r := a.Spec.Placement.Replicas
	switch {
	case r.Mode == v1alpha1.ReplicasDuplicated && len(r.Weights) > 0:
		c.add(a.Source, ref, "spec.placement.replicas.weights", "weights only apply to Divided replicas: Duplicated runs the full replica count on every cluster")
	case r.Mode == v1alpha1.ReplicasDuplicated && r.Division != "":
		c.add(a.Source, ref, "spec.placement.replicas.division", "division only applies to Divided replicas")
	case r.Division == v1alpha1.DivisionStaticWeights && len(r.Weights) == 0:
		c.add(a.Source, ref, "spec.placement.replicas.weights", "required for division StaticWeights")
	case r.Division != v1alpha1.DivisionStaticWeights && len(r.Weights) > 0:
		c.add(a.Source, ref, "spec.placement.replicas.weights", "weights only apply to division StaticWeights (division is %s)", r.Division)
	}
	if r.Division != v1alpha1.DivisionStaticWeights {
		return
	}
	for i, w := range r.Weights {
		aff := karmadaspec.Affinity(w.ClusterSelection)
		if aff == nil {
			continue // every candidate
		}
		if !slices.ContainsFunc(candidates, func(kc *clusterv1alpha1.Cluster) bool { return karmadaspec.Matches(kc, aff) }) && len(candidates) > 0 {
			c.add(a.Source, ref, fmt.Sprintf("spec.placement.replicas.weights[%d]", i), "the weight selects none of the clusters the placement allows (%s)", names(candidates))
		}
	}
}

func (c *checker) spread(a *intent.App, ref string) {
	for i, s := range a.Spec.Placement.Spread {
		f := fmt.Sprintf("spec.placement.spread[%d]", i)
		if (s.By == "") == (s.Label == "") {
			c.add(a.Source, ref, f, "set exactly one of by and label")
		}
		if s.Max > 0 && s.Min > s.Max {
			c.add(a.Source, ref, f+".min", "min (%d) is greater than max (%d)", s.Min, s.Max)
		}
		if s.Label != "" && !c.labelKeys.Has(s.Label) {
			c.add(a.Source, ref, f+".label", "no cluster has the label %q", s.Label)
		}
	}
}

func (c *checker) edge(a *intent.App, ref string, candidates []*clusterv1alpha1.Cluster) {
	var edgeClusters []string
	for _, kc := range candidates {
		if kc.Labels[karmadaspec.LabelKind] == string(v1alpha1.ClusterKindEdge) {
			edgeClusters = append(edgeClusters, kc.Name)
		}
	}
	e := a.Spec.Edge
	if e == nil {
		if len(edgeClusters) > 0 {
			c.add(a.Source, ref, "spec.placement", "the placement reaches edge clusters (%s) but the app names no edge group: set spec.edge.groups", strings.Join(edgeClusters, ", "))
		}
		return
	}
	covered := sets.New[string]()
	for i, name := range e.Groups {
		g := c.repo.EdgeGroup(name)
		if g == nil {
			c.add(a.Source, ref, fmt.Sprintf("spec.edge.groups[%d]", i), "unknown edge group %q", name)
			continue
		}
		covered.Insert(g.Spec.Clusters...)
		if !slices.ContainsFunc(g.Spec.Clusters, func(n string) bool { return slices.Contains(edgeClusters, n) }) {
			c.add(a.Source, ref, fmt.Sprintf("spec.edge.groups[%d]", i), "edge group %q is on clusters the placement never reaches (%s)", name, strings.Join(g.Spec.Clusters, ", "))
		}
	}
	for _, n := range edgeClusters {
		if !covered.Has(n) {
			c.add(a.Source, ref, "spec.edge.groups", "edge cluster %q is reached by the placement but none of the app's edge groups is on it", n)
		}
	}
	if len(edgeClusters) == 0 {
		c.add(a.Source, ref, "spec.edge", "the placement reaches no edge cluster: remove spec.edge or widen the placement")
	}
}

func (c *checker) backup(a *intent.App, ref string, candidates []*clusterv1alpha1.Cluster) {
	b := a.Spec.Backup
	if b == nil {
		return
	}
	if _, err := cron.ParseStandard(b.Schedule); err != nil {
		c.add(a.Source, ref, "spec.backup.schedule", "invalid cron expression: %v", err)
	}
	if b.TTL.Duration <= 0 {
		c.add(a.Source, ref, "spec.backup.ttl", "must be positive")
	}
	if b.RPO != nil && b.RPO.Duration <= 0 {
		c.add(a.Source, ref, "spec.backup.rpo", "must be positive")
	}
	switch {
	case b.Location != "" && c.repo.Location(b.Location) == nil:
		c.add(a.Source, ref, "spec.backup.location", "unknown storage location %q (backup/locations/ declares: %s)", b.Location, locationNames(c.repo))
	case b.Location == "" && c.repo.DefaultLocation() == nil:
		c.add(a.Source, ref, "spec.backup", "no storage location: add one to backup/locations/ (marked default) or set spec.backup.location")
	}
	if rc := b.RecoveryCluster; rc != "" {
		if c.repo.Cluster(rc) == nil {
			c.add(a.Source, ref, "spec.backup.recoveryCluster", "unknown cluster %q%s", rc, c.suggest(rc))
		}
		return
	}
	for _, kc := range candidates {
		if c.repo.Cluster(kc.Name).Spec.DRPartner == "" && !c.repo.BackupSkips(a, kc.Name) {
			c.add(a.Source, ref, "spec.backup", "the app may run on %s, which has no drPartner: set spec.backup.recoveryCluster or the cluster's spec.drPartner", kc.Name)
		}
	}
}

func locationNames(r *intent.Repo) string {
	var n []string
	for _, l := range r.Locations {
		n = append(n, l.Name)
	}
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}

func names(kcs []*clusterv1alpha1.Cluster) string {
	n := make([]string, len(kcs))
	for i, kc := range kcs {
		n[i] = kc.Name
	}
	return strings.Join(n, ", ")
}
