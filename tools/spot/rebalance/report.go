package rebalance

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/plan"
	"github.com/flotilla-gitops/flotilla/tools/renderfs"
	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
)

// ReportOptions shape the text and Markdown reports.
type ReportOptions struct {
	// Mode is what was run (for the closing line).
	Mode Mode
	// Color and MaxNames are passed to the change's plan.
	Color    bool
	MaxNames int
}

// WriteText writes the result for a terminal or a log: the clusters'
// figures, each app's plan — moves with their figures, held reasons, cost
// and risk before and after — then what was written and the change's
// plan, or the commit.
func WriteText(w io.Writer, r *Result, o ReportOptions) error {
	p := &printer{w: w}
	p.f("spot rebalance for %s from %s (%s)\n", r.Now.Format(time.RFC3339), r.Signals, r.Digest)
	for _, n := range r.Notes {
		p.f("note: %s\n", n)
	}
	if len(r.Clusters) > 0 {
		p.f("\nclusters (USD per instance-hour; availability and reclaims expected over the plan's horizon):\n")
	}
	for _, c := range r.Clusters {
		switch {
		case c.OnDemandOnly:
			p.f("  %s (%s): on-demand only, %s %s\n", c.Name, c.Region, c.OnDemandType, money(c.OnDemandUSD))
		case !c.SpotKnown:
			p.f("  %s (%s): spot unknown; on-demand %s %s\n", c.Name, c.Region, c.OnDemandType, money(c.OnDemandUSD))
		default:
			p.f("  %s (%s): spot %s, on-demand %s %s, spot available %s, %.4f zone reclaims/h + %.4f outages/h, fall-back %s\n",
				c.Name, c.Region, money(c.SpotUSD), c.OnDemandType, money(c.OnDemandUSD), pct(c.Availability, 1), c.InterruptionsPerHour, c.OutagesPerHour, yesNo(c.Fallback))
			for _, z := range c.Zones {
				p.f("    %s: %s %s, available %s, %.4f reclaims/h (%s%s)\n", z.Zone, z.InstanceType, money(z.SpotUSD), pct(z.Availability, 1), z.ReclaimsPerHour, z.Source, notices(z.Notices))
			}
		}
		for _, n := range c.Notes {
			p.f("    note: %s\n", n)
		}
	}
	for _, a := range r.Apps {
		p.f("\n%s (%s): %d ready %s of minutes; replica %s\n", a.Name, a.File, a.Replicas, pct(a.Target, 1), replica(a))
		p.f("  current division from %s\n", a.CurrentFrom)
		for _, c := range slices.Sorted(maps.Keys(a.Standby)) {
			p.f("  standby: %s %d on-demand, kept as it is (a DR site's warm copy: not planned, not counted toward the objective)\n", c, a.Standby[c])
		}
		pl := a.Plan
		if valid(pl.CurrentCost) {
			p.f("  before: %s, risk %s   %s\n", usd(pl.CurrentCost), pct(pl.CurrentRisk, 3), Division(a.Current))
		} else {
			p.f("  before: not a division the objective allows: %s\n", Division(a.Current))
		}
		p.f("  after:  %s, risk %s   %s\n", usd(pl.Cost), pct(pl.Risk, 3), Division(pl.Assignments))
		switch {
		case pl.Changed:
			for _, m := range pl.Moves {
				p.f("  - %s\n", m)
			}
		case pl.Held != "":
			p.f("  held: %s (the optimum: %s, risk %s: %s)\n", pl.Held, usd(pl.OptimumCost), pct(pl.OptimumRisk, 3), Division(pl.Optimum))
		default:
			p.f("  no move: the current division is the optimum\n")
		}
		if !pl.MeetsObjective {
			p.f("  MISSES THE OBJECTIVE: %s — %s\n", a.Objective, missWhy(a))
		}
	}
	p.closing(r, o)
	if r.Plan != nil {
		p.f("\nplan of the change (HEAD → working tree):\n\n")
		if p.err == nil {
			p.err = plan.WriteText(w, r.Plan, plan.TextOptions{Color: o.Color, MaxNames: o.MaxNames})
		}
	}
	if r.Commit != "" {
		p.f("\ncommitted %s: %s\n", r.Commit[:min(12, len(r.Commit))], firstLine(r.Message))
	}
	return p.err
}

// WriteMarkdown writes the result as a pull request's body: the plan of
// each app in tables, the commit message's moves, and the change's plan.
func WriteMarkdown(w io.Writer, r *Result, o ReportOptions) error {
	p := &printer{w: w}
	p.f("## Spot rebalance\n\nPlanned for %s from `%s` (%s).\n", r.Now.Format(time.RFC3339), r.Signals, r.Digest)
	for _, n := range r.Notes {
		p.f("\n> %s\n", n)
	}
	p.f("\n| app | ready | before | after | change | risk before → after | |\n|---|--:|--:|--:|--:|--:|---|\n")
	for _, a := range r.Apps {
		pl := a.Plan
		status := "no move"
		switch {
		case !pl.MeetsObjective:
			status = "**misses the objective**"
		case pl.Changed:
			status = fmt.Sprintf("%d move(s)", len(pl.Moves))
		case pl.Held != "":
			status = "held: " + pl.Held
		}
		before, chg := "–", "–"
		if valid(pl.CurrentCost) {
			before, chg = usd(pl.CurrentCost), change(pl.CurrentCost, pl.Cost)
		}
		p.f("| %s | %d at %s | %s | %s | %s | %s → %s | %s |\n", a.Name, a.Replicas, pct(a.Target, 1), before, usd(pl.Cost), chg, pct(pl.CurrentRisk, 3), pct(pl.Risk, 3), status)
	}
	for _, a := range r.Apps {
		pl := a.Plan
		if !pl.Changed {
			continue
		}
		p.f("\n### %s\n\n`%s` — current division from %s; replica %s.\n\n", a.Name, a.File, a.CurrentFrom, replica(a))
		p.f("| cluster | on-demand | spot | hedge | spot-only hedge | weight |\n|---|--:|--:|--:|--:|--:|\n")
		before := map[string]optimize.Assignment{}
		for _, as := range a.Current {
			before[as.Cluster] = as
		}
		after := map[string]optimize.Assignment{}
		var names []string
		for _, as := range pl.Assignments {
			after[as.Cluster] = as
			names = append(names, as.Cluster)
		}
		for _, as := range a.Current {
			if _, ok := after[as.Cluster]; !ok {
				names = append(names, as.Cluster)
			}
		}
		sort.Strings(names)
		cell := func(b, a int) string {
			if a == b {
				return fmt.Sprint(a)
			}
			return fmt.Sprintf("%d → **%d**", b, a)
		}
		for _, n := range names {
			b, x := before[n], after[n]
			p.f("| %s | %s | %s | %s | %s | %s |\n", n, cell(b.OnDemand, x.OnDemand), cell(b.Spot, x.Spot), cell(b.Hedge, x.Hedge), cell(b.HedgeSpotOnly, x.HedgeSpotOnly), cell(b.Replicas(), x.Replicas()))
		}
		p.f("\n")
		for _, m := range pl.Moves {
			p.f("- %s\n", m)
		}
	}
	p.f("\n<details><summary>Clusters as the plan saw them</summary>\n\n| cluster | spot $/h | on-demand $/h | spot available | zone reclaims/h | outages/h | fall-back | from |\n|---|--:|--:|--:|--:|--:|---|---|\n")
	for _, c := range r.Clusters {
		switch {
		case c.OnDemandOnly:
			p.f("| %s | – | %s (%s) | – | – | – | – | on-demand only |\n", c.Name, money(c.OnDemandUSD), c.OnDemandType)
		case !c.SpotKnown:
			p.f("| %s | unknown | %s (%s) | – | – | – | %s | no known pool |\n", c.Name, money(c.OnDemandUSD), c.OnDemandType, yesNo(c.Fallback))
		default:
			var from []string
			for _, z := range c.Zones {
				from = append(from, z.Zone+": "+z.Source+notices(z.Notices))
			}
			p.f("| %s | %s | %s (%s) | %s | %.4f | %.4f | %s | %s |\n", c.Name, money(c.SpotUSD), money(c.OnDemandUSD), c.OnDemandType, pct(c.Availability, 1), c.InterruptionsPerHour, c.OutagesPerHour, yesNo(c.Fallback), strings.Join(from, "; "))
		}
	}
	p.f("\n</details>\n")
	if r.Plan != nil {
		p.f("\n")
		if p.err == nil {
			p.err = plan.WriteMarkdown(w, r.Plan, plan.MarkdownOptions{MaxNames: o.MaxNames})
		}
	}
	if r.Commit != "" {
		p.f("\nCommitted `%s`.\n", r.Commit[:min(12, len(r.Commit))])
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// closing says what was written, or how to write it.
func (p *printer) closing(r *Result, o ReportOptions) {
	switch {
	case len(r.Missing()) > 0:
		p.f("\nnothing written: %s cannot meet the objective\n", strings.Join(r.Missing(), ", "))
	case !r.Changed():
		p.f("\nno app moves: nothing to write\n")
	case o.Mode == Preview:
		p.f("\npreview: nothing written (--write edits %s and renders rendered/; --commit also commits)\n", strings.Join(changedFiles(r), ", "))
	case r.Written:
		p.f("\nwrote %s; rendered/: %s\n", strings.Join(r.Files, ", "), renderedSummary(r.Rendered))
	}
}

func changedFiles(r *Result) []string {
	var out []string
	for _, a := range r.Apps {
		if a.Plan.Changed {
			out = append(out, a.File)
		}
	}
	return out
}

func renderedSummary(changes []renderfs.Change) string {
	if len(changes) == 0 {
		return "unchanged"
	}
	n := map[renderfs.ChangeKind]int{}
	for _, c := range changes {
		n[c.Kind]++
	}
	return fmt.Sprintf("%d added, %d modified, %d removed", n[renderfs.Added], n[renderfs.Modified], n[renderfs.Removed])
}

func replica(a AppReport) string {
	if a.PodCPU <= 0 {
		return "without a CPU request: priced as a whole instance"
	}
	return fmt.Sprintf("requests %g CPU", a.PodCPU)
}

func missWhy(a AppReport) string {
	return fmt.Sprintf("the best plan found has a %s risk of fewer than %d ready, over the %s the target allows", pct(a.Plan.Risk, 3), a.Replicas, pct(1-a.Target, 3))
}

func money(v float64) string { return fmt.Sprintf("$%.4f", v) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func notices(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d notice(s)", n)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
