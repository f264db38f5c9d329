package drill

import (
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/junit"
)

// Report is a drill's outcome against its objectives.
type Report struct {
	APIVersion string `json:"apiVersion"`
	Drill      string `json:"drill"`
	RunID      string `json:"runID"`
	Source     string `json:"source"`
	Recovery   string `json:"recovery"`
	Passed     bool   `json:"passed"`
	// FailedPhase names the phase that failed, with its error.
	FailedPhase string        `json:"failedPhase,omitempty"`
	Error       string        `json:"error,omitempty"`
	Phases      []PhaseRecord `json:"phases"`
	// RTO is from the failure to the verified restore; RPO the restored
	// backup's age at the failure. Zero when not measured.
	RTO          time.Duration `json:"rtoNanos"`
	RPO          time.Duration `json:"rpoNanos"`
	RTOObjective time.Duration `json:"rtoObjectiveNanos"`
	RPOObjective time.Duration `json:"rpoObjectiveNanos"`
	RTOMet       bool          `json:"rtoMet"`
	RPOMet       bool          `json:"rpoMet"`
	Backup       *VeleroTimes  `json:"backup,omitempty"`
	Restore      *VeleroTimes  `json:"restore,omitempty"`
	// Overhead is the share of the backup and restore phases not spent
	// inside Velero's own backup and restore (orchestration: creating the
	// objects, polling, snapshots).
	Overhead float64 `json:"overhead"`
	// OverheadSeen is the same share measured against when the drill saw
	// Velero take each object up and end it (watched status writes, to
	// the millisecond): Velero's own timestamps have whole seconds, which
	// for a backup of a second or two is most of the difference.
	OverheadSeen float64       `json:"overheadSeen"`
	Verification *Verification `json:"verification,omitempty"`
	// Spot is a SpotReclaim drill's record: what was taken, the apps'
	// journey, Karmada's failovers. RTO is then from the notice until
	// every app had its required ready replicas again.
	Spot *SpotRecord `json:"spot,omitempty"`
	// Expected is how many objects Karmada had placed on the source when
	// the backup was taken, every one of which the backup held (-1: not
	// checked, no control plane).
	Expected int `json:"expected"`
}

// NewReport computes the report of a recorded run.
func NewReport(st *State, d *v1alpha1.DrillPlan, now time.Time) *Report {
	rep := &Report{APIVersion: APIVersion, Drill: st.Drill, RunID: st.RunID, Source: st.Source, Recovery: st.Recovery,
		Phases: st.Phases, Backup: st.Backup, Restore: st.Restore, Verification: st.Verification,
		RTOObjective: d.Spec.Objectives.RTO.Duration, RPOObjective: d.Spec.Objectives.RPO.Duration, Expected: -1}
	if st.Expected != nil {
		rep.Expected = len(st.Expected)
	}
	if f := st.Failed(); f != nil {
		rep.FailedPhase, rep.Error = string(f.Phase), f.Error
	}
	if v := st.record(PhaseVerify); st.FailureAt != nil && v != nil && v.Ended != nil && v.Error == "" {
		rep.RTO = v.Ended.Sub(*st.FailureAt)
	}
	if st.FailureAt != nil && st.Backup != nil && st.Backup.Started != nil {
		rep.RPO = st.FailureAt.Sub(*st.Backup.Started)
	}
	rep.RTOMet = rep.RTO > 0 && rep.RTO <= rep.RTOObjective
	rep.RPOMet = rep.RPO > 0 && rep.RPO <= rep.RPOObjective
	var drillTime, veleroTime time.Duration
	for _, p := range []Phase{PhaseBackup, PhaseRestore} {
		if r := st.record(p); r != nil && r.Ended != nil {
			drillTime += r.Duration(now)
		}
	}
	for _, v := range []*VeleroTimes{st.Backup, st.Restore} {
		if v != nil && v.Started != nil && v.Completed != nil {
			veleroTime += v.Completed.Sub(*v.Started)
		}
	}
	if drillTime > 0 && veleroTime > 0 && veleroTime <= drillTime {
		rep.Overhead = float64(drillTime-veleroTime) / float64(drillTime)
	}
	var seenTime time.Duration
	for _, v := range []*VeleroTimes{st.Backup, st.Restore} {
		if v != nil && v.Seen != nil {
			seenTime += v.Seen.Ended.Sub(v.Seen.Started)
		}
	}
	if drillTime > 0 && seenTime > 0 && seenTime <= drillTime {
		rep.OverheadSeen = float64(drillTime-seenTime) / float64(drillTime)
	}
	rep.Passed = rep.FailedPhase == "" && st.Verification.Passed() && rep.RTOMet && rep.RPOMet
	if st.Spot != nil {
		spotReport(rep, st)
	}
	return rep
}

func round(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// WriteMarkdown writes the report for a pull request or a wiki.
func WriteMarkdown(w io.Writer, rep *Report) error {
	var b strings.Builder
	verdict := "✅ passed"
	if !rep.Passed {
		verdict = "❌ failed"
	}
	fmt.Fprintf(&b, "## Drill %s: %s\n\n", rep.Drill, verdict)
	if rep.Spot != nil {
		writeSpotMarkdown(&b, rep)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "Run `%s`: %s restored into %s.\n\n", rep.RunID, rep.Source, rep.Recovery)
	if rep.FailedPhase != "" {
		fmt.Fprintf(&b, "**Failed in %s:** %s\n\n", rep.FailedPhase, rep.Error)
	}
	b.WriteString("| objective | measured | target | |\n|---|---|---|---|\n")
	mark := func(ok bool) string {
		if ok {
			return "✅"
		}
		return "❌"
	}
	fmt.Fprintf(&b, "| RTO (failure → verified restore) | %s | %s | %s |\n", orDash(rep.RTO), round(rep.RTOObjective), mark(rep.RTOMet))
	fmt.Fprintf(&b, "| RPO (backup age at failure) | %s | %s | %s |\n\n", orDash(rep.RPO), round(rep.RPOObjective), mark(rep.RPOMet))
	writePhaseTable(&b, rep.Phases)
	b.WriteString("\n")
	for _, v := range []struct {
		what string
		t    *VeleroTimes
	}{{"Backup", rep.Backup}, {"Restore", rep.Restore}} {
		if v.t == nil {
			continue
		}
		took := "—"
		if v.t.Started != nil && v.t.Completed != nil {
			took = round(v.t.Completed.Sub(*v.t.Started))
		}
		fmt.Fprintf(&b, "Velero %s `%s`: %s, %d items, %d warnings, %d errors, %s by Velero's clock.\n", strings.ToLower(v.what), v.t.Name, v.t.Phase, v.t.Items, v.t.Warnings, v.t.Errors, took)
	}
	fmt.Fprintf(&b, "Orchestration overhead (backup and restore phases outside Velero's own time): %.0f%% by Velero's timestamps (whole seconds)", rep.Overhead*100)
	if rep.OverheadSeen > 0 {
		fmt.Fprintf(&b, ", %.0f%% by its status changes as the drill watched them", rep.OverheadSeen*100)
	}
	b.WriteString(".\n\n")
	if v := rep.Verification; v != nil {
		fmt.Fprintf(&b, "Verification: %d objects backed up, %d equal after restore, %d missing, %d different.\n", v.Objects, v.Verified, len(v.Missing), len(v.Different))
		if rep.Expected >= 0 && rep.Backup != nil {
			fmt.Fprintf(&b, "- the backup held every one of the %d objects Karmada had placed on %s (Velero: %d items)\n", rep.Expected, rep.Source, rep.Backup.Items)
		}
		if len(v.Existing) > 0 {
			fmt.Fprintf(&b, "- %d were on %s before the restore (Velero leaves an existing object as it is): %s\n", len(v.Existing), rep.Recovery, strings.Join(v.Existing, ", "))
		}
		for _, k := range v.Karmada {
			var parts []string
			for _, f := range k.Fields {
				p := "`" + f + "`"
				if kv, ok := k.Karmada[f]; ok {
					p += " " + kv + " as Karmada placed it"
					if bv, ok := k.Backup[f]; ok && bv != kv {
						p += " (the backup holds " + bv + ", the source's)"
					}
				}
				parts = append(parts, p)
			}
			fmt.Fprintf(&b, "- `%s`: judged against Karmada's copy for %s, not the backup: %s\n", k.Object, rep.Recovery, strings.Join(parts, ", "))
		}
		for _, u := range v.Unreadable {
			fmt.Fprintf(&b, "- unreadable at backup time (not verified): %s\n", u)
		}
		for _, m := range v.Missing {
			fmt.Fprintf(&b, "- missing: `%s`\n", m)
		}
		for _, d := range v.Different {
			fmt.Fprintf(&b, "- different: `%s`: %s\n", d.Object, strings.Join(d.Changes, "; "))
		}
		for _, r := range v.Ready {
			fmt.Fprintf(&b, "- ready %s `%s`: %s\n", mark(r.OK), r.Object, r.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePhaseTable writes each phase: how long it took and what it did, or
// why it failed.
func writePhaseTable(b *strings.Builder, phases []PhaseRecord) {
	b.WriteString("| phase | took | result |\n|---|---|---|\n")
	for _, p := range phases {
		res := p.Message
		if p.Error != "" {
			res = "**" + p.Error + "**"
		}
		took := "—"
		if p.Ended != nil {
			took = round(p.Ended.Sub(p.Started))
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", p.Phase, took, strings.ReplaceAll(res, "|", "\\|"))
	}
}

func orDash(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return round(d)
}

// WriteJUnit writes one test case per phase (and per objective), for CI.
func WriteJUnit(w io.Writer, rep *Report) error {
	s := junit.Suite{Name: "drill " + rep.Drill}
	for _, p := range rep.Phases {
		tc := junit.Case{Name: string(p.Phase), Classname: "drill." + rep.Drill, Time: junit.Seconds(0)}
		if p.Ended != nil {
			tc.Time = junit.Seconds(p.Ended.Sub(p.Started).Seconds())
		}
		if p.Error != "" {
			tc.Failure = junit.Failed(p.Error)
		}
		s.Cases = append(s.Cases, tc)
	}
	for _, o := range []struct {
		name           string
		met            bool
		measured, goal time.Duration
	}{{"RTO", rep.RTOMet, rep.RTO, rep.RTOObjective}, {"RPO", rep.RPOMet, rep.RPO, rep.RPOObjective}} {
		if o.name == "RPO" && rep.Spot != nil {
			continue // nothing restored
		}
		tc := junit.Case{Name: o.name + " objective", Classname: "drill." + rep.Drill, Time: junit.Seconds(0)}
		if !o.met {
			tc.Failure = junit.Failed(fmt.Sprintf("%s %s, objective %s", o.name, orDash(o.measured), round(o.goal)))
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tally()
	return junit.Write(w, &s)
}

// WriteSVG draws the timeline: one bar per phase on a common time axis,
// Velero's own backup and restore beneath their phases, and the RTO span
// from the failure to the verified restore.
func WriteSVG(w io.Writer, rep *Report) error {
	if len(rep.Phases) == 0 {
		_, err := io.WriteString(w, `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><text x="10" y="25">no phases recorded</text></svg>`+"\n")
		return err
	}
	start, end := rep.Phases[0].Started, rep.Phases[0].Started
	for _, p := range rep.Phases {
		if p.Ended != nil && p.Ended.After(end) {
			end = *p.Ended
		}
	}
	total := end.Sub(start)
	if total <= 0 {
		total = time.Millisecond
	}
	const left, width, row = 150.0, 600.0, 26.0
	x := func(t time.Time) float64 {
		if t.Before(start) {
			t = start
		}
		return left + width*float64(t.Sub(start))/float64(total)
	}
	rows := len(rep.Phases) + 3
	journeyHeight := 0.0
	if rep.Spot != nil && len(rep.Spot.Journey) > 0 {
		journeyHeight = float64(len(rep.Spot.Apps)) * (journeyPlot + 30)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", int(left+width+160), int(float64(rows)*row+40+journeyHeight))
	title := rep.Source + " → " + rep.Recovery
	if rep.Spot != nil {
		title = rep.Source + " loses " + rep.Spot.CapacityType + " capacity"
	}
	fmt.Fprintf(&b, `<text x="10" y="18" font-weight="bold">Drill %s — %s (%s total)</text>`+"\n", html.EscapeString(rep.Drill), html.EscapeString(title), round(total))
	y := 30.0
	bar := func(label string, from, to time.Time, color, note string) {
		w := x(to) - x(from)
		if w < 1 {
			w = 1
		}
		fmt.Fprintf(&b, `<text x="10" y="%.0f">%s</text>`, y+15, html.EscapeString(label))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="18" fill="%s"><title>%s</title></rect>`, x(from), y+2, w, color, html.EscapeString(note))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" fill="#333">%s</text>`+"\n", x(from)+w+4, y+15, html.EscapeString(round(to.Sub(from))))
		y += row
	}
	for _, p := range rep.Phases {
		endT := end
		if p.Ended != nil {
			endT = *p.Ended
		}
		color := "#4c78a8"
		if p.Error != "" {
			color = "#e45756"
		}
		bar(string(p.Phase), p.Started, endT, color, p.Message+p.Error)
	}
	for _, v := range []struct {
		label string
		t     *VeleroTimes
	}{{"Velero backup", rep.Backup}, {"Velero restore", rep.Restore}} {
		if v.t != nil && v.t.Started != nil && v.t.Completed != nil && !v.t.Started.Before(start) {
			bar(v.label, *v.t.Started, *v.t.Completed, "#72b7b2", v.t.Name)
		}
	}
	if rep.RTO > 0 {
		var failAt time.Time
		for _, p := range rep.Phases {
			if p.Phase == PhaseInjectFailure && p.Ended != nil {
				failAt = *p.Ended
			}
		}
		if rep.Spot != nil && rep.Spot.NoticeAt != nil {
			failAt = *rep.Spot.NoticeAt
		}
		if !failAt.IsZero() {
			color := "#54a24b"
			if !rep.RTOMet {
				color = "#e45756"
			}
			bar("RTO", failAt, failAt.Add(rep.RTO), color, fmt.Sprintf("objective %s", round(rep.RTOObjective)))
		}
	}
	if journeyHeight > 0 {
		writeJourneySVG(&b, rep.Spot, y+10, left, width, x, end)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
