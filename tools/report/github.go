package report

import (
	"fmt"
	"io"
	"strings"
)

// writeGitHub prints GitHub Actions workflow commands, which the runner
// turns into annotations on the pull request's changed lines.
func writeGitHub(w io.Writer, r *Report) error {
	for _, f := range r.Findings {
		level := "error"
		if f.Severity == Warning {
			level = "warning"
		}
		props := []string{"file=" + escapeProperty(f.File)}
		if f.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", f.Line))
			if f.Column > 0 {
				props = append(props, fmt.Sprintf("col=%d", f.Column))
			}
		}
		title := f.Rule
		if f.Object != "" {
			title += " " + f.Object
		}
		props = append(props, "title="+escapeProperty(title))
		msg := f.Message
		if f.Rendered != "" {
			msg += " (rendered as " + f.Rendered + ")"
		}
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", level, strings.Join(props, ","), escapeData(msg)); err != nil {
			return err
		}
	}
	return nil
}

// escapeData and escapeProperty follow the runner's escaping
// (actions/toolkit, command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
