package lint

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/internal/jsonwords"
	"github.com/flotilla-gitops/flotilla/tools/kustjail"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// PlainOptions configure PlainTargets.
type PlainOptions struct {
	Bounds bounds.Input
	// Exclude are globs (path.Match) of files and folders to leave out,
	// matched against the slash path relative to the folder named and
	// against the base name.
	Exclude []string
	// HelmTemplates reads the templates/ of Helm charts too. By default
	// they are skipped (and listed as skipped): they are Go templates, not
	// YAML, until Helm renders them.
	HelmTemplates bool
}

// PlainSet is what PlainTargets read.
type PlainSet struct {
	Targets []Target
	// Problems are the input errors: files and documents that cannot be
	// read as Kubernetes objects (YAML syntax, a document that is not an
	// object or has no kind, a file the jail refuses). They do not stop the
	// reading of the other files; each names its file and line.
	Problems diag.List
	// Skipped are the files left out on purpose, each with why, in path
	// order: nothing is passed over silently.
	Skipped []Skipped
	// Files counts the files read.
	Files int
}

// Skipped is a file PlainTargets left out.
type Skipped struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Reasons a file is skipped.
const (
	SkipExcluded      = "excluded by --exclude"
	SkipHelmTemplate  = "a Helm chart template (Go template, not YAML; render it with helm template, or pass --helm-templates)"
	SkipHelmChart     = "Helm chart metadata or values, not an object"
	SkipKustomization = "a kustomization, not an object"
)

// PlainTargets reads every Kubernetes object in the YAML files under paths
// (files or folders, walked recursively, hidden folders skipped), for
// checking YAML that is not a Flotilla repository, as kubeconform and
// conftest do. A file or document that cannot be read is a problem of the
// set, not the end of the run: every other file is still read. Lists are
// flattened (Lists inside Lists too), each item located at its own line.
// A folder with a kustomization is built as render builds an app's, and
// the objects it holds are checked as built; Helm chart templates and
// metadata are skipped and listed.
// Every read goes through the repository jail (tools/repofs) rooted at the
// folder named (a file's own folder): the YAML of a pull request is
// untrusted like a repository's, so a symbolic link out of it, a device or
// FIFO, or a file over the bound is a problem, and opts.Bounds bounds
// every document as it does a repository's. The error is for paths that
// cannot be read at all (one that does not exist).
func PlainTargets(paths []string, opts PlainOptions) (*PlainSet, error) {
	type plainFile struct {
		fsys *repofs.FS
		rel  string // inside fsys
		name string // as reported: the path as the user would write it
	}
	b := opts.Bounds
	set := &PlainSet{}
	var files []plainFile
	var kustomizations []kustDir
	skip := func(name, reason string) { set.Skipped = append(set.Skipped, Skipped{File: name, Reason: reason}) }
	for _, p := range paths {
		info, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		root, walk := p, "."
		if !info.IsDir() {
			root, walk = filepath.Dir(p), filepath.Base(p)
		}
		fsys, err := repofs.Dir(root, b.FileBytes)
		if err != nil {
			return nil, err
		}
		err = fs.WalkDir(fsys, walk, func(f string, d fs.DirEntry, err error) error {
			name := filepath.ToSlash(filepath.Join(root, f))
			if err != nil {
				set.Problems = append(set.Problems, &diag.Error{File: name, Msg: repofs.Message(err), Err: err})
				return nil
			}
			if f != walk && excluded(opts.Exclude, f, d.Name()) {
				if d.IsDir() {
					skip(name+"/", SkipExcluded)
					return fs.SkipDir
				}
				if yamlFile(f) {
					skip(name, SkipExcluded)
				}
				return nil
			}
			if d.IsDir() {
				if f != walk && len(d.Name()) > 1 && d.Name()[0] == '.' {
					return fs.SkipDir
				}
				return nil
			}
			if !yamlFile(f) {
				return nil
			}
			if reason := notObjects(fsys, f, opts.HelmTemplates); reason != "" {
				if reason == SkipKustomization {
					// Built below, as render builds an app's.
					kustomizations = append(kustomizations, kustDir{fsys: fsys, root: root, dir: path.Dir(f), name: name})
					return nil
				}
				skip(name, reason)
				return nil
			}
			files = append(files, plainFile{fsys: fsys, rel: f, name: name})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var raw []rawTarget
	slices.SortFunc(files, func(a, b plainFile) int { return strings.Compare(a.name, b.name) })
	files = slices.CompactFunc(files, func(a, b plainFile) bool { return a.name == b.name })
	slices.SortFunc(set.Skipped, func(a, b Skipped) int { return strings.Compare(a.File, b.File) })
	set.Skipped = slices.CompactFunc(set.Skipped, func(a, b Skipped) bool { return a.File == b.File })
	for _, f := range files {
		data, err := f.fsys.ReadFile(f.rel)
		if err != nil {
			set.Problems = append(set.Problems, &diag.Error{File: f.name, Msg: repofs.Message(err), Err: err})
			continue
		}
		set.Files++
		docs, perrs := yamldoc.ParseBounded(f.name, data, b)
		set.Problems = append(set.Problems, diag.Collect(perrs...)...)
		for _, d := range docs {
			targets, problems := documentTargets(d)
			for _, t := range targets {
				raw = append(raw, rawTarget{Target: t, fsys: f.fsys})
			}
			set.Problems = append(set.Problems, problems...)
		}
	}
	built, problems := buildKustomizations(kustomizations, raw, b)
	set.Problems = append(set.Problems, problems...)
	for _, r := range raw {
		if !r.consumed {
			set.Targets = append(set.Targets, r.Target)
		}
	}
	set.Targets = append(set.Targets, built...)
	slices.SortStableFunc(set.Targets, func(a, b Target) int {
		return cmp.Or(strings.Compare(a.Source.File, b.Source.File), cmp.Compare(a.Source.Line, b.Source.Line))
	})
	// A file a kustomization reads and the walk read too reports the same
	// syntax error twice: once is enough.
	set.Problems = slices.CompactFunc(set.Problems.Sort(), func(a, b *diag.Error) bool { return a.Error() == b.Error() })
	return set, nil
}

// kustDir is a folder holding a kustomization, found by the walk.
type kustDir struct {
	fsys *repofs.FS
	root string // the folder named, which fsys is rooted at
	dir  string // inside fsys
	name string // the kustomization file, as reported
}

// rawTarget is an object read from a file, and the jail it was read in.
type rawTarget struct {
	Target
	fsys *repofs.FS
	// consumed: a kustomization's build holds this object, which is
	// checked as built (patched, labelled) rather than as written.
	consumed bool
}

// buildKustomizations builds every kustomization the walk found, inside
// the repository jail (package kustjail: vetted, no network), as render
// builds an app's: each built object is located at the document that
// declared it (by kind and name), or at the kustomization for what it
// generates or renames. The documents a build holds are checked as built,
// not a second time as written.
func buildKustomizations(ks []kustDir, raw []rawTarget, b bounds.Input) ([]Target, diag.List) {
	slices.SortFunc(ks, func(a, b kustDir) int { return strings.Compare(a.name, b.name) })
	var out []Target
	var problems diag.List
	for _, k := range ks {
		rm, err := kustjail.Build(k.fsys, k.dir, kustjail.Options{Bounds: b})
		if err != nil {
			var list diag.List
			if errors.As(err, &list) {
				for _, e := range list {
					e := *e
					e.File = filepath.ToSlash(filepath.Join(k.root, e.File))
					problems = append(problems, &e)
				}
				continue
			}
			problems = append(problems, &diag.Error{File: k.name, Line: 1, Msg: "kustomize build failed: " + err.Error(), Err: err})
			continue
		}
		for _, r := range rm.Resources() {
			data, err := r.MarshalJSON()
			if err != nil {
				problems = append(problems, &diag.Error{File: k.name, Line: 1, Msg: "kustomize build: " + err.Error(), Err: err})
				continue
			}
			var m map[string]any
			if err := utiljson.Unmarshal(data, &m); err != nil {
				problems = append(problems, &diag.Error{File: k.name, Line: 1, Msg: "kustomize build: " + err.Error(), Err: err})
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			pos := Position{File: k.name, Line: 1}
			for i := range raw {
				o := raw[i].Object
				if raw[i].fsys == k.fsys && o.GetKind() == u.GetKind() && o.GetName() == u.GetName() {
					pos = raw[i].Source
					raw[i].consumed = true
				}
			}
			out = append(out, Target{Object: u, Source: pos})
		}
	}
	return out, problems
}

func yamlFile(f string) bool {
	ext := path.Ext(f)
	return ext == ".yaml" || ext == ".yml" || ext == ".json"
}

// excluded says a file or folder matches one of the --exclude globs, by
// its path under the folder named or by its name.
func excluded(globs []string, rel, name string) bool {
	for _, g := range globs {
		g = strings.TrimSuffix(g, "/")
		if ok, _ := path.Match(g, rel); ok {
			return true
		}
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// notObjects says why a YAML file holds no Kubernetes objects by what it
// is — a kustomization (which is built instead), a Helm chart's metadata,
// values or templates — or "" when it is to be read.
func notObjects(fsys fs.StatFS, f string, helmTemplates bool) string {
	base := path.Base(f)
	if slices.Contains(konfig.RecognizedKustomizationFileNames(), base) {
		return SkipKustomization
	}
	dir := path.Dir(f)
	isChart := func(d string) bool {
		_, err := fsys.Stat(path.Join(d, "Chart.yaml"))
		return err == nil
	}
	if (base == "Chart.yaml" || strings.HasPrefix(base, "values")) && isChart(dir) {
		return SkipHelmChart
	}
	if helmTemplates {
		return ""
	}
	// Anywhere under a chart's templates/ folder.
	for d := dir; d != "." && d != "/"; d = path.Dir(d) {
		if path.Base(d) == "templates" && isChart(path.Dir(d)) {
			return SkipHelmTemplate
		}
	}
	return ""
}

// documentTargets turns one document into its objects — a List into its
// items, recursively — or says why it holds none.
func documentTargets(d *yamldoc.Document) ([]Target, diag.List) {
	// apimachinery's JSON, as Unstructured decodes: whole numbers are
	// int64, as the engines' code expects.
	var v any
	if err := utiljson.Unmarshal(d.JSON, &v); err != nil {
		return nil, diag.List{&diag.Error{File: d.File, Line: d.Line, Msg: "document does not convert to JSON: " + err.Error(), Err: err}}
	}
	if v == nil {
		return nil, nil // "~" or "null": nothing in it
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, diag.List{&diag.Error{File: d.File, Line: d.Line, Column: 1,
			Msg: fmt.Sprintf("not a Kubernetes object: the document is %s, not a mapping with apiVersion and kind", jsonwords.Describe(v))}}
	}
	return objectTargets(d, m, "")
}

// objectTargets reads the object m found at field prefix of d ("" for the
// document itself, "items[2]" for a List's item).
func objectTargets(d *yamldoc.Document, m map[string]any, prefix string) ([]Target, diag.List) {
	at := func(field string) *diag.Error {
		full := field
		if prefix != "" {
			full = strings.TrimSuffix(prefix+"."+field, ".")
		}
		line, col := d.Locate(full)
		return &diag.Error{File: d.File, Line: line, Column: col, Field: full}
	}
	kind, _ := m["kind"].(string)
	apiVersion, _ := m["apiVersion"].(string)
	if kind == "" {
		e := at("")
		switch {
		case m["kind"] != nil:
			e = at("kind")
			e.Msg = fmt.Sprintf("kind is %s, not a string", jsonwords.Describe(m["kind"]))
		case apiVersion == "" && m["apiVersion"] == nil:
			e.Msg = "not a Kubernetes object: no apiVersion and no kind"
		default:
			e.Msg = "not a Kubernetes object: no kind (it has apiVersion " + fmt.Sprint(m["apiVersion"]) + ")"
		}
		return nil, diag.List{e}
	}
	u := &unstructured.Unstructured{Object: m}
	pos := Position{File: d.File, Line: d.Line, Doc: d}
	if prefix != "" {
		line, _ := d.Locate(prefix)
		pos = Position{File: d.File, Line: line, Doc: d, Fields: itemFields(m, prefix)}
	}
	if !strings.HasSuffix(kind, "List") || m["items"] == nil {
		return []Target{{Object: u, Source: pos}}, nil
	}
	items, ok := m["items"].([]any)
	if !ok {
		e := at("items")
		e.Msg = fmt.Sprintf("%s items is %s, not a list", kind, jsonwords.Describe(m["items"]))
		return nil, diag.List{e}
	}
	var targets []Target
	var problems diag.List
	for i, item := range items {
		field := fmt.Sprintf("items[%d]", i)
		if prefix != "" {
			field = prefix + "." + field
		}
		im, ok := item.(map[string]any)
		if !ok {
			line, col := d.Locate(field)
			problems = append(problems, &diag.Error{File: d.File, Line: line, Column: col, Field: field,
				Msg: fmt.Sprintf("a %s item is %s, not a Kubernetes object", kind, jsonwords.Describe(item))})
			continue
		}
		t, p := objectTargets(d, im, field)
		targets = append(targets, t...)
		problems = append(problems, p...)
	}
	return targets, problems
}

// itemFields maps the fields of a List's item onto the List's document:
// each top-level field to prefix.field, anything else to the item.
func itemFields(m map[string]any, prefix string) yamldoc.FieldMap {
	fm := yamldoc.FieldMap{{From: "", To: prefix}}
	for k := range m {
		fm = append(fm, yamldoc.FieldRename{From: k, To: prefix + "." + k})
	}
	slices.SortFunc(fm, func(a, b yamldoc.FieldRename) int { return strings.Compare(a.From, b.From) })
	return fm
}
