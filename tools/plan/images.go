package plan

import (
	"cmp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// podSpecPaths are where pod templates sit in the workload kinds (Pod,
// Deployment/StatefulSet/DaemonSet/ReplicaSet/Job, CronJob).
var podSpecPaths = [][]string{
	{"spec", "template", "spec"},
	{"spec", "jobTemplate", "spec", "template", "spec"},
	{"spec"},
}

// images returns container name → image of an object's pod template
// (init containers as "init:name"), nil when it has none.
func images(u *unstructured.Unstructured) map[string]string {
	if u == nil {
		return nil
	}
	for _, p := range podSpecPaths {
		spec, ok, _ := unstructured.NestedMap(u.Object, p...)
		if !ok {
			continue
		}
		out := map[string]string{}
		for _, field := range []string{"initContainers", "containers"} {
			list, _, _ := unstructured.NestedSlice(spec, field)
			for _, c := range list {
				m, _ := c.(map[string]any)
				name, _ := m["name"].(string)
				image, _ := m["image"].(string)
				if field == "initContainers" {
					name = "init:" + name
				}
				if name != "" {
					out[name] = image
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// imageChanges lists, per cluster, the containers whose image differs.
func imageChanges(pr *pair) []ImageChange {
	var out []ImageChange
	for _, cl := range pr.clusters {
		var ib, ia map[string]string
		if m := pr.b[cl]; m != nil {
			ib = images(m.Object)
		}
		if m := pr.a[cl]; m != nil {
			ia = images(m.Object)
		}
		for _, n := range sortedUnion(ib, ia) {
			if ib[n] != ia[n] {
				out = append(out, ImageChange{App: pr.obj.App, Object: pr.obj.Ref, Container: n, Before: ib[n], After: ia[n], Clusters: []string{cl}})
			}
		}
	}
	return out
}

// mergeImages joins the clusters of equal image changes.
func mergeImages(in []ImageChange) []ImageChange {
	type key struct{ app, object, container, before, after string }
	byKey := map[key]*ImageChange{}
	var order []key
	for _, ic := range in {
		k := key{ic.App, ic.Object, ic.Container, ic.Before, ic.After}
		if m, ok := byKey[k]; ok {
			m.Clusters = append(m.Clusters, ic.Clusters...)
			continue
		}
		cp := ic
		cp.Clusters = slices.Clone(ic.Clusters)
		byKey[k] = &cp
		order = append(order, k)
	}
	out := make([]ImageChange, 0, len(order))
	for _, k := range order {
		m := byKey[k]
		slices.Sort(m.Clusters)
		out = append(out, *m)
	}
	slices.SortStableFunc(out, func(a, b ImageChange) int {
		return cmp.Or(strings.Compare(a.App, b.App), strings.Compare(a.Object, b.Object), strings.Compare(a.Container, b.Container),
			strings.Compare(a.Before, b.Before), strings.Compare(a.After, b.After))
	})
	return out
}
