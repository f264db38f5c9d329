package cli

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/flotilla-gitops/flotilla/tools/intent"
)

// A command that names an intent object takes its name or its file, as
// kubectl takes `-f FILE` where a name would do: `drill run
// backup/drills/inference-eu-central.yaml` is the same drill as `drill run
// inference-eu-central`, and `--app apps/paddle-inference` the same app as
// `--app paddle-inference`.

// named is an intent object as resolveName sees it: its name and the file
// (or, for an app, the folder) that declares it, repository-relative.
type named struct {
	name  string
	files []string
}

// resolveName returns the name of the object of kind that arg names,
// either by name or by a path (relative to the working directory, or
// absolute) to the file that declares it. An argument that is neither is
// an error listing what is declared.
func resolveName(repo *intent.Repo, kind, arg string, objects []named) (string, error) {
	for _, o := range objects {
		if o.name == arg {
			return arg, nil
		}
	}
	if rel, ok := repoRelative(repo.Root, arg); ok {
		for _, o := range objects {
			if slices.Contains(o.files, rel) {
				return o.name, nil
			}
		}
	}
	var names []string
	for _, o := range objects {
		names = append(names, o.name)
	}
	return "", fmt.Errorf("no %s named %q or declared in that file (declared: %s)", kind, arg, orNoneList(names))
}

// repoRelative turns a path the user typed into a repository-relative,
// slash-separated one; ok is false when it is not inside the repository.
func repoRelative(root, p string) (string, bool) {
	if root == "" {
		return "", false
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return path.Clean(filepath.ToSlash(rel)), true
}

// drillNames are the repository's DrillPlans for resolveName.
func drillNames(repo *intent.Repo) []named {
	var out []named
	for _, d := range repo.Drills {
		out = append(out, named{name: d.Name, files: []string{d.File()}})
	}
	return out
}

// appNames are the repository's Apps for resolveName: each by its
// app.yaml and by its folder.
func appNames(repo *intent.Repo) []named {
	var out []named
	for _, a := range repo.Apps {
		out = append(out, named{name: a.Name, files: []string{a.File(), a.Dir}})
	}
	return out
}

// clusterNames are the repository's Clusters for resolveName.
func clusterNamesOf(repo *intent.Repo) []named {
	var out []named
	for _, c := range repo.Clusters {
		out = append(out, named{name: c.Name, files: []string{c.File()}})
	}
	return out
}

// resolveNames resolves each of args (names or files) with resolveName.
func resolveNames(repo *intent.Repo, kind string, args []string, objects []named) ([]string, error) {
	out := make([]string, 0, len(args))
	for _, a := range args {
		n, err := resolveName(repo, kind, a, objects)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
