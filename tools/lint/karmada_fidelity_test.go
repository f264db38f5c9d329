package lint

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
	corev1 "k8s.io/api/core/v1"

	flotilla "github.com/flotilla-gitops/flotilla"
	"github.com/flotilla-gitops/flotilla/tools/internal/karmadarand"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
)

// TestPackKarmadaMatchingAgreesWithKarmada holds the pack's Rego
// re-implementation of Karmada's cluster selection (lib/karmada.rego:
// selected, candidates, groups) to Karmada's own code: util.ClusterMatches
// and the scheduler's taint filter (karmadaspec.Tolerates), on random
// fleets and random affinities (labels, fields with every operator, zones,
// names, exclusions, invalid selectors) and tolerations.
func TestPackKarmadaMatchingAgreesWithKarmada(t *testing.T) {
	ctx := context.Background()
	p, err := LoadPack(Source{Name: "policies", FS: flotilla.DefaultPolicies()})
	if err != nil {
		t.Fatal(err)
	}
	g := karmadarand.New(3, 4)
	taints := []corev1.Taint{
		{Key: "dedicated", Value: "ml", Effect: corev1.TaintEffectNoSchedule},
		{Key: "soft", Effect: corev1.TaintEffectPreferNoSchedule},
		{Key: "gone", Effect: corev1.TaintEffectNoExecute},
	}
	tolerations := []corev1.Toleration{
		{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "ml", Effect: corev1.TaintEffectNoSchedule},
		{Key: "gone", Operator: corev1.TolerationOpExists},
		{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	}
	checked, selected, candidates := 0, 0, 0
	for fleetNo := range 4 {
		// A fleet as data.flotilla.fleet holds it, and the Karmada Clusters
		// render makes of it (spec.zones = [zone]).
		fleet := map[string]any{}
		var kcs []*clusterv1alpha1.Cluster
		for i := range 24 {
			kc := &clusterv1alpha1.Cluster{}
			kc.Name = fmt.Sprintf("c%d", i)
			kc.Labels = map[string]string{}
			for _, k := range g.Some("env", "tier", "team") {
				kc.Labels[k] = g.Pick("a", "b", "c")
			}
			kc.Spec.Provider = g.Pick("aws", "gcp", "")
			kc.Spec.Region = g.Pick("r1", "r2", "r3", "5", "12", "")
			spec := map[string]any{"provider": kc.Spec.Provider, "region": kc.Spec.Region}
			if z := g.Pick("z1", "z2", "z3", ""); z != "" {
				kc.Spec.Zones = []string{z}
				spec["zone"] = z
			}
			var ts []any
			for _, tt := range taints {
				if g.IntN(4) == 0 {
					kc.Spec.Taints = append(kc.Spec.Taints, tt)
					ts = append(ts, map[string]any{"key": tt.Key, "value": tt.Value, "effect": string(tt.Effect)})
				}
			}
			if ts != nil {
				spec["taints"] = ts
			}
			labels := map[string]any{}
			for k, v := range kc.Labels {
				labels[k] = v
			}
			fleet[kc.Name] = map[string]any{"metadata": map[string]any{"name": kc.Name, "labels": labels}, "spec": spec}
			kcs = append(kcs, kc)
		}
		store := inmem.NewFromObject(map[string]any{"flotilla": map[string]any{"fleet": map[string]any{"clusters": fleet}}})
		// The fleet views (the cluster index), evaluated once per fleet and
		// seeded into every evaluation, as the lint engine does.
		views, err := evalViews(ctx, p.compiler, store, []ast.Ref{
			ast.MustParseRef("data.flotilla.lib.karmada.fleet_index"),
			ast.MustParseRef("data.flotilla.lib.karmada.plane_index"),
		})
		if err != nil || len(views) != 2 {
			t.Fatalf("fleet views: %v, %v", views, err)
		}
		seeded := func() topdown.VirtualCache {
			vc := topdown.NewVirtualCache()
			for _, v := range views {
				vc.Put(v.doc, v.value)
			}
			return vc
		}
		q, err := rego.New(
			rego.Query(`s := data.flotilla.lib.karmada.selected(input.a); c := data.flotilla.lib.karmada.candidates(input.a, input.t); g := {k: data.flotilla.lib.karmada.groups(s, {"spreadByField": k}) | some k in ["cluster", "region", "zone", "provider"]}; l := data.flotilla.lib.karmada.groups(s, {"spreadByLabel": "env"})`),
			rego.Compiler(p.compiler), rego.Store(store),
		).PrepareForEval(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for range 300 {
			a := g.Affinity()
			var tols []corev1.Toleration
			for _, tl := range tolerations {
				if g.IntN(2) == 0 {
					tols = append(tols, tl)
				}
			}
			affinity := any(nil)
			if g.IntN(20) > 0 { // sometimes no affinity at all: every cluster
				affinity = a
			}
			var wantSel, wantCand []string
			wantGroups := map[string][]string{}
			wantEnv := []string{}
			for _, kc := range kcs {
				if affinity != nil && !karmadautil.ClusterMatches(kc, *a) {
					continue
				}
				wantSel = append(wantSel, kc.Name)
				for k, v := range map[string][]string{"cluster": {kc.Name}, "region": {kc.Spec.Region}, "zone": kc.Spec.Zones, "provider": {kc.Spec.Provider}} {
					for _, g := range v {
						if g != "" && !slices.Contains(wantGroups[k], g) {
							wantGroups[k] = append(wantGroups[k], g)
						}
					}
				}
				if v, ok := kc.Labels["env"]; ok && !slices.Contains(wantEnv, v) {
					wantEnv = append(wantEnv, v)
				}
				if ok, _ := karmadaspec.Tolerates(kc, tols); ok {
					wantCand = append(wantCand, kc.Name)
				}
			}
			in, err := toInput(map[string]any{"a": affinity, "t": tols})
			if err != nil {
				t.Fatal(err)
			}
			rs, err := q.Eval(ctx, rego.EvalParsedInput(in), rego.EvalVirtualCache(seeded()))
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 {
				t.Fatalf("fleet %d, affinity %s: %d results", fleetNo, show(affinity), len(rs))
			}
			b := rs[0].Bindings
			if got := setStrings(b["s"]); !slices.Equal(got, sorted(wantSel)) {
				t.Fatalf("fleet %d, affinity %s: selected %v, Karmada %v", fleetNo, show(affinity), got, sorted(wantSel))
			}
			if got := setStrings(b["c"]); !slices.Equal(got, sorted(wantCand)) {
				t.Fatalf("fleet %d, affinity %s, tolerations %s: candidates %v, Karmada %v", fleetNo, show(affinity), show(tols), got, sorted(wantCand))
			}
			for k, g := range b["g"].(map[string]any) {
				if got := setStrings(g); !slices.Equal(got, sorted(wantGroups[k])) {
					t.Fatalf("fleet %d, affinity %s: %s groups %v, want %v", fleetNo, show(affinity), k, got, sorted(wantGroups[k]))
				}
			}
			if got := setStrings(b["l"]); !slices.Equal(got, sorted(wantEnv)) {
				t.Fatalf("fleet %d, affinity %s: env label groups %v, want %v", fleetNo, show(affinity), got, sorted(wantEnv))
			}
			checked++
			selected += len(wantSel)
			candidates += len(wantCand)
		}
	}
	// Guard against a generator that never selects anything, or never
	// leaves a tainted cluster out.
	if selected < checked || candidates == selected {
		t.Fatalf("%d affinities selected %d clusters, %d candidates: the random cases do not exercise matching", checked, selected, candidates)
	}
}

func toInput(v any) (ast.Value, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return ast.InterfaceToValue(m)
}

func show(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

// strings reads a set of strings of a result as a sorted list.
func setStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return sorted(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		s = []string{}
	}
	return s
}
