package plan

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/flotilla-gitops/flotilla/tools/report"
)

// MarkdownOptions configure WriteMarkdown.
type MarkdownOptions struct {
	// MaxNames bounds cluster names listed in a table cell or heading.
	MaxNames int
}

// WriteMarkdown writes the plan as a pull-request comment: a summary,
// risks, the rollout sequence and tables first, then one collapsible
// section per target (or group of targets receiving identical changes).
// It is one document; mdsplit cuts it into comments without loss.
func WriteMarkdown(w io.Writer, p *Plan, o MarkdownOptions) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "### flotilla plan: `%s` → `%s`\n\n", p.Base, p.Head)
	if !p.Summary.Changed {
		b.WriteString("**No change to the fleet.**\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(b, "**%d added · %d changed · %d removed** on **%d of %d** member clusters",
		p.Summary.Added, p.Summary.Modified, p.Summary.Removed, p.Summary.Clusters, p.Summary.TotalClusters)
	if len(p.Summary.AppsTouched) > 0 {
		fmt.Fprintf(b, " · apps: %s", codeList(p.Summary.AppsTouched))
	}
	b.WriteString("\n")
	if p.Apps != nil {
		fmt.Fprintf(b, "\n_Changed-only plan: the change touches only %s, so only those were rendered into the comparison._\n", appList(p.Apps))
	}
	if len(p.Risks) > 0 {
		b.WriteString("\n> [!WARNING]\n> **Risks**\n")
		for _, r := range p.Risks {
			fmt.Fprintf(b, "> - **%s**: %s\n", r.Code, mdInline(r.Message))
		}
	}
	if len(p.Waves) > 0 {
		b.WriteString("\n#### Rollout\n\n| Wave | Changes | Clusters |\n|---:|---:|---|\n")
		for _, wv := range p.Waves {
			fmt.Fprintf(b, "| %d | %d | %s |\n", wv.Wave, wv.Changes, mdCell(names(wv.Clusters, o.MaxNames)))
		}
	}
	if rows := p.ReplicaRows(); len(rows) > 0 {
		b.WriteString("\n#### Replicas\n\n| App | Object | Before → after | Clusters |\n|---|---|:---:|---|\n")
		for _, r := range rows {
			fmt.Fprintf(b, "| %s | `%s` | %d → **%d** | %s |\n", mdCell(r.App), mdCode(r.Object), r.Before, r.After, mdCell(names(r.Clusters, o.MaxNames)))
		}
	}
	if len(p.Placement) > 0 {
		b.WriteString("\n#### Placement\n\n| App | Newly lands on | Leaves |\n|---|---|---|\n")
		for _, pc := range p.Placement {
			fmt.Fprintf(b, "| %s | %s | %s |\n", mdCell(pc.App), mdCell(names(pc.Added, o.MaxNames)), mdCell(names(pc.Dropped, o.MaxNames)))
		}
	}
	if len(p.Images) > 0 {
		b.WriteString("\n#### Images\n\n| Object | Container | Before | After | Clusters |\n|---|---|---|---|---|\n")
		for _, ic := range p.Images {
			fmt.Fprintf(b, "| `%s` | %s | `%s` | `%s` | %s |\n", mdCode(ic.Object), mdCell(ic.Container), mdCode(orNone(ic.Before)), mdCode(orNone(ic.After)), mdCell(names(ic.Clusters, o.MaxNames)))
		}
	}
	if f := p.Findings; f != nil && len(f.Introduced)+len(f.Fixed) > 0 {
		b.WriteString("\n#### Policy findings\n\n| | Rule | Severity | Object | Finding | Source |\n|---|---|---|---|---|---|\n")
		rows := []struct {
			mark string
			fs   []findingRow
		}{{"🆕 new", rowsOf(f.Introduced)}, {"✅ fixed", rowsOf(f.Fixed)}}
		for _, r := range rows {
			for _, x := range r.fs {
				fmt.Fprintf(b, "| %s | %s | %s | `%s` | %s | `%s` |\n", r.mark, x.rule, x.severity, mdCode(x.object), mdCell(x.message), mdCode(x.source))
			}
		}
	}
	b.WriteString("\n#### Changes\n")
	for _, g := range p.Groups() {
		added, changed, removed := counts(g.Changes)
		fmt.Fprintf(b, "\n<details><summary><b>%s</b> — %s</summary>\n\n", html.EscapeString(g.Title(o.MaxNames)), countsText(added, changed, removed))
		if len(g.Targets) > 1 && o.MaxNames > 0 && len(g.Targets) > o.MaxNames {
			fmt.Fprintf(b, "All %d: %s\n\n", len(g.Targets), strings.Join(g.Targets, ", "))
		}
		var body strings.Builder
		for _, ch := range g.Changes {
			sign := "~"
			switch ch.Action {
			case Added:
				sign = "+"
			case Removed:
				sign = "-"
			}
			fmt.Fprintf(&body, "%s %s", sign, ch.Object)
			if ch.Source != "" {
				fmt.Fprintf(&body, "    # %s", ch.Source)
			}
			body.WriteString("\n")
			for _, d := range ch.Diff {
				fmt.Fprintf(&body, "    %s\n", d.String())
			}
		}
		fence := fenceFor(body.String())
		fmt.Fprintf(b, "%sdiff\n%s%s\n\n</details>\n", fence, body.String(), fence)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type findingRow struct{ rule, severity, object, message, source string }

func rowsOf(fs []report.Finding) []findingRow {
	out := make([]findingRow, 0, len(fs))
	for _, f := range fs {
		out = append(out, findingRow{f.Rule, string(f.Severity), f.Object, f.Message, findingSource(f)})
	}
	return out
}

func counts(chs []ObjectChange) (added, changed, removed int) {
	for _, c := range chs {
		switch c.Action {
		case Added:
			added++
		case Changed:
			changed++
		case Removed:
			removed++
		}
	}
	return
}

func countsText(added, changed, removed int) string {
	var parts []string
	if added > 0 {
		parts = append(parts, fmt.Sprintf("%d added", added))
	}
	if changed > 0 {
		parts = append(parts, fmt.Sprintf("%d changed", changed))
	}
	if removed > 0 {
		parts = append(parts, fmt.Sprintf("%d removed", removed))
	}
	return strings.Join(parts, ", ")
}

// fenceFor returns a backtick fence longer than any backtick run in s, so
// no value can close the block early.
func fenceFor(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func codeList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = "`" + mdCode(s) + "`"
	}
	return strings.Join(out, ", ")
}

// mdCell escapes text for a table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

// mdCode makes text safe inside a single-backtick code span in a table.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "`", "'")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

// mdInline escapes text in a list item or quote.
func mdInline(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "<", "&lt;")
}
