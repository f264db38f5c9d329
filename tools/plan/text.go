package plan

import (
	"fmt"
	"io"
	"strings"

	"github.com/flotilla-gitops/flotilla/tools/report"
)

const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiReset  = "\x1b[0m"
)

// TextOptions configure WriteText.
type TextOptions struct {
	Color bool
	// MaxNames bounds the cluster names listed per line (0: all).
	MaxNames int
}

// WriteText writes the plan for a terminal.
func WriteText(w io.Writer, p *Plan, o TextOptions) error {
	paint := func(code, s string) string {
		if !o.Color {
			return s
		}
		return code + s + ansiReset
	}
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s %s → %s\n", paint(ansiBold, "Plan:"), p.Base, p.Head)
	fmt.Fprintf(b, "  %s", p.Summary)
	if len(p.Summary.AppsTouched) > 0 {
		fmt.Fprintf(b, " · apps: %s", strings.Join(p.Summary.AppsTouched, ", "))
	}
	fmt.Fprintln(b)
	if p.Apps != nil {
		fmt.Fprintf(b, "  %s\n", paint(ansiDim, "changed-only: the change touches only "+appList(p.Apps)+"; nothing else was compared"))
	}
	if len(p.Risks) > 0 {
		fmt.Fprintf(b, "\n%s\n", paint(ansiBold, "Risks"))
		for _, r := range p.Risks {
			fmt.Fprintf(b, "  %s %-20s %s\n", paint(ansiRed, "!"), r.Code, r.Message)
		}
	}
	if len(p.Waves) > 0 {
		fmt.Fprintf(b, "\n%s\n", paint(ansiBold, "Rollout"))
		for _, wv := range p.Waves {
			fmt.Fprintf(b, "  wave %-3d %4d change(s)  %s\n", wv.Wave, wv.Changes, names(wv.Clusters, o.MaxNames))
		}
	}
	if rows := p.ReplicaRows(); len(rows) > 0 {
		fmt.Fprintf(b, "\n%s\n", paint(ansiBold, "Replicas"))
		for _, r := range rows {
			fmt.Fprintf(b, "  %-24s %-44s %3d → %-3d %s\n", r.App, r.Object, r.Before, r.After, names(r.Clusters, o.MaxNames))
		}
	}
	if len(p.Placement) > 0 {
		fmt.Fprintf(b, "\n%s\n", paint(ansiBold, "Placement"))
		for _, pc := range p.Placement {
			if len(pc.Added) > 0 {
				fmt.Fprintf(b, "  %-24s %s %s\n", pc.App, paint(ansiGreen, "+ lands on"), names(pc.Added, o.MaxNames))
			}
			if len(pc.Dropped) > 0 {
				fmt.Fprintf(b, "  %-24s %s %s\n", pc.App, paint(ansiRed, "- leaves"), names(pc.Dropped, o.MaxNames))
			}
		}
	}
	if len(p.Images) > 0 {
		fmt.Fprintf(b, "\n%s\n", paint(ansiBold, "Images"))
		for _, ic := range p.Images {
			fmt.Fprintf(b, "  %s %s: %s → %s  on %s\n", ic.Object, ic.Container, orNone(ic.Before), orNone(ic.After), names(ic.Clusters, o.MaxNames))
		}
	}
	if f := p.Findings; f != nil && len(f.Introduced)+len(f.Fixed) > 0 {
		fmt.Fprintf(b, "\n%s\n", paint(ansiBold, "Policy findings"))
		for _, x := range f.Introduced {
			fmt.Fprintf(b, "  %s %s\n", paint(ansiRed, "+ new  "), findingLine(x))
		}
		for _, x := range f.Fixed {
			fmt.Fprintf(b, "  %s %s\n", paint(ansiGreen, "- fixed"), findingLine(x))
		}
	}
	for _, g := range p.Groups() {
		fmt.Fprintf(b, "\n%s\n", paint(ansiBold, "── "+g.Title(o.MaxNames)+" ──"))
		for _, ch := range g.Changes {
			sign, code := "~", ansiYellow
			switch ch.Action {
			case Added:
				sign, code = "+", ansiGreen
			case Removed:
				sign, code = "-", ansiRed
			}
			src := ""
			if ch.Source != "" {
				src = "  " + paint(ansiDim, ch.Source)
			}
			fmt.Fprintf(b, "  %s %s%s\n", paint(code, sign), ch.Object, src)
			for _, d := range ch.Diff {
				fmt.Fprintf(b, "      %s\n", d.String())
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func appList(apps []string) string {
	if len(apps) == 0 {
		return "files outside any app"
	}
	return "app(s) " + strings.Join(apps, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// findingSource is the file:line a finding points at.
func findingSource(f report.Finding) string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return f.File
}

func findingLine(f report.Finding) string {
	obj := ""
	if f.Object != "" {
		obj = f.Object + ": "
	}
	return fmt.Sprintf("%-7s %-11s %s%s (%s)", f.Severity, f.Rule, obj, f.Message, findingSource(f))
}
