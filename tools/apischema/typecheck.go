package apischema

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/applyconfigurations"
	"sigs.k8s.io/structured-merge-diff/v4/typed"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/internal/jsonwords"
)

// typeChecker lists every value of the wrong type and every undeclared
// field of a built-in object in one pass, as kube-apiserver's server-side
// apply does: structured-merge-diff's typed conversion over the OpenAPI
// schema of the Kubernetes API types, here the copy client-go embeds for
// its own apply configurations (generated from the same v1.31 types the
// server's schema is). The create path cannot: its decoder stops at the
// first value of the wrong type and then forgets the unknown fields it
// collected, so a manifest with three mistakes needed three runs.
//
// The converter parses client-go's embedded schema (~10 MB of allocations),
// so it is built on the first wrong type, not for every run: most runs meet
// none.
type typeChecker struct {
	converter func() objectToTyped
}

type objectToTyped interface {
	ObjectToTyped(runtime.Object, ...typed.ValidationOptions) (*typed.TypedValue, error)
}

func newTypeChecker(s *runtime.Scheme) *typeChecker {
	return &typeChecker{converter: sync.OnceValue(func() objectToTyped {
		return applyconfigurations.NewTypeConverter(s)
	})}
}

// check returns the body's type errors and undeclared fields, or nil when
// it has none or cannot be read as a map (the create path's error stands).
func (c *typeChecker) check(body []byte, isYAML bool) []FieldError {
	m, ok := decodeBody(body, isYAML)
	if !ok {
		return nil
	}
	// structured-merge-diff stops walking a map at its first undeclared
	// field, so the fields found so far are removed and the walk run again
	// until it meets none: that last walk saw every value. Each run
	// removes at least one field, so this ends.
	seen := map[string]bool{}
	var out []FieldError
	for {
		_, err := c.converter().ObjectToTyped(&unstructured.Unstructured{Object: m})
		var ves typed.ValidationErrors
		if !errors.As(err, &ves) {
			break
		}
		var unknown []string
		for _, ve := range ves {
			path := strings.TrimPrefix(ve.Path, ".")
			fe := FieldError{Field: path, Type: TypeBadRequest, Origin: OriginDecode}
			if ve.ErrorMessage == "field not declared in schema" {
				fe.Type = TypeUnknownField
				fe.Message = fmt.Sprintf(`unknown field "%s"`, path)
				unknown = append(unknown, ve.Path)
			} else {
				v, found := valueAt(m, ve.Path)
				fe.Message = plainTypeMessage(ve.ErrorMessage, v, found)
			}
			if key := fe.Field + "\x00" + fe.Message; !seen[key] {
				seen[key] = true
				out = append(out, fe)
			}
		}
		removed := false
		for _, p := range unknown {
			removed = deleteAt(m, p) || removed
		}
		if !removed {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// deleteAt removes the field a structured-merge-diff path ends in; false
// when there is none.
func deleteAt(obj map[string]any, path string) bool {
	dot := strings.LastIndexByte(path, '.')
	if dot < 0 || strings.ContainsAny(path[dot:], "[]") {
		return false
	}
	parent, ok := valueAt(obj, path[:dot])
	if !ok {
		return false
	}
	pm, ok := parent.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := pm[path[dot+1:]]; !ok {
		return false
	}
	delete(pm, path[dot+1:])
	return true
}

// typeMessageRE matches structured-merge-diff's "expected boolean, got
// &{nope}": its "got" is a Go rendering of the value.
var typeMessageRE = regexp.MustCompile(`^expected (.+?), got .*$`)

// plainTypeMessage words a type error for a person: "expected boolean, got
// string "nope"" — the JSON type and value of what the file holds, not a Go
// dump of it.
func plainTypeMessage(msg string, v any, found bool) string {
	m := typeMessageRE.FindStringSubmatch(msg)
	if m == nil || !found {
		return msg
	}
	return fmt.Sprintf("expected %s, got %s", m[1], jsonwords.Describe(v))
}

// valueAt follows a structured-merge-diff path (spec.a[name="x"].b,
// spec.list[2]) through a decoded object.
func valueAt(obj map[string]any, path string) (any, bool) {
	var cur any = obj
	for path != "" {
		switch {
		case path[0] == '.':
			path = path[1:]
		case path[0] == '[':
			end := closingBracketOf(path)
			if end < 0 {
				return nil, false
			}
			inner := path[1:end]
			path = path[end+1:]
			list, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			if cur, ok = listItem(list, inner); !ok {
				return nil, false
			}
		default:
			j := strings.IndexAny(path, ".[")
			if j < 0 {
				j = len(path)
			}
			mm, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = mm[path[:j]]; !ok {
				return nil, false
			}
			path = path[j:]
		}
	}
	return cur, true
}

// closingBracketOf is the index of the "]" closing the segment path
// starts with, skipping quoted strings.
func closingBracketOf(path string) int {
	quoted := false
	for i := 1; i < len(path); i++ {
		switch {
		case path[i] == '\\' && quoted:
			i++
		case path[i] == '"':
			quoted = !quoted
		case path[i] == ']' && !quoted:
			return i
		}
	}
	return -1
}

// listItem finds a list item by index ("2") or by key fields
// (name="web",protocol="TCP"), as structured-merge-diff names it.
func listItem(list []any, inner string) (any, bool) {
	var idx int
	if _, err := fmt.Sscanf(inner, "%d", &idx); err == nil && !strings.Contains(inner, "=") {
		if idx < 0 || idx >= len(list) {
			return nil, false
		}
		return list[idx], true
	}
	keys := map[string]string{}
	for _, part := range splitKeyFields(inner) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, false
		}
		var s any
		if err := json.Unmarshal([]byte(v), &s); err != nil {
			return nil, false
		}
		keys[k] = fmt.Sprint(s)
	}
	for _, item := range list {
		mm, ok := item.(map[string]any)
		if !ok {
			continue
		}
		all := true
		for k, v := range keys {
			got, ok := mm[k]
			if !ok && k == "protocol" && v == "TCP" {
				// A port's protocol left out is TCP, as the server
				// defaults it (and structured-merge-diff keys it).
				continue
			}
			if !ok || fmt.Sprint(got) != v {
				all = false
				break
			}
		}
		if all {
			return item, true
		}
	}
	return nil, false
}

// splitKeyFields splits `a="x,y",b=1` at the commas outside quotes.
func splitKeyFields(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == ',' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// bytesFields are the fields of built-in kinds whose values are []byte,
// which JSON carries as base64: a value that is not base64 fails the whole
// decode with "illegal base64 data at input byte N" and no field.
var bytesFields = map[string][]string{
	"Secret":    {"data"},
	"ConfigMap": {"binaryData"},
}

// base64Errors names every value of a []byte map field that is not
// base64, for a body the decoder refused with encoding/base64's error.
func base64Errors(body []byte, isYAML bool, kind string) []FieldError {
	fields := bytesFields[kind]
	if len(fields) == 0 {
		return nil
	}
	m, ok := decodeBody(body, isYAML)
	if !ok {
		return nil
	}
	var out []FieldError
	for _, f := range fields {
		values, _ := m[f].(map[string]any)
		for _, key := range slices.Sorted(maps.Keys(values)) {
			s, ok := values[key].(string)
			if !ok {
				continue
			}
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				out = append(out, FieldError{Field: f + "[" + key + "]", Type: TypeBadRequest, Origin: OriginDecode,
					Message: fmt.Sprintf("%v: %s.%s values are base64 (a %s's stringData takes plain text)", err, kind, f, kind)})
			}
		}
	}
	return out
}

// decodeBody reads a request body, YAML or JSON, as a map; false when it
// is not one.
func decodeBody(body []byte, isYAML bool) (map[string]any, bool) {
	var m map[string]any
	var err error
	if isYAML {
		err = sigsyaml.Unmarshal(body, &m)
	} else {
		err = json.Unmarshal(body, &m)
	}
	return m, err == nil && m != nil
}
