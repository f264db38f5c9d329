package plan

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// Matrix is the placement of apps over clusters on both sides: the
// picture a reviewer scans first.
type Matrix struct {
	Apps []string `json:"apps"`
	// Clusters in wave order, then by name.
	Clusters []string `json:"clusters"`
	// Waves are the clusters' rollout waves, one per cluster.
	Waves []int `json:"waves"`
	// Cells are the (app, cluster) pairs where the app lands on either
	// side, in Apps × Clusters order.
	Cells []Cell `json:"cells"`
}

// Cell is one app on one cluster.
type Cell struct {
	App     string `json:"app"`
	Cluster string `json:"cluster"`
	// Before and After are the app's replicas there (of the objects
	// Karmada divides or duplicates), 0 for none; for an app without such
	// objects (DaemonSets, configuration), -1 where it lands.
	Before int32 `json:"before"`
	After  int32 `json:"after"`
	// Changed is true when any of the app's objects there changes.
	Changed bool `json:"changed"`
}

// State names a cell's change for colouring: same, changed, added,
// removed, moved (replicas differ).
func (c Cell) State() string {
	switch {
	case c.Before == 0 && c.After != 0:
		return "added"
	case c.Before != 0 && c.After == 0:
		return "removed"
	case c.Before != c.After:
		return "moved"
	case c.Changed:
		return "changed"
	}
	return "same"
}

func buildMatrix(c *comparer, p *Plan, clusters map[string]*Cluster) *Matrix {
	type pair struct{ app, cluster string }
	cells := map[pair]*Cell{}
	apps := map[string]bool{}
	get := func(app, cl string) *Cell {
		k := pair{app, cl}
		if cells[k] == nil {
			cells[k] = &Cell{App: app, Cluster: cl}
			apps[app] = true
		}
		return cells[k]
	}
	// An app with replicas anywhere is drawn by its replica counts (0 where
	// only its configuration lands); others by where they land.
	counted := map[string]bool{}
	for _, s := range []*Side{c.base, c.head} {
		for _, o := range s.Objects {
			if o.Replicas > 0 {
				counted[o.App] = true
			}
		}
	}
	add := func(s *Side, after bool) {
		for _, o := range s.Objects {
			if o.App == "" || isNamespace(o) {
				continue
			}
			for _, m := range o.Members {
				cell := get(o.App, m.Cluster)
				v := &cell.Before
				if after {
					v = &cell.After
				}
				switch {
				case o.Replicas > 0:
					*v += m.Replicas
				case !counted[o.App]:
					*v = -1
				}
			}
		}
	}
	add(c.base, false)
	add(c.head, true)
	for _, t := range p.Targets {
		for _, ch := range t.Changes {
			if ch.App != "" && t.Type == TargetCluster && !namespaceCopy(ch) {
				get(ch.App, t.Name).Changed = true
			}
		}
	}
	m := &Matrix{Apps: slices.Sorted(maps.Keys(apps)), Cells: []Cell{}}
	m.Clusters = slices.Collect(maps.Keys(clusters))
	slices.SortFunc(m.Clusters, func(a, b string) int {
		return cmp.Or(cmp.Compare(waveOf(clusters, a), waveOf(clusters, b)), strings.Compare(a, b))
	})
	col := map[string]int{}
	for i, n := range m.Clusters {
		col[n] = i
		m.Waves = append(m.Waves, int(waveOf(clusters, n)))
	}
	for _, cell := range cells {
		m.Cells = append(m.Cells, *cell)
	}
	slices.SortFunc(m.Cells, func(a, b Cell) int {
		return cmp.Or(strings.Compare(a.App, b.App), cmp.Compare(col[a.Cluster], col[b.Cluster]))
	})
	return m
}
