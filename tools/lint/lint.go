package lint

import (
	"context"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// Position is where an object (or the intent it derives from) is written.
type Position struct {
	File string
	Line int
	// Doc, when set, is the object's source document: its own manifest,
	// or the intent it was generated from.
	Doc *yamldoc.Document
	// Fields maps a generated object's field paths onto Doc's (nil: the
	// object is Doc itself).
	Fields yamldoc.FieldMap
}

// locate returns the line and column of a field of the object.
func (p Position) locate(field string) (int, int) {
	switch {
	case p.Doc == nil:
		return p.Line, 0
	case p.Fields != nil:
		if mapped := p.Fields.Map(field); mapped != "" {
			return p.Doc.Locate(mapped)
		}
		return p.Line, 0
	case field == "":
		return p.Doc.Line, 0
	}
	return p.Doc.Locate(field)
}

// ClusterFact is a cluster an object lands on.
type ClusterFact struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
	// Spec is the Cluster intent's spec, as JSON.
	Spec map[string]any `json:"spec"`
	// Replicas are the predicted replicas there; nil when the object is not
	// divided (DaemonSets, ConfigMaps, ...).
	Replicas *int32 `json:"replicas"`
}

// Variant is the object as it lands on some clusters, after Karmada's
// overrides.
type Variant struct {
	Clusters []string       `json:"clusters"`
	Object   map[string]any `json:"object"`
}

// Target is one object to lint, with everything known about it.
type Target struct {
	Object   *unstructured.Unstructured
	Source   Position
	Rendered string
	// App is the owning App intent as JSON; nil for objects of no app and
	// for plain YAML.
	App map[string]any
	// AppSource locates the App (for app-level exceptions).
	AppSource Position
	AppName   string
	// Placement facts; all nil for plain YAML.
	Placement *Placement
}

// Placement is what the Karmada preview says about an object.
type Placement struct {
	ControlPlane string
	Clusters     []ClusterFact
	Variants     []Variant
	EdgeGroups   []map[string]any
}

// Fleet is the fleet-wide data placement rules read
// (data.flotilla.fleet); nil for plain YAML.
type Fleet struct {
	Clusters       map[string]any
	Apps           map[string]any
	EdgeGroups     map[string]any
	KarmadaVersion string
}

// Options configure Run.
type Options struct {
	Pack    *Pack
	Targets []Target
	Fleet   *Fleet
	// Now is the clock exceptions expire against; time.Now when nil.
	Now func() time.Time
	// Parallelism bounds concurrent evaluation (0: one per CPU).
	Parallelism int
}

// Run lints every target and returns the report: active findings sorted by
// source position, findings accepted by exceptions, and the rules that
// ran.
func Run(ctx context.Context, o Options) (*report.Report, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	data := map[string]any{"inventory": inventory(o.Targets)}
	if o.Fleet != nil {
		data["flotilla"] = map[string]any{"fleet": map[string]any{
			"clusters":       nonNilMap(o.Fleet.Clusters),
			"apps":           nonNilMap(o.Fleet.Apps),
			"edgeGroups":     nonNilMap(o.Fleet.EdgeGroups),
			"karmadaVersion": o.Fleet.KarmadaVersion,
		}}
	}
	eng, err := NewEngine(ctx, o.Pack, data)
	if err != nil {
		return nil, err
	}
	inputs := make([]ast.Value, len(o.Targets))
	for i, t := range o.Targets {
		v, err := ast.InterfaceToValue(inputOf(t))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref(t.Object), err)
		}
		inputs[i] = v
	}
	results, err := eng.EvalAll(ctx, inputs, o.Parallelism)
	if err != nil {
		return nil, err
	}
	rep := &report.Report{Objects: len(o.Targets)}
	for _, r := range o.Pack.Rules {
		rep.Rules = append(rep.Rules, r.Report())
	}
	rep.Rules = append(rep.Rules, exceptionRules()...)
	ex := newExceptions(now())
	for i, t := range o.Targets {
		ex.collect(t)
		for _, v := range results[i] {
			f := findingOf(t, v)
			if e := ex.match(t, v.Rule.ID); e != nil {
				f.Exception = e.Reason
				rep.Suppressed = append(rep.Suppressed, f)
				continue
			}
			rep.Findings = append(rep.Findings, f)
		}
	}
	rep.Findings = append(rep.Findings, ex.findings(o.Pack)...)
	rep.Sort()
	return rep, nil
}

func findingOf(t Target, v Violation) report.Finding {
	line, col := t.Source.locate(v.Field)
	return report.Finding{
		Rule: v.Rule.ID, Severity: v.Rule.Severity, Category: report.CategoryLint,
		Message: v.Msg, File: t.Source.File, Line: line, Column: col,
		Object: ref(t.Object), Field: v.Field, Rendered: t.Rendered,
	}
}

func ref(u *unstructured.Unstructured) string {
	return diag.ObjectRef(u.GetKind(), u.GetNamespace(), u.GetName())
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// inputOf builds the input document of docs/contracts.md.
func inputOf(t Target) map[string]any {
	gvk := t.Object.GroupVersionKind()
	in := map[string]any{
		"review": map[string]any{
			"object":    t.Object.Object,
			"kind":      map[string]any{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind},
			"name":      t.Object.GetName(),
			"namespace": t.Object.GetNamespace(),
			"operation": "CREATE",
		},
	}
	if t.Placement == nil && t.App == nil {
		return in
	}
	fl := map[string]any{"file": t.Source.File, "line": t.Source.Line}
	if t.App != nil {
		fl["app"] = t.App
	}
	if p := t.Placement; p != nil {
		fl["controlPlane"] = p.ControlPlane
		clusters := make([]any, len(p.Clusters))
		for i, c := range p.Clusters {
			var replicas any
			if c.Replicas != nil {
				replicas = int64(*c.Replicas)
			}
			clusters[i] = map[string]any{"name": c.Name, "labels": stringMap(c.Labels), "spec": c.Spec, "replicas": replicas}
		}
		fl["clusters"] = clusters
		variants := make([]any, len(p.Variants))
		for i, v := range p.Variants {
			names := make([]any, len(v.Clusters))
			for j, n := range v.Clusters {
				names[j] = n
			}
			variants[i] = map[string]any{"clusters": names, "object": v.Object}
		}
		fl["variants"] = variants
		if len(p.EdgeGroups) > 0 {
			groups := make([]any, len(p.EdgeGroups))
			for i, g := range p.EdgeGroups {
				groups[i] = g
			}
			fl["edgeGroups"] = groups
		}
	}
	in["flotilla"] = fl
	return in
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// inventory indexes every object the way Gatekeeper's sync does.
func inventory(targets []Target) map[string]any {
	ns := map[string]any{}
	cl := map[string]any{}
	put := func(root map[string]any, keys []string, obj map[string]any) {
		m := root
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = obj
	}
	for _, t := range targets {
		u := t.Object
		if u.GetNamespace() != "" {
			put(ns, []string{u.GetNamespace(), u.GetAPIVersion(), u.GetKind(), u.GetName()}, u.Object)
		} else {
			put(cl, []string{u.GetAPIVersion(), u.GetKind(), u.GetName()}, u.Object)
		}
	}
	return map[string]any{"namespace": ns, "cluster": cl}
}
