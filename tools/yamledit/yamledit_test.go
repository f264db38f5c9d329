package yamledit

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const doc = `first: doc
---
# the second document
a:
  b: 1   # one
  c: 'it''s'
  d: {x: "q\"", y: 2}
  list:
    - name: x   # x's
      # inside x
      v: 1
    # before y
    - name: y
      v: 2
  tail: true
---
third: doc
`

func TestEdits(t *testing.T) {
	e, err := Open([]byte(doc), 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, v := e.Get("first"); v != nil {
		t.Fatal("Open took the first document")
	}
	set := func(path ...string) {
		t.Helper()
		_, v := e.Get(path[:len(path)-1]...)
		if err := e.SetScalar(v, path[len(path)-1]); err != nil {
			t.Fatal(err)
		}
	}
	set("a", "b", "10")
	set("a", "c", "'that''s'")
	_, d := e.Get("a", "d")
	_, y := MapGet(d, "y")
	if err := e.SetScalar(y, "3"); err != nil {
		t.Fatal(err)
	}
	_, x := MapGet(d, "x")
	if err := e.SetScalar(x, `"r"`); err != nil {
		t.Fatal(err)
	}
	_, list := e.Get("a", "list")
	parents := []*yaml.Node{e.Root(), mustGet(t, e, "a"), list}
	ext, err := e.ItemExtent(parents, 0)
	if err != nil || ext.First != 9 || ext.Last != 11 {
		t.Fatalf("item 0 extent %+v %v", ext, err)
	}
	indent, _ := e.DashColumn(list.Content[0])
	e.DeleteLines(ext, indent, list.Content[0])
	last, _ := e.ItemExtent(parents, 1)
	e.InsertAfter(last.Last, "    - name: z\n      v: 3\n")
	out, err := e.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := `first: doc
---
# the second document
a:
  b: 10   # one
  c: 'that''s'
  d: {x: "r", y: 3}
  list:
    # x's
      # inside x
    # before y
    - name: y
      v: 2
    - name: z
      v: 3
  tail: true
---
third: doc
`
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	if string(e.Text()) != strings.Join(strings.Split(doc, "\n")[2:15], "\n")+"\n" {
		t.Errorf("Text is %q", e.Text())
	}
}

func mustGet(t *testing.T, e *Editor, path ...string) *yaml.Node {
	t.Helper()
	_, v := e.Get(path...)
	if v == nil {
		t.Fatalf("no %v", path)
	}
	return v
}

func TestRefusals(t *testing.T) {
	if _, err := Open([]byte("- a\n- b\n"), 1); err == nil {
		t.Error("a sequence document was opened")
	}
	e, err := Open([]byte("a: |\n  block\nb: plain\n  continued\nc: [x,\n  y]\n"), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b"} {
		_, v := e.Get(k)
		if err := e.SetScalar(v, "x"); err == nil {
			t.Errorf("%s: a scalar over several lines was replaced", k)
		}
	}
	_, c := e.Get("c")
	if err := e.ReplaceFlow(c, "[]"); err == nil || !strings.Contains(err.Error(), "5:4:") {
		t.Errorf("a flow list over two lines: %v", err)
	}
}
