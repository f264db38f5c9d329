package lint

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// siteRule reads a fleet view (_sites, data alone), a per-object helper
// (_site, reads input), a function and a literal constant.
const siteRule = `package flotilla.sites

# METADATA
# title: Unknown site
# description: Objects must name a site of the fleet.
# custom:
#   id: SITE-001
#   severity: error
#   remediation: Use a site of the inventory.
#   scope: object
unknown contains v if {
	not _site in _sites
	_loud(_site)
	v := {"msg": sprintf("site %q is not in the fleet", [_site]), "field": "metadata.labels.site"}
}

_site := input.review.object.metadata.labels.site

_sites contains s if {
	some c in data.inventory.clusters
	s := c.site
}

_quiet := {"lab"}

_loud(s) if not s in _quiet
`

func TestEngineBindsFleetViewsOnce(t *testing.T) {
	p, err := pack(t, map[string]string{"sites.rego": siteRule})
	if err != nil {
		t.Fatal(err)
	}
	roots := []ast.Ref{p.Rules[0].Ref}
	docs := dataOnlyDocs(p.compiler, roots)
	if len(docs) != 1 || docs[0].String() != "data.flotilla.sites._sites" {
		t.Fatalf("data-only documents = %v, want [data.flotilla.sites._sites]", docs)
	}
	ctx := context.Background()
	data := map[string]any{"inventory": map[string]any{"clusters": []any{
		map[string]any{"name": "a", "site": "fra"}, map[string]any{"name": "b", "site": "ams"},
	}}}
	e, err := NewEngine(ctx, p, data)
	if err != nil {
		t.Fatal(err)
	}
	if e.views != 1 {
		t.Errorf("views = %d, want 1", e.views)
	}
	for site, want := range map[string]int{"fra": 0, "ams": 0, "nyc": 1, "lab": 0} {
		in, err := ast.InterfaceToValue(map[string]any{"review": map[string]any{"object": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"site": site}}}}})
		if err != nil {
			t.Fatal(err)
		}
		vs, err := e.Eval(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != want {
			t.Errorf("site %s: violations %+v, want %d", site, vs, want)
		}
	}
	// With no inventory the view is the empty set: every site but the quiet
	// one is reported.
	e, err = NewEngine(ctx, p, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := ast.InterfaceToValue(map[string]any{"review": map[string]any{"object": map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"site": "fra"}}}}})
	if vs, err := e.Eval(ctx, in); err != nil || len(vs) != 1 {
		t.Errorf("empty fleet: violations %+v, err %v; want 1", vs, err)
	}
}
