package lint

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// PlainTargets reads every Kubernetes object in the YAML files under paths
// (files or folders, walked recursively, hidden folders skipped), for
// linting YAML that is not a Flotilla repository. Documents that are not
// objects (no apiVersion or kind) are skipped; files that do not parse are
// errors.
func PlainTargets(paths []string) ([]Target, error) {
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if f != p && len(d.Name()) > 1 && d.Name()[0] == '.' {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := path.Ext(f); ext == ".yaml" || ext == ".yml" || ext == ".json" {
				files = append(files, f)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(files)
	files = slices.Compact(files)
	var targets []Target
	var errs diag.List
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		name := filepath.ToSlash(f)
		docs, perrs := yamldoc.Parse(name, data)
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
