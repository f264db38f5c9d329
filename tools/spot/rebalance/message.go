package rebalance

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
)

// Message is the commit message of a result's change: a summary line,
// then each moved app with its cost and risk before and after and every
// move with its figures (optimize.Move.String), its new division, and
// the trailers — one TrailerKey line per app moved, which later runs
// count as the app's moves, and what the plan was computed from. It
// depends only on the result, so the same repository and signals give
// the same message.
func Message(r *Result) string {
	var moved []*AppReport
	for i := range r.Apps {
		if r.Apps[i].Plan.Changed {
			moved = append(moved, &r.Apps[i])
		}
	}
	if len(moved) == 0 {
		return ""
	}
	var b strings.Builder
	var before, after float64
	for _, a := range moved {
		before += a.Plan.CurrentCost
		after += a.Plan.Cost
	}
	subject := moved[0].Name
	if len(moved) > 1 {
		subject = fmt.Sprintf("%d apps", len(moved))
	}
	if valid(before) {
		fmt.Fprintf(&b, "spot: rebalance %s: %s → %s expected (%s)\n", subject, usd(before), usd(after), change(before, after))
	} else {
		fmt.Fprintf(&b, "spot: rebalance %s: %s expected\n", subject, usd(after))
	}
	fmt.Fprintf(&b, "\nPlanned by `flotilla spot rebalance` for %s from %s.\n", r.Now.Format(time.RFC3339), r.Signals)
	for _, a := range moved {
		p := a.Plan
		fmt.Fprintf(&b, "\n%s (%s): %d ready %s of minutes\n", a.Name, a.File, a.Replicas, pct(a.Target, 1))
		if valid(p.CurrentCost) {
			fmt.Fprintf(&b, "expected cost %s → %s (%s), risk of fewer than %d ready %s → %s\n",
				usd(p.CurrentCost), usd(p.Cost), change(p.CurrentCost, p.Cost), a.Replicas, pct(p.CurrentRisk, 3), pct(p.Risk, 3))
		} else {
			fmt.Fprintf(&b, "expected cost %s, risk of fewer than %d ready %s (the current division is not one the objective allows)\n", usd(p.Cost), a.Replicas, pct(p.Risk, 3))
		}
		for _, m := range p.Moves {
			fmt.Fprintf(&b, "- %s\n", m)
		}
		fmt.Fprintf(&b, "division: %s\n", Division(p.Assignments))
		for _, c := range slices.Sorted(maps.Keys(a.Standby)) {
			fmt.Fprintf(&b, "standby kept: %s %d on-demand (a DR site's warm copy, not planned)\n", c, a.Standby[c])
		}
	}
	b.WriteString("\n")
	for _, a := range moved {
		fmt.Fprintf(&b, "%s: %s\n", TrailerKey, a.Name)
	}
	fmt.Fprintf(&b, "%s: %s %s\n", SignalsTrailer, r.Signals, r.Digest)
	fmt.Fprintf(&b, "%s: %s\n", NowTrailer, r.Now.Format(time.RFC3339))
	return b.String()
}

// Division says a division in one line: each cluster's replicas by sort.
func Division(as []optimize.Assignment) string {
	var parts []string
	for _, a := range as {
		var sorts []string
		for _, x := range []struct {
			n    int
			what string
		}{{a.OnDemand, "on-demand"}, {a.Spot, "spot"}, {a.Hedge, "hedge"}, {a.HedgeSpotOnly, "spot-only hedge"}} {
			if x.n > 0 {
				sorts = append(sorts, fmt.Sprintf("%d %s", x.n, x.what))
			}
		}
		parts = append(parts, fmt.Sprintf("%s %s", a.Cluster, strings.Join(sorts, " + ")))
	}
	return strings.Join(parts, "; ")
}

func valid(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func usd(v float64) string { return fmt.Sprintf("$%.3f/h", v) }

func pct(v float64, digits int) string { return fmt.Sprintf("%.*f %%", digits, 100*v) }

// change is the relative change from a to b, signed.
func change(a, b float64) string {
	if a == 0 {
		return "n/a"
	}
	d := (b - a) / a * 100
	sign := "+"
	if d < 0 {
		sign, d = "−", -d
	}
	return fmt.Sprintf("%s%.1f %%", sign, d)
}
