package optimize

import (
	"fmt"
	"sort"
)

// explain lists the changes from one division to another: splits inside a
// cluster first, then replicas moved between clusters (paired in cluster
// order), then hedge replicas added or removed.
func (p *problem) explain(before, after []Assignment) []Move {
	type delta struct{ od, spot, hedge, wait int }
	deltas := map[string]*delta{}
	get := func(c string) *delta {
		d := deltas[c]
		if d == nil {
			d = &delta{}
			deltas[c] = d
		}
		return d
	}
	for _, a := range before {
		d := get(a.Cluster)
		d.od -= a.OnDemand
		d.spot -= a.Spot
		d.hedge -= a.Hedge
		d.wait -= a.HedgeSpotOnly
	}
	for _, a := range after {
		d := get(a.Cluster)
		d.od += a.OnDemand
		d.spot += a.Spot
		d.hedge += a.Hedge
		d.wait += a.HedgeSpotOnly
	}
	names := make([]string, 0, len(deltas))
	for c := range deltas {
		names = append(names, c)
	}
	sort.Strings(names)
	cands := map[string]*cand{}
	for i := range p.cands {
		cands[p.cands[i].name] = &p.cands[i]
	}
	figures := func(c, what string) (cost, avail float64) {
		k := cands[c]
		if k == nil {
			return 0, 0
		}
		switch what {
		case "on-demand":
			return k.pOD, k.a
		case "hedge":
			return k.eHedge, k.a
		case spotOnlyHedge:
			return k.eWait, k.a
		}
		return k.eSpot, k.a
	}
	var moves []Move
	mk := func(kind, from, to string, n int, fromWhat, toWhat string) Move {
		m := Move{Kind: kind, From: from, To: to, Replicas: n, What: toWhat, FromWhat: fromWhat}
		if from != "" {
			m.FromCost, m.FromAvailability = figures(from, fromWhat)
		}
		if to != "" {
			m.ToCost, m.ToAvailability = figures(to, toWhat)
		}
		if kind == "remove" {
			m.What = fromWhat
		}
		if kind == "add" {
			m.FromWhat = ""
		}
		return m
	}
	// Splits: spot ↔ on-demand within a cluster.
	for _, c := range names {
		d := deltas[c]
		if d.spot < 0 && d.od > 0 {
			n := min(-d.spot, d.od)
			moves = append(moves, mk("split", c, c, n, "spot", "on-demand"))
			d.spot += n
			d.od -= n
		} else if d.od < 0 && d.spot > 0 {
			n := min(-d.od, d.spot)
			moves = append(moves, mk("split", c, c, n, "on-demand", "spot"))
			d.od += n
			d.spot -= n
		}
	}
	// Primaries between clusters, then hedges.
	type end struct {
		cluster, what string
		n             int
	}
	var outs, ins []end
	for _, c := range names {
		d := deltas[c]
		for _, x := range []struct {
			what string
			v    int
		}{{"on-demand", d.od}, {"spot", d.spot}} {
			if x.v < 0 {
				outs = append(outs, end{c, x.what, -x.v})
			} else if x.v > 0 {
				ins = append(ins, end{c, x.what, x.v})
			}
		}
	}
	pair := func(outs, ins []end, leftover func(e end, out bool)) {
		i, j := 0, 0
		for i < len(outs) && j < len(ins) {
			n := min(outs[i].n, ins[j].n)
			moves = append(moves, mk("move", outs[i].cluster, ins[j].cluster, n, outs[i].what, ins[j].what))
			outs[i].n -= n
			ins[j].n -= n
			if outs[i].n == 0 {
				i++
			}
			if ins[j].n == 0 {
				j++
			}
		}
		for ; i < len(outs); i++ {
			leftover(outs[i], true)
		}
		for ; j < len(ins); j++ {
			leftover(ins[j], false)
		}
	}
	pair(outs, ins, func(e end, out bool) {
		// Primaries are N before and after: a leftover only comes from a
		// division that did not hold N.
		if out {
			moves = append(moves, mk("remove", e.cluster, "", e.n, e.what, ""))
		} else {
			moves = append(moves, mk("add", "", e.cluster, e.n, "", e.what))
		}
	})
	// Hedges of each sort: a hedge that changes sort in place is a split.
	for _, c := range names {
		d := deltas[c]
		if d.hedge < 0 && d.wait > 0 {
			n := min(-d.hedge, d.wait)
			moves = append(moves, mk("split", c, c, n, "hedge", spotOnlyHedge))
			d.hedge += n
			d.wait -= n
		} else if d.wait < 0 && d.hedge > 0 {
			n := min(-d.wait, d.hedge)
			moves = append(moves, mk("split", c, c, n, spotOnlyHedge, "hedge"))
			d.wait += n
			d.hedge -= n
		}
	}
	for _, what := range []string{"hedge", spotOnlyHedge} {
		var hOuts, hIns []end
		for _, c := range names {
			v := deltas[c].hedge
			if what == spotOnlyHedge {
				v = deltas[c].wait
			}
			if v < 0 {
				hOuts = append(hOuts, end{c, what, -v})
			} else if v > 0 {
				hIns = append(hIns, end{c, what, v})
			}
		}
		pair(hOuts, hIns, func(e end, out bool) {
			if out {
				moves = append(moves, mk("remove", e.cluster, "", e.n, what, ""))
			} else {
				moves = append(moves, mk("add", "", e.cluster, e.n, "", what))
			}
		})
	}
	return moves
}

// spotOnlyHedge names the hedge replicas that never run on on-demand.
const spotOnlyHedge = "spot-only hedge"

// dynamicHedge names the replicas of the dynamic hedge workload.
const dynamicHedge = "dynamic hedge"

// explainDynamic is the change of the dynamic hedge's count, with a
// replica's expected cost and the chance that some cluster has spot for
// it.
func (p *problem) explainDynamic(before, after int) []Move {
	switch {
	case after > before:
		return []Move{{Kind: "add", Replicas: after - before, What: dynamicHedge, ToCost: p.eDyn, ToAvailability: 1 - p.allDark}}
	case after < before:
		return []Move{{Kind: "remove", Replicas: before - after, What: dynamicHedge, FromWhat: dynamicHedge, FromCost: p.eDyn, FromAvailability: 1 - p.allDark}}
	}
	return nil
}

// String says what a move does with its figures, for a commit message.
func (m Move) String() string {
	money := func(v float64) string { return fmt.Sprintf("$%.3f/h", v) }
	pct := func(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) }
	switch m.Kind {
	case "split":
		return fmt.Sprintf("%s: %d replica(s) %s → %s (%s → %s per replica; spot available %s)",
			m.From, m.Replicas, m.FromWhat, m.What, money(m.FromCost), money(m.ToCost), pct(m.ToAvailability))
	case "move":
		what := m.What
		if m.FromWhat != m.What {
			what = m.FromWhat + " → " + m.What
		}
		return fmt.Sprintf("%d %s replica(s) %s → %s (%s → %s per replica; spot available %s → %s)",
			m.Replicas, what, m.From, m.To, money(m.FromCost), money(m.ToCost), pct(m.FromAvailability), pct(m.ToAvailability))
	case "add":
		if m.What == dynamicHedge {
			return fmt.Sprintf("add %d %s replica(s), spot only, placed by Karmada where spot is (%s per replica; spot in some cluster %s)", m.Replicas, m.What, money(m.ToCost), pct(m.ToAvailability))
		}
		return fmt.Sprintf("add %d %s replica(s) in %s (%s per replica; spot available %s)", m.Replicas, m.What, m.To, money(m.ToCost), pct(m.ToAvailability))
	case "remove":
		if m.What == dynamicHedge {
			return fmt.Sprintf("remove %d %s replica(s) (%s per replica; spot in some cluster %s)", m.Replicas, m.What, money(m.FromCost), pct(m.FromAvailability))
		}
		return fmt.Sprintf("remove %d %s replica(s) from %s (%s per replica; spot available %s)", m.Replicas, m.What, m.From, money(m.FromCost), pct(m.FromAvailability))
	}
	return m.Kind
}
