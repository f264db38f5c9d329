// Command kubeschemas writes kubeconform-compatible JSON Schemas, offline,
// for the benchmark of `flotilla check` against kubeconform + conftest
// (scripts/bench/check-vs-peers.sh):
//
//   - every built-in kind of the client-go scheme, from the Kubernetes
//     OpenAPI definitions compiled into k8s.io/kubernetes/pkg/generated/openapi
//     (the same Go types flotilla decodes into);
//   - every served version of the CRDs flotilla validates against
//     (tools/apischema: Karmada, Argo CD, Velero, KubeEdge, PrometheusRule).
//
// One self-contained file per kind and version, named as kubeconform's
// template "DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json" expects
// (deployment-apps-v1.json, service-v1.json, propagationpolicy-policy-v1alpha1.json).
// Built-in schemas carry the definitions they use under "definitions"
// (so recursive types resolve with local $refs); every object with
// properties is closed (additionalProperties: false), as the "-strict"
// schemas of yannh/kubernetes-json-schema are, except where a CRD says
// x-kubernetes-preserve-unknown-fields.
//
// Usage: kubeschemas DIR
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kube-openapi/pkg/validation/spec"
	k8sopenapi "k8s.io/kubernetes/pkg/generated/openapi"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kubeschemas DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "kubeschemas:", err)
		os.Exit(1)
	}
}

// written tracks file names, so two kinds that map onto one kubeconform
// file name are reported instead of silently overwriting each other.
type written map[string]string

func (w written) write(dir string, gvk schema.GroupVersionKind, doc map[string]any) error {
	name := FileName(gvk)
	if prev, ok := w[name]; ok {
		return fmt.Errorf("%s: both %s and %s map onto this file name", name, prev, gvk)
	}
	w[name] = gvk.String()
	data, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", gvk, err)
	}
	return os.WriteFile(filepath.Join(dir, name), data, 0o644)
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	w := written{}
	nBuiltin, err := builtin(dir, w)
	if err != nil {
		return err
	}
	nCRD, err := crds(dir, w)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d schemas to %s: %d built-in kind versions, %d CRD versions\n", nBuiltin+nCRD, dir, nBuiltin, nCRD)
	return nil
}

// FileName is kubeconform's "{{ .ResourceKind }}{{ .KindSuffix }}.json" for
// gvk (registry.schemaPath: kind lower-cased, then "-" + the first label of
// the group, then "-" + the version; core kinds have no group part).
func FileName(gvk schema.GroupVersionKind) string {
	suffix := "-" + strings.ToLower(gvk.Version)
	if gvk.Group != "" {
		suffix = "-" + strings.ToLower(strings.Split(gvk.Group, ".")[0]) + suffix
	}
	return strings.ToLower(gvk.Kind) + suffix + ".json"
}

// --- built-in kinds --------------------------------------------------------

func defName(goPath string) string { return strings.ReplaceAll(goPath, "/", ".") }

func builtin(dir string, w written) (int, error) {
	defs := k8sopenapi.GetOpenAPIDefinitions(func(path string) spec.Ref {
		return spec.MustCreateRef("#/definitions/" + defName(path))
	})
	// Every definition as plain JSON, once.
	plain := map[string]map[string]any{}
	for path, d := range defs {
		m, err := toMap(d.Schema)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		plain[defName(path)] = strictBuiltin(m).(map[string]any)
	}
	gvks := clientscheme.Scheme.AllKnownTypes()
	keys := make([]schema.GroupVersionKind, 0, len(gvks))
	for gvk, t := range gvks {
		if gvk.Version == "__internal" || !strings.HasPrefix(t.PkgPath(), "k8s.io/api/") {
			continue
		}
		if _, ok := defs[t.PkgPath()+"."+t.Name()]; !ok {
			continue
		}
		keys = append(keys, gvk)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	n := 0
	for _, gvk := range keys {
		t := gvks[gvk]
		root := defName(t.PkgPath() + "." + t.Name())
		doc := deepCopy(plain[root]).(map[string]any)
		used := map[string]bool{}
		collectRefs(doc, plain, used)
		if len(used) > 0 {
			d := map[string]any{}
			for name := range used {
				d[name] = plain[name]
			}
			doc["definitions"] = d
		}
		doc["x-kubernetes-group-version-kind"] = []any{map[string]any{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind}}
		if err := w.write(dir, gvk, doc); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

func toMap(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(data, &m)
}

// strictBuiltin drops the x-kubernetes-* extensions and closes every object
// that lists its properties.
func strictBuiltin(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k := range t {
			if strings.HasPrefix(k, "x-") {
				delete(t, k)
			}
		}
		for k, c := range t {
			if k == "properties" || k == "definitions" {
				props := c.(map[string]any)
				for pk, pv := range props {
					props[pk] = strictBuiltin(pv)
				}
				continue
			}
			t[k] = strictBuiltin(c)
		}
		if _, ok := t["properties"]; ok {
			if _, set := t["additionalProperties"]; !set {
				t["additionalProperties"] = false
			}
		}
		return t
	case []any:
		for i := range t {
			t[i] = strictBuiltin(t[i])
		}
	}
	return v
}

// collectRefs adds to used every definition reachable from v.
func collectRefs(v any, defs map[string]map[string]any, used map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		if r, ok := t["$ref"].(string); ok {
			name := strings.TrimPrefix(r, "#/definitions/")
			if !used[name] {
				used[name] = true
				collectRefs(defs[name], defs, used)
			}
		}
		for k, c := range t {
			if k == "$ref" {
				continue
			}
			collectRefs(c, defs, used)
		}
	case []any:
		for _, c := range t {
			collectRefs(c, defs, used)
		}
	}
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, c := range t {
			m[k] = deepCopy(c)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, c := range t {
			l[i] = deepCopy(c)
		}
		return l
	}
	return v
}

// --- CRDs --------------------------------------------------------------------

func crds(dir string, w written) (int, error) {
	v, err := apischema.New(apischema.Options{})
	if err != nil {
		return 0, err
	}
	all, err := v.CRDs()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, crd := range all {
		for _, ver := range crd.Spec.Versions {
			if !ver.Served || ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
				continue
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}
			doc := convertCRD(ver.Schema.OpenAPIV3Schema)
			doc["x-kubernetes-group-version-kind"] = []any{map[string]any{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind}}
			if err := w.write(dir, gvk, doc); err != nil {
				return 0, err
			}
			n++
		}
	}
	return n, nil
}

// convertCRD maps a structural schema onto JSON Schema draft 4 the way
// openapi2jsonschema --strict does for yannh/kubernetes-json-schema's CRD
// catalog: int-or-string becomes a oneOf, nullable admits null, objects
// with properties are closed unless they preserve unknown fields.
func convertCRD(p *apiextensionsv1.JSONSchemaProps) map[string]any {
	s := map[string]any{}
	if p.Description != "" {
		s["description"] = p.Description
	}
	switch {
	case p.XIntOrString:
		s["oneOf"] = []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}
	case p.Type != "" && p.Nullable:
		s["type"] = []any{p.Type, "null"}
	case p.Type != "":
		s["type"] = p.Type
	}
	if p.Format != "" {
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
		if p.Nullable {
			vals = append(vals, nil)
		}
		s["enum"] = vals
	}
	if p.Minimum != nil {
		s["minimum"] = *p.Minimum
		if p.ExclusiveMinimum {
			s["exclusiveMinimum"] = true
		}
	}
	if p.Maximum != nil {
		s["maximum"] = *p.Maximum
		if p.ExclusiveMaximum {
			s["exclusiveMaximum"] = true
		}
	}
	for k, v := range map[string]*int64{"minLength": p.MinLength, "maxLength": p.MaxLength, "minItems": p.MinItems, "maxItems": p.MaxItems, "minProperties": p.MinProperties, "maxProperties": p.MaxProperties} {
		if v != nil {
			s[k] = *v
		}
	}
	if p.UniqueItems {
		s["uniqueItems"] = true
	}
	if len(p.Required) > 0 {
		req := make([]any, len(p.Required))
		for i, r := range p.Required {
			req[i] = r
		}
		s["required"] = req
	}
	if p.Items != nil && p.Items.Schema != nil {
		s["items"] = convertCRD(p.Items.Schema)
	}
	for name, list := range map[string][]apiextensionsv1.JSONSchemaProps{"anyOf": p.AnyOf, "oneOf": p.OneOf, "allOf": p.AllOf} {
		if len(list) == 0 || (p.XIntOrString && name != "allOf") {
			continue
		}
		var l []any
		for i := range list {
			l = append(l, convertCRD(&list[i]))
		}
		s[name] = l
	}
	if p.Not != nil {
		s["not"] = convertCRD(p.Not)
	}
	preserve := p.XPreserveUnknownFields != nil && *p.XPreserveUnknownFields
	if len(p.Properties) > 0 {
		props := map[string]any{}
		for k := range p.Properties {
			v := p.Properties[k]
			props[k] = convertCRD(&v)
		}
		s["properties"] = props
		if !preserve && p.AdditionalProperties == nil {
			s["additionalProperties"] = false
		}
	}
	if p.AdditionalProperties != nil {
		switch {
		case p.AdditionalProperties.Schema != nil:
			s["additionalProperties"] = convertCRD(p.AdditionalProperties.Schema)
		default:
			s["additionalProperties"] = p.AdditionalProperties.Allows
		}
	}
	return s
}
