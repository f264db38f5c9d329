package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// equalToSigsYAML fails the test when marshalYAML and sigs.k8s.io/yaml
// disagree on obj.
func equalToSigsYAML(t *testing.T, name string, obj map[string]any) {
	t.Helper()
	want, werr := yaml.Marshal(obj)
	got, gerr := marshalYAML(obj)
	if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("%s: marshalYAML\n%s(err %v)\nsigs.k8s.io/yaml\n%s(err %v)", name, got, gerr, want, werr)
	}
}

// TestMarshalYAMLMatchesSigsYAML: every object of the repository's own
// rendered tree, and values chosen for the corners (numbers yaml.v2
// reads back as another type, strings YAML would misread, invalid UTF-8,
// nulls, keys yaml.v2 sorts naturally), encode byte for byte as
// sigs.k8s.io/yaml encodes them.
func TestMarshalYAMLMatchesSigsYAML(t *testing.T) {
	n := 0
	err := filepath.WalkDir("../../rendered", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var obj map[string]any
		if err := yaml.Unmarshal(data, &obj); err != nil {
			return err
		}
		// As unstructured holds them: integers as int64.
		fixed, err := asUnstructured(obj)
		if err != nil {
			return err
		}
		equalToSigsYAML(t, p, fixed)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d rendered objects read", n)
	}
	corners := map[string]any{
		"ints":    []any{int64(0), int64(-7), int64(math.MaxInt64), int64(math.MinInt64), 3, int32(-2)},
		"floats":  []any{2.0, 1.5, -0.25, 1e20, 1e21, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64},
		"strings": []any{"", "yes", "no", "on", "~", "null", "1", "1.0", "0x1F", "0o7", "1e3", "-", ": x", "a: b", "#c", "multi\nline\n", "trailing ", " leading", "tab\there", "<>&", "\u2028", "é", "\x00", "bad\xffutf8", "\x7f", "\u0080", "a\u0085b", "\u009f", "\ufffe", "\uffff", "\u00a0", "\ufeff", "'", `"`, "*ref", "&anchor", "!tag", "%", "@", "`", "{a}", "[b]"},
		"nulls":   map[string]any{"map": map[string]any(nil), "list": []any(nil), "null": nil},
		"keys":    map[string]any{"a10": 1, "a2": 2, "A1": 3, "b": 4, "1": 5, "10": 6, "2": 7, "yes": 8, "": 9, "bad\xffkey": 10, "nel\u0085": 11},
		"empty":   map[string]any{"map": map[string]any{}, "list": []any{}},
		"nested":  []any{[]any{map[string]any{"x": []any{}}}, true, false},
	}
	for name, v := range corners {
		equalToSigsYAML(t, name, map[string]any{"v": v})
		if list, ok := v.([]any); ok {
			// one by one too: a refused string fails the whole object
			for i, e := range list {
				equalToSigsYAML(t, fmt.Sprintf("%s[%d]", name, i), map[string]any{"v": e})
			}
		}
	}
}

// asUnstructured converts decoded JSON numbers as apimachinery's
// unstructured decoding does: whole numbers to int64.
func asUnstructured(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return fixNumbers(out).(map[string]any), nil
}

func fixNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = fixNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixNumbers(e)
		}
	}
	return v
}

// FuzzMarshalYAML: any JSON document, decoded as unstructured decodes it,
// encodes as sigs.k8s.io/yaml encodes it.
func FuzzMarshalYAML(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":[1.5,"yes",null,{"b":true}]}`, `{"k10":"x","k2":"\u2028"}`, `{"n":1e21,"m":-0.0}`, `{"s":"a: b\n# c"}`, `{"k8":"\u0085"}`, `{"\u007f":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		m, ok := fixNumbers(v).(map[string]any)
		if !ok {
			return
		}
		equalToSigsYAML(t, s, m)
	})
}

// TestFilesReportsEveryUnwritableObject: objects holding a string
// sigs.k8s.io/yaml refuses are input errors, all of them, each at the
// field that holds it.
func TestFilesReportsEveryUnwritableObject(t *testing.T) {
	obj := func(name string, data map[string]any) *Object {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": name, "namespace": "ns"}, "data": data}}
		return &Object{Object: u, Path: "rendered/p/apps/a/configmap-" + name + ".yaml", Origin: Origin{File: "apps/a/manifests/" + name + ".yaml", Line: 1}}
	}
	out := &Output{Objects: []*Object{
		obj("a", map[string]any{"ok": "fine", "k8": "\u0080"}),
		obj("b", map[string]any{"fine": "yes"}),
		obj("c", map[string]any{"x.y\u007f": "v"}),
	}}
	_, err := out.Files()
	want := `apps/a/manifests/a.yaml:1: ConfigMap/ns/a: data.k8: cannot be written to rendered/ as YAML: yaml: control characters are not allowed
apps/a/manifests/c.yaml:1: ConfigMap/ns/c: data["x.y\x7f"]: cannot be written to rendered/ as YAML: yaml: control characters are not allowed`
	if err == nil || err.Error() != want {
		t.Fatalf("Files() error\n%v\nwant\n%s", err, want)
	}
}
