package render

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	"github.com/karmada-io/karmada/pkg/resourceinterpreter/default/native"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	"golang.org/x/sync/errgroup"
	apipath "k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/resultcache"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// Annotations and labels render stamps on objects.
const (
	AnnotationSource      = "flotilla.io/source"
	AnnotationRolloutWave = "flotilla.io/rollout-wave"
	LabelApp              = "flotilla.io/app"
	LabelManagedBy        = "app.kubernetes.io/managed-by"
	managedBy             = "flotilla"
)

// Folder names under rendered/.
const (
	RenderedDir = "rendered"
	argoDir     = "argocd"
	previewDir  = "preview"
	appsDir     = "apps"
	platformDir = "platform"
	clustersDir = "clusters"
	// MembersDir holds, for control planes delivered per cluster, each
	// member's objects: rendered/<plane>/members/<cluster>/<app>.
	MembersDir = "members"
	// MemberPlatformDir is the folder of a member's platform objects (of
	// no app) under MembersDir/<cluster>.
	MemberPlatformDir = "platform"
)

// Scopes tells whether a kind is namespaced. *apischema.Validator
// implements it.
type Scopes interface {
	Namespaced(gvk schema.GroupVersionKind) (namespaced, known bool)
}

// Options configure Render.
type Options struct {
	// Scopes resolves namespaced and cluster-scoped kinds. Required.
	Scopes Scopes
	// Parallelism bounds concurrent app builds; 0 means GOMAXPROCS.
	Parallelism int
	// SkipPreviews leaves out the Applications Argo CD will generate from
	// the ApplicationSets (Object.Preview): review output that placement
	// and plans never read, and whose expansion through Argo CD's
	// templating is most of a large fleet's render time. The
	// ApplicationSets themselves are still rendered; a template error then
	// surfaces in render and check, not here.
	SkipPreviews bool
	// Docs, when set, shares the parsing of app manifests with other
	// renders using it (a plan renders two revisions); its bounds are
	// the ones manifests are parsed within.
	Docs *yamldoc.Cache
	// Bounds are the input bounds (zero fields: defaults). Objects counts
	// on from the intent's objects, so a render reads at most that many
	// objects in all.
	Bounds bounds.Input
	// Members, when set, returns the objects of the control planes
	// delivered per cluster (Fleet spec.controlPlanes[].delivery
	// PerCluster), each with Path and Member set: what Karmada's scheduler
	// and override policies give each member. Render calls it once the
	// apps and the platform are rendered (Output.Objects holds them),
	// before Argo CD's objects. It is required when such a plane exists:
	// scheduling is the caller's (package pipeline), not render's.
	Members func(ctx context.Context, out *Output) ([]*Object, error)
	// Previews, when set, remembers the Applications each ApplicationSet
	// expanded to, by the ApplicationSet, its project and the folders its
	// generator lists (package resultcache), so an unchanged one is not
	// expanded again.
	Previews *resultcache.Bundle
}

// Object is one rendered object.
type Object struct {
	// Object is the rendered object.
	Object *unstructured.Unstructured
	// Path is the file it is written to, relative to the repository root
	// (rendered/...).
	Path string
	// Origin is the intent or manifest it came from.
	Origin Origin
	// App is the app the object belongs to, "" for platform objects.
	App string
	// Plane is the control plane whose tree holds the object, "" for Argo
	// CD objects.
	Plane string
	// Preview marks objects written only for review (expanded Argo CD
	// Applications): never applied, never validated as intent.
	Preview bool
	// Member is the member cluster Argo CD delivers the object to
	// directly (a control plane delivered per cluster): the object as it
	// lands there. "" for templates: objects applied to a control plane or
	// to Argo CD. Placement, plans and lint read templates only.
	Member string
}

// Template says whether the object is applied as rendered to a control
// plane or to Argo CD: neither a preview nor a member's copy.
func (o *Object) Template() bool { return !o.Preview && o.Member == "" }

// Ref names the object as Kind/ns/name.
func (o *Object) Ref() string {
	return diag.ObjectRef(o.Object.GetKind(), o.Object.GetNamespace(), o.Object.GetName())
}

// Output is everything one render produces.
type Output struct {
	// Objects are sorted by Path.
	Objects []*Object
	// Placements are the Karmada placement inputs of every app, for the
	// placement preview: app name → its PropagationPolicy object.
	Placements map[string]*Object
}

// Render turns the repository into engine resources. All problems are
// returned together as a diag.List; on error there is no Output.
func Render(ctx context.Context, repo *intent.Repo, opts Options) (*Output, error) {
	if opts.Scopes == nil {
		return nil, fmt.Errorf("render: Options.Scopes is required")
	}
	opts.Bounds = opts.Bounds.WithDefaults()
	if opts.Docs == nil {
		opts.Docs = &yamldoc.Cache{Bounds: opts.Bounds}
	}
	r := &renderer{repo: repo, opts: opts, out: &Output{Placements: map[string]*Object{}}, interpreter: native.NewDefaultInterpreter(), skipped: karmadautil.NewSkippedResourceConfig()}

	// Build every app's sources in parallel; each goroutine writes only its
	// own slot, so the result does not depend on scheduling. The objects
	// are tallied in app order, on from the intent's: the app that takes
	// the render over the bound is the same whatever the schedule, and no
	// app starts after it.
	built := make([]appBuild, len(repo.Apps))
	tally := bounds.NewTally(len(repo.Apps), intentObjects(repo), opts.Bounds.Objects)
	r.budget = max(opts.Bounds.Objects-intentObjects(repo), 0)
	crossedAt := -1
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism(opts.Parallelism))
	for i, app := range repo.Apps {
		g.Go(func() error {
			if !tally.Over() {
				built[i] = r.buildApp(app)
			}
			before, crossed, err := tally.Add(gctx, i, len(built[i].objects))
			if crossed {
				over := built[i].objects[opts.Bounds.Objects-before].origin
				built[i] = appBuild{app: app, errs: diag.List{intent.ObjectsBound(over.File, over.Line, opts.Bounds.Objects)}}
				crossedAt = i
			}
			if err != nil {
				return err
			}
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if crossedAt >= 0 {
		built = built[:crossedAt+1]
	}
	var errs diag.List
	for _, b := range built {
		errs = append(errs, b.errs...)
	}
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	r.namespaceOwners(built)
	errs = append(errs, r.apps(ctx, built)...)
	errs = append(errs, r.platform()...)
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	if errs := r.duplicates(); len(errs) > 0 {
		return nil, errs.Sort()
	}
	if errs := r.fileNames(); len(errs) > 0 {
		return nil, errs.Sort()
	}
	if err := r.members(ctx); err != nil {
		return nil, err
	}
	if err := r.argocd(ctx); err != nil {
		return nil, err
	}
	if err := r.assignPaths(); err != nil {
		return nil, err
	}
	return r.out, nil
}

// members adds the member copies of the planes delivered per cluster.
func (r *renderer) members(ctx context.Context) error {
	perCluster := slices.ContainsFunc(r.repo.Fleet.Spec.ControlPlanes, func(p v1alpha1.ControlPlane) bool { return p.Delivery == v1alpha1.DeliveryPerCluster })
	if !perCluster {
		return nil
	}
	if r.opts.Members == nil {
		f := r.repo.Fleet
		return f.Source.Err("spec.controlPlanes", "a control plane is delivered PerCluster, which needs the placement preview to render (render.Options.Members)")
	}
	objs, err := r.opts.Members(ctx, r.out)
	if err != nil {
		return err
	}
	r.out.Objects = append(r.out.Objects, objs...)
	return nil
}

// apps renders every app in parallel, each into its own Output, and
// merges them in app order: the result is the same at any parallelism.
func (r *renderer) apps(ctx context.Context, built []appBuild) diag.List {
	r.planeClusters("") // fills the shared cache before the apps read it
	outs := make([]*Output, len(built))
	appErrs := make([]diag.List, len(built))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism(r.opts.Parallelism))
	for i, b := range built {
		g.Go(func() error {
			sub := *r
			sub.out = &Output{Placements: map[string]*Object{}}
			appErrs[i] = sub.app(b)
			outs[i] = sub.out
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return diag.List{&diag.Error{Msg: err.Error(), Err: err}}
	}
	var errs diag.List
	for i, out := range outs {
		errs = append(errs, appErrs[i]...)
		r.out.Objects = append(r.out.Objects, out.Objects...)
		maps.Copy(r.out.Placements, out.Placements)
	}
	return errs
}

func parallelism(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

type renderer struct {
	repo *intent.Repo
	opts Options
	out  *Output
	// nsOwner maps a namespace to the app that renders its Namespace.
	nsOwner map[string]string
	// byPlane caches each control plane's Karmada Cluster objects.
	byPlane map[string][]*clusterv1alpha1.Cluster
	// interpreter is Karmada's native resource interpreter (which kinds
	// it can judge the health of).
	interpreter *native.DefaultInterpreter
	// skipped are the APIs Karmada's detector never propagates.
	skipped *karmadautil.SkippedResourceConfig
	// budget is the objects one app may hold: the objects bound less the
	// intent's objects.
	budget int
}

// intentObjects is how many objects the intent holds: the fleet and
// every cluster, app, edge group, storage location and drill plan.
func intentObjects(repo *intent.Repo) int {
	return 1 + len(repo.Clusters) + len(repo.Apps) + len(repo.EdgeGroups) + len(repo.Locations) + len(repo.Drills)
}

// add records an object under dir (rendered/<plane>/apps/<app>, ...).
func (r *renderer) add(dir string, obj *unstructured.Unstructured, origin Origin, app, plane string) *Object {
	o := &Object{Object: obj, Path: dir, Origin: origin, App: app, Plane: plane}
	r.out.Objects = append(r.out.Objects, o)
	return o
}

// assignPaths names each object's file inside its folder and sorts the
// output. Two objects that would share a file name get their namespace
// (and then group) added.
func (r *renderer) assignPaths() error {
	byDir := map[string][]*Object{}
	for _, o := range r.out.Objects {
		byDir[o.Path] = append(byDir[o.Path], o)
	}
	for dir, objs := range byDir {
		names := map[string]int{}
		for _, o := range objs {
			names[fileName(o.Object, 0)]++
		}
		seen := map[string]*Object{}
		for _, o := range objs {
			level := 0
			if names[fileName(o.Object, 0)] > 1 {
				level = 1
			}
			name := fileName(o.Object, level)
			if prev, dup := seen[name]; dup {
				name = fileName(o.Object, 2)
				if _, dup2 := seen[name]; dup2 {
					return fmt.Errorf("%s and %s would both be written to %s/%s: rename one of them", prev.Ref(), o.Ref(), dir, name)
				}
			}
			seen[name] = o
			o.Path = path.Join(dir, name)
			// fileNames refused names that are not one path segment and
			// intent names are DNS labels: this holds whatever the future
			// brings, as renderfs itself does.
			if path.Clean(o.Path) != o.Path || !strings.HasPrefix(o.Path, RenderedDir+"/") || path.Dir(o.Path) != dir {
				return fmt.Errorf("%s: its file %s would be outside %s", o.Ref(), o.Path, dir)
			}
		}
	}
	slices.SortFunc(r.out.Objects, func(a, b *Object) int { return strings.Compare(a.Path, b.Path) })
	for i := 1; i < len(r.out.Objects); i++ {
		if r.out.Objects[i].Path == r.out.Objects[i-1].Path {
			return fmt.Errorf("%s and %s would both be written to %s", r.out.Objects[i-1].Ref(), r.out.Objects[i].Ref(), r.out.Objects[i].Path)
		}
	}
	return nil
}

// duplicates reports objects two sources render into one control plane:
// Argo CD would sync them from two Applications, fighting over them.
func (r *renderer) duplicates() diag.List {
	type key struct{ plane, gk, ns, name string }
	first := map[key]*Object{}
	var errs diag.List
	for _, o := range r.out.Objects {
		gvk := o.Object.GroupVersionKind()
		k := key{o.Plane, gvk.GroupKind().String(), o.Object.GetNamespace(), o.Object.GetName()}
		prev, dup := first[k]
		if !dup {
			first[k] = o
			continue
		}
		errs = append(errs, &diag.Error{File: o.Origin.File, Line: o.Origin.Line, Object: o.Ref(),
			Msg:     fmt.Sprintf("rendered twice into control plane %s (also from %s): two Argo CD Applications would own it", o.Plane, prev.Origin.File),
			Related: fmt.Sprintf("%s:%d", prev.Origin.File, prev.Origin.Line)})
	}
	return errs
}

// maxFileName bounds a rendered file's name, in bytes. File systems allow
// 255 (ext4, APFS; eCryptfs 143), and an object's name alone may have 253:
// a longer <kind>-<namespace>-<name> keeps its first bytes and ends with a
// hash of the whole (boundedName). 128 is room for every name of a real
// fleet (the example fleet's longest is 73) and for the folders above it.
const maxFileName = 128

// fileName is <kind>-<name>.yaml, with the namespace (level 1) and the API
// group (level 2) added to tell colliding objects apart, bounded by
// maxFileName.
func fileName(u *unstructured.Unstructured, level int) string {
	parts := []string{strings.ToLower(u.GetKind())}
	if level >= 2 {
		if g := u.GroupVersionKind().Group; g != "" {
			parts = append(parts, g)
		}
	}
	if level >= 1 && u.GetNamespace() != "" {
		parts = append(parts, u.GetNamespace())
	}
	parts = append(parts, u.GetName())
	return boundedName(strings.Join(parts, "-"), ".yaml")
}

// boundedName is stem+ext when that fits in maxFileName bytes; otherwise
// the stem's first bytes (whole UTF-8 characters), "-", the first 12 hex
// digits of the stem's SHA-256, and ext. It is stable (a function of the
// object's identity only, so re-renders keep the name) and in practice
// collision-free: two stems share a name only if they share the kept
// prefix and 48 bits of hash, and assignPaths refuses any two objects that
// would share a file rather than overwrite one.
func boundedName(stem, ext string) string {
	if len(stem)+len(ext) <= maxFileName {
		return stem + ext
	}
	sum := sha256.Sum256([]byte(stem))
	tag := hex.EncodeToString(sum[:6])
	cut := maxFileName - len(ext) - 1 - len(tag)
	for cut > 0 && !utf8.RuneStart(stem[cut]) {
		cut--
	}
	return stem[:cut] + "-" + tag + ext
}

// fileNames refuses objects whose kind, API group, namespace or name cannot
// be one segment of a file path: ".", "..", anything with "/" (which would
// put the file in another folder — another app's, with --no-validate) or a
// control character. The API server refuses such names too: its path
// segment rule, used here, holds for every kind, and only the few kinds
// whose names are checked by that rule alone (RBAC's) could hold a control
// character. The check does not depend on schema validation: it holds with
// --no-validate.
func (r *renderer) fileNames() diag.List {
	var errs diag.List
	for _, o := range r.out.Objects {
		gvk := o.Object.GroupVersionKind()
		for _, f := range []struct{ field, value string }{
			{"kind", gvk.Kind},
			{"apiVersion", gvk.Group},
			{"metadata.namespace", o.Object.GetNamespace()},
			{"metadata.name", o.Object.GetName()},
		} {
			if f.value == "" {
				continue
			}
			msgs := apipath.IsValidPathSegmentName(f.value)
			if strings.ContainsFunc(f.value, unicode.IsControl) {
				msgs = append(msgs, "may not contain control characters")
			}
			if len(msgs) == 0 {
				continue
			}
			line, col := o.Origin.Locate(f.field)
			errs = append(errs, &diag.Error{File: o.Origin.File, Line: line, Column: col, Object: o.Ref(), Field: f.field,
				Msg: fmt.Sprintf("%q cannot name an object, nor its file in %s/: %s", f.value, RenderedDir, strings.Join(msgs, ", "))})
		}
	}
	return errs
}

// stamp adds flotilla's provenance annotations and labels.
func stamp(u *unstructured.Unstructured, sourceFile, app string, wave *int32) {
	ann := u.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnotationSource] = sourceFile
	if wave != nil {
		ann[AnnotationRolloutWave] = strconv.Itoa(int(*wave))
	}
	u.SetAnnotations(ann)
	if app != "" {
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[LabelApp] = app
		u.SetLabels(labels)
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func compareObjects(a, b *unstructured.Unstructured) int {
	return cmp.Or(
		strings.Compare(a.GetAPIVersion(), b.GetAPIVersion()),
		strings.Compare(a.GetKind(), b.GetKind()),
		strings.Compare(a.GetNamespace(), b.GetNamespace()),
		strings.Compare(a.GetName(), b.GetName()),
	)
}
