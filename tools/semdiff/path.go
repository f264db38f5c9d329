package semdiff

import (
	"strconv"
	"strings"
)

// renderPath joins segments as in Change.Path: identifier keys dotted,
// other keys quoted in brackets, list selectors appended.
func renderPath(segs []segment) string {
	var b strings.Builder
	for i, s := range segs {
		switch {
		case s.item:
			b.WriteString(s.text)
		case isIdent(s.text):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.text)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.text))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// isIdent reports whether key can be written bare in a dotted path without
// being mistaken for several keys, a selector or a flag: letters, digits,
// '_' and '-', not starting with a digit or '-'.
func isIdent(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case (c >= '0' && c <= '9') || c == '-':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// parseIgnore splits an Ignore entry into its map keys: dots separate keys
// and ["..."] quotes one, as renderPath writes it. It returns nil for an
// entry it cannot read, such as one with a list selector: ignoring nothing
// shows a reviewer some noise, while guessing could hide a real change.
func parseIgnore(s string) []string {
	var keys []string
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
		case '[':
			q, err := strconv.QuotedPrefix(s[1:])
			if err != nil || !strings.HasPrefix(s[1+len(q):], "]") {
				return nil
			}
			k, err := strconv.Unquote(q)
			if err != nil {
				return nil
			}
			keys = append(keys, k)
			s = s[1+len(q)+1:]
		default:
			i := strings.IndexAny(s, ".[")
			if i < 0 {
				i = len(s)
			}
			keys = append(keys, s[:i])
			s = s[i:]
		}
	}
	return keys
}
