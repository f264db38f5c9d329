package plan

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/report"
)

func deployment(image string, replicas int64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{
			"replicas": replicas,
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "web", "image": image}}},
			},
		},
	}}
}

func pdb(minAvailable int64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec":     map[string]any{"minAvailable": minAvailable, "selector": map[string]any{"matchLabels": map[string]any{"app": "web"}}},
	}}
}

// side places a divided Deployment (replicas per cluster) and, optionally,
// a PDB on the same clusters.
func side(image string, shares map[string]int32, minAvailable int64) *Side {
	s := &Side{Label: "x", Objects: map[string]*Object{}, Clusters: []Cluster{
		{Name: "a", Wave: 1, Kind: "cloud", CapacityType: "on-demand", DRPartner: "dr"},
		{Name: "b", Wave: 2, Kind: "cloud", CapacityType: "spot"},
		{Name: "dr", Wave: 3, Kind: "cloud", CapacityType: "on-demand"},
	}}
	var total int32
	for _, n := range shares {
		total += n
	}
	d := &Object{Scope: "cp", Ref: "Deployment/shop/web", App: "web", Template: deployment(image, int64(total)), Replicas: total, Divided: true}
	p := &Object{Scope: "cp", Ref: "PodDisruptionBudget/shop/web", App: "web", Template: pdb(minAvailable)}
	for _, c := range []string{"a", "b", "dr"} {
		n, ok := shares[c]
		if !ok {
			continue
		}
		d.Members = append(d.Members, Member{Cluster: c, Replicas: n, Object: deployment(image, int64(n))})
		if minAvailable > 0 {
			p.Members = append(p.Members, Member{Cluster: c, Object: p.Template})
		}
	}
	s.Objects[Key(d.Scope, d.Ref)] = d
	if minAvailable > 0 {
		s.Objects[Key(p.Scope, p.Ref)] = p
	}
	return s
}

func codes(rs []Risk) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Code+"@"+strings.Join(r.Clusters, ","))
	}
	return strings.Join(out, " ")
}

func TestIdenticalSidesMakeNoChange(t *testing.T) {
	p := Compare(side("web:1", map[string]int32{"a": 2, "b": 2}, 1), side("web:1", map[string]int32{"a": 2, "b": 2}, 1))
	if p.Summary.Changed || len(p.Targets)+len(p.ReplicaMoves)+len(p.Images)+len(p.Risks) != 0 {
		t.Errorf("no change expected, got %+v", p)
	}
}

func TestReplicasMovingBelowAPDBAndOffTheDRSite(t *testing.T) {
	base := side("web:1", map[string]int32{"a": 3, "b": 2, "dr": 1}, 2)
	head := side("web:1", map[string]int32{"a": 5, "b": 1}, 2)
	p := Compare(base, head)
	if got, want := codes(p.Risks), "below-pdb@b fleet-wide@ dr-standby-lost@dr"; got != want {
		t.Errorf("risks = %q, want %q\n%+v", got, want, p.Risks)
	}
	var moves []string
	for _, m := range p.ReplicaMoves {
		moves = append(moves, m.Cluster+":"+string(rune('0'+m.Before))+">"+string(rune('0'+m.After)))
	}
	if got, want := strings.Join(moves, " "), "a:3>5 b:2>1 dr:1>0"; got != want {
		t.Errorf("replica moves = %q, want %q", got, want)
	}
	if got := p.Waves; len(got) != 3 || got[0].Wave != 1 || got[2].Clusters[0] != "dr" {
		t.Errorf("waves = %+v, want 1, 2, 3 with dr last", got)
	}
}

func TestSpotOnlySingletonIsFlaggedWhenIntroduced(t *testing.T) {
	p := Compare(side("web:1", map[string]int32{"a": 1}, 0), side("web:1", map[string]int32{"b": 1}, 0))
	if got := codes(p.Risks); !strings.Contains(got, "spot-only-singleton@b") {
		t.Errorf("risks = %q, want spot-only-singleton on b", got)
	}
	if len(p.Placement) != 1 || p.Placement[0].Added[0] != "b" || p.Placement[0].Dropped[0] != "a" {
		t.Errorf("placement = %+v, want web lands on b and leaves a", p.Placement)
	}
	// Already a spot-only singleton before: not news.
	p = Compare(side("web:1", map[string]int32{"b": 1}, 0), side("web:2", map[string]int32{"b": 1}, 0))
	if got := codes(p.Risks); strings.Contains(got, "spot-only-singleton") {
		t.Errorf("risks = %q: a singleton already on spot is not introduced by this change", got)
	}
}

func TestImageChangesAreGroupedAcrossClusters(t *testing.T) {
	p := Compare(side("web:1", map[string]int32{"a": 2, "b": 2}, 0), side("web:2", map[string]int32{"a": 2, "b": 2}, 0))
	if len(p.Images) != 1 || p.Images[0].Before != "web:1" || p.Images[0].After != "web:2" || strings.Join(p.Images[0].Clusters, ",") != "a,b" {
		t.Fatalf("images = %+v", p.Images)
	}
	// a and b are in different waves: two groups with the same change.
	if g := p.Groups(); len(g) != 2 || len(g[0].Changes) != 1 || g[0].Changes[0].Diff[0].Path != "spec.template.spec.containers[name=web].image" {
		t.Errorf("groups = %+v", g)
	}
}

func TestFindingsDiffIgnoresMovedLines(t *testing.T) {
	f := func(rule string, line int) report.Finding {
		return report.Finding{Rule: rule, Severity: report.Error, Object: "Deployment/shop/web", File: "apps/web/d.yaml", Line: line, Message: rule + " broken"}
	}
	base := side("web:1", map[string]int32{"a": 1}, 0)
	head := side("web:1", map[string]int32{"a": 1}, 0)
	base.Findings = []report.Finding{f("GO-001", 10), f("SEC-001", 12)}
	head.Findings = []report.Finding{f("GO-001", 14), f("EXP-001", 3)}
	p := Compare(base, head)
	if p.Findings == nil || len(p.Findings.Introduced) != 1 || p.Findings.Introduced[0].Rule != "EXP-001" ||
		len(p.Findings.Fixed) != 1 || p.Findings.Fixed[0].Rule != "SEC-001" {
		t.Errorf("findings diff = %+v, want EXP-001 introduced, SEC-001 fixed", p.Findings)
	}
	if !p.Summary.Changed {
		t.Error("a change of findings alone is still a change")
	}
}

// TestANewClusterWithOnlyNamespaceCopiesIsNoRisk: a new edge cluster that
// no app selects receives only Karmada's copy of every namespace. That
// touches no app, paints no app's matrix cell, and raises neither the edge
// nor the fleet-wide risk; the same namespace copies alongside an app's
// own object on every cluster do make the change fleet-wide.
func TestANewClusterWithOnlyNamespaceCopiesIsNoRisk(t *testing.T) {
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "shop"}}}
	build := func(clusters []string, appOn []string) *Side {
		s := side("web:1", map[string]int32{"a": 2}, 0)
		for _, c := range clusters {
			kind := "cloud"
			if c == "edge-new" {
				kind = "edge"
			}
			if !strings.Contains("a b dr", c) {
				s.Clusters = append(s.Clusters, Cluster{Name: c, Wave: 3, Kind: kind, CapacityType: "on-demand"})
			}
		}
		n := &Object{Scope: "cp", Ref: "Namespace/shop", App: "web", Template: ns}
		for _, c := range append([]string{"a", "b", "dr"}, clusters...) {
			n.Members = append(n.Members, Member{Cluster: c, Object: ns})
		}
		s.Objects[Key(n.Scope, n.Ref)] = n
		if appOn != nil {
			cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "web", "namespace": "shop"}}}
			o := &Object{Scope: "cp", Ref: "ConfigMap/shop/web", App: "web", Template: cm}
			for _, c := range appOn {
				o.Members = append(o.Members, Member{Cluster: c, Object: cm})
			}
			s.Objects[Key(o.Scope, o.Ref)] = o
		}
		return s
	}
	p := Compare(build(nil, nil), build([]string{"edge-new"}, nil))
	if !p.Summary.Changed || len(p.Targets) != 1 || p.Targets[0].Name != "edge-new" {
		t.Fatalf("want the namespace copy on edge-new alone, got %+v", p.Targets)
	}
	if len(p.Risks) != 0 || len(p.Summary.AppsTouched) != 0 {
		t.Errorf("namespace copies raised %s and touched apps %v", codes(p.Risks), p.Summary.AppsTouched)
	}
	for _, c := range p.Matrix.Cells {
		if c.Changed {
			t.Errorf("matrix cell %s × %s painted changed by a namespace copy", c.App, c.Cluster)
		}
	}
	all := []string{"a", "b", "dr", "edge-new"}
	p = Compare(build([]string{"edge-new"}, nil), build([]string{"edge-new"}, all))
	if got := codes(p.Risks); !strings.Contains(got, RiskFleetWide) || !strings.Contains(got, RiskEdge+"@edge-new") {
		t.Errorf("an app's object on every cluster: risks %q, want fleet-wide and edge", got)
	}
}

// TestALargeMoveOntoSpotIsARisk: doubling the replicas on the spot
// cluster raises onto-spot; a one-replica nudge, or a move off spot, not.
func TestALargeMoveOntoSpotIsARisk(t *testing.T) {
	p := Compare(side("web:1", map[string]int32{"a": 6, "b": 2}, 0), side("web:1", map[string]int32{"a": 4, "b": 4}, 0))
	if got := codes(p.Risks); got != RiskOntoSpot+"@b" {
		t.Errorf("spot 2 → 4 of 8: risks %q, want onto-spot@b", got)
	}
	for _, c := range []struct{ before, after map[string]int32 }{
		{map[string]int32{"a": 6, "b": 2}, map[string]int32{"a": 5, "b": 3}},
		{map[string]int32{"a": 4, "b": 4}, map[string]int32{"a": 6, "b": 2}},
		{map[string]int32{"a": 4, "b": 4}, map[string]int32{"a": 8, "b": 8}}, // scaled, same share
	} {
		p := Compare(side("web:1", c.before, 0), side("web:1", c.after, 0))
		if got := codes(p.Risks); strings.Contains(got, RiskOntoSpot) {
			t.Errorf("%v → %v: risks %q, want no onto-spot", c.before, c.after, got)
		}
	}
}
