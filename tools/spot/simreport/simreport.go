package simreport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/flotilla-gitops/flotilla/tools/spot/sim"
)

// Markdown writes the figures as a Markdown section: what was replayed,
// and one row per policy.
func Markdown(w io.Writer, r *sim.Result) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Replay of %.1f days from %s at one-minute ticks, %d apps. Model: notice %d min, node+pod start-up %d min, on-demand fall-back after %d min, consolidation after %d min of spot, Git → Argo CD → Karmada %d min, rebalance every %d min, graceful eviction %d min.\n\n",
		r.Days, r.Start.UTC().Format("2006-01-02 15:04 MST"), r.Apps, r.Model.Notice, r.Model.Startup, r.Model.FallbackDelay, r.Model.ConsolidateAfter, r.Model.CommitDelay, r.Model.RebalanceEvery, r.Model.EvictionGrace)
	b.WriteString("| policy | cost vs on-demand | saving | share of the oracle's saving | minutes with N ready | worst app | replica-minutes lost | interruptions absorbed | commits/day | moves/day | failovers | app-minutes over caps |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, p := range r.Policies {
		absorbed := "–"
		if p.Interruptions > 0 {
			absorbed = fmt.Sprintf("%s of %s (%s)", count(p.Absorbed), count(p.Interruptions), pct(float64(p.Absorbed)/float64(p.Interruptions), 1))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %.1f | %.1f | %s | %s |\n",
			p.Policy, pct(p.CostVsOnDemand, 1), pct(p.Saving, 1), pct(p.OracleSavingShare, 1), pct(p.ReadyShare, 3), pct(p.WorstAppReadyShare, 3),
			pct(p.LostShare, 3), absorbed, p.CommitsPerDay, p.MovesPerDay, count(p.Failovers), count(int(p.MinutesOverCaps)))
	}
	b.WriteString("\nCost vs on-demand: the policy's cost over the on-demand policy's. Share of the oracle's saving: the policy's saving over the oracle's at the objectives' targets (above 100 % when a policy buys its cost with availability the objective does not allow). Minutes with N ready: app-minutes with at least N replicas ready. Interruptions absorbed: reclaims of an app's replicas after which N stayed ready through notice and start-up. Commits: rebalance rounds that changed any app (one commit each). Moves: replicas moved between clusters by the control loop.\n")
	b.WriteString("\n| policy | pinned on-demand | primaries on spot | primaries on on-demand for want of spot | hedges on spot | hedges on on-demand | hedge replica-minutes ready | minutes below N with a hedge down | reclaims that took one of the N and a hedge |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, p := range r.Policies {
		if p.Policy == sim.Oracle {
			continue
		}
		c := p.CostBreakdown
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.Policy, points(c.PinnedOnDemand), points(c.PrimarySpot), points(c.PrimaryOnDemand),
			points(c.HedgeSpot), points(c.HedgeOnDemand), pct(p.HedgeReadyShare, 2), count(int(p.MinutesBelowNHedgeDown)), count(p.ReclaimsWithHedge))
	}
	b.WriteString("\nThe cost's parts are points of the on-demand policy's cost (they sum to the policy's cost vs on-demand). Hedge replica-minutes ready: over those the policy wanted (100 % without hedges). Minutes below N with a hedge down: app-minutes with fewer than N ready while fewer hedges were ready than wanted. Reclaims that took one of the N and a hedge: the hedge lost with what it should cover.\n")
	_, err := w.Write(b.Bytes())
	return err
}

// points writes a share as points of a hundred, one decimal.
func points(v float64) string { return fmt.Sprintf("%.1f", 100*v) }

func pct(v float64, digits int) string {
	return fmt.Sprintf("%.*f %%", digits, 100*v)
}

// count writes a whole number with thin-space thousands.
func count(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var parts []string
	for len(s) > 3 {
		parts = append([]string{s[len(s)-3:]}, parts...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, parts...), ",")
}

// JSON writes the result, indented.
func JSON(w io.Writer, r *sim.Result) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// WriteDir writes report.md, report.json and report.svg into dir, each
// through a temporary file renamed into place, so that a reader never
// sees half a report.
func WriteDir(dir string, r *sim.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer, *sim.Result) error
	}{{"report.md", Markdown}, {"report.json", JSON}, {"report.svg", SVG}} {
		var b bytes.Buffer
		if err := f.write(&b, r); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		tmp, err := os.CreateTemp(dir, "."+f.name+".*")
		if err != nil {
			return err
		}
		if _, err := tmp.Write(b.Bytes()); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return err
		}
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		if err := os.Rename(tmp.Name(), filepath.Join(dir, f.name)); err != nil {
			os.Remove(tmp.Name())
			return err
		}
	}
	return nil
}
