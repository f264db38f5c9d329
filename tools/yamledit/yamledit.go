package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Editor edits one document of a YAML file.
type Editor struct {
	src []byte
	nl  string // the file's line ending
	// starts[i] is the byte offset of line i+1; a final entry is len(src).
	starts []int
	// first and end are the document's lines: its chunk runs from line
	// first to the line before end (1-based).
	first, end int
	root       *yaml.Node
	edits      []edit
}

// edit replaces src[from:to] with text; inserts have from == to, and
// order keeps several inserts at one offset in the order they were made.
type edit struct {
	from, to int
	text     string
	order    int
}

// Error is a problem at a position of the file.
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
	}
	return e.Msg
}

// ErrAt builds an Error at a node.
func ErrAt(n *yaml.Node, format string, args ...any) *Error {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// Open parses the document of data that holds line (1-based; documents
// are cut at "---" lines as flotilla's loader cuts them). Its top node
// must be a block mapping.
func Open(data []byte, line int) (*Editor, error) {
	e := &Editor{src: data, nl: "\n"}
	if bytes.Contains(data, []byte("\r\n")) {
		e.nl = "\r\n"
	}
	e.starts = append(e.starts, 0)
	for i, b := range data {
		if b == '\n' && i+1 < len(data) {
			e.starts = append(e.starts, i+1)
		}
	}
	e.starts = append(e.starts, len(data))
	lines := len(e.starts) - 1
	// The chunk holding line: from the separator before it to the next.
	e.first, e.end = 1, lines+1
	for l := 1; l <= lines; l++ {
		if !isSeparator(e.line(l)) {
			continue
		}
		if l <= line {
			e.first = l + 1
		} else {
			e.end = l
			break
		}
	}
	if line < 1 || line > lines {
		return nil, &Error{Msg: fmt.Sprintf("line %d is not in the file (%d lines)", line, lines)}
	}
	chunk := data[e.starts[e.first-1]:e.starts[e.end-1]]
	var doc yaml.Node
	if err := yaml.Unmarshal(chunk, &doc); err != nil {
		return nil, &Error{Line: e.first, Msg: err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{Line: line, Msg: "the document is empty"}
	}
	shift(doc.Content[0], e.first-1)
	e.root = doc.Content[0]
	if e.root.Kind != yaml.MappingNode || e.root.Style&yaml.FlowStyle != 0 {
		return nil, ErrAt(e.root, "the document is not a block mapping")
	}
	return e, nil
}

func shift(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shift(c, by)
	}
}

// isSeparator matches a document separator line, as package yamldoc
// does.
func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimRight(line[3:], "\r\n")
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '#'
}

// line returns line l (1-based) without its line ending.
func (e *Editor) line(l int) []byte {
	if l < 1 || l >= len(e.starts) {
		return nil
	}
	return bytes.TrimRight(e.src[e.starts[l-1]:e.starts[l]], "\r\n")
}

// lineStart is the byte offset where line l begins (len(src) past the
// end).
func (e *Editor) lineStart(l int) int {
	if l < 1 {
		return 0
	}
	if l >= len(e.starts) {
		return len(e.src)
	}
	return e.starts[l-1]
}

// offset converts a node's 1-based line and column (yaml.v3 counts
// characters) to a byte offset.
func (e *Editor) offset(line, column int) int {
	text := e.line(line)
	off := 0
	for c := 1; c < column && off < len(text); c++ {
		_, w := utf8.DecodeRune(text[off:])
		off += w
	}
	return e.lineStart(line) + off
}

// Text is the document's text (its lines of the file, as they are
// before the edits).
func (e *Editor) Text() []byte { return e.src[e.lineStart(e.first):e.lineStart(e.end)] }

// Root is the document's top mapping.
func (e *Editor) Root() *yaml.Node { return e.root }

// Get returns the key and value nodes at a path of mapping keys below the
// root, or nils when a key is missing or a step is not a mapping.
func (e *Editor) Get(path ...string) (key, value *yaml.Node) {
	n := e.root
	for _, p := range path {
		key, value = MapGet(n, p)
		if value == nil {
			return nil, nil
		}
		n = value
	}
	return key, value
}

// MapGet returns the key and value of a mapping's entry.
func MapGet(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// IsBlock says whether a collection node is in block style.
func IsBlock(n *yaml.Node) bool { return n.Style&yaml.FlowStyle == 0 }

func (e *Editor) add(from, to int, text string) {
	e.edits = append(e.edits, edit{from: from, to: to, text: text, order: len(e.edits)})
}

// SetScalar replaces a scalar's token (plain or quoted, on one line) with
// text, which must be a valid scalar in the same place.
func (e *Editor) SetScalar(n *yaml.Node, text string) error {
	if n.Kind != yaml.ScalarNode {
		return ErrAt(n, "not a scalar")
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return ErrAt(n, "a block scalar cannot be replaced in place")
	}
	from := e.offset(n.Line, n.Column)
	to, err := e.tokenEnd(n, from)
	if err != nil {
		return err
	}
	e.add(from, to, text)
	return nil
}

// tokenEnd finds where a scalar's token ends on its line.
func (e *Editor) tokenEnd(n *yaml.Node, from int) (int, error) {
	end := e.lineStart(n.Line + 1)
	text := e.src[from:end]
	text = bytes.TrimRight(text, "\r\n")
	switch {
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := 1; i < len(text); i++ {
			if text[i] == '\'' {
				if i+1 < len(text) && text[i+1] == '\'' {
					i++
					continue
				}
				return from + i + 1, nil
			}
		}
		return 0, ErrAt(n, "a quoted scalar over several lines cannot be replaced in place")
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := 1; i < len(text); i++ {
			switch text[i] {
			case '\\':
				i++
			case '"':
				return from + i + 1, nil
			}
		}
		return 0, ErrAt(n, "a quoted scalar over several lines cannot be replaced in place")
	}
	// Plain: up to a comment, a flow indicator or the line's end. A plain
	// scalar that goes on over the next lines is refused.
	i := 0
	for i < len(text) {
		c := text[i]
		if c == '#' && i > 0 && (text[i-1] == ' ' || text[i-1] == '\t') {
			break
		}
		if c == ',' || c == ']' || c == '}' {
			break
		}
		if c == ':' && (i+1 == len(text) || text[i+1] == ' ') {
			break
		}
		i++
	}
	tok := bytes.TrimRight(text[:i], " \t")
	if string(tok) != n.Value && !(n.Tag == "!!null" && len(tok) == 0) {
		return 0, ErrAt(n, "the scalar %q is not written on one line as %q", n.Value, tok)
	}
	return from + len(tok), nil
}

// Extent is the lines a collection item or mapping entry covers: from
// First (its "- " or its key) to Last, its last line with content —
// comment and blank lines after it are not its own.
type Extent struct{ First, Last int }

// ItemExtent returns the lines of item i of a block sequence. parents
// are the nodes from the root down to seq (seq last), so that the item's
// end can be found where the next thing begins.
func (e *Editor) ItemExtent(parents []*yaml.Node, i int) (Extent, error) {
	seq := parents[len(parents)-1]
	if seq.Kind != yaml.SequenceNode || !IsBlock(seq) {
		return Extent{}, ErrAt(seq, "not a block sequence")
	}
	item := seq.Content[i]
	first, err := e.dashLine(item)
	if err != nil {
		return Extent{}, err
	}
	var boundary int
	if i+1 < len(seq.Content) {
		if boundary, err = e.dashLine(seq.Content[i+1]); err != nil {
			return Extent{}, err
		}
	} else {
		boundary = e.after(parents)
	}
	return Extent{First: first, Last: e.lastContent(first, boundary)}, nil
}

// EntryExtent returns the lines of a block mapping's entry (key and
// value), found as ItemExtent finds an item's.
func (e *Editor) EntryExtent(parents []*yaml.Node, key *yaml.Node) Extent {
	m := parents[len(parents)-1]
	boundary := e.after(parents)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i] == key && i+2 < len(m.Content) {
			boundary = m.Content[i+2].Line
		}
	}
	return Extent{First: key.Line, Last: e.lastContent(key.Line, boundary)}
}

// BlockExtent returns the lines of a block collection's content (which
// starts on the line after its key).
func (e *Editor) BlockExtent(parents []*yaml.Node) Extent {
	n := parents[len(parents)-1]
	first := n.Line
	if n.Kind == yaml.SequenceNode {
		if l, err := e.dashLine(n.Content[0]); err == nil {
			first = l
		}
	}
	return Extent{First: first, Last: e.lastContent(first, e.after(parents))}
}

// after returns the first line after the last of parents' nodes: where
// its next sibling begins, or its parent's next sibling, up to the end
// of the document.
func (e *Editor) after(parents []*yaml.Node) int {
	for k := len(parents) - 1; k > 0; k-- {
		n, p := parents[k], parents[k-1]
		switch p.Kind {
		case yaml.MappingNode:
			for i := 1; i+1 < len(p.Content); i += 2 {
				if p.Content[i] == n && i+1 < len(p.Content) {
					return p.Content[i+1].Line
				}
			}
		case yaml.SequenceNode:
			for i := 0; i+1 < len(p.Content); i++ {
				if p.Content[i] == n {
					if l, err := e.dashLine(p.Content[i+1]); err == nil {
						return l
					}
					return p.Content[i+1].Line
				}
			}
		}
	}
	return e.end
}

// lastContent is the last line before boundary, not before first, that
// is neither blank nor only a comment.
func (e *Editor) lastContent(first, boundary int) int {
	for l := boundary - 1; l > first; l-- {
		t := bytes.TrimSpace(e.line(l))
		if len(t) > 0 && t[0] != '#' {
			return l
		}
	}
	return first
}

// dashLine finds the line of a block sequence item's "-": the item's own
// line when the dash is before it there, else the nearest line above
// that holds only the dash.
func (e *Editor) dashLine(item *yaml.Node) (int, error) {
	text := e.line(item.Line)
	col := e.offset(item.Line, item.Column) - e.lineStart(item.Line)
	if bytes.Contains(text[:min(col, len(text))], []byte("-")) {
		return item.Line, nil
	}
	for l := item.Line - 1; l >= e.first; l-- {
		t := bytes.TrimSpace(e.line(l))
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		if t[0] == '-' {
			return l, nil
		}
		break
	}
	return 0, ErrAt(item, "cannot find the item's dash")
}

// Column returns a node's column as the number of bytes before it on its
// line (the indentation to use for siblings).
func (e *Editor) Column(n *yaml.Node) int {
	return e.offset(n.Line, n.Column) - e.lineStart(n.Line)
}

// DashColumn returns the indentation of a block sequence item's dash.
func (e *Editor) DashColumn(item *yaml.Node) (int, error) {
	l, err := e.dashLine(item)
	if err != nil {
		return 0, err
	}
	text := e.line(l)
	return bytes.IndexByte(text, '-'), nil
}

// DeleteLines removes lines ext.First..ext.Last, keeping their comments:
// a comment-only line stays as it is, and a comment that ends a line
// stays on a line of its own at the given indentation. comments are the
// nodes whose line comments the lines hold (yaml.v3 finds them, so a '#'
// inside a quoted scalar is never taken for one).
func (e *Editor) DeleteLines(ext Extent, indent int, within *yaml.Node) {
	var keep strings.Builder
	lineComments := map[int][]string{}
	walk(within, func(n *yaml.Node) {
		if n.LineComment != "" && n.Line >= ext.First && n.Line <= ext.Last {
			if !slices.Contains(lineComments[n.Line], n.LineComment) {
				lineComments[n.Line] = append(lineComments[n.Line], n.LineComment)
			}
		}
	})
	pad := strings.Repeat(" ", indent)
	for l := ext.First; l <= ext.Last; l++ {
		t := bytes.TrimSpace(e.line(l))
		if len(t) > 0 && t[0] == '#' {
			keep.Write(e.line(l))
			keep.WriteString(e.nl)
			continue
		}
		for _, c := range lineComments[l] {
			for _, part := range strings.Split(c, "\n") {
				keep.WriteString(pad + strings.TrimSpace(part) + e.nl)
			}
		}
	}
	e.add(e.lineStart(ext.First), e.lineStart(ext.Last+1), keep.String())
}

// ReplaceLines replaces lines ext.First..ext.Last with text (whole lines,
// each ending with "\n", converted to the file's line ending), keeping
// their comments as DeleteLines does, before the new lines.
func (e *Editor) ReplaceLines(ext Extent, indent int, within *yaml.Node, text string) {
	e.DeleteLines(ext, indent, within)
	e.InsertAfter(ext.Last, text)
}

// InsertAfter inserts whole lines (each ending with "\n") after line l.
func (e *Editor) InsertAfter(l int, text string) {
	at := e.lineStart(l + 1)
	if at == len(e.src) && len(e.src) > 0 && e.src[len(e.src)-1] != '\n' {
		text = "\n" + text
	}
	e.add(at, at, strings.ReplaceAll(text, "\n", e.nl))
}

// ReplaceFlow replaces a flow collection written on one line (its token,
// from "[" or "{" to the matching bracket) with text.
func (e *Editor) ReplaceFlow(n *yaml.Node, text string) error {
	from := e.offset(n.Line, n.Column)
	line := e.src[from:e.lineStart(n.Line+1)]
	depth, quote := 0, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
			if depth == 0 {
				e.add(from, from+i+1, text)
				return nil
			}
		}
	}
	return ErrAt(n, "a flow collection over several lines cannot be replaced; write it in block style")
}

// Bytes applies every edit and returns the new file. Edits may not
// overlap.
func (e *Editor) Bytes() ([]byte, error) {
	edits := slices.Clone(e.edits)
	slices.SortStableFunc(edits, func(a, b edit) int {
		if a.from != b.from {
			return a.from - b.from
		}
		return a.order - b.order
	})
	var out bytes.Buffer
	pos := 0
	for _, ed := range edits {
		if ed.from < pos {
			return nil, errors.New("yamledit: overlapping edits")
		}
		out.Write(e.src[pos:ed.from])
		out.WriteString(ed.text)
		pos = ed.to
	}
	out.Write(e.src[pos:])
	return out.Bytes(), nil
}

func walk(n *yaml.Node, f func(*yaml.Node)) {
	if n == nil {
		return
	}
	f(n)
	for _, c := range n.Content {
		walk(c, f)
	}
}
