package yamldoc

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
)

// yaml.v3 is the parser of record (its verdict decides what is valid, as
// sigs.k8s.io/yaml's does for kubectl), but its syntax errors carry the
// line of the construct being parsed, not of the offending character, and
// no column: a tab on line 77 is reported at 76, a dedented key on line
// 23 at line 10. When yaml.v3 refuses a document, goccy/go-yaml — a second
// YAML parser that keeps every token's position — is asked where it
// fails; when it fails too, that position is the one reported, with the
// cause in plain words and the line shown with a caret.

// The second parser is asked only about documents within these: hand-written
// mistakes are the ones a column helps with, and beyond them its cost is
// not bounded by flotilla's input bounds (measured: 10,000 nested flow
// mappings take 224 MB and 0.3 s, 2 MiB of them exhaust the machine).
const (
	locateMaxBytes     = 256 << 10
	locateMaxFlowDepth = 256
)

// flowDepth is the deepest nesting of "[" and "{" in data, counted
// crudely (brackets in quotes and comments count too: an overcount only
// skips the second parser).
func flowDepth(data []byte) int {
	depth, deepest := 0, 0
	for _, b := range data {
		switch b {
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return deepest
}

// syntaxPosition is where, by goccy/go-yaml, a document's text stops
// being YAML: a 1-based line and column (in characters) of data, and
// goccy's message. ok is false when goccy accepts the text (the two
// parsers disagree: yaml.v3's own line is kept) or cannot say.
func syntaxPosition(data []byte) (line, col int, msg string, ok bool) {
	defer func() {
		// A panic in the second parser on hostile input costs the
		// column, never the run: yaml.v3's message still stands.
		if recover() != nil {
			ok = false
		}
	}()
	if len(data) > locateMaxBytes || flowDepth(data) > locateMaxFlowDepth {
		// goccy's cost grows faster than linearly with deep flow nesting
		// (a 2 MiB "{a: {a: …" takes gigabytes): only text of the size
		// people write by hand is located.
		return 0, 0, "", false
	}
	if loneCR(data) {
		// A lone CR is a line break to both parsers, not to the line
		// numbers flotilla reports (newlines): no position is better than
		// a wrong one.
		return 0, 0, "", false
	}
	_, err := goccyparser.ParseBytes(data, 0)
	var se *goccy.SyntaxError
	if err == nil || !errors.As(err, &se) || se.Token == nil || se.Token.Position == nil {
		return 0, 0, "", false
	}
	p := se.Token.Position
	if p.Line < 1 || p.Column < 1 || p.Line > bytes.Count(data, []byte("\n"))+1 {
		return 0, 0, "", false
	}
	return p.Line, p.Column, se.Message, true
}

// lineOf returns the n-th (1-based) line of data, without its newline.
func lineOf(data []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return nil
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return bytes.TrimRight(data, "\r")
}

// charAt returns the character at a 1-based column of a line.
func charAt(line []byte, col int) (rune, bool) {
	for i, c := 0, 1; i < len(line); c++ {
		r, size := utf8.DecodeRune(line[i:])
		if c == col {
			return r, true
		}
		i += size
	}
	return 0, false
}

// indentOf is the number of spaces a line starts with.
func indentOf(line []byte) int {
	return len(line) - len(bytes.TrimLeft(line, " "))
}

// plainCause names, in plain words, why the text is not YAML at line:col
// (of data), from the character there and the two parsers' messages; a
// line it names elsewhere is data's plus shift (the file's).
func plainCause(data []byte, line, col, shift int, goccyMsg, v3Msg string) string {
	text := lineOf(data, line)
	r, _ := charAt(text, col)
	switch {
	case r == '\t' || bytes.ContainsRune(text[:len(text)-len(bytes.TrimLeft(text, " \t"))], '\t'):
		return "a tab character in the indentation: YAML indents with spaces, never tabs"
	case strings.Contains(goccyMsg, "double-quoted"):
		return `the double quote (") opened here is never closed`
	case strings.Contains(goccyMsg, "single-quoted"):
		return "the single quote (') opened here is never closed"
	case strings.Contains(goccyMsg, "']' must be specified"):
		return unclosed(data, line, col, shift, '[', ']')
	case strings.Contains(goccyMsg, "'}' must be specified"):
		return unclosed(data, line, col, shift, '{', '}')
	case strings.Contains(goccyMsg, "mapping value is not allowed") || strings.Contains(v3Msg, "mapping values are not allowed"):
		return `this value holds ": " and must be quoted`
	}
	if n := indentOf(text); col == n+1 && !levelAbove(data, line, n) {
		return fmt.Sprintf("bad indentation: this line is indented by %d space(s), which lines up with no key above it", n)
	}
	return goccyMsg
}

// keyIndent is the column (from 0) where a line's content starts once
// its sequence dashes are passed: the key of "  - port: 80" is at 4.
func keyIndent(line []byte) int {
	i := indentOf(line)
	for i+1 < len(line) && line[i] == '-' && line[i+1] == ' ' {
		i += 2
		for i < len(line) && line[i] == ' ' {
			i++
		}
	}
	return i
}

// levelAbove says whether some line before the n-th of data that holds
// content starts at indentation indent (a key this line could be a
// sibling of), looking back until a line indented less than indent.
func levelAbove(data []byte, n, indent int) bool {
	lines := bytes.Split(data, []byte("\n"))
	for i := min(n-1, len(lines)) - 1; i >= 0; i-- {
		l := bytes.TrimRight(lines[i], "\r")
		t := bytes.TrimLeft(l, " ")
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		in := indentOf(l)
		if in == indent || keyIndent(l) == indent {
			return true
		}
		if in < indent {
			return false
		}
	}
	return indent == 0
}

// snippet shows the n-th line of data, numbered as the file's line
// fileLine, with a caret under column col: the line as the user wrote it,
// tabs shown as "→" so the caret lines up.
func snippet(data []byte, n, col, fileLine int) string {
	text := []rune(string(lineOf(data, n)))
	var shown, caret strings.Builder
	for i, r := range text {
		if r == '\t' {
			r = '→'
		}
		shown.WriteRune(r)
		if i < col-1 {
			caret.WriteByte(' ')
		}
	}
	num := fmt.Sprint(fileLine)
	return fmt.Sprintf("%s | %s\n%s | %s^", num, shown.String(), strings.Repeat(" ", len(num)), caret.String())
}

// loneCR says data holds a carriage return not followed by a newline.
func loneCR(data []byte) bool {
	for i := bytes.IndexByte(data, '\r'); i >= 0; {
		if i+1 >= len(data) || data[i+1] != '\n' {
			return true
		}
		j := bytes.IndexByte(data[i+1:], '\r')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// unclosed says which open bracket before line:col of data was never
// closed, found by matching brackets (outside quotes and comments) up to
// there.
func unclosed(data []byte, line, col, shift int, open, closing byte) string {
	type mark struct{ line, col int }
	var stack []mark
	l, c := 1, 1
	var quote byte
	comment := false
	for i := 0; i < len(data) && (l < line || (l == line && c < col)); i++ {
		b := data[i]
		switch {
		case b == '\n':
			// A quoted string may span lines: its quote stays open.
			l, c, comment = l+1, 1, false
			continue
		case comment:
		case quote != 0:
			if b == quote {
				quote = 0
			}
		case b == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t'):
			comment = true
		case b == '"' || b == '\'':
			quote = b
		case b == open:
			stack = append(stack, mark{l, c})
		case b == closing && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
		if b < 0x80 || b >= 0xC0 {
			c++ // count characters, not UTF-8 continuation bytes
		}
	}
	if len(stack) == 0 {
		return fmt.Sprintf(`a "%c" is never closed: "," or "%c" was expected here`, open, closing)
	}
	m := stack[len(stack)-1]
	return fmt.Sprintf(`the "%c" opened at line %d, column %d is never closed: "," or "%c" was expected here`, open, m.line+shift, m.col, closing)
}
