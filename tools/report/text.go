package report

import (
	"fmt"
	"io"
	"strings"
)

const (
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

// writeText groups findings by file, one line each:
//
//	apps/x/manifests/deployment.yaml
//	  23:9   error    GO-001  Deployment/inference/x: container "server" has a memory limit but no GOMEMLIMIT
func writeText(w io.Writer, r *Report, opts Options) error {
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	file := "\x00"
	for _, f := range r.Findings {
		if f.File != file {
			if file != "\x00" {
				fmt.Fprintln(w)
			}
			file = f.File
			fmt.Fprintln(w, paint(ansiBold, f.File))
		}
		pos := ""
		if f.Line > 0 {
			pos = fmt.Sprintf("%d:%d", f.Line, max(f.Column, 1))
		}
		sev := fmt.Sprintf("%-7s", f.Severity)
		if f.Severity == Error {
			sev = paint(ansiRed, sev)
		} else {
			sev = paint(ansiYellow, sev)
		}
		msg := f.Message
		if f.Object != "" {
			msg = f.Object + ": " + msg
		}
		fmt.Fprintf(w, "  %-7s  %s  %-10s  %s\n", pos, sev, f.Rule, msg)
		if f.Rendered != "" {
			fmt.Fprintf(w, "  %-7s  %s\n", "", paint(ansiDim, "rendered as "+f.Rendered))
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(w)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintln(w, paint(ansiDim, "skipped "+Plural(len(r.Skipped), "file")+":"))
		for _, s := range r.Skipped {
			fmt.Fprintln(w, paint(ansiDim, "  "+s.File+": "+s.Reason))
		}
		fmt.Fprintln(w)
	}
	var parts []string
	errs := Plural(r.Count(Error), "error")
	if n := r.InputErrors(); n > 0 {
		errs += " (" + Plural(n, "input error") + ")"
	}
	parts = append(parts, errs, Plural(r.Count(Warning), "warning"))
	if len(r.Suppressed) > 0 {
		parts = append(parts, fmt.Sprintf("%d accepted by exceptions", len(r.Suppressed)))
	}
	_, err := fmt.Fprintf(w, "%s in %s, %d rules\n", strings.Join(parts, ", "), Plural(r.Objects, "object"), len(r.Rules))
	return err
}

// Plural counts things in words: "1 error", "2 errors" (the CLI's error
// count says it the same way).
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
