package render

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/kustjail"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// Origin is where a rendered object came from.
type Origin struct {
	// File is repository-relative.
	File string
	// Line is the line of the object (or of the intent field it derives
	// from).
	Line int
	// Doc is the source document: the manifest an object was written in,
	// or the intent document a generated object derives from.
	Doc *yamldoc.Document
	// Fields, for generated objects, maps the object's field paths onto
	// the intent's (nil: the object is the document itself).
	Fields yamldoc.FieldMap
}

// Locate returns the line and column of a field of the object in its
// source: inside the manifest, or at the intent field it derives from.
func (o Origin) Locate(field string) (line, col int) {
	switch {
	case o.Doc == nil:
		return o.Line, 0
	case o.Fields != nil:
		if mapped := o.Fields.Map(field); mapped != "" {
			return o.Doc.Locate(mapped)
		}
		return o.Line, 0
	case field == "":
		return o.Doc.Line, 0
	}
	return o.Doc.Locate(field)
}

// sourceObject is one object of an app's manifests.
type sourceObject struct {
	obj    *unstructured.Unstructured
	origin Origin
	// divided, for the Deployment an app's spot division splits and the
	// variants rendered from it, is its part of the division.
	divided *dividedPart
}

// kustomizationFiles are the names kustomize looks for.
var kustomizationFiles = konfig.RecognizedKustomizationFileNames()

// buildSource reads an app's manifests — kustomize when the folder has a
// kustomization, every YAML file otherwise — through the repository jail,
// and refuses an app whose objects alone are over budget: the objects
// bound less the intent's objects.
func buildSource(repo *intent.Repo, opts Options, budget int, app *intent.App) ([]sourceObject, diag.List) {
	rel := path.Join(app.Dir, app.Spec.Source.Path)
	srcErr := func(format string, args ...any) diag.List {
		e := app.Source.Err("spec.source.path", format, args...).(*diag.Error)
		e.Object = intent.KindRef("App", "", app.Name)
		return diag.List{e}
	}
	if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(app.Spec.Source.Path) {
		return nil, srcErr("source folder %s is outside the repository", rel)
	}
	st, err := fs.Stat(repo.FS, rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, srcErr("source folder %s does not exist", rel)
	case err != nil:
		return nil, srcErr("source folder %s: %s", rel, repofs.Message(err))
	case !st.IsDir():
		return nil, srcErr("source folder %s is not a folder", rel)
	}
	docs, errs := readDocs(repo.FS, opts, budget, rel)
	if len(errs) > 0 {
		return nil, errs
	}
	for _, k := range kustomizationFiles {
		if _, err := fs.Stat(repo.FS, path.Join(rel, k)); !errors.Is(err, fs.ErrNotExist) {
			return buildKustomize(repo, opts, budget, rel, docs, srcErr)
		}
	}
	var out []sourceObject
	for _, d := range docs {
		u, err := toUnstructured(d)
		if err != nil {
			return nil, diag.List{d.Err("", "%v", err)}
		}
		if u.IsList() {
			return nil, diag.List{d.Err("kind", "%s is not supported in app manifests: write one object per document", u.GetKind())}
		}
		out = append(out, sourceObject{obj: u, origin: Origin{File: d.File, Line: d.Line, Doc: d}})
	}
	if len(out) == 0 {
		return nil, srcErr("source folder %s holds no manifests", rel)
	}
	return out, nil
}

// readDocs parses every YAML file under rel (recursively, sorted), except
// app.yaml and kustomization files, which are not manifests. Every file's
// problems are reported. The app's documents are counted against its
// budget before any is parsed, so an app over it costs its files' bytes,
// not their parse.
func readDocs(fsys fs.FS, opts Options, budget int, rel string) ([]*yamldoc.Document, diag.List) {
	type file struct {
		path string
		data []byte
	}
	var files []file
	var errs diag.List
	count, over := 0, false
	err := fs.WalkDir(fsys, rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(p)
		if d.IsDir() || (path.Ext(p) != ".yaml" && path.Ext(p) != ".yml") || base == intent.AppFile || slices.Contains(kustomizationFiles, base) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, &diag.Error{File: p, Msg: repofs.Message(err), Err: err})
			return nil
		}
		// A file over the documents-per-file bound is refused by its
		// parse, with that bound's error, and yields nothing.
		perFile := opts.Bounds.DocumentsPerFile
		starts := yamldoc.DocumentStarts(data, min(budget-count, perFile)+1)
		if len(starts) > perFile {
			files = append(files, file{p, data})
			return nil
		}
		if count+len(starts) > budget {
			errs = append(errs, intent.ObjectsBound(p, starts[budget-count], opts.Bounds.Objects))
			over = true
			return fs.SkipAll
		}
		count += len(starts)
		files = append(files, file{p, data})
		return nil
	})
	if err != nil {
		errs = append(errs, &diag.Error{File: rel, Msg: repofs.Message(err), Err: err})
	}
	if over {
		return nil, errs
	}
	var docs []*yamldoc.Document
	for _, f := range files {
		ds, perrs := opts.Docs.Parse(f.path, f.data)
		errs = append(errs, diag.Collect(perrs...)...)
		docs = append(docs, ds...)
	}
	return docs, errs
}

func toUnstructured(d *yamldoc.Document) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(d.JSON); err != nil {
		return nil, fmt.Errorf("not a Kubernetes object: %w", err)
	}
	return u, nil
}

// buildKustomize runs kustomize inside the repository jail (package
// kustjail: every kustomization vetted, no network, no file the vetting
// did not name, builtin plugins only) and maps every built object back to
// the document that declared it, when one did.
func buildKustomize(repo *intent.Repo, opts Options, budget int, rel string, docs []*yamldoc.Document, srcErr func(string, ...any) diag.List) ([]sourceObject, diag.List) {
	kb := opts.Bounds
	kb.Objects = budget
	resMap, err := kustjail.Build(repo.FS, rel, kustjail.Options{Bounds: kb, Docs: opts.Docs})
	if err != nil {
		var list diag.List
		if errors.As(err, &list) {
			return nil, list
		}
		return nil, srcErr("kustomize build %s failed: %s", rel, err.Error())
	}
	index := map[string]*yamldoc.Document{}
	for _, d := range docs {
		var h struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if json.Unmarshal(d.JSON, &h) == nil && h.Kind != "" {
			index[h.Kind+"/"+h.Metadata.Name] = d
		}
	}
	kfile := path.Join(rel, "kustomization.yaml")
	var out []sourceObject
	for _, r := range resMap.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, srcErr("kustomize build %s: %v", rel, err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return nil, srcErr("kustomize build %s: %v", rel, err)
		}
		origin := Origin{File: kfile, Line: 1}
		// Generated objects (configMapGenerator) get a hash suffix and no
		// source document; they point at the kustomization.
		if d := index[u.GetKind()+"/"+u.GetName()]; d != nil {
			origin = Origin{File: d.File, Line: d.Line, Doc: d}
		}
		out = append(out, sourceObject{obj: u, origin: origin})
	}
	if len(out) == 0 {
		return nil, srcErr("kustomize build %s produced no objects", rel)
	}
	slices.SortStableFunc(out, func(a, b sourceObject) int {
		return cmp.Or(strings.Compare(a.origin.File, b.origin.File), cmp.Compare(a.origin.Line, b.origin.Line))
	})
	return out, nil
}
