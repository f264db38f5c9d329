package yamldoc

import (
	"errors"
	"strings"
	"testing"
)

// TestSyntaxErrorsPointAtTheCharacter pins, for the mistakes people make
// by hand, the line and column of the offending character (yaml.v3 alone
// reports the line of the enclosing construct and no column), the cause
// in plain words, and the caret under it.
func TestSyntaxErrorsPointAtTheCharacter(t *testing.T) {
	for _, c := range []struct {
		name, src string
		line, col int
		cause     string
		caret     string
	}{
		{"tab indenting a nested key", "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n\t      image: x\n", 6, 1, "tab character", "6 | →      image: x\n  | ^"},
		{"leading tab on a top-level key", "apiVersion: v1\nkind: ConfigMap\n\tmetadata: {}\n", 3, 1, "tab character", "3 | →metadata: {}\n  | ^"},
		{"dedented key", "metadata:\n  name: a\n  labels:\n    x: y\n   team: z\nspec: {}\n", 5, 4, "bad indentation: this line is indented by 3 space(s)", "5 |    team: z\n  |    ^"},
		{"dedented key of a list item", "ports:\n  - port: 80\n   targetPort: 8080\n", 3, 4, "indented by 3 space(s)", ""},
		{"unclosed list in a later document", "a: 1\n---\nb: [x, 'y]'\nc: 2\n", 4, 1, `the "[" opened at line 3, column 4 is never closed`, ""},
		{"unclosed double quote", "metadata:\n  name: \"web\n  namespace: x\n", 2, 9, `double quote (") opened here is never closed`, ""},
		{"unclosed single quote", "a: 'web\nb: c\n", 1, 4, "single quote (') opened here is never closed", ""},
		{"colon in a plain value", "env:\n  value: http: x\n", 2, 10, `this value holds ": " and must be quoted`, "2 |   value: http: x\n  |          ^"},
		{"second document", "a: 1\n---\nb:\n  c: 1\n\td: 2\n", 5, 1, "tab character", "5 | →d: 2\n  | ^"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errs := Parse("f.yaml", []byte(c.src))
			if len(errs) != 1 {
				t.Fatalf("%d errors, want 1: %v", len(errs), errs)
			}
			var e *Error
			if !errors.As(errs[0], &e) {
				t.Fatalf("not a positioned error: %v", errs[0])
			}
			if e.Line != c.line || e.Column != c.col {
				t.Errorf("at %d:%d, want %d:%d (%s)", e.Line, e.Column, c.line, c.col, e.Msg)
			}
			if !strings.HasPrefix(e.Msg, "invalid YAML: ") || !strings.Contains(e.Msg, c.cause) {
				t.Errorf("message %q does not say %q", e.Msg, c.cause)
			}
			if c.caret != "" && e.Snippet != c.caret {
				t.Errorf("snippet:\n%s\nwant:\n%s", e.Snippet, c.caret)
			}
		})
	}
}

// TestEveryDocumentsSyntaxErrorInOneRun: a file with a mistake in each of
// three documents gets three errors from one parse, each at its own line,
// and its good document is still returned.
func TestEveryDocumentsSyntaxErrorInOneRun(t *testing.T) {
	src := "a: 'x\n---\nok: 1\n---\nb:\n\tc: 1\n---\nd: e: f\n"
	docs, errs := Parse("f.yaml", []byte(src))
	if len(docs) != 1 || len(errs) != 3 {
		t.Fatalf("%d documents and %d errors, want 1 and 3: %v", len(docs), len(errs), errs)
	}
	var got []string
	for _, err := range errs {
		var e *Error
		if errors.As(err, &e) {
			got = append(got, strings.SplitN(e.Error(), ": invalid", 2)[0])
		}
	}
	if want := "f.yaml:1:4 f.yaml:6:1 f.yaml:8:4"; strings.Join(got, " ") != want {
		t.Errorf("positions %v, want %s", got, want)
	}
}

// TestSyntaxErrorsOfHugeOrDeepTextStayCheap: the second parser is not
// asked about text beyond what people write by hand — 2 MiB of nested
// flow mappings once took all of the machine's 24 GB — and such text
// still gets yaml.v3's error, with its line.
func TestSyntaxErrorsOfHugeOrDeepTextStayCheap(t *testing.T) {
	for name, src := range map[string]string{
		"deep flow mappings": strings.Repeat("{a: ", 200000),
		"deep flow lists":    strings.Repeat("[", 1<<20),
		"large, then a tab":  strings.Repeat("k: v\n", 60000) + "\tx: 1\n",
	} {
		_, errs := Parse("big.yaml", []byte(src))
		var e *Error
		if len(errs) != 1 || !errors.As(errs[0], &e) || e.Line < 1 || !strings.HasPrefix(e.Msg, "invalid YAML: ") {
			t.Errorf("%s: %v", name, errs)
		}
		if e != nil && e.Column != 0 {
			t.Errorf("%s: located at column %d by the second parser: %v", name, e.Column, e)
		}
	}
}
