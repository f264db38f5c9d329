package yamldoc

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
)

const multi = `# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
data:
  on: yes
---
---
# only a comment
---
apiVersion: v1
kind: List
items:
  - name: x
    labels:
      app.kubernetes.io/name: demo
`

func TestParseSplitsAndKeepsFileLines(t *testing.T) {
	docs, errs := Parse("m.yaml", []byte(multi))
	if len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	if len(docs) != 2 {
		t.Fatalf("got %d documents, want 2", len(docs))
	}
	if docs[0].Line != 2 || docs[1].Line != 12 {
		t.Errorf("document lines = %d, %d; want 2, 12", docs[0].Line, docs[1].Line)
	}
	// YAML 1.1 semantics, as kubectl reads them: the key "on" and value
	// "yes" are booleans, so the JSON holds "true": true.
	if !strings.Contains(string(docs[0].JSON), `"true":true`) {
		t.Errorf("JSON = %s; want YAML 1.1 booleans as sigs.k8s.io/yaml reads them", docs[0].JSON)
	}
	for _, tc := range []struct {
		doc       int
		path      string
		line, col int
	}{
		{0, "metadata.name", 5, 3},
		{0, "data", 6, 1},
		{1, "items[0].name", 15, 5},
		{1, "items[0].labels[app.kubernetes.io/name]", 17, 7},
		{1, "items[0].labels[missing]", 16, 5}, // deepest existing parent
		{1, "items[3].name", 14, 1},
	} {
		line, col := docs[tc.doc].Locate(tc.path)
		if line != tc.line || col != tc.col {
			t.Errorf("Locate(%q) = %d:%d, want %d:%d", tc.path, line, col, tc.line, tc.col)
		}
	}
}

func TestParseReportsDuplicateKeysWithBothLines(t *testing.T) {
	src := "a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n"
	_, errs := Parse("d.yaml", []byte(src))
	if len(errs) != 1 {
		t.Fatalf("got %v, want one error", errs)
	}
	var e *Error
	if !errors.As(errs[0], &e) {
		t.Fatalf("error %T is not *Error", errs[0])
	}
	if e.Line != 5 || e.Field != "b.c" || !strings.Contains(e.Msg, "first defined at line 3") {
		t.Errorf("got %+v", e)
	}
	if got := e.Error(); got != `d.yaml:5:3: b.c: duplicate key "c" (first defined at line 3)` {
		t.Errorf("Error() = %q", got)
	}
}

func TestParseReportsSyntaxErrorLineInLaterDocument(t *testing.T) {
	src := "a: 1\n---\nb: 2\nc: [\n"
	docs, errs := Parse("s.yaml", []byte(src))
	if len(docs) != 1 || len(errs) != 1 {
		t.Fatalf("got %d docs, %v", len(docs), errs)
	}
	var e *Error
	if !errors.As(errs[0], &e) || e.Line < 4 || !strings.HasPrefix(e.Msg, "invalid YAML") {
		t.Errorf("got %#v, want an invalid YAML error at line 4 or later", errs[0])
	}
}

func TestSplitPath(t *testing.T) {
	got := splitPath(`spec.a[2].b[x.y/z].c[name=web].d[port=53,protocol=UDP].e[clusters="a,b]"]`)
	want := []segment{{key: "spec"}, {key: "a"}, {index: 2, isIndex: true}, {key: "b"}, {key: "x.y/z"}, {key: "c"},
		{selector: []fieldValue{{"name", "web"}}}, {key: "d"}, {selector: []fieldValue{{"port", "53"}, {"protocol", "UDP"}}},
		{key: "e"}, {selector: []fieldValue{{"clusters", "a,b]"}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("segments\n%+v\nwant\n%+v", got, want)
	}
}

// TestLocateFollowsSelectors: the paths semdiff names list items by
// ([name=web], [containerPort=8080,protocol=TCP], a weight by its
// clusters) lead to the item's field in the document.
func TestLocateFollowsSelectors(t *testing.T) {
	src := `spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: envoy
        - name: web
          ports:
            - containerPort: 9090
            - containerPort: 8080
              name: http
          image: web:1
  weights:
    - clusters: [a]
      weight: 1
    - clusters: [b, c]
      weight: 2
`
	docs, errs := Parse("d.yaml", []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for path, want := range map[string]int{
		"spec.template.spec.containers[name=web].image":                                       12,
		"spec.template.spec.containers[name=web].ports[containerPort=8080,protocol=TCP].name": 11,
		`spec.weights[clusters="b,c"].weight`:                                                 17,
		"spec.template.spec.containers[name=nope].image":                                      4,
	} {
		if line, _ := docs[0].Locate(path); line != want {
			t.Errorf("Locate(%s) = line %d, want %d", path, line, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(multi))
	f.Add([]byte("a: 1\na: 2\n"))
	f.Add([]byte("---\n- [\n"))
	f.Add([]byte("x: &a {b: 1}\ny: *a\nz:\n  <<: *a\n"))
	f.Add([]byte("a: 1\n---\nb: x\x00y\n"))
	f.Add([]byte("a: \xff\n"))
	f.Add([]byte("x: &a [*a]\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c, *c]\n"))
	f.Add([]byte("a: [[[[[[[[[[[[1]]]]]]]]]]]]\n---\n---\nb: {c: {d: [e]}}\n"))
	// Small bounds, so the fuzzer reaches every one of them.
	small := bounds.Input{DocumentBytes: 512, DocumentsPerFile: 4, Aliases: 8, AliasBytes: 256, Depth: 6}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, b := range []bounds.Input{bounds.Default(), small} {
			docs, errs := ParseBounded("fuzz.yaml", data, b)
			for _, d := range docs {
				if d.Line < 1 {
					t.Fatalf("document line %d < 1", d.Line)
				}
				if len(d.JSON) == 0 {
					t.Fatalf("empty JSON for a parsed document")
				}
				d.Locate("a.b[0].c[k]")
			}
			for _, err := range errs {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %T is not an *Error: %v", err, err)
				}
				if e.Line < 1 || e.Line > lines {
					t.Fatalf("error at line %d of a %d-line file: %v", e.Line, lines, e)
				}
			}
		}
	})
}

// TestSyntaxErrorLines pins where syntax errors point: the 1-based line
// where the text stops being YAML (for an unclosed flow sequence, the
// line where "]" was due).
func TestSyntaxErrorLines(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
	}{
		{"parser: unclosed flow sequence", "a: 1\nb:\n  c: [x\n  d: 2\n", 4},
		{"scanner: mapping value in plain scalar", "a: 1\nb: c: d\n", 2},
		{"scanner: tab indentation", "a:\n\t- b\n", 2},
		{"parser: block end", "a:\n  - b\n c: d\n", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Parse("s.yaml", []byte(tc.src))
			if len(errs) != 1 {
				t.Fatalf("got %v", errs)
			}
			var e *Error
			if !errors.As(errs[0], &e) || e.Line != tc.line {
				t.Errorf("got %v, want line %d", errs[0], tc.line)
			}
		})
	}
}

func TestCacheParsesEachContentOnce(t *testing.T) {
	var c Cache
	a1, _ := c.Parse("a.yaml", []byte("kind: A\n---\nkind: B\n"))
	a2, _ := c.Parse("a.yaml", []byte("kind: A\n---\nkind: B\n"))
	if len(a1) != 2 || a1[0] == nil || a1[0] != a2[0] || a1[1] != a2[1] {
		t.Fatalf("the same file and content should give the same documents: %v %v", a1, a2)
	}
	b, _ := c.Parse("a.yaml", []byte("kind: C\n"))
	if len(b) != 1 || b[0] == a1[0] || string(b[0].JSON) != `{"kind":"C"}` {
		t.Fatalf("changed content should be parsed anew: %v", b)
	}
	other, _ := c.Parse("b.yaml", []byte("kind: A\n---\nkind: B\n"))
	if other[0] == a1[0] || other[0].File != "b.yaml" {
		t.Fatalf("another file with the same content should name its own file: %+v", other[0])
	}
	_, errs := c.Parse("bad.yaml", []byte("a: [\n"))
	_, again := c.Parse("bad.yaml", []byte("a: [\n"))
	if len(errs) == 0 || len(again) != len(errs) {
		t.Fatalf("errors should be remembered too: %v %v", errs, again)
	}
	var none *Cache
	if d, _ := none.Parse("x.yaml", []byte("kind: X\n")); len(d) != 1 {
		t.Fatal("a nil cache should parse")
	}
}

// A mapping or list used as a key is said at the key, in words, not as
// the converter's Go dump at the document's first line.
func TestParseReportsComplexKeysAtTheKey(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\ndata:\n  ok: x\n  ? {caBundle: abc}\n  : y\n  items:\n    - ? [a, b]\n      : z\n"
	_, errs := Parse("k.yaml", []byte(src))
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	want := []string{
		`k.yaml:5:5: data: a key is a mapping ("? …" or a flow collection used as a key); keys must be plain text — is a line's indentation or a ":" off?`,
		`k.yaml:8:9: data.items[0]: a key is a list ("? …" or a flow collection used as a key); keys must be plain text — is a line's indentation or a ":" off?`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
