// Package jsonwords names a decoded JSON value in a person's words, for
// messages about a value of the wrong type: `string "nope"`, `number 3`,
// `a mapping` — never a Go type or a Go dump of the value.
package jsonwords

import "fmt"

// Describe names v's JSON type, with the value when it is a short scalar.
// v is what encoding/json, sigs.k8s.io/yaml or apimachinery's JSON decode
// to (whole numbers may be int64).
func Describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			return "a string"
		}
		return fmt.Sprintf("string %q", x)
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case float64, int64, int:
		return fmt.Sprintf("number %v", x)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return "a value"
}
