package apischema

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// unknownFieldError is the error the apiserver's schemaCoercingDecoder
// adds for every field pruning removed: `unknown field "<path>"`. It
// keeps the path so that we need not parse it back out.
type unknownFieldError struct{ path string }

func (e unknownFieldError) Error() string { return fmt.Sprintf(`unknown field "%s"`, e.path) }

var (
	// yaml.v2 (behind sigs.k8s.io/yaml.YAMLToJSONStrict) reports each
	// duplicate key as `line N: key "k" already set in map`.
	yamlDuplicateRE = regexp.MustCompile(`line (\d+): key ("(?:[^"\\]|\\.)*") already set in map`)
	// encoding/json (as forked by sigs.k8s.io/json) names the field of a
	// type error as `Go struct field <GoType>.<json path> of type <T>`.
	jsonTypeErrorRE = regexp.MustCompile(`Go struct field [^.\s]+\.(\S+) of type`)
)

// decodeErrors turns the error of the request scope's decoder into
// FieldErrors. Strict decoding errors become one FieldError each; any
// other error is the 400 BadRequest transformDecodeError (apiserver
// endpoints/handlers/rest.go) builds, with the same message.
func decodeErrors(err error, body []byte, isYAML bool, decoded *schema.GroupVersionKind, served schema.GroupVersionKind) []FieldError {
	if strict, ok := runtime.AsStrictDecodingError(err); ok {
		var out []FieldError
		for _, e := range strict.Errors() {
			out = append(out, strictError(e, body, isYAML)...)
		}
		return out
	}
	// transformDecodeError: "<Kind> in version "<v>" cannot be handled
	// as a <Kind>: <err>".
	msg := fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", served.Kind, served.Version, served.Kind, err)
	if decoded == nil || decoded.Kind == "" {
		msg = fmt.Sprintf("the object provided is unrecognized (must be of type %s): %v", served.Kind, err)
	}
	fe := FieldError{Type: TypeBadRequest, Message: msg, Origin: OriginDecode}
	if m := jsonTypeErrorRE.FindStringSubmatch(err.Error()); m != nil {
		fe.Field = m[1]
	}
	return []FieldError{fe}
}

func strictError(e error, body []byte, isYAML bool) []FieldError {
	var unknown unknownFieldError
	if errors.As(e, &unknown) {
		return []FieldError{{Field: unknown.path, Type: TypeUnknownField, Message: e.Error(), Origin: OriginDecode}}
	}
	var fe kjson.FieldError
	if errors.As(e, &fe) {
		typ := TypeBadRequest
		switch {
		case strings.HasPrefix(e.Error(), "unknown field "):
			typ = TypeUnknownField
		case strings.HasPrefix(e.Error(), "duplicate field "):
			typ = TypeDuplicateField
		}
		return []FieldError{{Field: fe.FieldPath(), Type: typ, Message: e.Error(), Origin: OriginDecode}}
	}
	if isYAML {
		if ms := yamlDuplicateRE.FindAllStringSubmatch(e.Error(), -1); len(ms) > 0 {
			var out []FieldError
			for _, m := range ms {
				line, _ := strconv.Atoi(m[1])
				key, err := strconv.Unquote(m[2])
				if err != nil {
					key = m[2]
				}
				out = append(out, FieldError{Field: yamlKeyPath(body, line, key), Type: TypeDuplicateField, Message: m[0], Origin: OriginDecode})
			}
			return out
		}
	}
	return []FieldError{{Type: TypeBadRequest, Message: e.Error(), Origin: OriginDecode}}
}

// yamlKeyPath finds the field path of the mapping key named key on line
// of a YAML document. The server's message names only the line; the path
// is our addition so that a duplicate key can be reported on its field.
func yamlKeyPath(body []byte, line int, key string) string {
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil {
		return ""
	}
	var find func(n *yaml.Node, path string) (string, bool)
	find = func(n *yaml.Node, path string) (string, bool) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p, ok := find(c, path); ok {
					return p, true
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				child := k.Value
				if path != "" {
					child = path + "." + k.Value
				}
				if k.Line == line && k.Value == key {
					return child, true
				}
				if p, ok := find(v, child); ok {
					return p, true
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if p, ok := find(c, fmt.Sprintf("%s[%d]", path, i)); ok {
					return p, true
				}
			}
		}
		return "", false
	}
	p, _ := find(&doc, "")
	return p
}
