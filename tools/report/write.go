package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// Formats are the output formats Write offers.
func Formats() []string { return []string{"text", "json", "sarif", "junit", "github"} }

// Options tune writers.
type Options struct {
	// Color enables ANSI colour in text output (on a terminal).
	Color bool
}

// Write writes the report in a format.
func Write(w io.Writer, format string, r *Report, opts Options) error {
	switch format {
	case "text":
		return writeText(w, r, opts)
	case "json":
		return writeJSON(w, r)
	case "sarif":
		return writeSARIF(w, r)
	case "junit":
		return writeJUnit(w, r)
	case "github":
		return writeGitHub(w, r)
	}
	return fmt.Errorf("unknown output format %q (use one of: %v)", format, Formats())
}

// IsFormat reports whether format is one Write offers.
func IsFormat(format string) bool { return slices.Contains(Formats(), format) }

// jsonReport is the documented, versioned JSON output.
type jsonReport struct {
	Version    int       `json:"version"`
	Objects    int       `json:"objects"`
	Errors     int       `json:"errors"`
	Warnings   int       `json:"warnings"`
	Findings   []Finding `json:"findings"`
	Suppressed []Finding `json:"suppressed"`
	Rules      []Rule    `json:"rules"`
	Skipped    []Skipped `json:"skipped,omitempty"`
}

func writeJSON(w io.Writer, r *Report) error {
	out := jsonReport{Version: 1, Objects: r.Objects, Errors: r.Count(Error), Warnings: r.Count(Warning),
		Findings: nonNil(r.Findings), Suppressed: nonNil(r.Suppressed), Rules: r.Rules, Skipped: r.Skipped}
	if out.Rules == nil {
		out.Rules = []Rule{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func nonNil(f []Finding) []Finding {
	if f == nil {
		return []Finding{}
	}
	return f
}
