package jsonpos

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParsePositions(t *testing.T) {
	doc := []byte("{\n  \"a\": [1, 2.5,\n    \"x\"],\n  \"b\": {\"c\": true, \"d\": null}\n}\n")
	v, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	a := v.Get("a")
	if a == nil || a.Kind != Array || len(a.Items) != 3 {
		t.Fatalf("a = %+v", a)
	}
	cases := []struct {
		name string
		got  Pos
		want Pos
	}{
		{"object", v.Pos, Pos{1, 1}},
		{"key a", v.Members[0].Pos, Pos{2, 3}},
		{"array", a.Pos, Pos{2, 8}},
		{"a[1]", a.Items[1].Pos, Pos{2, 12}},
		{"a[2]", a.Items[2].Pos, Pos{3, 5}},
		{"key b", v.Members[1].Pos, Pos{4, 3}},
		{"b.d", v.Get("b").Get("d").Pos, Pos{4, 25}},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s at %v, want %v", c.name, c.got, c.want)
		}
	}
	if f, err := a.Items[1].Float(); err != nil || f != 2.5 {
		t.Errorf("a[1] = %v, %v", f, err)
	}
	if !v.Get("b").Get("c").Bool {
		t.Error("b.c is not true")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		doc  string
		want Pos
	}{
		{"{\n  \"a\": [1,,2]\n}", Pos{2, 12}},
		{"{\"a\": 1", Pos{1, 8}},
		{"[1] [2]", Pos{1, 5}},
		{"\n\n  tru", Pos{3, 3}},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.doc))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want a SyntaxError", c.doc, err)
			continue
		}
		if se.Pos.Line != c.want.Line {
			t.Errorf("%q: error at %v (%s), want line %d", c.doc, se.Pos, se.Msg, c.want.Line)
		}
	}
}

// FuzzParse checks that Parse accepts exactly what encoding/json accepts
// and never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `[1,2,{"a":null}]`, `{"a":`, `"x"`, `[[[[`, "{\"metadata\":{\"gap_seconds\":60},\"data\":[0,1]}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		valid := json.Valid(data)
		if (err == nil) != valid {
			// Documents nested deeper than maxDepth are valid JSON this
			// reader refuses on purpose.
			var se *SyntaxError
			if errors.As(err, &se) && valid && len(data) > maxDepth {
				return
			}
			t.Fatalf("Parse error %v, json.Valid %v", err, valid)
		}
		if err == nil && v == nil {
			t.Fatal("no value and no error")
		}
	})
}
