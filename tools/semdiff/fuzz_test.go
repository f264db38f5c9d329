package semdiff

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
)

const canary = "CANARY-5ecret"

func FuzzDiff(f *testing.F) {
	for _, s := range [][2]string{
		{`{}`, `{}`},
		{`{"a":1}`, `{"a":1.0,"b":null}`},
		{deploymentJSON, strings.Replace(deploymentJSON, "registry.example.com/web:1.4.2", "registry.example.com/web:1.5.0", 1)},
		{`{"apiVersion":"v1","kind":"Secret","data":{"p":"aGk="}}`, `{"apiVersion":"v1","kind":"Secret","data":{"p":"eW8=","q":"eA=="}}`},
		{`{"spec":{"ports":[{"port":53,"protocol":"UDP"},{"port":53}]}}`, `{"spec":{"ports":[{"port":53,"protocol":"TCP"},{"port":53,"protocol":"UDP","x":1}]}}`},
		{`{"l":[{"name":"a"},{"name":"a"}],"s":["x","y"]}`, `{"l":[{"name":"a","v":[1,[2]]}],"s":{"x":"y"}}`},
		{`{"capabilities":{"drop":["A","B","A"]}}`, `{"capabilities":{"drop":["B","A","A"]},"status":{"x":1}}`},
		{`{"metadata":{"annotations":{"x.y/z":"1","a b":"2"}}}`, `{"metadata":{"annotations":{"x.y/z":"2"}}}`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	opts := Options{Ignore: []string{"status", `metadata.annotations["x.y/z"]`}}
	f.Fuzz(func(t *testing.T, ab, bb []byte) {
		if bytes.Contains(ab, []byte("CANARY")) || bytes.Contains(bb, []byte("CANARY")) {
			t.Skip()
		}
		a, okA := decode(ab)
		b, okB := decode(bb)
		if !okA || !okB {
			t.Skip()
		}

		for _, x := range []map[string]any{a, b} {
			if cs := Diff(x, x, opts); len(cs) != 0 {
				t.Fatalf("Diff(x, x) is not empty:\n%s", dump(cs))
			}
			if cs := Diff(x, intify(x, new(int)).(map[string]any), opts); len(cs) != 0 {
				t.Fatalf("integers as int/int64 differ from float64:\n%s", dump(cs))
			}
		}

		got := Diff(a, b, opts)
		a2, _ := decode(ab)
		b2, _ := decode(bb)
		if again := Diff(a2, b2, opts); !reflect.DeepEqual(got, again) {
			t.Fatalf("not deterministic:\n%s\nvs\n%s", dump(got), dump(again))
		}
		for _, c := range got {
			checkShape(t, c)
			if c.Path == "status" || strings.HasPrefix(c.Path, "status.") || strings.HasPrefix(c.Path, "status[") ||
				strings.HasPrefix(c.Path, `metadata.annotations["x.y/z"]`) {
				t.Fatalf("ignored path reported: %s", c)
			}
		}

		// Diff(b, a) is Diff(a, b) the other way round.
		back := Diff(b, a, opts)
		inverted := make([]Change, len(back))
		for i, c := range back {
			inverted[i] = Change{Path: c.Path, Op: invert(c.Op), Before: c.After, After: c.Before, Masked: c.Masked}
		}
		if !reflect.DeepEqual(byPath(got), byPath(inverted)) {
			t.Fatalf("Diff(b, a) is not the inverse of Diff(a, b):\n%s\nvs\n%s", dump(got), dump(back))
		}

		// As Secrets carrying a canary, nothing of the data may show.
		sa, sb := asSecret(a2, canary+"-before"), asSecret(b2, canary+"-after")
		for _, c := range Diff(sa, sb, opts) {
			checkShape(t, c)
			js, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(c.String(), canary) || strings.Contains(string(js), canary) {
				t.Fatalf("secret leaked: %s / %s", c, js)
			}
			if (strings.HasPrefix(c.Path, "data") || strings.HasPrefix(c.Path, "stringData")) && !c.Masked {
				t.Fatalf("unmasked change under data: %s", c)
			}
		}
	})
}

func decode(b []byte) (map[string]any, bool) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// checkShape asserts what every change must look like.
func checkShape(t *testing.T, c Change) {
	t.Helper()
	if c.Path == "" {
		t.Fatalf("change without a path: %#v", c)
	}
	switch {
	case c.Op == Added && c.Before != nil, c.Op == Removed && c.After != nil:
		t.Fatalf("%s change with a value on the wrong side: %#v", c.Op, c)
	case c.Op != Added && c.Op != Removed && c.Op != Changed:
		t.Fatalf("unknown op: %#v", c)
	case c.Masked && (c.Before != nil && c.Before != MaskedValue || c.After != nil && c.After != MaskedValue):
		t.Fatalf("masked change holds a value: %#v", c)
	}
}

// intify returns a copy of v with integral float64s turned into int64 and
// int alternately, as other decoders would produce them.
func intify(v any, n *int) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, c := range t {
			m[k] = intify(c, n)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, c := range t {
			l[i] = intify(c, n)
		}
		return l
	case float64:
		if t != math.Trunc(t) || math.Abs(t) >= 1<<62 {
			return t
		}
		*n++
		if *n%2 == 0 {
			return int(t)
		}
		return int64(t)
	}
	return v
}

func asSecret(m map[string]any, value string) map[string]any {
	m["apiVersion"], m["kind"] = "v1", "Secret"
	for _, field := range []string{"data", "stringData"} {
		d, ok := m[field].(map[string]any)
		if !ok {
			d = map[string]any{}
			m[field] = d
		}
		d["fuzz-canary"] = value
	}
	return m
}

func invert(op Op) Op {
	switch op {
	case Added:
		return Removed
	case Removed:
		return Added
	}
	return op
}

func byPath(cs []Change) []Change {
	s := append([]Change(nil), cs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Path < s[j].Path })
	return s
}
