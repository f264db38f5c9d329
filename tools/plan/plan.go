package plan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/semdiff"
)

// APIVersion versions the JSON form of a Plan. Fields are only added
// within a version; a removal or change of meaning bumps it.
const APIVersion = "flotilla.io/plan/v1"

// Plan is what a change does to the fleet.
type Plan struct {
	APIVersion string  `json:"apiVersion"`
	Base       string  `json:"base"`
	Head       string  `json:"head"`
	Summary    Summary `json:"summary"`
	// Waves is the order the change reaches member clusters in, lowest
	// wave first; only waves with changes.
	Waves []Wave `json:"waves"`
	// Targets are where changes are applied: control planes and Argo CD
	// first, then member clusters in wave order. Only targets with changes.
	Targets      []Target          `json:"targets"`
	ReplicaMoves []ReplicaMove     `json:"replicaMoves"`
	Placement    []PlacementChange `json:"placement"`
	Images       []ImageChange     `json:"images"`
	// Findings is nil when the plan was made without linting.
	Findings *FindingsDiff `json:"findings,omitempty"`
	Risks    []Risk        `json:"risks"`
	// Matrix is the placement picture of both sides.
	Matrix *Matrix `json:"matrix"`
	// Apps, when set, says the plan covers only these apps (the
	// changed-only fast path: nothing else changed).
	Apps []string `json:"apps,omitempty"`
}

// Summary counts the plan's changes.
type Summary struct {
	// Changed is false when the change does nothing to the fleet.
	Changed bool `json:"changed"`
	// Clusters is how many member clusters receive a change, of Total.
	Clusters      int      `json:"clusters"`
	TotalClusters int      `json:"totalClusters"`
	Added         int      `json:"added"`
	Modified      int      `json:"modified"`
	Removed       int      `json:"removed"`
	AppsTouched   []string `json:"appsTouched"`
}

// Wave is one step of the rollout.
type Wave struct {
	Wave     int32    `json:"wave"`
	Clusters []string `json:"clusters"`
	Changes  int      `json:"changes"`
}

// Target types.
const (
	TargetControlPlane = "control-plane"
	TargetArgoCD       = "argocd"
	TargetCluster      = "cluster"
)

// Target is a control plane, Argo CD or a member cluster, with its changes.
type Target struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Cluster holds a member cluster's facts.
	Cluster *Cluster       `json:"cluster,omitempty"`
	Changes []ObjectChange `json:"changes"`
}

// Actions of an ObjectChange.
const (
	Added   = "added"
	Changed = "changed"
	Removed = "removed"
)

// ObjectChange is one object added, changed or removed on a target.
type ObjectChange struct {
	Object string `json:"object"`
	App    string `json:"app,omitempty"`
	Action string `json:"action"`
	// Source is the file to edit (file:line), of the head side when the
	// object exists there.
	Source string `json:"source,omitempty"`
	// Diff lists the field changes of a changed object.
	Diff []semdiff.Change `json:"diff,omitempty"`
}

// ReplicaMove is a change of an object's replicas on one cluster.
type ReplicaMove struct {
	App     string `json:"app,omitempty"`
	Object  string `json:"object"`
	Cluster string `json:"cluster"`
	Before  int32  `json:"before"`
	After   int32  `json:"after"`
}

// PlacementChange lists the clusters an app newly lands on or leaves.
type PlacementChange struct {
	App     string   `json:"app"`
	Added   []string `json:"added,omitempty"`
	Dropped []string `json:"dropped,omitempty"`
}

// ImageChange is a container image that changes on some clusters.
type ImageChange struct {
	App       string   `json:"app,omitempty"`
	Object    string   `json:"object"`
	Container string   `json:"container"`
	Before    string   `json:"before,omitempty"`
	After     string   `json:"after,omitempty"`
	Clusters  []string `json:"clusters"`
}

// FindingsDiff is what the change does to policy findings.
type FindingsDiff struct {
	Introduced []report.Finding `json:"introduced"`
	Fixed      []report.Finding `json:"fixed"`
}

// Risk is something a reviewer must look at.
type Risk struct {
	// Code is stable: delete-namespace, delete-pvc, delete-crd,
	// below-pdb, fleet-wide, edge, dr-standby-lost, spot-only-singleton,
	// onto-spot.
	Code    string `json:"code"`
	Message string `json:"message"`
	App     string `json:"app,omitempty"`
	Object  string `json:"object,omitempty"`
	// Clusters concerned, sorted.
	Clusters []string `json:"clusters,omitempty"`
}

// Compare makes the plan that takes the fleet from base to head.
func Compare(base, head *Side) *Plan {
	c := &comparer{base: base, head: head, diffs: map[[2]*unstructured.Unstructured][]semdiff.Change{}}
	return c.plan()
}

type comparer struct {
	base, head *Side
	diffs      map[[2]*unstructured.Unstructured][]semdiff.Change
}

func (c *comparer) diff(a, b *unstructured.Unstructured) []semdiff.Change {
	k := [2]*unstructured.Unstructured{a, b}
	if d, ok := c.diffs[k]; ok {
		return d
	}
	d := semdiff.Diff(a.Object, b.Object, semdiff.Options{})
	c.diffs[k] = d
	return d
}

func (c *comparer) plan() *Plan {
	p := &Plan{APIVersion: APIVersion, Base: c.base.Label, Head: c.head.Label,
		Waves: []Wave{}, Targets: []Target{}, ReplicaMoves: []ReplicaMove{}, Placement: []PlacementChange{}, Images: []ImageChange{}, Risks: []Risk{}}
	if c.head.Apps != nil {
		p.Apps = slices.Clone(c.head.Apps)
	}
	clusters := map[string]*Cluster{}
	for _, side := range []*Side{c.base, c.head} {
		for i := range side.Clusters {
			cl := side.Clusters[i]
			clusters[cl.Name] = &cl // head overwrites base: its facts are the ones going live
		}
	}
	keys := sortedUnion(c.base.Objects, c.head.Objects)

	scopes := map[string][]ObjectChange{}
	members := map[string][]ObjectChange{}
	apps := map[string]bool{}
	for _, k := range keys {
		before, after := c.base.Objects[k], c.head.Objects[k]
		obj := cmp.Or(after, before)
		pr := newPair(before, after)
		// An object that lands on members is reported where it lands; its
		// template in the control plane only carries it there.
		if len(pr.clusters) > 0 {
			for _, ch := range c.memberChanges(pr) {
				members[ch.cluster] = append(members[ch.cluster], ch.ObjectChange)
				// A namespace copy (Karmada syncs every namespace of the
				// control plane to every member) does not make its app
				// one the change touches: a new cluster gets them all.
				if obj.App != "" && !isNamespace(obj) {
					apps[obj.App] = true
				}
			}
		} else if ch, ok := c.objectChange(before, after); ok {
			scopes[obj.Scope] = append(scopes[obj.Scope], ch)
			if obj.App != "" {
				apps[obj.App] = true
			}
		}
		p.ReplicaMoves = append(p.ReplicaMoves, replicaMoves(pr)...)
		p.Images = append(p.Images, imageChanges(pr)...)
	}

	for _, s := range slices.Sorted(maps.Keys(scopes)) {
		typ := TargetControlPlane
		if s == ScopeArgoCD {
			typ = TargetArgoCD
		}
		p.Targets = append(p.Targets, Target{Name: s, Type: typ, Changes: scopes[s]})
	}
	names := slices.Collect(maps.Keys(members))
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(waveOf(clusters, a), waveOf(clusters, b)), strings.Compare(a, b))
	})
	for _, n := range names {
		p.Targets = append(p.Targets, Target{Name: n, Type: TargetCluster, Cluster: clusters[n], Changes: members[n]})
		w := waveOf(clusters, n)
		if len(p.Waves) == 0 || p.Waves[len(p.Waves)-1].Wave != w {
			p.Waves = append(p.Waves, Wave{Wave: w})
		}
		last := &p.Waves[len(p.Waves)-1]
		last.Clusters = append(last.Clusters, n)
		last.Changes += len(members[n])
	}
	for _, t := range p.Targets {
		for _, ch := range t.Changes {
			switch ch.Action {
			case Added:
				p.Summary.Added++
			case Changed:
				p.Summary.Modified++
			case Removed:
				p.Summary.Removed++
			}
		}
	}
	p.Summary.Changed = len(p.Targets) > 0
	p.Summary.Clusters = len(members)
	p.Summary.TotalClusters = len(c.head.Clusters)
	p.Summary.AppsTouched = slices.Sorted(maps.Keys(apps))
	p.Placement = placementChanges(c.base, c.head)
	p.Images = mergeImages(p.Images)
	if c.base.Findings != nil || c.head.Findings != nil {
		p.Findings = diffFindings(c.base.Findings, c.head.Findings)
		if len(p.Findings.Introduced)+len(p.Findings.Fixed) > 0 {
			p.Summary.Changed = true
		}
	}
	p.Risks = risks(c, p, clusters)
	p.Matrix = buildMatrix(c, p, clusters)
	return p
}

// sortedUnion returns the keys of both maps, sorted, once each.
func sortedUnion[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// pair is one object on both sides (either may be nil), its members
// indexed by cluster: built once per object for every comparison.
type pair struct {
	before, after *Object
	// obj is after, or before when the object goes.
	obj  *Object
	b, a map[string]*Member
	// clusters are the clusters it lands on on either side, sorted.
	clusters []string
}

func newPair(before, after *Object) *pair {
	pr := &pair{before: before, after: after, obj: cmp.Or(after, before), b: memberMap(before), a: memberMap(after)}
	pr.clusters = sortedUnion(pr.b, pr.a)
	return pr
}

func waveOf(clusters map[string]*Cluster, name string) int32 {
	if c := clusters[name]; c != nil {
		return c.Wave
	}
	return 0
}

// objectChange compares an object applied to a control plane or Argo CD.
func (c *comparer) objectChange(before, after *Object) (ObjectChange, bool) {
	switch {
	case before == nil:
		return ObjectChange{Object: after.Ref, App: after.App, Action: Added, Source: after.Source}, true
	case after == nil:
		return ObjectChange{Object: before.Ref, App: before.App, Action: Removed, Source: before.Source}, true
	}
	d := c.diff(before.Template, after.Template)
	if len(d) == 0 {
		return ObjectChange{}, false
	}
	return ObjectChange{Object: after.Ref, App: after.App, Action: Changed, Source: after.sourceOf(d), Diff: d}, true
}

// sourceOf is where to edit a change: the line of its first changed field
// that the object's source holds — not spec.replicas of a workload
// Karmada divides or duplicates, which the placement sets, not the
// manifest — else the object's own line.
func (o *Object) sourceOf(d []semdiff.Change) string {
	if o.FieldSource == nil {
		return o.Source
	}
	for _, ch := range d {
		if o.Replicas > 0 && ch.Path == "spec.replicas" {
			continue
		}
		if s := o.FieldSource(ch.Path); s != "" {
			return s
		}
		break
	}
	return o.Source
}

type memberChange struct {
	ObjectChange
	cluster string
}

// memberChanges compares an object cluster by cluster.
func (c *comparer) memberChanges(pr *pair) []memberChange {
	obj := pr.obj
	var out []memberChange
	for _, cl := range pr.clusters {
		mb, ma := pr.b[cl], pr.a[cl]
		ch := ObjectChange{Object: obj.Ref, App: obj.App, Source: obj.Source}
		switch {
		case mb == nil:
			ch.Action = Added
		case ma == nil:
			ch.Action = Removed
			ch.Source = pr.before.Source
		default:
			d := c.diff(mb.Object, ma.Object)
			if len(d) == 0 {
				continue
			}
			ch.Action, ch.Diff = Changed, d
			if pr.after != nil {
				ch.Source = pr.after.sourceOf(d)
			}
		}
		out = append(out, memberChange{ObjectChange: ch, cluster: cl})
	}
	return out
}

// replicasOn is the replicas a member map holds on a cluster (0: none).
func replicasOn(members map[string]*Member, cluster string) int32 {
	if m := members[cluster]; m != nil {
		return m.Replicas
	}
	return 0
}

func memberMap(o *Object) map[string]*Member {
	m := map[string]*Member{}
	if o != nil {
		for i := range o.Members {
			m[o.Members[i].Cluster] = &o.Members[i]
		}
	}
	return m
}

// replicaMoves lists per-cluster replica changes of a workload Karmada
// divides or duplicates.
func replicaMoves(pr *pair) []ReplicaMove {
	if (pr.before == nil || pr.before.Replicas == 0) && (pr.after == nil || pr.after.Replicas == 0) {
		return nil
	}
	var out []ReplicaMove
	for _, cl := range pr.clusters {
		var rb, ra int32
		if m := pr.b[cl]; m != nil {
			rb = m.Replicas
		}
		if m := pr.a[cl]; m != nil {
			ra = m.Replicas
		}
		if rb != ra {
			out = append(out, ReplicaMove{App: pr.obj.App, Object: pr.obj.Ref, Cluster: cl, Before: rb, After: ra})
		}
	}
	return out
}

// placementChanges lists, per app, clusters it newly lands on or leaves.
func placementChanges(base, head *Side) []PlacementChange {
	bc, hc := appClusters(base), appClusters(head)
	var out []PlacementChange
	for _, app := range sortedUnion(bc, hc) {
		pc := PlacementChange{App: app}
		for cl := range hc[app] {
			if !bc[app][cl] {
				pc.Added = append(pc.Added, cl)
			}
		}
		for cl := range bc[app] {
			if !hc[app][cl] {
				pc.Dropped = append(pc.Dropped, cl)
			}
		}
		if len(pc.Added)+len(pc.Dropped) > 0 {
			slices.Sort(pc.Added)
			slices.Sort(pc.Dropped)
			out = append(out, pc)
		}
	}
	return out
}

// appClusters is, per app, the clusters any of its objects land on
// (Namespaces, which Karmada sends everywhere, excepted).
func appClusters(s *Side) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, o := range s.Objects {
		if o.App == "" || isNamespace(o) {
			continue
		}
		for _, m := range o.Members {
			if out[o.App] == nil {
				out[o.App] = map[string]bool{}
			}
			out[o.App][m.Cluster] = true
		}
	}
	return out
}

// namespaceCopy says a change is to a Namespace: on a member, Karmada's
// copy of the control plane's namespace, which lands everywhere.
func namespaceCopy(ch ObjectChange) bool { return strings.HasPrefix(ch.Object, "Namespace/") }

// substantive says a target has a change beyond namespace copies.
func substantive(t Target) bool {
	return slices.ContainsFunc(t.Changes, func(ch ObjectChange) bool { return !namespaceCopy(ch) })
}

func isNamespace(o *Object) bool {
	return o.Template.GetKind() == "Namespace" && o.Template.GetAPIVersion() == "v1"
}

// findingKey identifies a finding across revisions: lines move when files
// are edited, so they are left out.
func findingKey(f report.Finding) string {
	return strings.Join([]string{f.Rule, f.Object, f.Field, f.File, f.Message, string(f.Severity), f.Exception}, "\x00")
}

func diffFindings(base, head []report.Finding) *FindingsDiff {
	count := func(fs []report.Finding) map[string]int {
		m := map[string]int{}
		for _, f := range fs {
			m[findingKey(f)]++
		}
		return m
	}
	bc, hc := count(base), count(head)
	d := &FindingsDiff{Introduced: []report.Finding{}, Fixed: []report.Finding{}}
	for _, f := range head {
		k := findingKey(f)
		if bc[k] > 0 {
			bc[k]--
			continue
		}
		d.Introduced = append(d.Introduced, f)
	}
	for _, f := range base {
		k := findingKey(f)
		if hc[k] > 0 {
			hc[k]--
			continue
		}
		d.Fixed = append(d.Fixed, f)
	}
	slices.SortStableFunc(d.Introduced, report.Compare)
	slices.SortStableFunc(d.Fixed, report.Compare)
	return d
}

// String is a one-line summary.
func (s Summary) String() string {
	if !s.Changed {
		return "no change to the fleet"
	}
	return fmt.Sprintf("%d added, %d changed, %d removed on %d of %d clusters", s.Added, s.Modified, s.Removed, s.Clusters, s.TotalClusters)
}
