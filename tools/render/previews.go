package render

import (
	"context"
	"encoding/json"
	"regexp"

	argov1alpha1 "github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"

	"github.com/flotilla-gitops/flotilla/tools/appset"
	"github.com/flotilla-gitops/flotilla/tools/resultcache"
)

// expand is appset.Expand, answered from results when the same binary
// expanded the same ApplicationSet, project and folders before. Argo CD's
// templating builds a template with every Sprig function for each string
// of each generated Application: at 10k objects it is most of a render's
// allocations, and a pull request rarely changes its inputs.
func expand(ctx context.Context, as *argov1alpha1.ApplicationSet, proj *argov1alpha1.AppProject, tree *appset.Tree, results *resultcache.Bundle) ([]argov1alpha1.Application, error) {
	key, cacheable := previewKey(as, proj, tree)
	if cacheable {
		if v, ok := results.Get(key); ok {
			var apps []argov1alpha1.Application
			if err := json.Unmarshal(v, &apps); err == nil {
				return apps, nil
			}
		}
	}
	apps, err := appset.Expand(ctx, as, proj, tree)
	if err != nil {
		return nil, err
	}
	if cacheable {
		if v, err := json.Marshal(apps); err == nil {
			results.Put(key, v)
		}
	}
	return apps, nil
}

// unrepeatable finds Sprig functions whose result changes from run to
// run (the clock, randomness, fresh keys) in a template action: an
// ApplicationSet using one is expanded every time, as Argo CD would.
var unrepeatable = regexp.MustCompile(`\{\{[^}]*\b(now|rand[A-Za-z]*|uuidv4|gen[A-Za-z]*(Key|CA|Cert)[A-Za-z]*|shuffle)\b`)

// previewKey is the key of an expansion: everything appset.Expand reads.
func previewKey(as *argov1alpha1.ApplicationSet, proj *argov1alpha1.AppProject, tree *appset.Tree) (resultcache.Key, bool) {
	a, err1 := json.Marshal(as)
	p, err2 := json.Marshal(proj)
	t, err3 := json.Marshal(tree)
	if err1 != nil || err2 != nil || err3 != nil || unrepeatable.Match(a) {
		return resultcache.Key{}, false
	}
	return resultcache.NewKey([]byte("appset-previews/1"), a, p, t), true
}
