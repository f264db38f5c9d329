package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/crosscheck"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
	"github.com/flotilla-gitops/flotilla/tools/resultcache"
	"github.com/flotilla-gitops/flotilla/tools/validate"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// Engine holds what every run needs and is costly to build: the API
// schemas of all engines and of flotilla's own intent.
type Engine struct {
	Schema *apischema.Validator
	// Parallelism bounds every parallel stage; 0 means GOMAXPROCS.
	Parallelism int
	// Bounds are the input bounds every repository read is held to
	// (zero fields: defaults).
	Bounds bounds.Input
	// Results, when set, keeps the results of stages whose inputs did not
	// change since an earlier run (package resultcache): Argo CD's
	// ApplicationSet previews, each object's validation, each object's
	// policy verdicts and the pack's test run. The caller saves it.
	Results *resultcache.Store
}

// Result stages, each a bundle of Engine.Results.
const (
	StagePreviews = "appset-previews"
	StageValidate = "validate"
	StageLint     = "lint"
	StageTests    = "policy-tests"
)

// bundle returns the stage's results (nil without a store: nothing kept).
func (e *Engine) bundle(stage string) *resultcache.Bundle {
	return e.Results.Bundle(stage)
}

// NewEngine parses every schema once.
func NewEngine(parallelism int) (*Engine, error) {
	v, err := apischema.New(apischema.Options{ExtraCRDs: []fs.FS{v1alpha1.CRDs()}})
	if err != nil {
		return nil, fmt.Errorf("prepare schemas: %w", err)
	}
	return &Engine{Schema: v, Parallelism: parallelism}, nil
}

// Rendered is a repository and what it renders to.
type Rendered struct {
	Repo   *intent.Repo
	Output *render.Output
}

// Render loads, cross-checks and renders the repository at root. Problems
// in the repository come back as a diag.List (every one of them); nothing
// is written.
func (e *Engine) Render(ctx context.Context, root string) (*Rendered, error) {
	return e.render(ctx, root, render.Options{})
}

// render is Render with render options (Scopes and Parallelism are the
// engine's).
func (e *Engine) render(ctx context.Context, root string, ro render.Options) (*Rendered, error) {
	fsys, err := e.workTree(root)
	if err != nil {
		return nil, err
	}
	return e.renderFS(ctx, fsys, root, ro, nil)
}

// workTree is the working tree at root, read through the repository jail.
func (e *Engine) workTree(root string) (*repofs.FS, error) {
	return repofs.Dir(root, e.Bounds.FileBytes)
}

// renderFS renders the repository in fsys (a working tree or a revision,
// jailed); root is the folder it reads on disk, "" for a tree in memory.
// files, when set, shares loading the intent with other renders (ro.Docs
// shares parsing manifests).
func (e *Engine) renderFS(ctx context.Context, fsys *repofs.FS, root string, ro render.Options, files *intent.Cache) (*Rendered, error) {
	repo, err := intent.LoadFS(ctx, fsys, root, intent.Options{Schema: e.Schema, Parallelism: e.Parallelism, Cache: files, Bounds: e.Bounds})
	if err != nil {
		return nil, err
	}
	if errs := crosscheck.Check(repo); len(errs) > 0 {
		return nil, errs
	}
	ro.Scopes, ro.Parallelism, ro.Bounds = e.Schema, e.Parallelism, e.Bounds
	if ro.Docs == nil {
		ro.Docs = &yamldoc.Cache{Bounds: e.Bounds}
	}
	ro.Members = e.memberObjects(repo)
	if ro.Previews == nil {
		ro.Previews = e.bundle(StagePreviews)
	}
	out, err := render.Render(ctx, repo, ro)
	if err != nil {
		return nil, err
	}
	return &Rendered{Repo: repo, Output: out}, nil
}

// Validate checks every rendered object against the engines' schemas.
// CRDs the repository's manifests ship are served for the custom
// resources beside them.
func (e *Engine) Validate(ctx context.Context, r *Rendered) ([]validate.Finding, error) {
	return e.validate(ctx, r.Output.Objects, nil)
}

// validate validates objs against the engine's schemas and the CRDs among
// objs and extra, with the validation results of earlier runs.
func (e *Engine) validate(ctx context.Context, objs []*render.Object, extra []*unstructured.Unstructured) ([]validate.Finding, error) {
	v, schemas, keyed := e.schemaFor(objs, extra)
	opts := validate.Options{Parallelism: e.Parallelism, Schemas: schemas}
	if keyed {
		opts.Results = e.bundle(StageValidate)
	}
	return validate.Objects(ctx, v, objs, opts)
}

// schemaFor is the engine's validator, serving too the CRDs among objs and
// extra (--crd), as a cluster would once they are applied. A CRD that
// cannot be served is left out: validating it as an object says why. The
// bytes identify those CRDs (their JSON), for keys of validation results;
// keyed is false when they cannot.
func (e *Engine) schemaFor(objs []*render.Object, extra []*unstructured.Unstructured) (v *apischema.Validator, schemas []byte, keyed bool) {
	crds := slices.Clone(extra)
	for _, o := range objs {
		if o.Object.GroupVersionKind() == apischema.CRDKind {
			crds = append(crds, o.Object)
		}
	}
	if len(crds) == 0 {
		return e.Schema, nil, true
	}
	v, _ = e.Schema.WithCRDs(crds)
	var ids [][]byte
	for _, c := range crds {
		b, err := json.Marshal(c.Object)
		if err != nil {
			return v, nil, false
		}
		ids = append(ids, b)
	}
	k := resultcache.NewKey(ids...)
	return v, k[:], true
}

// Place previews, with Karmada's scheduler, where every object an app's
// policies select lands, over a snapshot built from the intent (or the
// given clusters, e.g. read from a live control plane). With app set, only
// that app's objects are scheduled.
func (e *Engine) Place(ctx context.Context, r *Rendered, app string, opts place.Options) ([]place.Result, *place.Scheduler, error) {
	return e.PlaceOn(ctx, r, app, nil, opts)
}

// PlaceOn is Place over a given snapshot of Karmada Cluster objects (for
// example read from a live control plane, with their real status); nil
// means the snapshot built from the intent.
func (e *Engine) PlaceOn(ctx context.Context, r *Rendered, app string, snapshot []*clusterv1alpha1.Cluster, opts place.Options) ([]place.Result, *place.Scheduler, error) {
	req := PlaceRequest{Snapshot: snapshot, Options: opts}
	if app != "" {
		req.Apps = []string{app}
	}
	return e.PlaceWith(ctx, r, req)
}

// PlaceRequest is what PlaceWith schedules.
type PlaceRequest struct {
	// Apps restricts scheduling to these apps' objects (nil: all).
	Apps []string
	// Platform, with Apps holding "", narrows the platform's objects (of
	// no app) to these Kind/ns/name references (nil: all of them).
	Platform map[string]bool
	// Snapshot is the clusters to schedule over (nil: from the intent).
	Snapshot []*clusterv1alpha1.Cluster
	// Current is each object's current assignment (by Kind/ns/name), as a
	// binding already scheduled has it; Karmada keeps replicas where they
	// are when it can, so a plan schedules the head with the base's
	// assignment as current.
	Current map[string][]workv1alpha2.TargetCluster
	Options place.Options
}

// PlaceWith is Place with every knob.
func (e *Engine) PlaceWith(ctx context.Context, r *Rendered, req PlaceRequest) ([]place.Result, *place.Scheduler, error) {
	snapshot, opts := req.Snapshot, req.Options
	var objs []*unstructured.Unstructured
	owner := map[*unstructured.Unstructured]string{}
	apis := map[schema.GroupVersionKind]bool{}
	for _, o := range r.Output.Objects {
		if !o.Template() || o.Plane == "" {
			continue
		}
		apis[o.Object.GroupVersionKind()] = true
		objs = append(objs, o.Object)
		owner[o.Object] = o.App
	}
	gvks := make([]schema.GroupVersionKind, 0, len(apis))
	for gvk := range apis {
		gvks = append(gvks, gvk)
	}
	slices.SortFunc(gvks, func(a, b schema.GroupVersionKind) int { return compareGVK(a, b) })
	if snapshot == nil {
		var clusters []*v1alpha1.Cluster
		for _, c := range r.Repo.Clusters {
			clusters = append(clusters, &c.Cluster)
		}
		snapshot = place.IntentSnapshot(clusters, gvks)
	}
	sched, err := place.New(snapshot)
	if err != nil {
		return nil, nil, err
	}
	workloads, err := place.Selected(objs, func(u *unstructured.Unstructured) string { return owner[u] })
	if err != nil {
		return nil, nil, err
	}
	if req.Apps != nil {
		workloads = slices.DeleteFunc(workloads, func(w place.Workload) bool {
			if w.App == "" && req.Platform != nil && !req.Platform[objectRef(w.Object)] {
				return true
			}
			return !slices.Contains(req.Apps, w.App)
		})
		// An app asked for by name that selects nothing is a mistake; ""
		// alone (a plan's side when a change reaches no app, only the
		// platform as far as it reaches) may well select nothing.
		if len(workloads) == 0 && len(req.Apps) == 1 && req.Apps[0] != "" {
			return nil, nil, fmt.Errorf("no app %q in the repository (or it selects nothing)", req.Apps[0])
		}
	}
	if req.Current != nil {
		for i := range workloads {
			workloads[i].Current = req.Current[objectRef(workloads[i].Object)]
		}
	}
	if opts.Parallelism == 0 {
		opts.Parallelism = e.Parallelism
	}
	results, err := sched.Preview(ctx, workloads, opts)
	if err != nil {
		return nil, nil, err
	}
	slices.SortStableFunc(results, place.Compare)
	return results, sched, nil
}

func compareGVK(a, b schema.GroupVersionKind) int {
	if a.Group != b.Group {
		return cmpString(a.Group, b.Group)
	}
	if a.Version != b.Version {
		return cmpString(a.Version, b.Version)
	}
	return cmpString(a.Kind, b.Kind)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
