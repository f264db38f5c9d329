package lint

import (
	"context"
	"slices"
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
	if len(e.views) != 1 {
		t.Errorf("views = %d, want 1", len(e.views))
	}
	for site, want := range map[string]int{"fra": 0, "ams": 0, "nyc": 1, "lab": 0} {
		in, err := ast.InterfaceToValue(map[string]any{"review": map[string]any{"object": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"site": site}}}}})
		if err != nil {
			t.Fatal(err)
		}
		vs, err := e.Eval(ctx, Kind{}, in)
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
	if vs, err := e.Eval(ctx, Kind{}, in); err != nil || len(vs) != 1 {
		t.Errorf("empty fleet: violations %+v, err %v; want 1", vs, err)
	}
}

// kindRules: a family whose package declares Pod, one rule that narrows it
// to Services, one that declares nothing (every kind).
const kindRules = `# METADATA
# title: Kinds
# custom:
#   match:
#     kinds:
#       - apiGroups: [""]
#         kinds: [Pod]
package flotilla.kinds

# METADATA
# title: Pod rule
# custom:
#   id: K-POD
#   severity: error
#   remediation: x
#   scope: object
pod contains "pod" if input.review.object.kind

# METADATA
# title: Service rule
# custom:
#   id: K-SVC
#   severity: error
#   remediation: x
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Service]
svc contains "svc" if input.review.object.kind
`

const anyRule = `package flotilla.any

# METADATA
# title: Any rule
# custom:
#   id: K-ANY
#   severity: error
#   remediation: x
#   scope: object
everything contains "any" if input.review.object.kind
`

// TestEngineRunsRulesOnTheKindsTheyMatch: each rule reports only on the
// kinds its match (or its package's) declares; objects no rule matches
// cost no query.
func TestEngineRunsRulesOnTheKindsTheyMatch(t *testing.T) {
	p, err := pack(t, map[string]string{"kinds.rego": kindRules, "any.rego": anyRule})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, err := NewEngine(ctx, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind Kind
		want []string
	}{
		{Kind{"", "Pod"}, []string{"K-ANY", "K-POD"}},
		{Kind{"apps", "Pod"}, []string{"K-ANY"}}, // the package names the core group only
		{Kind{"", "Service"}, []string{"K-ANY", "K-SVC"}},
		{Kind{"serving.knative.dev", "Service"}, []string{"K-ANY", "K-SVC"}},
		{Kind{"", "ConfigMap"}, []string{"K-ANY"}},
	} {
		in, err := ast.InterfaceToValue(map[string]any{"review": map[string]any{"object": map[string]any{"kind": tc.kind.Kind}}})
		if err != nil {
			t.Fatal(err)
		}
		vs, err := e.Eval(ctx, tc.kind, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range vs {
			got = append(got, v.Rule.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: rules %v, want %v", tc.kind, got, tc.want)
		}
	}
	// One query per set of rules: {ANY, POD}, {ANY} (apps/Pod and ConfigMap), {ANY, SVC} (both Services).
	if len(e.queries) != 3 {
		t.Errorf("%d queries prepared, want 3 (one per set of rules)", len(e.queries))
	}

	only, err := pack(t, map[string]string{"kinds.rego": kindRules})
	if err != nil {
		t.Fatal(err)
	}
	e, err = NewEngine(ctx, only, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.Applies(Kind{"", "ConfigMap"}) || !e.Applies(Kind{"", "Pod"}) {
		t.Error("Applies: want Pods and Services only")
	}
	if vs, err := e.Eval(ctx, Kind{"", "ConfigMap"}, nil); err != nil || len(vs) != 0 {
		t.Errorf("an object no rule matches: %v, %v; want nothing and no input read", vs, err)
	}
}
