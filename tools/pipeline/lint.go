package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	flotilla "github.com/flotilla-gitops/flotilla"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/overrides"
	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/resultcache"
)

// PoliciesDir is a control repository's policy folder.
const PoliciesDir = "policies"

// PolicySources returns the policy folders to load: the repository's
// policies/, read through the repository jail like every repository file
// (or the built-in pack when root has none or is ""), then extra folders
// (the user's own, named on the command line).
func PolicySources(root string, extra []string) []lint.Source {
	var srcs []lint.Source
	dir := filepath.Join(root, PoliciesDir)
	if _, err := os.Lstat(dir); root != "" && err == nil {
		srcs = append(srcs, lint.Source{Name: PoliciesDir, FS: jailedFolder(root, PoliciesDir)})
	} else {
		srcs = append(srcs, lint.Source{Name: "builtin:" + PoliciesDir, FS: flotilla.DefaultPolicies()})
	}
	for _, d := range extra {
		srcs = append(srcs, lint.Source{Name: filepath.ToSlash(filepath.Clean(d)), FS: os.DirFS(d)})
	}
	return srcs
}

// jailedFolder is a folder of the repository at root, read through the
// jail; a repository that cannot be opened gives a file system whose
// every read fails with that error.
func jailedFolder(root, dir string) fs.FS {
	fsys, err := repofs.Dir(root, 0)
	if err != nil {
		return failedFS{err}
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return failedFS{err}
	}
	return sub
}

// failedFS fails every open with one error.
type failedFS struct{ err error }

func (f failedFS) Open(string) (fs.File, error) { return nil, f.err }

// LintOptions configure Lint.
type LintOptions struct {
	Pack *lint.Pack
	Now  func() time.Time
	// only, when set, limits linting to the objects it accepts; the rest
	// are context for cross-object rules (a plan's changed-only path).
	only func(app string, u *unstructured.Unstructured) bool
}

// Lint runs the policy pack over every rendered object, with where it
// lands: Karmada's placement preview gives the clusters and replicas,
// Karmada's override manager the object as it lands on each.
func (e *Engine) Lint(ctx context.Context, r *Rendered, o LintOptions) (*report.Report, error) {
	// Lint needs where objects land, not why others are left out nor the
	// outcomes of Karmada's random tie-breaks: a static weighted division
	// comes back settled (the same on every run, so a placement-aware
	// finding such as a standby left without replicas does not come and
	// go between two runs over the same files).
	results, sched, err := e.Place(ctx, r, "", place.Options{})
	if err != nil {
		return nil, err
	}
	applier, err := newApplier(r, sched)
	if err != nil {
		return nil, err
	}
	return e.lintPlaced(ctx, r, results, applier, o)
}

// newApplier prepares Karmada's override manager over the rendered
// override policies and the scheduler's clusters.
func newApplier(r *Rendered, sched *place.Scheduler) (*overrides.Applier, error) {
	var objs []*unstructured.Unstructured
	for _, obj := range r.Output.Objects {
		if obj.Template() {
			objs = append(objs, obj.Object)
		}
	}
	return overrides.New(objs, sched.Clusters())
}

// lintPlaced lints with a placement already made (of every app) and its
// override applier.
func (e *Engine) lintPlaced(ctx context.Context, r *Rendered, results []place.Result, applier *overrides.Applier, o LintOptions) (*report.Report, error) {
	// Place reports each scheduled object by Kind/ns/name.
	placed := make(map[string]*place.Result, len(results))
	for i := range results {
		placed[results[i].Object] = &results[i]
	}
	// An app's Namespace is propagated by Karmada's namespace controller to
	// every member; for app-level rules it stands where the app's objects
	// land, so it gets the union of their clusters.
	appClusters := map[string][]string{}
	for _, obj := range r.Output.Objects {
		if res := placed[objectRef(obj.Object)]; res != nil && obj.App != "" {
			for _, tg := range res.Targets {
				if !slices.Contains(appClusters[obj.App], tg.Cluster) {
					appClusters[obj.App] = append(appClusters[obj.App], tg.Cluster)
				}
			}
		}
	}
	for _, names := range appClusters {
		slices.Sort(names)
	}
	fleet, clusterJSON, appJSON, groupJSON, err := fleetData(r.Repo)
	if err != nil {
		return nil, err
	}
	// One label map per cluster, shared by every object landing there.
	labels := make(map[string]map[string]string, len(r.Repo.Clusters))
	for _, c := range r.Repo.Clusters {
		labels[c.Name] = karmadaspec.ClusterLabels(&c.Cluster)
	}
	var targets []lint.Target
	for _, obj := range r.Output.Objects {
		if !obj.Template() {
			continue
		}
		t := lint.Target{
			ContextOnly: o.only != nil && !o.only(obj.App, obj.Object),
			Object:      obj.Object,
			Source:      lint.Position{File: obj.Origin.File, Line: obj.Origin.Line, Doc: obj.Origin.Doc, Fields: obj.Origin.Fields},
			Rendered:    obj.Path,
		}
		if obj.App != "" {
			app := r.Repo.App(obj.App)
			t.App, t.AppName = appJSON[obj.App], obj.App
			t.AppSource = lint.Position{File: app.File(), Line: app.Line(""), Doc: app.Doc}
		}
		// Placement facts are built only where a rule will read them: not
		// for context, nor for kinds no rule of the pack applies to.
		gvk := obj.Object.GroupVersionKind()
		if obj.Plane != "" && !t.ContextOnly && o.Pack.Applies(gvk.Group, gvk.Kind) {
			p := &lint.Placement{ControlPlane: obj.Plane}
			if res := placed[objectRef(obj.Object)]; res != nil {
				var names []string
				for _, tg := range res.Targets {
					cf := lint.ClusterFact{Name: tg.Cluster, Labels: labels[tg.Cluster], Spec: clusterJSON[tg.Cluster]}
					if res.Replicas > 0 {
						n := tg.Replicas
						cf.Replicas = &n
					}
					p.Clusters = append(p.Clusters, cf)
					names = append(names, tg.Cluster)
				}
				vs, err := applier.Variants(obj.Object, names)
				if err != nil {
					return nil, err
				}
				for _, v := range vs {
					p.Variants = append(p.Variants, lint.Variant{Clusters: v.Clusters, Object: v.Object.Object})
				}
				if p.Clusters == nil {
					p.Clusters = []lint.ClusterFact{}
					p.Variants = []lint.Variant{}
				}
			} else if obj.App != "" && obj.Object.GetKind() == "Namespace" && obj.Object.GetAPIVersion() == "v1" {
				names := appClusters[obj.App]
				p.Clusters = []lint.ClusterFact{}
				for _, n := range names {
					p.Clusters = append(p.Clusters, lint.ClusterFact{Name: n, Labels: labels[n], Spec: clusterJSON[n]})
				}
				p.Variants = []lint.Variant{{Clusters: names, Object: obj.Object.Object}}
			}
			if obj.App != "" {
				if a := r.Repo.App(obj.App); a.Spec.Edge != nil {
					for _, g := range a.Spec.Edge.Groups {
						if gj, ok := groupJSON[g]; ok {
							p.EdgeGroups = append(p.EdgeGroups, gj)
						}
					}
				}
			}
			t.Placement = p
		}
		targets = append(targets, t)
	}
	return lint.Run(ctx, lint.Options{Pack: o.Pack, Targets: targets, Fleet: fleet, Now: o.Now, Parallelism: e.Parallelism, Results: e.bundle(StageLint)})
}

func objectRef(u *unstructured.Unstructured) string {
	return diag.ObjectRef(u.GetKind(), u.GetNamespace(), u.GetName())
}

// fleetData converts the intent into data.flotilla.fleet, and returns the
// per-name JSON of clusters' specs, apps and edge groups for inputs.
func fleetData(repo *intent.Repo) (*lint.Fleet, map[string]map[string]any, map[string]map[string]any, map[string]map[string]any, error) {
	f := &lint.Fleet{Clusters: map[string]any{}, Apps: map[string]any{}, EdgeGroups: map[string]any{}, KarmadaVersion: karmadaVersion()}
	specs := map[string]map[string]any{}
	apps := map[string]map[string]any{}
	groups := map[string]map[string]any{}
	for _, c := range repo.Clusters {
		cp := c.Cluster.DeepCopy()
		cp.Labels = karmadaspec.ClusterLabels(&c.Cluster)
		m, err := toMap(cp)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		f.Clusters[c.Name] = m
		specs[c.Name], _ = m["spec"].(map[string]any)
	}
	for _, a := range repo.Apps {
		m, err := toMap(&a.App)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		f.Apps[a.Name], apps[a.Name] = m, m
	}
	for _, g := range repo.EdgeGroups {
		m, err := toMap(&g.EdgeGroup)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		f.EdgeGroups[g.Name], groups[g.Name] = m, m
	}
	return f, specs, apps, groups, nil
}

func toMap(obj runtime.Object) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("convert %T: %w", obj, err)
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return m, nil
}

// karmadaVersion is the version of the Karmada module flotilla is built
// with: the Karmada whose scheduler and webhooks it runs.
func karmadaVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/karmada-io/karmada" {
				return d.Version
			}
		}
	}
	return ""
}

// TestPack runs the pack's Rego tests (lint.Test), or answers from the
// result cache when the same binary ran the same policy and test files
// before: tests are sealed (no clock, randomness or input beyond the
// files), so their outcome is the files'.
func (e *Engine) TestPack(ctx context.Context, pack *lint.Pack) (*lint.TestReport, error) {
	b := e.bundle(StageTests)
	digest := pack.Digest()
	key := resultcache.NewKey([]byte("policy-tests/1"), digest[:])
	if v, ok := b.Get(key); ok {
		var tr lint.TestReport
		if json.Unmarshal(v, &tr) == nil {
			return &tr, nil
		}
	}
	tr, err := lint.Test(ctx, pack)
	if err != nil {
		return nil, err
	}
	if v, err := json.Marshal(tr); err == nil {
		b.Put(key, v)
	}
	return tr, nil
}
