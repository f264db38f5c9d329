package yamldoc

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
)

// only parses with every bound at its default but the ones given.
func only(b bounds.Input) bounds.Input { return b.WithDefaults() }

// oneError parses src and returns its only error.
func oneError(t *testing.T, src string, b bounds.Input) *Error {
	t.Helper()
	_, errs := ParseBounded("b.yaml", []byte(src), b)
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
	}
	var e *Error
	if !errors.As(errs[0], &e) {
		t.Fatalf("%T is not *Error", errs[0])
	}
	return e
}

func TestBadCharactersAtTheirPosition(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string
	}{
		{"NUL in a later document", "a: 1\n---\nb: 2\nc: ab\x00cd\n", "b.yaml:4:6: invalid YAML: a NUL byte: control characters are not allowed"},
		{"invalid UTF-8", "a: 1\nb: x\xffy\n", "b.yaml:2:5: invalid YAML: invalid UTF-8: byte 0xFF"},
		{"truncated sequence", "a: 1\n\nkey: \xe2\x82\n", "b.yaml:3:6: invalid YAML: invalid UTF-8: byte 0xE2"},
		{"C0 control", "a:\n  b: \"x\"\n  c: \x07\n", "b.yaml:3:6: invalid YAML: control character U+0007 is not allowed"},
		{"C1 control after a wide character", "a: é\u0080\n", "b.yaml:1:5: invalid YAML: control character U+0080 is not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Parse("b.yaml", []byte(tc.src))
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDocumentSizeBound(t *testing.T) {
	src := "a: 1\n---\nb: " + strings.Repeat("x", 200) + "\n---\nc: 3\n"
	docs, errs := ParseBounded("b.yaml", []byte(src), only(bounds.Input{DocumentBytes: 100}))
	if len(docs) != 2 || len(errs) != 1 {
		t.Fatalf("got %d documents and %v; want the two small ones and one error", len(docs), errs)
	}
	if got, want := errs[0].Error(), "b.yaml:3: document is 204 bytes, over the document size bound of 100 bytes (raise it with --max-document-size)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDocumentsPerFileBound(t *testing.T) {
	// Empty documents and comment-only ones are not counted.
	src := "# head\n---\na: 1\n---\n---\n# nothing\n---\nb: 2\n---\nc: 3\n---\n\n# x\nd: 4\n"
	if _, errs := ParseBounded("b.yaml", []byte(src), only(bounds.Input{DocumentsPerFile: 4})); len(errs) != 0 {
		t.Fatalf("four documents within a bound of four: %v", errs)
	}
	docs, errs := ParseBounded("b.yaml", []byte(src), only(bounds.Input{DocumentsPerFile: 3}))
	if len(docs) != 0 || len(errs) != 1 {
		t.Fatalf("got %d documents, %v; want the bound's error alone", len(docs), errs)
	}
	if got, want := errs[0].Error(), "b.yaml:14: file holds more than 3 documents, over the documents-per-file bound (raise it with --max-documents-per-file)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAliasBounds(t *testing.T) {
	// Ten aliases of a 1,000-byte string: 10 aliases, ~10 KB added.
	big := strings.Repeat("x", 1000)
	var b strings.Builder
	fmt.Fprintf(&b, "s: &s %s\nlist:\n", big)
	for range 10 {
		b.WriteString("  - *s\n")
	}
	src := b.String()
	if _, errs := ParseBounded("b.yaml", []byte(src), only(bounds.Input{Aliases: 10, AliasBytes: 10 * 1001})); len(errs) != 0 {
		t.Fatalf("at the bounds: %v", errs)
	}
	e := oneError(t, src, only(bounds.Input{Aliases: 9}))
	if e.Line != 12 || e.Column != 5 || !strings.Contains(e.Msg, "more than 9 aliases are expanded by here, over the alias bound (raise it with --max-aliases)") {
		t.Errorf("count: got %v, want the tenth alias (12:5)", e)
	}
	e = oneError(t, src, only(bounds.Input{AliasBytes: 5000}))
	if e.Line != 7 || e.Column != 5 || !strings.Contains(e.Msg, "aliases expand to more than 4.9 KiB by here, over the alias expansion bound (raise it with --max-alias-bytes)") {
		t.Errorf("bytes: got %v, want the fifth alias (7:5)", e)
	}
}

// TestAliasBombIsRefusedBeforeExpansion: twenty levels of ten aliases
// would be 10^20 nodes; the check must not expand them (if it did, this
// test would not end).
func TestAliasBombIsRefusedBeforeExpansion(t *testing.T) {
	var b strings.Builder
	b.WriteString("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	e := oneError(t, b.String(), bounds.Default())
	if e.Line != 4 || !strings.Contains(e.Msg, "over the alias bound") {
		t.Errorf("got %v, want the alias bound crossed on line 4", e)
	}
}

func TestDepthBound(t *testing.T) {
	src := "a:\n  b:\n    c:\n      - d: 1\n"
	// Five levels: three mappings, a sequence, the mapping in it.
	if _, errs := ParseBounded("b.yaml", []byte(src), only(bounds.Input{Depth: 5})); len(errs) != 0 {
		t.Fatalf("five levels within a bound of five: %v", errs)
	}
	e := oneError(t, src, only(bounds.Input{Depth: 4}))
	if got, want := e.Error(), "b.yaml:4:9: nesting is deeper than 4 levels here, over the nesting depth bound (raise it with --max-depth)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Through an alias, the alias is where the nesting goes too deep.
	src = "x: &x {a: {b: 1}}\ny:\n  z: *x\n"
	e = oneError(t, src, only(bounds.Input{Depth: 3}))
	if e.Line != 3 || e.Column != 6 {
		t.Errorf("got %v, want the alias at 3:6", e)
	}
}

func TestRecursiveAliasIsRefused(t *testing.T) {
	e := oneError(t, "x: &a [*a]\n", bounds.Default())
	if e.Line != 1 || !strings.Contains(e.Msg, "an alias refers to a node that contains it") {
		t.Errorf("got %v", e)
	}
}

func TestDocumentStartsCountsAsTheBoundDoes(t *testing.T) {
	src := "# head\n---\na: 1\n---\n---\n# nothing\n---\n\n# x\nb: 2\n---\nc: 3\n"
	if got, want := DocumentStarts([]byte(src), 10), []int{3, 10, 12}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := DocumentStarts([]byte(src), 2); !slices.Equal(got, []int{3, 10}) {
		t.Errorf("at most two: got %v", got)
	}
	if got := DocumentStarts(nil, 3); len(got) != 0 {
		t.Errorf("empty: got %v", got)
	}
}
