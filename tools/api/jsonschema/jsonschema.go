package jsonschema

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// File is one generated schema.
type File struct {
	// Name is the file name, e.g. cluster.json.
	Name string
	Data []byte
}

// FromCRDs converts every CRD file in fsys (one CRD per file) into a JSON
// Schema per served version.
func FromCRDs(fsys fs.FS) ([]File, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []File
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			s := convert(v.Schema.OpenAPIV3Schema)
			s["$schema"] = "http://json-schema.org/draft-07/schema#"
			s["$id"] = fmt.Sprintf("https://flotilla.io/schemas/%s/%s.json", v.Name, strings.ToLower(crd.Spec.Names.Kind))
			s["title"] = fmt.Sprintf("%s (%s/%s)", crd.Spec.Names.Kind, crd.Spec.Group, v.Name)
			props := s["properties"].(map[string]any)
			props["apiVersion"] = map[string]any{"const": crd.Spec.Group + "/" + v.Name}
			props["kind"] = map[string]any{"const": crd.Spec.Names.Kind}
			props["metadata"] = metadataSchema()
			s["required"] = union(s["required"], "apiVersion", "kind", "metadata")
			data, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				return nil, err
			}
			out = append(out, File{Name: path.Join(v.Name, strings.ToLower(crd.Spec.Names.Kind)+".json"), Data: append(data, '\n')})
		}
	}
	return out, nil
}

// metadataSchema is what intent metadata may hold: a name and labels (the
// rest of ObjectMeta is set by no one in an intent file).
func metadataSchema() map[string]any {
	return map[string]any{
		"type":     "object",
		"required": []string{"name"},
		"properties": map[string]any{
			"name": map[string]any{"type": "string", "pattern": `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, "maxLength": 63},
			"labels": map[string]any{
				"type": "object", "additionalProperties": map[string]any{"type": "string"},
			},
			"annotations": map[string]any{
				"type": "object", "additionalProperties": map[string]any{"type": "string"},
			},
		},
		"additionalProperties": false,
	}
}

func union(existing any, more ...string) []string {
	var out []string
	if l, ok := existing.([]string); ok {
		out = append(out, l...)
	}
	for _, m := range more {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// convert maps a structural OpenAPI v3 schema onto JSON Schema.
func convert(p *apiextensionsv1.JSONSchemaProps) map[string]any {
	s := map[string]any{}
	if p.Description != "" {
		s["description"] = p.Description
	}
	intOrString := p.XIntOrString
	switch {
	case intOrString:
		s["anyOf"] = []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}
	case p.Type != "":
		if p.Nullable {
			s["type"] = []string{p.Type, "null"}
		} else {
			s["type"] = p.Type
		}
	}
	// resource.Quantity is int-or-string with a pattern.
	if len(p.AnyOf) > 0 && !intOrString {
		var any []any
		for i := range p.AnyOf {
			any = append(any, convert(&p.AnyOf[i]))
		}
		s["anyOf"] = any
	}
	if p.Format != "" && p.Format != "int32" && p.Format != "int64" {
		s["format"] = p.Format
	}
	if p.Pattern != "" {
		s["pattern"] = p.Pattern
	}
	if len(p.Enum) > 0 {
		var vals []any
		for _, e := range p.Enum {
			var v any
			if json.Unmarshal(e.Raw, &v) == nil {
				vals = append(vals, v)
			}
		}
		s["enum"] = vals
	}
	if p.Default != nil {
		var v any
		if json.Unmarshal(p.Default.Raw, &v) == nil {
			s["default"] = v
		}
	}
	for k, v := range map[string]*float64{"minimum": p.Minimum, "maximum": p.Maximum} {
		if v != nil {
			s[k] = *v
		}
	}
	for k, v := range map[string]*int64{"minLength": p.MinLength, "maxLength": p.MaxLength, "minItems": p.MinItems, "maxItems": p.MaxItems, "minProperties": p.MinProperties, "maxProperties": p.MaxProperties} {
		if v != nil {
			s[k] = *v
		}
	}
	if len(p.Required) > 0 {
		s["required"] = slices.Clone(p.Required)
	}
	if p.Items != nil && p.Items.Schema != nil {
		s["items"] = convert(p.Items.Schema)
	}
	if len(p.Properties) > 0 {
		props := map[string]any{}
		for k := range p.Properties {
			v := p.Properties[k]
			props[k] = convert(&v)
		}
		s["properties"] = props
		if p.XPreserveUnknownFields == nil || !*p.XPreserveUnknownFields {
			s["additionalProperties"] = false
		}
	}
	if p.AdditionalProperties != nil && p.AdditionalProperties.Schema != nil {
		s["additionalProperties"] = convert(p.AdditionalProperties.Schema)
	}
	return s
}
