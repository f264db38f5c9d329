package apischema

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/apischema/internal/crdindex"
)

// lazyCRD is an embedded CRD whose kinds are built on first use. Parsing
// the engines' CRD YAML and building their validators was most of a
// Validator's start (~0.3 CPU-s, for some 50 CRDs), paid by every run
// whatever it checked; now a run pays for the CRDs its objects use.
type lazyCRD struct {
	entry crdindex.Entry

	once  sync.Once
	crd   *apiextensionsv1.CustomResourceDefinition
	kinds map[schema.GroupVersionKind]*kind
	err   error
}

// load parses the CRD and builds its kinds, once.
func (l *lazyCRD) load(v *Validator) error {
	l.once.Do(func() {
		data, err := fs.ReadFile(embeddedCRDs(), l.entry.File)
		if err != nil {
			l.err = err
			return
		}
		crds, err := parseCRDs(v.scheme, data)
		if err != nil {
			l.err = fmt.Errorf("%s: %w", l.entry.File, err)
			return
		}
		for _, c := range crds {
			if c.Name == l.entry.Name {
				l.crd = c
			}
		}
		if l.crd == nil {
			l.err = fmt.Errorf("%s holds no CRD %s (crds/%s is stale: run go generate ./tools/apischema)", l.entry.File, l.entry.Name, crdindex.File)
			return
		}
		ks, err := newCRDKinds(l.crd, v.hooks)
		if err != nil {
			l.err = fmt.Errorf("CRD %s: %w", l.crd.Name, err)
			return
		}
		l.kinds = map[schema.GroupVersionKind]*kind{}
		for _, k := range ks {
			l.kinds[k.gvk] = k
		}
	})
	return l.err
}

// readIndex reads the embedded CRDs' index.
func readIndex() ([]crdindex.Entry, error) {
	data, err := fs.ReadFile(embeddedCRDs(), crdindex.File)
	if err != nil {
		return nil, err
	}
	var entries []crdindex.Entry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("crds/%s: %w", crdindex.File, err)
	}
	return entries, nil
}

// kind returns the served kind of gvk, building it from its embedded CRD
// on first use.
func (v *Validator) kind(gvk schema.GroupVersionKind) (*kind, error) {
	if k, ok := v.kinds[gvk]; ok {
		return k, nil
	}
	l, ok := v.lazy[gvk]
	if !ok {
		return nil, nil
	}
	if err := l.load(v); err != nil {
		return nil, err
	}
	return l.kinds[gvk], nil
}
