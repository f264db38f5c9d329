package plan

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Group is targets that receive exactly the same changes: a fleet of a
// thousand clusters mostly receives a handful of distinct change sets, and
// a reviewer reads each once, with the clusters it goes to.
type Group struct {
	// Type is the targets' type; Wave their wave (member clusters only).
	Type    string
	Wave    int32
	Targets []string
	// Clusters holds the member clusters' facts, in Targets' order.
	Clusters []*Cluster
	Changes  []ObjectChange
}

// Title names the group for a heading: "cloud-eu-west-1 (wave 1)",
// "cloud-a, cloud-b and 998 more (wave 2)".
func (g Group) Title(maxNames int) string {
	names := g.Targets
	more := ""
	if maxNames > 0 && len(names) > maxNames {
		more = fmt.Sprintf(" and %d more", len(names)-maxNames)
		names = names[:maxNames]
	}
	s := strings.Join(names, ", ") + more
	switch g.Type {
	case TargetControlPlane:
		return "control plane " + s
	case TargetArgoCD:
		return "Argo CD (" + s + ")"
	}
	return fmt.Sprintf("%s (wave %d)", s, g.Wave)
}

// Groups folds targets with identical changes together, keeping the
// plan's order (control planes, then waves) by each group's first target.
func (p *Plan) Groups() []Group {
	var out []Group
	index := map[string]int{}
	for _, t := range p.Targets {
		key, _ := json.Marshal(t.Changes)
		k := t.Type + "\x00" + string(key)
		var wave int32
		if t.Cluster != nil {
			wave = t.Cluster.Wave
			k = fmt.Sprintf("%s\x00%d", k, wave)
		}
		if t.Type != TargetCluster {
			k += "\x00" + t.Name // control planes are never folded
		}
		if i, ok := index[k]; ok {
			out[i].Targets = append(out[i].Targets, t.Name)
			out[i].Clusters = append(out[i].Clusters, t.Cluster)
			continue
		}
		index[k] = len(out)
		out = append(out, Group{Type: t.Type, Wave: wave, Targets: []string{t.Name}, Clusters: []*Cluster{t.Cluster}, Changes: t.Changes})
	}
	return out
}

// ReplicaRow is a replica move that is the same on several clusters.
type ReplicaRow struct {
	App, Object   string
	Before, After int32
	Clusters      []string
}

// ReplicaRows groups ReplicaMoves by (app, object, before, after).
func (p *Plan) ReplicaRows() []ReplicaRow {
	var out []ReplicaRow
	index := map[string]int{}
	for _, m := range p.ReplicaMoves {
		k := fmt.Sprintf("%s\x00%s\x00%d\x00%d", m.App, m.Object, m.Before, m.After)
		if i, ok := index[k]; ok {
			out[i].Clusters = append(out[i].Clusters, m.Cluster)
			continue
		}
		index[k] = len(out)
		out = append(out, ReplicaRow{App: m.App, Object: m.Object, Before: m.Before, After: m.After, Clusters: []string{m.Cluster}})
	}
	return out
}

// names lists at most n names and how many more there are.
func names(list []string, n int) string {
	if n > 0 && len(list) > n {
		return fmt.Sprintf("%s and %d more", strings.Join(list[:n], ", "), len(list)-n)
	}
	return strings.Join(list, ", ")
}
