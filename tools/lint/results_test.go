package lint

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/flotilla-gitops/flotilla/tools/resultcache"
)

// readsRules are four rules that each read one kind of data besides their
// input: none, the inventory, the fleet's clusters, and a fleet view.
const readsRules = `package flotilla.reads

# METADATA
# title: Object only
# custom:
#   id: R-OBJ
#   severity: error
#   scope: object
obj contains "labelled bad" if input.review.object.metadata.labels.bad

# METADATA
# title: Peer in the inventory
# custom:
#   id: R-INV
#   severity: error
#   scope: object
inv contains "peer missing" if {
	peer := input.review.object.data.peer
	not data.inventory.namespace.ns.v1.ConfigMap[peer]
}

# METADATA
# title: Cluster is not edge
# custom:
#   id: R-FLT
#   severity: error
#   scope: placement
flt contains "lands on an edge cluster" if {
	data.flotilla.fleet.clusters[input.review.object.data.cluster].spec.kind == "edge"
}

# METADATA
# title: Site of the fleet
# custom:
#   id: R-VIEW
#   severity: error
#   scope: placement
view contains "unknown site" if {
	not input.review.object.data.site in _sites
}

_sites contains s if {
	some c in data.flotilla.fleet.clusters
	s := c.spec.site
}
`

// TestKeptVerdictsFollowTheDataEachRuleReads: an engine with a result cache
// gives, in every world (the same inputs; the inventory, a cluster's
// facts or a fleet view changed), exactly what an engine without one
// gives — and the rules that read none of what changed are answered from
// the cache.
func TestKeptVerdictsFollowTheDataEachRuleReads(t *testing.T) {
	p, err := pack(t, map[string]string{"reads.rego": readsRules})
	if err != nil {
		t.Fatal(err)
	}
	world := func(peer bool, kind, site string) map[string]any {
		cms := map[string]any{}
		if peer {
			cms["peer"] = map[string]any{"kind": "ConfigMap"}
		}
		return map[string]any{
			"inventory": map[string]any{"namespace": map[string]any{"ns": map[string]any{"v1": map[string]any{"ConfigMap": cms}}}},
			"flotilla": map[string]any{"fleet": map[string]any{"clusters": map[string]any{
				"a": map[string]any{"spec": map[string]any{"kind": kind, "site": site}},
				"b": map[string]any{"spec": map[string]any{"kind": "cloud", "site": "ams"}},
			}}},
		}
	}
	worlds := []struct {
		name string
		data map[string]any
	}{
		{"first", world(true, "cloud", "fra")},
		{"the same again", world(true, "cloud", "fra")},
		{"the peer removed from the inventory", world(false, "cloud", "fra")},
		{"cluster a made edge", world(false, "edge", "fra")},
		{"cluster a moved to another site (a view)", world(false, "edge", "par")},
		{"all back", world(true, "cloud", "fra")},
	}
	inputs := []ast.Value{}
	for _, obj := range []map[string]any{
		{"metadata": map[string]any{"labels": map[string]any{"bad": true}}, "data": map[string]any{"peer": "peer", "cluster": "a", "site": "fra"}},
		{"metadata": map[string]any{}, "data": map[string]any{"peer": "peer", "cluster": "b", "site": "ams"}},
	} {
		v, err := ast.InterfaceToValue(map[string]any{"review": map[string]any{"object": obj}})
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, v)
	}
	ctx := context.Background()
	kind := Kind{Kind: "ConfigMap"}
	root := t.TempDir()
	verdicts := func(e *Engine) []string {
		var out []string
		for i, in := range inputs {
			vs, err := e.Eval(ctx, kind, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				out = append(out, fmt.Sprintf("%d %s %s", i, v.Rule.ID, v.Msg))
			}
		}
		return out
	}
	for i, w := range worlds {
		cold, err := NewEngine(ctx, p, w.data)
		if err != nil {
			t.Fatal(err)
		}
		warm, err := NewEngine(ctx, p, w.data)
		if err != nil {
			t.Fatal(err)
		}
		run, err := resultcache.Open(root, "go:test") // each world is a run
		if err != nil {
			t.Fatal(err)
		}
		b := run.Bundle("lint")
		warm.KeepResults(b, w.data)
		want, got := verdicts(cold), verdicts(warm)
		if !slices.Equal(want, got) {
			t.Errorf("%s: with the cache %q, without %q", w.name, got, want)
		}
		hits, misses := b.Stats()
		t.Logf("%s: %q; %d reused, %d evaluated", w.name, got, hits, misses)
		if i > 0 && hits < len(inputs) {
			// The object-only rule reads nothing that changes.
			t.Errorf("%s: %d results reused, want at least the object-only rule's %d", w.name, hits, len(inputs))
		}
		if w.name == "the same again" && misses > 0 {
			t.Errorf("nothing changed, yet %d results were evaluated again", misses)
		}
		if err := b.Save(); err != nil {
			t.Fatal(err)
		}
	}
}
