package lint

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/resultcache"
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
	// ContextOnly targets are in the inventory cross-object rules read but
	// are not linted themselves, nor are their exceptions counted: a
	// plan's changed-only path lints the changed apps against the whole
	// rendered set.
	ContextOnly bool
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
	// Results, when set, keeps each object's violations between runs,
	// keyed by the pack, the rules evaluated, the object's whole input
	// and whatever data those rules read (package resultcache).
	Results *resultcache.Bundle
}

// Run lints every target and returns the report: active findings sorted by
// source position, findings accepted by exceptions, and the rules that
// ran.
func Run(ctx context.Context, o Options) (*report.Report, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	// Every object is converted to an OPA value once: the inventory holds
	// it and its own input shares it.
	objects, err := objectValues(ctx, o.Targets, o.Parallelism)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"inventory": inventory(o.Targets, objects)}
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
	eng.KeepResults(o.Results, data)
	conv := newConverter()
	var linted []int
	for i, t := range o.Targets {
		if !t.ContextOnly {
			linted = append(linted, i)
		}
	}
	results, err := eng.EvalAll(ctx, len(linted), func(i int) (Kind, ast.Value, error) {
		t := o.Targets[linted[i]]
		gvk := t.Object.GroupVersionKind()
		kind := Kind{Group: gvk.Group, Kind: gvk.Kind}
		if !eng.Applies(kind) {
			return kind, nil, nil // no rule would read the input
		}
		v, err := conv.input(t, objects[linted[i]])
		if err != nil {
			return kind, nil, fmt.Errorf("%s: %w", ref(t.Object), err)
		}
		return kind, v, nil
	}, o.Parallelism)
	if err != nil {
		return nil, err
	}
	rep := &report.Report{Objects: len(linted)}
	for _, r := range o.Pack.Rules {
		rep.Rules = append(rep.Rules, r.Report())
	}
	rep.Rules = append(rep.Rules, exceptionRules()...)
	ex := newExceptions(now())
	for i, ti := range linted {
		t := o.Targets[ti]
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

// converter builds input documents (docs/contracts.md) as OPA values.
// Values are immutable, so the parts many inputs share — a cluster's facts,
// an object that is also its own variant — are converted once. It is safe
// for concurrent use: inputs are built by the workers that evaluate them.
type converter struct {
	mu       sync.Mutex
	clusters map[string][2]*ast.Term // name → labels, spec
	apps     map[string]*ast.Term    // App intent by name
}

func newConverter() *converter {
	return &converter{clusters: map[string][2]*ast.Term{}, apps: map[string]*ast.Term{}}
}

// app converts an App intent once for all of its objects.
func (c *converter) app(name string, app map[string]any) (*ast.Term, error) {
	if name == "" {
		return c.term(app)
	}
	c.mu.Lock()
	t, ok := c.apps[name]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := c.term(app)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.apps[name] = t
	c.mu.Unlock()
	return t, nil
}

func (c *converter) term(v any) (*ast.Term, error) {
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(val), nil
}

func (c *converter) cluster(cf ClusterFact) (*ast.Term, error) {
	c.mu.Lock()
	parts, ok := c.clusters[cf.Name]
	c.mu.Unlock()
	if !ok {
		labels, err := c.term(stringMap(cf.Labels))
		if err != nil {
			return nil, err
		}
		spec, err := c.term(cf.Spec)
		if err != nil {
			return nil, err
		}
		parts = [2]*ast.Term{labels, spec}
		c.mu.Lock()
		c.clusters[cf.Name] = parts
		c.mu.Unlock()
	}
	replicas := ast.NullTerm()
	if cf.Replicas != nil {
		replicas = ast.IntNumberTerm(int(*cf.Replicas))
	}
	return ast.ObjectTerm(
		ast.Item(ast.StringTerm("name"), ast.StringTerm(cf.Name)),
		ast.Item(ast.StringTerm("labels"), parts[0]),
		ast.Item(ast.StringTerm("spec"), parts[1]),
		ast.Item(ast.StringTerm("replicas"), replicas),
	), nil
}

// input builds one object's input around the object's value.
func (c *converter) input(t Target, object ast.Value) (ast.Value, error) {
	gvk := t.Object.GroupVersionKind()
	obj := ast.NewTerm(object)
	var err error
	review := ast.ObjectTerm(
		ast.Item(ast.StringTerm("object"), obj),
		ast.Item(ast.StringTerm("kind"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("group"), ast.StringTerm(gvk.Group)),
			ast.Item(ast.StringTerm("version"), ast.StringTerm(gvk.Version)),
			ast.Item(ast.StringTerm("kind"), ast.StringTerm(gvk.Kind)),
		)),
		ast.Item(ast.StringTerm("name"), ast.StringTerm(t.Object.GetName())),
		ast.Item(ast.StringTerm("namespace"), ast.StringTerm(t.Object.GetNamespace())),
		ast.Item(ast.StringTerm("operation"), ast.StringTerm("CREATE")),
	)
	items := [][2]*ast.Term{ast.Item(ast.StringTerm("review"), review)}
	if t.Placement == nil && t.App == nil {
		return ast.NewObject(items...), nil
	}
	fl := [][2]*ast.Term{
		ast.Item(ast.StringTerm("file"), ast.StringTerm(t.Source.File)),
		ast.Item(ast.StringTerm("line"), ast.IntNumberTerm(t.Source.Line)),
	}
	if t.App != nil {
		app, err := c.app(t.AppName, t.App)
		if err != nil {
			return nil, err
		}
		fl = append(fl, ast.Item(ast.StringTerm("app"), app))
	}
	if p := t.Placement; p != nil {
		fl = append(fl, ast.Item(ast.StringTerm("controlPlane"), ast.StringTerm(p.ControlPlane)))
		if p.Clusters != nil {
			clusters := make([]*ast.Term, len(p.Clusters))
			for i, cf := range p.Clusters {
				if clusters[i], err = c.cluster(cf); err != nil {
					return nil, err
				}
			}
			fl = append(fl, ast.Item(ast.StringTerm("clusters"), ast.ArrayTerm(clusters...)))
		}
		if p.Variants != nil {
			variants := make([]*ast.Term, len(p.Variants))
			for i, v := range p.Variants {
				names := make([]*ast.Term, len(v.Clusters))
				for j, n := range v.Clusters {
					names[j] = ast.StringTerm(n)
				}
				vo := obj
				if !sameMap(v.Object, t.Object.Object) {
					if vo, err = c.term(v.Object); err != nil {
						return nil, err
					}
				}
				variants[i] = ast.ObjectTerm(ast.Item(ast.StringTerm("clusters"), ast.ArrayTerm(names...)), ast.Item(ast.StringTerm("object"), vo))
			}
			fl = append(fl, ast.Item(ast.StringTerm("variants"), ast.ArrayTerm(variants...)))
		}
		if len(p.EdgeGroups) > 0 {
			groups := make([]*ast.Term, len(p.EdgeGroups))
			for i, g := range p.EdgeGroups {
				if groups[i], err = c.term(g); err != nil {
					return nil, err
				}
			}
			fl = append(fl, ast.Item(ast.StringTerm("edgeGroups"), ast.ArrayTerm(groups...)))
		}
	}
	items = append(items, ast.Item(ast.StringTerm("flotilla"), ast.ObjectTerm(fl...)))
	return ast.NewObject(items...), nil
}

// sameMap reports whether two object maps are the same map (a variant
// without overrides is the object itself).
func sameMap(a, b map[string]any) bool {
	return len(a) == len(b) && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// objectValues converts every target's object to an OPA value, at most
// parallelism at a time (0: one per CPU).
func objectValues(ctx context.Context, targets []Target, parallelism int) ([]ast.Value, error) {
	if parallelism <= 0 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	out := make([]ast.Value, len(targets))
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(parallelism)
	for i := range targets {
		g.Go(func() error {
			v, err := ast.InterfaceToValue(targets[i].Object.Object)
			if err != nil {
				return fmt.Errorf("%s: %w", ref(targets[i].Object), err)
			}
			out[i] = v
			return nil
		})
	}
	return out, g.Wait()
}

// inventory indexes every object (as its OPA value) the way Gatekeeper's
// sync does.
func inventory(targets []Target, objects []ast.Value) map[string]any {
	ns := map[string]any{}
	cl := map[string]any{}
	put := func(root map[string]any, keys []string, obj ast.Value) {
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
	for i, t := range targets {
		u := t.Object
		if u.GetNamespace() != "" {
			put(ns, []string{u.GetNamespace(), u.GetAPIVersion(), u.GetKind(), u.GetName()}, objects[i])
		} else {
			put(cl, []string{u.GetAPIVersion(), u.GetKind(), u.GetName()}, objects[i])
		}
	}
	return map[string]any{"namespace": ns, "cluster": cl}
}
