package diag

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error is a problem at a position in a file.
type Error struct {
	// File is repository-relative (or as given on the command line).
	File string `json:"file"`
	// Line and Column are 1-based; 0 when unknown.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Object identifies the object as Kind/name or Kind/namespace/name.
	Object string `json:"object,omitempty"`
	// Field is the field path in Kubernetes notation (spec.items[0].name).
	Field string `json:"field,omitempty"`
	// Msg says what is wrong.
	Msg string `json:"message"`
	// Related points at a second place the problem involves, e.g. the first
	// definition of a duplicate ("clusters/a.yaml:3").
	Related string `json:"related,omitempty"`
	// Snippet shows the offending line with a caret under the column,
	// for a reader at a terminal (syntax errors); not part of Error().
	Snippet string `json:"snippet,omitempty"`
	// Err is the underlying error, when there is one.
	Err error `json:"-"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Related != "" {
		fmt.Fprintf(&b, " (see %s)", e.Related)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// List is a set of errors reported together, in a stable order.
type List []*Error

// Error lists every error on its own line.
func (l List) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Sort orders by file, line, column, object, field and message, and drops
// exact duplicates, so output never depends on the order work was done in.
func (l List) Sort() List {
	slices.SortStableFunc(l, Compare)
	return slices.CompactFunc(l, func(a, b *Error) bool { return Compare(a, b) == 0 })
}

// Compare orders two errors by position, then text.
func Compare(a, b *Error) int {
	return cmp.Or(
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		cmp.Compare(a.Object, b.Object),
		cmp.Compare(a.Field, b.Field),
		cmp.Compare(a.Msg, b.Msg),
	)
}

// Err returns the sorted list as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l.Sort()
}

// Collect flattens errors into a List: *Error values are kept, a List is
// expanded, and any other error becomes an Error with only a message.
func Collect(errs ...error) List {
	var out List
	for _, err := range errs {
		if err == nil {
			continue
		}
		var l List
		if errors.As(err, &l) {
			out = append(out, l...)
			continue
		}
		var e *Error
		if errors.As(err, &e) {
			out = append(out, e)
			continue
		}
		out = append(out, &Error{Msg: err.Error(), Err: err})
	}
	return out
}

// ObjectRef formats a Kind/ns/name reference; ns is left out when empty.
func ObjectRef(kind, namespace, name string) string {
	if namespace == "" {
		return kind + "/" + name
	}
	return kind + "/" + namespace + "/" + name
}
