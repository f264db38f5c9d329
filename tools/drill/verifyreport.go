package drill

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/junit"
)

// WriteBackupsMarkdown writes a backup check's report.
func WriteBackupsMarkdown(w io.Writer, rep *BackupsReport) error {
	var b strings.Builder
	verdict := "✅ passed"
	if !rep.Passed {
		verdict = "❌ failed"
	}
	what := "schedule chains and restore dry-runs"
	if rep.Preview {
		what = "schedule chains (preview: no restore made; --yes to run the dry-runs)"
	}
	fmt.Fprintf(&b, "## Backups: %s\n\n%s, as of %s.\n\n", verdict, what, rep.Checked.Format(time.RFC3339))
	b.WriteString("| app | cluster | chain | latest backup | restore dry-run |\n|---|---|---|---|---|\n")
	for _, s := range rep.Schedules {
		chain, latest := "—", "—"
		if s.Error != "" {
			chain = "❌ " + s.Error
		} else if ch := s.Chain; ch != nil {
			chain = "✅ " + ch.summary()
			if !ch.OK() {
				chain = "❌ " + strings.Join(ch.Problems, "; ")
			}
			if ch.Latest != "" {
				latest = "`" + ch.Latest + "`"
			}
		}
		dry := "—"
		switch d := s.DryRun; {
		case d != nil && d.Passed():
			dry = fmt.Sprintf("✅ %d/%d objects equal in `%s` on %s (%s); removed", d.Verification.Verified, d.Verification.Objects, d.Scratch, s.Recovery, round(d.Took))
		case d != nil && d.Error != "":
			dry = "❌ " + d.Error
		case d != nil:
			dry = "❌ " + d.Verification.summary(s.Recovery)
		case len(s.Steps) > 0:
			dry = "would restore it into a scratch namespace on " + s.Recovery
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.App, s.Cluster, cell(chain), latest, cell(dry))
	}
	for _, s := range rep.Schedules {
		if d := s.DryRun; d != nil && d.Verification != nil {
			for _, m := range d.Verification.Missing {
				fmt.Fprintf(&b, "- %s@%s missing after restore: `%s`\n", s.App, s.Cluster, m)
			}
			for _, df := range d.Verification.Different {
				fmt.Fprintf(&b, "- %s@%s different after restore: `%s`: %s\n", s.App, s.Cluster, df.Object, strings.Join(df.Changes, "; "))
			}
		}
		if len(s.Steps) > 0 {
			fmt.Fprintf(&b, "\n%s@%s, with --yes:\n", s.App, s.Cluster)
			for i, st := range s.Steps {
				fmt.Fprintf(&b, "%d. %s\n", i+1, st)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// WriteBackupsJUnit writes one test case per schedule chain and per
// restore dry-run, for CI.
func WriteBackupsJUnit(w io.Writer, rep *BackupsReport) error {
	s := junit.Suite{Name: "verify-backups"}
	for _, sr := range rep.Schedules {
		class := "backups." + sr.App
		chain := junit.Case{Name: sr.Cluster + " chain", Classname: class, Time: junit.Seconds(0)}
		switch {
		case sr.Error != "":
			chain.Failure = junit.Failed(sr.Error)
		case !sr.Chain.OK():
			chain.Failure = junit.Failed(strings.Join(sr.Chain.Problems, "; "))
		}
		dry := junit.Case{Name: sr.Cluster + " restore dry-run", Classname: class, Time: junit.Seconds(0)}
		switch d := sr.DryRun; {
		case d != nil:
			dry.Time = junit.Seconds(d.Took.Seconds())
			if d.Error != "" {
				dry.Failure = junit.Failed(d.Error)
			} else if !d.Passed() {
				dry.Failure = junit.Failed(d.Verification.summary(sr.Recovery))
			}
		case rep.Preview:
			dry.Skipped = &junit.Skipped{Message: "preview: run with --yes"}
		default:
			dry.Skipped = &junit.Skipped{Message: "no backup to restore"}
		}
		s.Cases = append(s.Cases, chain, dry)
	}
	s.Tally()
	return junit.Write(w, &s)
}
