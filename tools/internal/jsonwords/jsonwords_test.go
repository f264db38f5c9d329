package jsonwords

import (
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, "null"}, {"nope", `string "nope"`}, {strings.Repeat("x", 41), "a string"},
		{true, "boolean true"}, {3.5, "number 3.5"}, {int64(3), "number 3"},
		{map[string]any{}, "a mapping"}, {[]any{1}, "a list"}, {struct{}{}, "a value"},
	} {
		if got := Describe(c.v); got != c.want {
			t.Errorf("Describe(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}
