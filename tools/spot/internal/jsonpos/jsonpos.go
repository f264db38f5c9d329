package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// Kind is the JSON type of a value.
type Kind uint8

// The JSON types.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Pos is a 1-based line and column (in bytes) in the document.
type Pos struct {
	Line, Column int
}

// Value is one JSON value and where it starts.
type Value struct {
	Kind Kind
	Pos  Pos
	// Text is a string's value, or a number's literal as written.
	Text string
	// Bool is a boolean's value.
	Bool bool
	// Items are an array's elements.
	Items []*Value
	// Members are an object's keys and values, in document order.
	Members []Member
}

// Member is one key of an object.
type Member struct {
	Key   string
	Pos   Pos // of the key
	Value *Value
}

// Get returns the value of key in an object, or nil (also when v is not an
// object or is nil). With duplicate keys, the last one wins, as in
// encoding/json.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	for i := len(v.Members) - 1; i >= 0; i-- {
		if v.Members[i].Key == key {
			return v.Members[i].Value
		}
	}
	return nil
}

// Float returns a number's value.
func (v *Value) Float() (float64, error) {
	if v == nil || v.Kind != Number {
		return 0, errors.New("not a number")
	}
	return json.Number(v.Text).Float64()
}

// SyntaxError is a document that is not JSON.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
}

// Lines maps byte offsets of a document to line and column.
type Lines struct {
	starts []int // offset of the first byte of each line
}

// NewLines indexes data's line starts.
func NewLines(data []byte) *Lines {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &Lines{starts: starts}
}

// Pos returns the position of a byte offset.
func (l *Lines) Pos(offset int) Pos {
	i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > offset }) - 1
	if i < 0 {
		i = 0
	}
	return Pos{Line: i + 1, Column: offset - l.starts[i] + 1}
}

// maxDepth bounds nesting, as encoding/json does (10000), but lower: no
// signal format nests more than a few levels, and a deep document must not
// exhaust the stack of this recursive reader.
const maxDepth = 512

// Parse reads one JSON document. Trailing data after it is an error.
func Parse(data []byte) (*Value, error) {
	p := &parser{data: data, lines: NewLines(data), dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, &SyntaxError{Pos: p.lines.Pos(p.tokenStart()), Msg: "data after the end of the JSON document"}
	}
	return v, nil
}

type parser struct {
	data  []byte
	lines *Lines
	dec   *json.Decoder
}

// tokenStart is the offset where the next token begins: the decoder's
// offset is after the previous token, before any separator and space.
func (p *parser) tokenStart() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *parser) token() (json.Token, Pos, error) {
	start := p.tokenStart()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, Pos{}, p.syntax(err, start)
	}
	return tok, p.lines.Pos(start), nil
}

func (p *parser) syntax(err error, start int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The decoder's offset is the offending byte's (0-based).
		off := min(int(se.Offset), len(p.data))
		return &SyntaxError{Pos: p.lines.Pos(off), Msg: se.Error()}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &SyntaxError{Pos: p.lines.Pos(len(p.data)), Msg: "unexpected end of JSON input"}
	}
	return &SyntaxError{Pos: p.lines.Pos(start), Msg: err.Error()}
}

func (p *parser) value(depth int) (*Value, error) {
	tok, pos, err := p.token()
	if err != nil {
		return nil, err
	}
	return p.fromToken(tok, pos, depth)
}

func (p *parser) fromToken(tok json.Token, pos Pos, depth int) (*Value, error) {
	switch t := tok.(type) {
	case nil:
		return &Value{Kind: Null, Pos: pos}, nil
	case bool:
		return &Value{Kind: Bool, Pos: pos, Bool: t}, nil
	case json.Number:
		return &Value{Kind: Number, Pos: pos, Text: string(t)}, nil
	case string:
		return &Value{Kind: String, Pos: pos, Text: t}, nil
	case json.Delim:
		if depth >= maxDepth {
			return nil, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
		}
		switch t {
		case '[':
			v := &Value{Kind: Array, Pos: pos}
			for p.dec.More() {
				item, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v.Items = append(v.Items, item)
			}
			if _, _, err := p.token(); err != nil { // ']'
				return nil, err
			}
			return v, nil
		case '{':
			v := &Value{Kind: Object, Pos: pos}
			for p.dec.More() {
				ktok, kpos, err := p.token()
				if err != nil {
					return nil, err
				}
				key, ok := ktok.(string)
				if !ok {
					return nil, &SyntaxError{Pos: kpos, Msg: "object key is not a string"}
				}
				item, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v.Members = append(v.Members, Member{Key: key, Pos: kpos, Value: item})
			}
			if _, _, err := p.token(); err != nil { // '}'
				return nil, err
			}
			return v, nil
		}
	}
	return nil, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("unexpected token %v", tok)}
}
