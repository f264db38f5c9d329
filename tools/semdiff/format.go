package semdiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// valueWidth bounds each value in Change.String so that a change stays one
// readable line even when a whole container was added.
const valueWidth = 80

// String renders the change as one line for a terminal: `~ spec.replicas:
// 3 → 5`, `+ path: value`, `- path: value`. A masked change shows only that a
// sensitive value changed, never the value.
func (c Change) String() string {
	sym := "?"
	switch c.Op {
	case Added:
		sym = "+"
	case Removed:
		sym = "-"
	case Changed:
		sym = "~"
	}
	if c.Masked {
		return fmt.Sprintf("%s %s: (sensitive value %s)", sym, c.Path, c.Op)
	}
	switch c.Op {
	case Added:
		return sym + " " + c.Path + ": " + FormatValue(c.After, valueWidth)
	case Removed:
		return sym + " " + c.Path + ": " + FormatValue(c.Before, valueWidth)
	}
	return sym + " " + c.Path + ": " + FormatValue(c.Before, valueWidth) + " → " + FormatValue(c.After, valueWidth)
}

// FormatValue renders v as compact JSON (map keys sorted, so the text is
// stable) and cuts it to at most limit runes, ending in "…" when cut. limit
// <= 0 means no limit. Strings keep their quotes so that "" and " " are
// visible.
func FormatValue(v any, limit int) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Reviewers read this, no browser does: show <, > and & as they are.
	enc.SetEscapeHTML(false)
	s := ""
	if err := enc.Encode(v); err != nil {
		s = fmt.Sprint(v) // NaN, or a value JSON cannot hold
	} else {
		s = string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	}
	if limit <= 0 || utf8.RuneCountInString(s) <= limit {
		return s
	}
	n := 0
	for i := range s {
		if n == limit-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
