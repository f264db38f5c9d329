package intent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// Well-known paths of a control repository.
const (
	FleetFile    = "fleet.yaml"
	ClustersDir  = "clusters"
	AppsDir      = "apps"
	AppFile      = "app.yaml"
	EdgeDir      = "edge"
	LocationsDir = "backup/locations"
	DrillsDir    = "backup/drills"
)

// Validator checks an object against its API schema. *apischema.Validator
// implements it.
type Validator interface {
	Validate(ctx context.Context, obj *unstructured.Unstructured) []apischema.FieldError
}

// Options configure Load.
type Options struct {
	// Schema validates every document. Required.
	Schema Validator
	// Parallelism bounds concurrent file parsing; 0 means GOMAXPROCS.
	Parallelism int
	// Cache, when set, shares file loading with other loads using it.
	Cache *Cache
	// Bounds are the input bounds (zero fields: defaults): each file's
	// size, documents and aliases, and the objects of the whole load.
	Bounds bounds.Input
}

// FindRoot walks up from dir to the first folder holding fleet.yaml.
func FindRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	switch st, err := os.Stat(abs); {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s does not exist", abs)
	case err != nil:
		return "", err
	case !st.IsDir():
		return "", fmt.Errorf("%s is not a folder: a Flotilla repository is the folder holding %s", abs, FleetFile)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, FleetFile)); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no %s in %s or any parent folder: not a Flotilla repository (use --repo)", FleetFile, abs)
		}
	}
}

// Load reads the repository at root, through the repository jail
// (package repofs). On any problem it returns a diag.List holding every
// error found, sorted, and no Repo.
func Load(ctx context.Context, root string, opts Options) (*Repo, error) {
	fsys, err := repofs.Dir(root, opts.Bounds.FileBytes)
	if err != nil {
		return nil, err
	}
	return LoadFS(ctx, fsys, root, opts)
}

// LoadFS reads a repository from fsys — a *repofs.FS, unless the caller
// vouches for the files (tests) — and records root as Repo.Root: the
// folder fsys reads when it is on disk, "" when it is not.
func LoadFS(ctx context.Context, fsys fs.FS, root string, opts Options) (*Repo, error) {
	opts.Bounds = opts.Bounds.WithDefaults()
	files, skipped, err := discover(fsys)
	if err != nil {
		return nil, err
	}
	parsed := make([]fileResult, len(files))
	// Every document is an object of the load: the tally stops the load
	// at the bound, at the same document whatever the schedule.
	tally := bounds.NewTally(len(files), 0, opts.Bounds.Objects)
	crossedAt := -1
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism(opts.Parallelism))
	for i, f := range files {
		g.Go(func() error {
			if !tally.Over() {
				parsed[i] = opts.Cache.loadFile(ctx, fsys, f, opts)
			}
			before, crossed, err := tally.Add(ctx, i, len(parsed[i].docLines))
			if crossed {
				line := parsed[i].docLines[opts.Bounds.Objects-before]
				parsed[i] = fileResult{errs: diag.List{objectsBound(f.path, line, opts.Bounds.Objects)}}
				crossedAt = i
			}
			if err != nil {
				return err
			}
			return ctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	repo := &Repo{Root: root, FS: fsys}
	errs := skipped
	if crossedAt >= 0 {
		// The files before the bound, and the bound: what came after is
		// not read, or not in full.
		for _, p := range parsed[:crossedAt+1] {
			errs = append(errs, p.errs...)
		}
		return nil, errs.Sort()
	}
	for _, p := range parsed {
		errs = append(errs, p.errs...)
		for _, o := range p.objects {
			switch v := o.(type) {
			case *Fleet:
				if repo.Fleet != nil {
					errs = append(errs, v.dupErr(KindRef(v1alpha1.KindFleet, "", v.Name), repo.Fleet.Source, "a repository has one Fleet"))
					continue
				}
				repo.Fleet = v
			case *Cluster:
				repo.Clusters = append(repo.Clusters, v)
			case *App:
				repo.Apps = append(repo.Apps, v)
			case *EdgeGroup:
				repo.EdgeGroups = append(repo.EdgeGroups, v)
			case *Location:
				repo.Locations = append(repo.Locations, v)
			case *Drill:
				repo.Drills = append(repo.Drills, v)
			}
		}
	}
	switch {
	case repo.Fleet != nil:
	case !hasFile(files, FleetFile):
		errs = append(errs, &diag.Error{File: FleetFile, Msg: "missing: every control repository has a fleet.yaml with one Fleet"})
	case len(errs) == 0:
		// The file is there but holds no document (an error in it would
		// already be reported).
		errs = append(errs, &diag.Error{File: FleetFile, Line: 1, Msg: "holds no Fleet: every control repository has a fleet.yaml with one Fleet"})
	}
	var dupErrs diag.List
	repo.Clusters, dupErrs = sortUnique(repo.Clusters, v1alpha1.KindCluster, func(c *Cluster) (string, Source) { return c.Name, c.Source })
	errs = append(errs, dupErrs...)
	repo.Apps, dupErrs = sortUnique(repo.Apps, v1alpha1.KindApp, func(a *App) (string, Source) { return a.Name, a.Source })
	errs = append(errs, dupErrs...)
	repo.EdgeGroups, dupErrs = sortUnique(repo.EdgeGroups, v1alpha1.KindEdgeGroup, func(g *EdgeGroup) (string, Source) { return g.Name, g.Source })
	errs = append(errs, dupErrs...)
	repo.Locations, dupErrs = sortUnique(repo.Locations, "BackupStorageLocation", func(l *Location) (string, Source) { return l.Name, l.Source })
	errs = append(errs, dupErrs...)
	repo.Drills, dupErrs = sortUnique(repo.Drills, v1alpha1.KindDrillPlan, func(d *Drill) (string, Source) { return d.Name, d.Source })
	errs = append(errs, dupErrs...)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return repo, nil
}

// objectsBound is the error of the object that takes a load or a render
// over the objects bound.
func objectsBound(file string, line, limit int) *diag.Error {
	return &diag.Error{File: file, Line: line, Msg: fmt.Sprintf("more than %d objects are read by here, over the objects-per-render bound (raise it with --%s)", limit, bounds.FlagObjects)}
}

// ObjectsBound is the error of an object read over the objects bound (a
// render counts the apps' manifests on from the intent's documents).
func ObjectsBound(file string, line, limit int) *diag.Error { return objectsBound(file, line, limit) }

func parallelism(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// fileKind says which kinds a file may hold, by where it is.
type fileKind struct {
	path  string
	kinds []string // "group/version Kind"
}

// discover lists the intent files of the repository, and what it would
// otherwise pass over in silence under apps/: a folder with no app.yaml
// (an app.yml, a typo, manifests moved in before their app.yaml) renders
// nothing, and a YAML file directly in apps/ is read by nothing. Folders
// named "_…" are shared material (kustomize bases several apps use), not
// apps.
func discover(fsys fs.FS) ([]fileKind, diag.List, error) {
	var files []fileKind
	var skipped diag.List
	// fleet.yaml is loaded unless it does not exist at all: one the jail
	// refuses (a link out of the repository) is loaded to say so.
	if _, err := fs.Stat(fsys, FleetFile); !errors.Is(err, fs.ErrNotExist) {
		files = append(files, fileKind{FleetFile, []string{v1alpha1.APIVersion + " " + v1alpha1.KindFleet}})
	}
	walk := func(dir string, kinds []string, accept func(p string) bool) error {
		if _, err := fs.Stat(fsys, dir); err != nil {
			return nil // optional folder
		}
		return fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !isYAML(p) || !accept(p) {
				return nil
			}
			files = append(files, fileKind{p, kinds})
			return nil
		})
	}
	all := func(string) bool { return true }
	if err := walk(ClustersDir, []string{v1alpha1.APIVersion + " " + v1alpha1.KindCluster}, all); err != nil {
		return nil, nil, err
	}
	if err := walk(EdgeDir, []string{v1alpha1.APIVersion + " " + v1alpha1.KindEdgeGroup}, all); err != nil {
		return nil, nil, err
	}
	if err := walk(LocationsDir, []string{velerov1.SchemeGroupVersion.String() + " BackupStorageLocation"}, all); err != nil {
		return nil, nil, err
	}
	if err := walk(DrillsDir, []string{v1alpha1.APIVersion + " " + v1alpha1.KindDrillPlan}, all); err != nil {
		return nil, nil, err
	}
	appYAML := func(p string) bool {
		parts := strings.Split(p, "/")
		return len(parts) == 3 && parts[2] == AppFile
	}
	if err := walk(AppsDir, []string{v1alpha1.APIVersion + " " + v1alpha1.KindApp}, appYAML); err != nil {
		return nil, nil, err
	}
	entries, err := fs.ReadDir(fsys, AppsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	for _, e := range entries {
		p := AppsDir + "/" + e.Name()
		switch {
		case strings.HasPrefix(e.Name(), "_") || strings.HasPrefix(e.Name(), "."):
		case e.IsDir() && !hasFile(files, p+"/"+AppFile):
			why := "holds no " + AppFile + ": nothing in it is rendered (an app is a folder apps/NAME/ with " + AppFile + "; shared material goes in a folder named _NAME)"
			if _, err := fs.Stat(fsys, p+"/app.yml"); err == nil {
				why = "holds app.yml, which is not read: name it " + AppFile
			}
			skipped = append(skipped, &diag.Error{File: p + "/", Msg: why})
		case !e.IsDir() && isYAML(p):
			skipped = append(skipped, &diag.Error{File: p, Line: 1, Msg: "is not read: an app is a folder apps/NAME/ with " + AppFile})
		}
	}
	slices.SortFunc(files, func(a, b fileKind) int { return strings.Compare(a.path, b.path) })
	return files, skipped, nil
}

func isYAML(p string) bool {
	ext := path.Ext(p)
	return ext == ".yaml" || ext == ".yml"
}

func hasFile(files []fileKind, p string) bool {
	return slices.ContainsFunc(files, func(f fileKind) bool { return f.path == p })
}

type fileResult struct {
	objects []any
	errs    diag.List
	// docLines are the lines of the file's documents, for the objects
	// bound.
	docLines []int
}

func loadFile(ctx context.Context, fsys fs.FS, f fileKind, opts Options) fileResult {
	data, err := readFile(fsys, f.path)
	if err != nil {
		return fileResult{errs: diag.List{err}}
	}
	return loadData(ctx, data, f, opts)
}

// readFile reads an intent file, a refusal of the jail (a link out of the
// repository, a FIFO, a file over the size bound) as an error at the file.
func readFile(fsys fs.FS, p string) ([]byte, *diag.Error) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, &diag.Error{File: p, Msg: repofs.Message(err), Err: err}
	}
	return data, nil
}

// loadData parses, validates and decodes a file's content.
func loadData(ctx context.Context, data []byte, f fileKind, opts Options) fileResult {
	var res fileResult
	docs, perrs := yamldoc.ParseBounded(f.path, data, opts.Bounds)
	res.errs = append(res.errs, diag.Collect(perrs...)...)
	for _, doc := range docs {
		res.docLines = append(res.docLines, doc.Line)
		obj, errs := decodeDoc(ctx, doc, f, opts.Schema)
		res.errs = append(res.errs, errs...)
		if obj != nil {
			res.objects = append(res.objects, obj)
		}
	}
	return res
}

// typeHeader is the part of a document that says what it is.
type typeHeader struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func decodeDoc(ctx context.Context, doc *yamldoc.Document, f fileKind, schema Validator) (any, diag.List) {
	var u unstructured.Unstructured
	if err := u.UnmarshalJSON(doc.JSON); err != nil {
		// Missing apiVersion/kind, or not an object at all.
		return nil, diag.List{docErr(doc, "", "", "not a Kubernetes-style object: %v (expected one of: %s)", err, strings.Join(f.kinds, ", "))}
	}
	h := typeHeader{APIVersion: u.GetAPIVersion(), Kind: u.GetKind()}
	h.Metadata.Name, h.Metadata.Namespace = u.GetName(), u.GetNamespace()
	ref := KindRef(h.Kind, h.Metadata.Namespace, h.Metadata.Name)
	if !slices.Contains(f.kinds, h.APIVersion+" "+h.Kind) {
		return nil, diag.List{docErr(doc, ref, "kind", "%s %s does not belong in %s (expected %s)", h.APIVersion, h.Kind, f.path, strings.Join(f.kinds, ", "))}
	}
	if fes := schema.Validate(ctx, &u); len(fes) > 0 {
		errs := make(diag.List, 0, len(fes))
		for _, fe := range fes {
			msg := fieldMessage(fe)
			if fe.Type == apischema.TypeUnknownField {
				msg += fieldHint(h.Kind, fe.Field)
			}
			errs = append(errs, docErr(doc, ref, fe.Field, "%s", msg))
		}
		return nil, errs
	}
	src := Source{Doc: doc}
	var obj any
	var target any
	switch h.Kind {
	case v1alpha1.KindFleet:
		o := &Fleet{Source: src}
		obj, target = o, &o.Fleet
	case v1alpha1.KindCluster:
		o := &Cluster{Source: src}
		obj, target = o, &o.Cluster
	case v1alpha1.KindApp:
		o := &App{Source: src, Dir: path.Dir(f.path)}
		obj, target = o, &o.App
	case v1alpha1.KindEdgeGroup:
		o := &EdgeGroup{Source: src}
		obj, target = o, &o.EdgeGroup
	case "BackupStorageLocation":
		o := &Location{Source: src}
		obj, target = o, &o.BackupStorageLocation
	case v1alpha1.KindDrillPlan:
		o := &Drill{Source: src}
		obj, target = o, &o.DrillPlan
	}
	if err := json.Unmarshal(doc.JSON, target); err != nil {
		// The schema accepted it, so this is a gap between schema and type.
		return nil, diag.List{docErr(doc, ref, "", "cannot decode: %v", err)}
	}
	var errs diag.List
	switch o := obj.(type) {
	case *Fleet:
		v1alpha1.SetFleetDefaults(&o.Fleet)
	case *Cluster:
		v1alpha1.SetClusterDefaults(&o.Cluster)
	case *App:
		v1alpha1.SetAppDefaults(&o.App)
		if want := path.Base(o.Dir); o.Name != want {
			errs = append(errs, docErr(doc, ref, "metadata.name", "must equal the app's folder name %q", want))
		}
	case *EdgeGroup:
		v1alpha1.SetEdgeGroupDefaults(&o.EdgeGroup)
	case *Drill:
		v1alpha1.SetDrillPlanDefaults(&o.DrillPlan)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return obj, nil
}

// fieldMessage drops the field path the schema validator repeats at the
// start of its message, since the error names the field itself.
func fieldMessage(fe apischema.FieldError) string {
	if fe.Detail != "" || fe.Type != "" {
		if msg, ok := strings.CutPrefix(fe.Message, fe.Field+": "); ok && fe.Field != "" {
			return msg
		}
	}
	return fe.Message
}

func docErr(doc *yamldoc.Document, ref, field, format string, args ...any) *diag.Error {
	e := doc.Err(field, format, args...)
	e.Object = ref
	return e
}

// KindRef formats an object reference, leaving out empty parts.
func KindRef(kind, namespace, name string) string {
	if name == "" {
		return kind
	}
	return diag.ObjectRef(kind, namespace, name)
}

func (s Source) dupErr(ref string, first Source, why string) *diag.Error {
	e := s.Doc.Err("metadata.name", "duplicate %s: %s", ref, why)
	e.Object = ref
	e.Related = fmt.Sprintf("%s:%d", first.File(), first.Line("metadata.name"))
	return e
}

// sortUnique sorts by name and reports every name declared twice.
func sortUnique[T any](items []T, kind string, key func(T) (string, Source)) ([]T, diag.List) {
	slices.SortStableFunc(items, func(a, b T) int {
		na, _ := key(a)
		nb, _ := key(b)
		return strings.Compare(na, nb)
	})
	var errs diag.List
	out := make([]T, 0, len(items))
	for i, it := range items {
		name, src := key(it)
		if i > 0 {
			if prev, prevSrc := key(items[i-1]); prev == name {
				errs = append(errs, src.dupErr(KindRef(kind, "", name), prevSrc, "names are unique across the repository"))
				continue
			}
		}
		out = append(out, it)
	}
	return out, errs
}
