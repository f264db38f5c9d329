package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	"github.com/karmada-io/karmada/pkg/util/names"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/flotilla-gitops/flotilla/tools/gitsnap"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/overrides"
	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/plan"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/semdiff"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// SideOptions configure PlanSide.
type SideOptions struct {
	// Label names the revision in the plan.
	Label string
	// Apps restricts the side to these apps and the platform's objects
	// (nil: everything).
	Apps []string
	// Platform, with Apps set, narrows the platform's objects (those of no
	// app) to these Kind/ns/name references; nil keeps all of them.
	// ComparePlan fills it with the platform objects a change can reach.
	Platform map[string]bool
	// Current is the assignment each object already has (the base's, when
	// building the head), so Karmada's tie-breaks keep replicas in place
	// as the live scheduler would.
	Current map[string][]workv1alpha2.TargetCluster
	// Lint, when set, adds this side's policy findings.
	Lint *lint.Pack
	// Canonical settles Karmada's random tie-breaks deterministically
	// (place.Result.Canonical), for output committed to Git.
	Canonical bool
	Now       func() time.Time
}

// PlanSide resolves where every object of a rendered repository lands and
// what it looks like on each cluster (Karmada's placement and overrides),
// for plan.Compare. It also returns the assignments, to pass as Current
// when building the other side.
func (e *Engine) PlanSide(ctx context.Context, r *Rendered, o SideOptions) (*plan.Side, map[string][]workv1alpha2.TargetCluster, error) {
	req := PlaceRequest{Current: o.Current}
	if o.Apps != nil {
		// Platform objects (app "") are kept as far as the change reaches
		// them: an app's intent feeds some (Argo CD's ApplicationSets list
		// every app).
		req.Apps = append(slices.Clone(o.Apps), "")
		req.Platform = o.Platform
	}
	req.Options.Alternatives = o.Canonical
	results, sched, err := e.PlaceWith(ctx, r, req)
	if err != nil {
		return nil, nil, err
	}
	if o.Canonical {
		for i := range results {
			results[i].Canonical()
		}
	}
	placed := make(map[string]*place.Result, len(results))
	assigned := make(map[string][]workv1alpha2.TargetCluster, len(results))
	for i := range results {
		res := &results[i]
		placed[res.Object] = res
		tcs := make([]workv1alpha2.TargetCluster, len(res.Targets))
		for j, t := range res.Targets {
			tcs[j] = workv1alpha2.TargetCluster{Name: t.Cluster, Replicas: t.Replicas}
		}
		assigned[res.Object] = tcs
	}
	applier, err := newApplier(r, sched)
	if err != nil {
		return nil, nil, err
	}

	side := &plan.Side{Label: o.Label, Objects: map[string]*plan.Object{}, Apps: o.Apps}
	planeOf := map[string]string{}
	for _, c := range r.Repo.Clusters {
		side.Clusters = append(side.Clusters, plan.Cluster{
			Name: c.Name, Wave: c.Spec.Wave, Kind: string(c.Spec.Kind), CapacityType: string(c.Spec.Capacity.Type),
			Region: c.Spec.Region, ControlPlane: c.Spec.ControlPlane, DRPartner: c.Spec.DRPartner,
		})
		planeOf[c.Name] = c.Spec.ControlPlane
	}
	slices.SortFunc(side.Clusters, func(a, b plan.Cluster) int { return cmpString(a.Name, b.Name) })
	single := len(r.Repo.Fleet.Spec.ControlPlanes) == 1

	for _, obj := range r.Output.Objects {
		if !obj.Template() || !o.covers(obj.App, obj.Object) {
			continue
		}
		po := &plan.Object{Scope: obj.Plane, Ref: obj.Ref(), App: obj.App, Template: obj.Object}
		if po.Scope == "" {
			po.Scope = plan.ScopeArgoCD
		}
		if obj.Origin.File != "" {
			po.Source = obj.Origin.File
			if obj.Origin.Line > 0 {
				po.Source += ":" + strconv.Itoa(obj.Origin.Line)
			}
			origin := obj.Origin
			po.FieldSource = func(path string) string {
				if line, _ := origin.Locate(path); line > 0 {
					return origin.File + ":" + strconv.Itoa(line)
				}
				return ""
			}
		}
		if res := placed[objectRef(obj.Object)]; res != nil && obj.Plane != "" {
			po.Replicas, po.Divided = res.Replicas, res.Mode == "Divided"
			if err := members(po, res, applier); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", po.Ref, err)
			}
		} else if obj.Plane != "" && autoPropagated(obj.Object) {
			// Karmada's namespace sync controller creates every namespace
			// of the control plane in every member (not through a policy).
			for _, c := range side.Clusters {
				if p := planeOf[c.Name]; p == obj.Plane || (p == "" && single) {
					po.Members = append(po.Members, plan.Member{Cluster: c.Name, Object: obj.Object})
				}
			}
		}
		side.Objects[plan.Key(po.Scope, po.Ref)] = po
	}

	if o.Lint != nil {
		// The objects the side covers are linted, with the very placement
		// the plan shows; the rest of the rendered set is their context.
		lo := LintOptions{Pack: o.Lint, Now: o.Now}
		if o.Apps != nil {
			lo.only = o.covers
		}
		rep, err := e.lintPlaced(ctx, r, results, applier, lo)
		if err != nil {
			return nil, nil, err
		}
		side.Findings = findingsOf(rep, r, o.Apps)
	}
	return side, assigned, nil
}

// covers says whether the side includes an object of the app.
func (o *SideOptions) covers(app string, u *unstructured.Unstructured) bool {
	switch {
	case o.Apps == nil:
		return true
	case app != "":
		return slices.Contains(o.Apps, app)
	}
	return o.Platform == nil || o.Platform[objectRef(u)]
}

// members fills where a placed object lands, as each cluster gets it: the
// override variant, with a divided workload's replicas revised to the
// cluster's share as Karmada's binding controller does.
func members(po *plan.Object, res *place.Result, applier *overrides.Applier) error {
	targets := make([]string, len(res.Targets))
	share := make(map[string]int32, len(res.Targets))
	for i, t := range res.Targets {
		targets[i], share[t.Cluster] = t.Cluster, t.Replicas
	}
	variants, err := applier.Variants(po.Template, targets)
	if err != nil {
		return err
	}
	type revised struct {
		obj      *unstructured.Unstructured
		replicas int32
	}
	copies := map[revised]*unstructured.Unstructured{}
	for _, v := range variants {
		for _, c := range v.Clusters {
			m := plan.Member{Cluster: c, Replicas: share[c], Object: v.Object}
			if po.Divided && po.Replicas > 0 {
				if _, ok, _ := unstructured.NestedFieldNoCopy(v.Object.Object, "spec", "replicas"); ok {
					k := revised{v.Object, share[c]}
					cp, ok := copies[k]
					if !ok {
						cp = v.Object.DeepCopy()
						if err := unstructured.SetNestedField(cp.Object, int64(share[c]), "spec", "replicas"); err != nil {
							return err
						}
						copies[k] = cp
					}
					m.Object = cp
				}
			}
			po.Members = append(po.Members, m)
		}
	}
	slices.SortFunc(po.Members, func(a, b plan.Member) int { return cmpString(a.Cluster, b.Cluster) })
	return nil
}

// autoPropagated says whether Karmada's namespace sync controller copies
// the object to members: a Namespace it does not reserve or skip
// (names.IsReservedNamespace, "default", the controller's default
// --skipped-propagating-namespaces "kube-.*", matched unanchored as its
// regexp is) and that does not opt out with the skip-auto-propagation
// label.
func autoPropagated(u *unstructured.Unstructured) bool {
	if u.GetKind() != "Namespace" || u.GetAPIVersion() != "v1" {
		return false
	}
	name := u.GetName()
	if names.IsReservedNamespace(name) || name == names.NamespaceDefault || strings.Contains(name, "kube-") {
		return false
	}
	return !strings.EqualFold(u.GetLabels()[policyv1alpha1.NamespaceSkipAutoPropagationLabel], "true")
}

// findingsOf keeps the findings a side covers: all of them, or only those
// about the given apps' objects and files.
func findingsOf(rep *report.Report, r *Rendered, apps []string) []report.Finding {
	if apps == nil {
		return slices.Clone(rep.Findings)
	}
	owner := map[string]string{}
	for _, obj := range r.Output.Objects {
		owner[obj.Ref()] = obj.App
	}
	var out []report.Finding
	for _, f := range rep.Findings {
		if a := owner[f.Object]; a == "" || slices.Contains(apps, a) {
			out = append(out, f)
		}
	}
	return out
}

// PlanOptions configure Plan.
type PlanOptions struct {
	// Root is the control repository (the head side when Head is "").
	Root string
	// Base and Head are Git revisions; Head "" is the working tree.
	Base, Head string
	// Lint, when set, diffs the policy findings of both sides.
	Lint *lint.Pack
	Now  func() time.Time
	// Full turns off the changed-only fast path.
	Full bool
	// Progress, when set, is told each step as it starts.
	Progress func(step string)
}

// Plan renders base and head, resolves placement on both and compares
// them. When only some apps' folders changed (and Full is off), only those
// apps are placed and compared: nothing else can differ.
func (e *Engine) Plan(ctx context.Context, o PlanOptions) (*plan.Plan, error) {
	say := func(s string) {
		if o.Progress != nil {
			o.Progress(s)
		}
	}
	repo, err := gitsnap.Open(ctx, o.Root)
	if err != nil {
		return nil, err
	}
	baseCommit, err := repo.Resolve(ctx, o.Base)
	if err != nil {
		return nil, err
	}
	headLabel := "working tree"
	var headCommit string
	if o.Head != "" {
		if headCommit, err = repo.Resolve(ctx, o.Head); err != nil {
			return nil, err
		}
		headLabel = revLabel(o.Head, headCommit)
	}
	var apps []string
	if !o.Full {
		changed, err := repo.Changed(ctx, baseCommit, o.Head)
		if err != nil {
			return nil, err
		}
		apps = AffectedApps(changed)
	}
	baseLabel := revLabel(o.Base, baseCommit)

	// Plans never read the preview Applications (see render.Options); the
	// two sides share loading and parsing every file they hold alike.
	ro := render.Options{SkipPreviews: true, Docs: &yamldoc.Cache{Bounds: e.Bounds}}
	files := &intent.Cache{}
	// Both sides render at once: each render's serial stretches (loading
	// the fleet, the platform's objects) leave a core idle otherwise.
	say("render " + baseLabel + " and " + headLabel)
	var (
		rb, rh           *Rendered
		errBase, errHead error
		wg               sync.WaitGroup
	)
	wg.Go(func() { rb, errBase = e.renderCommit(ctx, repo, baseCommit, ro, files) })
	wg.Go(func() {
		if headCommit != "" {
			rh, errHead = e.renderCommit(ctx, repo, headCommit, ro, files)
		} else {
			var tree *repofs.FS
			if tree, errHead = e.workTree(o.Root); errHead == nil {
				rh, errHead = e.renderFS(ctx, tree, o.Root, ro, files)
			}
		}
	})
	wg.Wait()
	// The base's error first, whichever finished first.
	if errBase != nil {
		return nil, fmt.Errorf("base %s: %w", baseLabel, errBase)
	}
	if errHead != nil {
		return nil, fmt.Errorf("head %s: %w", headLabel, errHead)
	}
	say("place and compare")
	return e.ComparePlan(ctx, rb, rh, SideOptions{Label: baseLabel, Apps: apps, Lint: o.Lint, Now: o.Now}, SideOptions{Label: headLabel, Apps: apps, Lint: o.Lint, Now: o.Now})
}

// ComparePlan builds both sides of already rendered revisions (the head
// scheduled with the base's assignments as current) and compares them.
func (e *Engine) ComparePlan(ctx context.Context, base, head *Rendered, bo, ho SideOptions) (*plan.Plan, error) {
	if bo.Apps != nil && bo.Platform == nil && ho.Platform == nil {
		if reach, ok := platformReach(base, head, bo.Apps); ok {
			bo.Platform, ho.Platform = reach, reach
		} else {
			// The change reaches other apps' objects: compare everything.
			bo.Apps, ho.Apps = nil, nil
		}
	}
	bs, current, err := e.PlanSide(ctx, base, bo)
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", bo.Label, err)
	}
	ho.Current = current
	hs, _, err := e.PlanSide(ctx, head, ho)
	if err != nil {
		return nil, fmt.Errorf("head %s: %w", ho.Label, err)
	}
	return plan.Compare(bs, hs), nil
}

// platformReach returns the platform objects (of no app) a change limited
// to some apps can alter, by Kind/ns/name, for the changed-only fast path:
// those whose rendered template differs between the sides (an app's intent
// feeds some, like Argo CD's ApplicationSet), and those a Karmada policy
// that differs selects, on either side (a policy can select objects it
// does not own). With the clusters unchanged (AffectedApps guarantees it),
// Karmada places and overrides every other platform object exactly as
// before, so leaving them out changes nothing in the plan —
// TestPlanFixtures holds the fast plan equal to the full one.
//
// ok is false when a changed policy selects objects of apps outside the
// given ones (a shared namespace, a cluster-scoped policy): then only a
// full comparison is right.
func platformReach(base, head *Rendered, apps []string) (reach map[string]bool, ok bool) {
	type entry struct{ base, head *unstructured.Unstructured }
	objects := map[string]*entry{}
	index := func(r *Rendered, isHead bool) {
		for _, o := range r.Output.Objects {
			if !o.Template() {
				continue
			}
			k := o.Plane + "|" + objectRef(o.Object)
			e := objects[k]
			if e == nil {
				e = &entry{}
				objects[k] = e
			}
			if isHead {
				e.head = o.Object
			} else {
				e.base = o.Object
			}
		}
	}
	index(base, false)
	index(head, true)

	var policies []changedPolicy
	reach = map[string]bool{}
	for _, e := range objects {
		if e.base != nil && e.head != nil && semdiff.Equal(e.base.Object, e.head.Object) {
			continue
		}
		cp := changedPolicy{}
		for _, u := range []*unstructured.Unstructured{e.base, e.head} {
			if u == nil {
				continue
			}
			reach[objectRef(u)] = true
			if u.GroupVersionKind().Group != policyv1alpha1.GroupName {
				continue
			}
			sel, err := resourceSelectors(u)
			if err != nil {
				return nil, false
			}
			cp.namespace = u.GetNamespace()
			cp.selectors = append(cp.selectors, sel)
		}
		if cp.selectors != nil {
			policies = append(policies, cp)
		}
	}
	for _, r := range []*Rendered{base, head} {
		for _, o := range r.Output.Objects {
			if !o.Template() {
				continue
			}
			for _, p := range policies {
				if !p.selects(o.Object) {
					continue
				}
				switch {
				case o.App == "":
					reach[objectRef(o.Object)] = true
				case !slices.Contains(apps, o.App):
					return nil, false
				}
			}
		}
	}
	return reach, true
}

// changedPolicy is a Karmada policy that differs between the sides, with
// the resource selectors of each side's version.
type changedPolicy struct {
	namespace string // "" for cluster-scoped policies: any namespace
	selectors [][]policyv1alpha1.ResourceSelector
}

// resourceSelectors reads a Karmada policy's spec.resourceSelectors (every
// propagation and override policy kind has them).
func resourceSelectors(u *unstructured.Unstructured) ([]policyv1alpha1.ResourceSelector, error) {
	raw, _, err := unstructured.NestedSlice(u.Object, "spec", "resourceSelectors")
	if err != nil {
		return nil, err
	}
	out := make([]policyv1alpha1.ResourceSelector, len(raw))
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: spec.resourceSelectors[%d] is not an object", objectRef(u), i)
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &out[i]); err != nil {
			return nil, fmt.Errorf("%s: spec.resourceSelectors[%d]: %w", objectRef(u), i, err)
		}
	}
	return out, nil
}

// selects says whether either side's version of the policy selects u
// (no selectors: everything in its namespace, as override policies do).
func (p changedPolicy) selects(u *unstructured.Unstructured) bool {
	if p.namespace != "" && u.GetNamespace() != p.namespace {
		return false
	}
	for _, sel := range p.selectors {
		if len(sel) == 0 || karmadautil.ResourceMatchSelectors(u, sel...) {
			return true
		}
	}
	return false
}

// AffectedApps returns the apps a change to these repository files can
// affect, or nil when it can affect anything (a change outside apps/, or
// to apps/ itself). Files that never reach the fleet (Markdown, docs/,
// rendered/ — the output, regenerated —, backup/drills/) are ignored.
func AffectedApps(changed []string) []string {
	apps := []string{}
	for _, f := range changed {
		dir, rest, _ := strings.Cut(f, "/")
		switch {
		case strings.HasSuffix(f, ".md"), dir == "docs", dir == "rendered":
			continue
		case dir == "backup" && strings.HasPrefix(rest, "drills/"):
			// DrillPlans are run by `flotilla drill`; nothing renders them.
			continue
		case dir == "apps" && strings.Contains(rest, "/"):
			app, _, _ := strings.Cut(rest, "/")
			if !slices.Contains(apps, app) {
				apps = append(apps, app)
			}
		default:
			return nil
		}
	}
	slices.Sort(apps)
	return apps
}

func revLabel(rev, commit string) string {
	short := gitsnap.Short(commit)
	if rev == commit || strings.HasPrefix(commit, rev) {
		return short
	}
	return rev + " (" + short + ")"
}
