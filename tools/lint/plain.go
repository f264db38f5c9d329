package lint

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// PlainTargets reads every Kubernetes object in the YAML files under paths
// (files or folders, walked recursively, hidden folders skipped), for
// linting YAML that is not a Flotilla repository. Documents that are not
// objects (no apiVersion or kind) are skipped; files that do not parse are
// errors. Every read goes through the repository jail (tools/repofs)
// rooted at the folder named (a file's own folder): the YAML of a pull
// request is untrusted like a repository's, so a symbolic link out of it,
// a device or FIFO, or a file over the bound is an error, and b bounds
// every document as it does a repository's.
func PlainTargets(paths []string, b bounds.Input) ([]Target, error) {
	type plainFile struct {
		fsys *repofs.FS
		rel  string // inside fsys
		name string // as reported: the path as the user would write it
	}
	var files []plainFile
	var errs diag.List
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
			if err != nil {
				errs = append(errs, &diag.Error{File: filepath.ToSlash(filepath.Join(root, f)), Msg: repofs.Message(err), Err: err})
				return nil
			}
			if d.IsDir() {
				if f != walk && len(d.Name()) > 1 && d.Name()[0] == '.' {
					return fs.SkipDir
				}
				return nil
			}
			if ext := path.Ext(f); ext == ".yaml" || ext == ".yml" || ext == ".json" {
				files = append(files, plainFile{fsys: fsys, rel: f, name: filepath.ToSlash(filepath.Join(root, f))})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(files, func(a, b plainFile) int { return strings.Compare(a.name, b.name) })
	files = slices.CompactFunc(files, func(a, b plainFile) bool { return a.name == b.name })
	var targets []Target
	for _, f := range files {
		data, err := f.fsys.ReadFile(f.rel)
		if err != nil {
			errs = append(errs, &diag.Error{File: f.name, Msg: repofs.Message(err), Err: err})
			continue
		}
		name := f.name
		docs, perrs := yamldoc.ParseBounded(name, data, b)
		errs = append(errs, diag.Collect(perrs...)...)
		for _, d := range docs {
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(d.JSON); err != nil || u.GetKind() == "" {
				continue
			}
			if u.IsList() {
				items, err := u.ToList()
				if err != nil {
					// An item that is not an object: the user's input is
					// wrong, say where instead of skipping the whole List.
					errs = append(errs, &diag.Error{File: name, Line: d.Line, Object: "List", Field: "items", Msg: "a List item is not a Kubernetes object: " + err.Error(), Err: err})
					continue
				}
				for i := range items.Items {
					targets = append(targets, Target{Object: &items.Items[i], Source: Position{File: name, Line: d.Line}})
				}
				continue
			}
			targets = append(targets, Target{Object: u, Source: Position{File: name, Line: d.Line, Doc: d}})
		}
	}
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	return targets, nil
}
