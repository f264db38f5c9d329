package yamldoc

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
)

// Document is one YAML document of a file.
type Document struct {
	// File is the path the document was read from, as given to Parse.
	File string
	// Index is the document's position in the file, from 0, counting only
	// non-empty documents.
	Index int
	// Line is the 1-based line where the document's content starts.
	Line int
	// JSON is the document's content as JSON.
	JSON []byte

	// The node tree, which Locate needs, is several times the size of the
	// document: it is dropped after Parse and built again from src on the
	// first Locate (most documents are never located).
	src       []byte // the document's text
	lineShift int    // add to src's lines to get the file's
	rootOnce  sync.Once
	root      *yaml.Node // with lines relative to the file
}

// node returns the document's top node, parsing its text again if Parse
// has dropped it.
func (d *Document) node() *yaml.Node {
	d.rootOnce.Do(func() {
		if d.root != nil {
			return
		}
		root, err := parseNode(d.src)
		if err != nil || root == nil {
			// Parse accepted this text: it parses the same way again.
			d.root = &yaml.Node{Kind: yaml.MappingNode, Line: d.Line, Column: 1}
			return
		}
		shiftLines(root, d.lineShift)
		d.root = root
	})
	return d.root
}

// Error is the position-aware error yamldoc returns.
type Error = diag.Error

// Parse splits data into its non-empty documents, within the default
// bounds (see ParseBounded). Every syntax error and duplicate key is
// returned, each as an *Error; documents that parsed are returned even
// when others did not.
func Parse(file string, data []byte) ([]*Document, []error) {
	return ParseBounded(file, data, bounds.Default())
}

// ParseBounded is Parse within the given bounds (zero fields: defaults):
// documents per file and document size are checked before parsing,
// alias expansion and nesting depth on the node tree, before anything is
// expanded — so input over a bound costs a small multiple of the bound. A
// file with more documents than the bound gives that error alone; any
// other bound refuses the document it is about.
func ParseBounded(file string, data []byte, b bounds.Input) ([]*Document, []error) {
	b = b.WithDefaults()
	chunks, err := split(file, data, b.DocumentsPerFile)
	if err != nil {
		return nil, []error{err}
	}
	var docs []*Document
	var errs []error
	for _, chunk := range chunks {
		if size := int64(len(chunk.data)); size > b.DocumentBytes {
			errs = append(errs, &Error{File: file, Line: chunk.line, Msg: fmt.Sprintf("document is %s, over the document size bound of %s (raise it with --%s)", bounds.Size(size), bounds.Size(b.DocumentBytes), bounds.FlagDocumentBytes)})
			continue
		}
		root, err := parseNode(chunk.data)
		if err != nil {
			errs = append(errs, syntaxError(file, chunk, err))
			continue
		}
		if root == nil {
			continue // empty document (only comments or "---")
		}
		shiftLines(root, chunk.line-1)
		if err := checkExpansion(file, root, b); err != nil {
			errs = append(errs, err)
			continue
		}
		if dups := duplicateKeys(file, root, ""); len(dups) > 0 {
			errs = append(errs, dups...)
			continue
		}
		if bad := complexKeys(file, root, ""); len(bad) > 0 {
			errs = append(errs, bad...)
			continue
		}
		js, err := sigsyaml.YAMLToJSON(chunk.data)
		if err != nil {
			errs = append(errs, &Error{File: file, Line: root.Line, Msg: err.Error()})
			continue
		}
		docs = append(docs, &Document{File: file, Index: len(docs), Line: root.Line, JSON: js, src: chunk.data, lineShift: chunk.line - 1})
	}
	return docs, errs
}

type chunk struct {
	data []byte
	line int // 1-based line of the chunk's first line in the file
}

// split cuts data at document separators ("---" at the start of a line), as
// k8s.io/apimachinery's YAML reader does, remembering where each chunk
// starts. More than maxDocs chunks that hold anything but comments is an
// error at the first one over, found without parsing any.
func split(file string, data []byte, maxDocs int) ([]chunk, error) {
	var out []chunk
	docs := 0
	add := func(c chunk) error {
		if !blank(c.data) {
			if docs++; docs > maxDocs {
				return &Error{File: file, Line: firstContentLine(c), Msg: fmt.Sprintf("file holds more than %d documents, over the documents-per-file bound (raise it with --%s)", maxDocs, bounds.FlagDocumentsPerFile)}
			}
		}
		out = append(out, c)
		return nil
	}
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		l := data[i:next]
		if isSeparator(l) {
			if err := add(chunk{data: data[start:i], line: startLine}); err != nil {
				return nil, err
			}
			start, startLine = next, line+1
		}
		i = next
		line++
	}
	if err := add(chunk{data: data[start:], line: startLine}); err != nil {
		return nil, err
	}
	return out, nil
}

// DocumentStarts returns the lines where data's documents start — every
// chunk between "---" separators that holds more than comments, as the
// documents-per-file bound counts them — at most max of them. It parses
// nothing: a reader can bound the documents of many files, and name the
// one over the bound, before paying for any parse.
func DocumentStarts(data []byte, max int) []int {
	var lines []int
	start, startLine, line := 0, 1, 1
	add := func(c chunk) {
		if !blank(c.data) {
			lines = append(lines, firstContentLine(c))
		}
	}
	for i := 0; i < len(data) && len(lines) < max; {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		if isSeparator(data[i:next]) {
			add(chunk{data: data[start:i], line: startLine})
			start, startLine = next, line+1
		}
		i = next
		line++
	}
	if len(lines) < max {
		add(chunk{data: data[start:], line: startLine})
	}
	return lines
}

// blank says a chunk holds only blank lines and comments: an empty
// document, which the document bound does not count.
func blank(data []byte) bool {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimLeft(line, " \t\r")
		if len(line) > 0 && line[0] != '#' {
			return false
		}
	}
	return true
}

// firstContentLine is the line of a chunk's first line that is not blank
// or a comment.
func firstContentLine(c chunk) int {
	n := c.line
	for _, l := range bytes.Split(c.data, []byte("\n")) {
		l = bytes.TrimLeft(l, " \t\r")
		if len(l) > 0 && l[0] != '#' {
			return n
		}
		n++
	}
	return c.line
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimRight(line[3:], "\r\n")
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '#'
}

func parseNode(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	return root, nil
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// syntaxError turns a yaml.v3 error ("yaml: line 3: did not find ...") into
// an *Error whose line is relative to the file. The reader's errors
// (invalid UTF-8, control characters such as NUL) carry no line: their
// position is found in the chunk's bytes.
func syntaxError(file string, c chunk, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := c.line
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				msg = strings.TrimSpace(rest[i+1:])
				// yaml.v3 reports scanner errors 1-based but parser errors
				// with the 0-based mark (decode.go, parser.fail).
				if !isScannerProblem(msg) {
					n++
				}
				// An error at the end of the input can be one past its
				// last line: point at the last line instead.
				line = min(c.line+n-1, c.line+bytes.Count(c.data, []byte("\n")))
			}
		}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = strings.Join(te.Errors, "; ")
	}
	if isReaderProblem(msg) {
		if l, col, what, ok := badCharacter(c.data); ok {
			return &Error{File: file, Line: c.line + l - 1, Column: col, Msg: "invalid YAML: " + what}
		}
	}
	if l, col, gmsg, ok := syntaxPosition(c.data); ok {
		return &Error{File: file, Line: c.line + l - 1, Column: col, Msg: "invalid YAML: " + plainCause(c.data, l, col, c.line-1, gmsg, msg),
			Snippet: snippet(c.data, l, col, c.line+l-1), Err: err}
	}
	return &Error{File: file, Line: line, Msg: "invalid YAML: " + msg, Err: err}
}

// readerProblems are the errors of yaml.v3's reader (readerc.go), which
// decodes the input before any token is scanned and records no position.
var readerProblems = []string{
	"invalid leading UTF-8 octet",
	"incomplete UTF-8 octet sequence",
	"invalid trailing UTF-8 octet",
	"invalid length of a UTF-8 sequence",
	"invalid Unicode character",
	"control characters are not allowed",
}

func isReaderProblem(msg string) bool {
	for _, p := range readerProblems {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// badCharacter finds the first character yaml.v3's reader refuses — a
// byte sequence that is not UTF-8, or a character outside YAML's
// printable set (NUL and the other control characters) — and returns its
// 1-based line and column (in characters, as yaml.v3 counts them). Input
// in UTF-16 (a byte order mark first) is not UTF-8: ok is false.
func badCharacter(data []byte) (line, col int, what string, ok bool) {
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return 0, 0, "", false
	}
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, col, fmt.Sprintf("invalid UTF-8: byte 0x%02X", data[i]), true
		case r == 0:
			return line, col, "a NUL byte: control characters are not allowed", true
		case !printable(r):
			return line, col, fmt.Sprintf("control character %U is not allowed", r), true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return 0, 0, "", false
}

// printable is YAML's set of characters a stream may hold, as yaml.v3's
// reader checks it.
func printable(r rune) bool {
	switch {
	case r == 0x09, r == 0x0A, r == 0x0D:
	case r >= 0x20 && r <= 0x7E:
	case r == 0x85:
	case r >= 0xA0 && r <= 0xD7FF:
	case r >= 0xE000 && r <= 0xFFFD:
	case r >= 0x10000 && r <= 0x10FFFF:
	default:
		return false
	}
	return true
}

// scannerProblems are the problems yaml.v3's scanner reports (scannerc.go);
// any other syntax error comes from its parser.
var scannerProblems = []string{
	"block sequence entries are not allowed in this context",
	"could not find expected",
	"did not find expected alphabetic or numeric character",
	"did not find expected comment or line break",
	"did not find expected digit or '.' character",
	"did not find expected hexdecimal number",
	"did not find expected version number",
	"did not find expected whitespace",
	"did not find the expected '>'",
	"exceeded max depth of",
	"found a tab character",
	"found an indentation indicator equal to 0",
	"found character that cannot start any token",
	"found extremely long version number",
	"found invalid Unicode character escape code",
	"found unexpected document indicator",
	"found unexpected end of stream",
	"found unexpected non-alphabetical character",
	"found unknown directive name",
	"found unknown escape character",
	"mapping keys are not allowed in this context",
	"mapping values are not allowed in this context",
}

func isScannerProblem(msg string) bool {
	for _, p := range scannerProblems {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// duplicateKeys reports every mapping key that appears twice, naming both
// lines. Merge keys ("<<") are left to the converter.
func duplicateKeys(file string, n *yaml.Node, path string) []error {
	var errs []error
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := joinField(path, k.Value)
			if first, ok := seen[k.Value]; ok && k.Value != "<<" {
				errs = append(errs, &Error{File: file, Line: k.Line, Column: k.Column, Field: child,
					Msg: fmt.Sprintf("duplicate key %q (first defined at line %d)", k.Value, first)})
				continue
			}
			seen[k.Value] = k.Line
			errs = append(errs, duplicateKeys(file, v, child)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			errs = append(errs, duplicateKeys(file, c, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return errs
}

// complexKeys reports every mapping key that is itself a mapping or a
// list ("? {caBundle: …}: x"): YAML allows it, JSON and Kubernetes do
// not. Said at the key, in words — the converter's own message is a Go
// dump of the key at the document's first line.
func complexKeys(file string, n *yaml.Node, path string) []error {
	var errs []error
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.MappingNode || k.Kind == yaml.SequenceNode {
				what := "a mapping"
				if k.Kind == yaml.SequenceNode {
					what = "a list"
				}
				errs = append(errs, &Error{File: file, Line: k.Line, Column: k.Column, Field: path,
					Msg: fmt.Sprintf("a key is %s (\"? …\" or a flow collection used as a key); keys must be plain text — is a line's indentation or a \":\" off?", what)})
				continue
			}
			errs = append(errs, complexKeys(file, v, joinField(path, k.Value))...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			errs = append(errs, complexKeys(file, c, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return errs
}

func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Locate returns the line and column of the field at path (Kubernetes field
// path notation: a.b[0].c, map keys as a[key]). When the path does not exist
// in full, it returns the position of its deepest existing parent, so an
// error about a missing field points at the object that lacks it.
func (d *Document) Locate(path string) (line, column int) {
	n := d.node()
	line, column = n.Line, n.Column
	for _, seg := range splitPath(path) {
		next := step(n, seg)
		if next == nil {
			return line, column
		}
		n = next.value
		line, column = next.keyLine, next.keyColumn
	}
	return line, column
}

// Err builds an *Error about the field at path in this document.
func (d *Document) Err(path, format string, args ...any) *Error {
	line, col := d.Locate(path)
	return &Error{File: d.File, Line: line, Column: col, Field: path, Msg: fmt.Sprintf(format, args...)}
}

type located struct {
	value              *yaml.Node
	keyLine, keyColumn int
}

func step(n *yaml.Node, seg segment) *located {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if seg.selector != nil {
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for _, c := range n.Content {
			if matches(c, seg.selector) {
				return &located{value: c, keyLine: c.Line, keyColumn: c.Column}
			}
		}
		return nil
	}
	if seg.isIndex {
		if n.Kind != yaml.SequenceNode || seg.index < 0 || seg.index >= len(n.Content) {
			return nil
		}
		c := n.Content[seg.index]
		return &located{value: c, keyLine: c.Line, keyColumn: c.Column}
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg.key {
			return &located{value: n.Content[i+1], keyLine: n.Content[i].Line, keyColumn: n.Content[i].Column}
		}
	}
	return nil
}

type segment struct {
	key     string
	index   int
	isIndex bool
	// selector, for a list item named by its merge key as semdiff names
	// it ([name=web], [port=80,protocol=TCP],
	// [targetCluster.clusterNames=a]), is the fields and values it must
	// hold.
	selector []fieldValue
}

type fieldValue struct{ field, value string }

// parseSelector reads "a=x,b=\"y,z\"" into its fields and values; ok is
// false when inner is not a selector (a map key holds no "=").
func parseSelector(inner string) ([]fieldValue, bool) {
	var out []fieldValue
	for inner != "" {
		eq := strings.IndexByte(inner, '=')
		if eq <= 0 {
			return nil, false
		}
		fv := fieldValue{field: inner[:eq]}
		rest := inner[eq+1:]
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil, false
			}
			fv.value, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			fv.value, rest = rest[:end], rest[end:]
		}
		out = append(out, fv)
		if rest != "" && rest[0] != ',' {
			return nil, false
		}
		inner = strings.TrimPrefix(rest, ",")
	}
	return out, len(out) > 0
}

// matches says a list item holds every field of a selector: a scalar
// equal to the value, or a list of scalars whose values, joined by ",",
// are. A port's protocol left out is TCP, as the API server defaults it.
func matches(item *yaml.Node, sel []fieldValue) bool {
	for _, fv := range sel {
		n := item
		for _, f := range strings.Split(fv.field, ".") {
			next := step(n, segment{key: f})
			if next == nil {
				n = nil
				break
			}
			n = next.value
		}
		switch {
		case n == nil:
			if fv.field != "protocol" || fv.value != "TCP" {
				return false
			}
		case n.Kind == yaml.ScalarNode:
			if n.Value != fv.value {
				return false
			}
		case n.Kind == yaml.SequenceNode:
			vals := make([]string, len(n.Content))
			for i, c := range n.Content {
				vals[i] = c.Value
			}
			if strings.Join(vals, ",") != fv.value {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// closingBracket is the index in s of the "]" that closes a segment,
// skipping quoted strings; -1 when there is none.
func closingBracket(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				return -1
			}
			i += len(q) - 1
		case ']':
			return i
		}
	}
	return -1
}

// splitPath parses a field path such as spec.items[0].labels[app.kubernetes.io/name].
func splitPath(path string) []segment {
	var segs []segment
	i := 0
	for i < len(path) {
		switch path[i] {
		case '.':
			i++
		case '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				segs = append(segs, segment{key: path[i+1:]})
				return segs
			}
			inner := path[i+1 : i+end]
			if q := strings.IndexByte(inner, '"'); q >= 0 {
				// A quoted selector value may hold "]": find the bracket
				// that closes the segment after the quotes.
				if e := closingBracket(path[i+1:]); e >= 0 {
					end, inner = e+1, path[i+1:i+1+e]
				}
			}
			if sel, ok := parseSelector(inner); ok {
				segs = append(segs, segment{selector: sel})
			} else if inner == "*" {
				segs = append(segs, segment{key: "*"})
			} else if n, err := strconv.Atoi(inner); err == nil {
				segs = append(segs, segment{index: n, isIndex: true})
			} else {
				segs = append(segs, segment{key: strings.Trim(inner, `"`)})
			}
			i += end + 1
		default:
			j := i
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				j++
			}
			segs = append(segs, segment{key: path[i:j]})
			i = j
		}
	}
	return segs
}
