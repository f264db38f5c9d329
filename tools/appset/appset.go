package appset

import (
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/argoproj/argo-cd/v2/applicationset/controllers/template"
	"github.com/argoproj/argo-cd/v2/applicationset/generators"
	"github.com/argoproj/argo-cd/v2/applicationset/utils"
	argov1alpha1 "github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	log "github.com/sirupsen/logrus"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/flotilla-gitops/flotilla/tools/redact"
)

// Tree is the repository content the git generator sees.
type Tree struct {
	// RepoURL is the only repository the tree answers for.
	RepoURL string
	// Dirs are repository-relative directories ("rendered/x/apps/y").
	Dirs []string
	// Files maps repository-relative file paths to content, for git file
	// generators.
	Files map[string][]byte
}

// notThis refuses a generator over another repository; both URLs are
// shown without userinfo (fleet.yaml's repoURL may carry a token).
func (t *Tree) notThis(repoURL string) error {
	return fmt.Errorf("repository %s is not this repository (%s): flotilla only previews generators over its own repository", redact.URL(repoURL), redact.URL(t.RepoURL))
}

// GetFiles implements services.Repos: files matching the glob pattern.
func (t *Tree) GetFiles(_ context.Context, repoURL, _, pattern string, _, _ bool) (map[string][]byte, error) {
	if repoURL != t.RepoURL {
		return nil, t.notThis(repoURL)
	}
	out := map[string][]byte{}
	for p, data := range t.Files {
		if ok, err := path.Match(pattern, p); err != nil {
			return nil, err
		} else if ok {
			out[p] = data
		}
	}
	return out, nil
}

// GetDirectories implements services.Repos: every directory, in the order
// a walk of the checkout visits them.
func (t *Tree) GetDirectories(_ context.Context, repoURL, _ string, _, _ bool) ([]string, error) {
	if repoURL != t.RepoURL {
		return nil, t.notThis(repoURL)
	}
	dirs := slices.Clone(t.Dirs)
	slices.SortFunc(dirs, walkOrder)
	return slices.Compact(dirs), nil
}

// walkOrder compares paths component by component, the order
// filepath.WalkDir visits them.
func walkOrder(a, b string) int {
	pa, pb := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if c := strings.Compare(pa[i], pb[i]); c != 0 {
			return c
		}
	}
	return len(pa) - len(pb)
}

// WithParents adds every parent of the given directories, as a walk of the
// checkout would list them.
func WithParents(dirs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		for p := d; p != "." && p != "/" && p != ""; p = path.Dir(p) {
			if seen[p] {
				break
			}
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// Expand returns the Applications the ApplicationSet generates, using Argo
// CD's own generator and template code. An ApplicationSet that generates no
// Application is an error: Argo CD would silently create nothing.
func Expand(ctx context.Context, appSet *argov1alpha1.ApplicationSet, project *argov1alpha1.AppProject, tree *Tree) ([]argov1alpha1.Application, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := argov1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(project.DeepCopy()).Build()
	gens := map[string]generators.Generator{
		"List": generators.NewListGenerator(),
		"Git":  generators.NewGitGenerator(tree, appSet.Namespace),
	}
	// Matrix and Merge combine the terminal generators above.
	terminal := map[string]generators.Generator{"List": gens["List"], "Git": gens["Git"]}
	nested := map[string]generators.Generator{
		"List":   gens["List"],
		"Git":    gens["Git"],
		"Matrix": generators.NewMatrixGenerator(terminal),
		"Merge":  generators.NewMergeGenerator(terminal),
	}
	gens["Matrix"] = generators.NewMatrixGenerator(nested)
	gens["Merge"] = generators.NewMergeGenerator(nested)
	for i, g := range appSet.Spec.Generators {
		if name := generatorName(g); name == "" || gens[name] == nil {
			return nil, fmt.Errorf("ApplicationSet/%s/%s: spec.generators[%d]: generator %s cannot be previewed offline (supported: Git, List, Matrix, Merge)", appSet.Namespace, appSet.Name, i, orUnknown(name))
		}
	}

	logger := log.New()
	logger.SetOutput(io.Discard) // the controller logs every step; errors come back as values
	apps, reason, err := template.GenerateApplications(log.NewEntry(logger), *appSet.DeepCopy(), gens, &utils.Render{}, c)
	if err != nil {
		return nil, fmt.Errorf("ApplicationSet/%s/%s: %s: %w", appSet.Namespace, appSet.Name, reason, err)
	}
	if len(apps) == 0 {
		return nil, fmt.Errorf("ApplicationSet/%s/%s: generates no Application (Argo CD would create nothing): check the generators' paths", appSet.Namespace, appSet.Name)
	}
	slices.SortFunc(apps, func(a, b argov1alpha1.Application) int { return strings.Compare(a.Name, b.Name) })
	return apps, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(none set)"
	}
	return s
}

// generatorName says which generator an entry uses.
func generatorName(g argov1alpha1.ApplicationSetGenerator) string {
	switch {
	case g.Git != nil:
		return "Git"
	case g.List != nil:
		return "List"
	case g.Matrix != nil:
		return "Matrix"
	case g.Merge != nil:
		return "Merge"
	case g.Clusters != nil:
		return "Clusters"
	case g.SCMProvider != nil:
		return "SCMProvider"
	case g.ClusterDecisionResource != nil:
		return "ClusterDecisionResource"
	case g.PullRequest != nil:
		return "PullRequest"
	case g.Plugin != nil:
		return "Plugin"
	}
	return ""
}
