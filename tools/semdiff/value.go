package semdiff

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// number is a decoded JSON number, held as an exact integer whenever it is
// one. Decoders disagree on the Go type (encoding/json gives float64,
// sigs.k8s.io/yaml and client-go give int64, hand-built objects use int), and
// the API server sees the same number in all of them, so int64(3), int(3)
// and float64(3) must compare equal without float64 rounding large integers.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func intNumber(i int64) number { return number{i: i, isInt: true} }

func floatNumber(f float64) number {
	// -2^63 and 2^63 are exact in float64; integral values inside that range
	// convert to int64 without loss.
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return intNumber(int64(f))
	}
	return number{f: f}
}

// toNumber accepts the number types decoders of Kubernetes objects produce
// (client-go's DeepCopyJSONValue allows no others); any other type is left to
// reflect.DeepEqual.
func toNumber(v any) (number, bool) {
	switch n := v.(type) {
	case int:
		return intNumber(int64(n)), true
	case int32:
		return intNumber(int64(n)), true
	case int64:
		return intNumber(n), true
	case float64:
		return floatNumber(n), true
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return intNumber(i), true
		}
		if f, err := n.Float64(); err == nil {
			return floatNumber(f), true
		}
	}
	return number{}, false
}

func (n number) equal(m number) bool {
	if n.isInt || m.isInt {
		return n.isInt && m.isInt && n.i == m.i
	}
	// NaN cannot come from JSON, but Diff(x, x) must stay empty whatever x is.
	return n.f == m.f || (math.IsNaN(n.f) && math.IsNaN(m.f))
}

func (n number) String() string {
	if n.isInt {
		return strconv.FormatInt(n.i, 10)
	}
	return strconv.FormatFloat(n.f, 'g', -1, 64)
}

// isScalar reports whether v is a leaf of the JSON tree.
func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// Equal reports whether two JSON-like values (what unstructured objects
// hold) are exactly equal: maps by key, lists in order, numbers by value
// across int64 and float64. Unlike Diff it matches no list items by key:
// it answers "did anything change at all" without reflection, fast enough
// to compare every object of a rendered fleet.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !Equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	switch b.(type) {
	case map[string]any, []any:
		return false
	}
	return scalarEqual(a, b)
}

func scalarEqual(a, b any) bool {
	if na, ok := toNumber(a); ok {
		nb, ok := toNumber(b)
		return ok && na.equal(nb)
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	// Not a JSON type; compare it as Go does rather than call it a change.
	return reflect.DeepEqual(a, b)
}

// canonical returns a string equal for two scalars exactly when scalarEqual
// holds, for use as a map key. ok is false for maps, lists and non-JSON
// types.
func canonical(v any) (string, bool) {
	if n, ok := toNumber(v); ok {
		return "n" + n.String(), true
	}
	switch x := v.(type) {
	case nil:
		return "z", true
	case string:
		return "s" + x, true
	case bool:
		return "b" + strconv.FormatBool(x), true
	}
	return "", false
}

// sameMultiset reports whether a and b are lists of scalars holding the same
// values, in any order.
func sameMultiset(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	count := make(map[string]int, len(a))
	for _, v := range a {
		k, ok := canonical(v)
		if !ok {
			return false
		}
		count[k]++
	}
	for _, v := range b {
		k, ok := canonical(v)
		if !ok || count[k] == 0 {
			return false
		}
		count[k]--
	}
	return true
}
