package lint

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
	"golang.org/x/sync/errgroup"

	"github.com/flotilla-gitops/flotilla/tools/resultcache"
)

// Violation is what one rule reported for one object.
type Violation struct {
	Rule  *Rule
	Msg   string
	Field string
}

// Engine evaluates a pack over inputs. It is safe for concurrent use.
type Engine struct {
	pack  *Pack
	store storage.Store
	// views are the data-only documents evaluated once (see NewEngine).
	views []view

	mu sync.Mutex
	// queries holds one prepared query per set of rules that apply to
	// some kind of object, by the rules' indices (see forKind); byKind
	// the query of each kind seen.
	queries map[string]*query
	byKind  map[Kind][]*query
	// ruleIndex is each rule's place in the pack.
	ruleIndex map[*Rule]int

	// results, when set, keeps each query's result per input between
	// runs (see evalCached); keys holds what the keys share.
	results *resultcache.Bundle
	keys    *resultKeys
}

// query evaluates the rules of the pack that apply to some kinds.
type query struct {
	// rules are indices into Pack.Rules, ascending; the query's result
	// object has the key "r<index>" for each.
	rules    []int
	prepared rego.PreparedEvalQuery
	// keyPrefix starts the key of each of its results (with a result
	// cache): the pack, the rules and the data they read.
	keyPrefix []byte
}

// NewEngine evaluates the pack over data (e.g. {"inventory": ...,
// "flotilla": {"fleet": ...}}), held in the store as OPA values so that
// no evaluation converts what it reads.
//
// Documents the rules read that depend on data alone (fleet views: the
// clusters Karmada matches against, DR sites, ...) have one value for the
// whole run. NewEngine evaluates each once; every evaluation starts with
// them in its cache (topdown's virtual cache), so no object's evaluation
// computes them again. (Binding them with `with` instead costs more than
// it saves: OPA compiles the values into the query and pushes a new cache
// frame per evaluation.)
//
// Queries are prepared per set of rules that apply to an object's kind
// (Rule.Match), on first use.
func NewEngine(ctx context.Context, pack *Pack, data map[string]any) (*Engine, error) {
	e := &Engine{
		pack:      pack,
		store:     inmem.NewFromObjectWithOpts(data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true)),
		queries:   map[string]*query{},
		byKind:    map[Kind][]*query{},
		ruleIndex: map[*Rule]int{},
	}
	for i := range pack.Rules {
		e.ruleIndex[&pack.Rules[i]] = i
	}
	roots := make([]ast.Ref, len(pack.Rules))
	for i, r := range pack.Rules {
		roots[i] = r.Ref
	}
	views, err := evalViews(ctx, pack.compiler, e.store, dataOnlyDocs(pack.compiler, roots))
	if err != nil {
		return nil, err
	}
	e.views = views
	return e, nil
}

// KeepResults makes the engine answer an input its rules evaluated before
// (same pack, same rules, same data read) from results, and add what it
// evaluates there. It is called before the first Eval: data must be what
// NewEngine was given.
func (e *Engine) KeepResults(results *resultcache.Bundle, data map[string]any) {
	if results == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.results = results
	e.keys = newResultKeys(e.pack, data, e.views)
}

// forKind returns the queries of the rules that apply to objects of an
// API group and kind, preparing them on first use: one query, or with a
// result cache one per set of those rules that read the same data (see
// readGroups), so that a change to data some rules read leaves the others'
// results valid.
func (e *Engine) forKind(ctx context.Context, group, kind string) ([]*query, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if qs, ok := e.byKind[Kind{group, kind}]; ok {
		return qs, nil
	}
	var rules []int
	for i := range e.pack.Rules {
		if e.pack.Rules[i].Applies(group, kind) {
			rules = append(rules, i)
		}
	}
	groups := [][]int{rules}
	if e.keys != nil && len(rules) > 0 {
		groups = e.keys.readGroups(rules)
	}
	var qs []*query
	for _, g := range groups {
		q, err := e.query(ctx, g)
		if err != nil {
			return nil, err
		}
		if len(q.rules) > 0 {
			qs = append(qs, q)
		}
	}
	e.byKind[Kind{group, kind}] = qs
	return qs, nil
}

// query returns the query of a set of rules (indices, ascending),
// preparing it on first use; e.mu is held.
func (e *Engine) query(ctx context.Context, rules []int) (*query, error) {
	var key strings.Builder
	for _, i := range rules {
		fmt.Fprintf(&key, "%d,", i)
	}
	if q, ok := e.queries[key.String()]; ok {
		return q, nil
	}
	q := &query{rules: rules}
	if len(rules) > 0 {
		items := make([][2]*ast.Term, len(rules))
		for j, i := range rules {
			items[j] = ast.Item(ast.StringTerm(resultKey(i)), ast.RefTerm(e.pack.Rules[i].Ref...))
		}
		prepared, err := e.pack.prepare(ctx, ast.NewBody(ast.Equality.Expr(ast.VarTerm("x"), ast.ObjectTerm(items...))), e.store)
		if err != nil {
			return nil, fmt.Errorf("prepare policy query: %w", err)
		}
		q.prepared = prepared
		if e.keys != nil {
			q.keyPrefix = e.keys.queryPrefix(q)
		}
	}
	e.queries[key.String()] = q
	return q, nil
}

// Applies reports whether some rule of the pack applies to kind.
func (e *Engine) Applies(kind Kind) bool {
	return e.pack.Applies(kind.Group, kind.Kind)
}

func resultKey(rule int) string { return "r" + strconv.Itoa(rule) }

// constant reports whether r is a literal: `name := <ground term>`.
func constant(r *ast.Rule) bool {
	if len(r.Head.Args) > 0 || r.Else != nil || r.Head.Value == nil || !r.Head.Value.IsGround() || len(r.Body) != 1 {
		return false
	}
	t, ok := r.Body[0].Terms.(*ast.Term)
	return ok && !r.Body[0].Negated && len(r.Body[0].With) == 0 && t.Value.Compare(ast.Boolean(true)) == 0
}

// view is a data-only document and its value.
type view struct {
	doc   ast.Ref
	value *ast.Term
}

// evalViews evaluates each document once, in the order given. Undefined
// documents are left out (the rules find them undefined either way).
func evalViews(ctx context.Context, c *ast.Compiler, store storage.Store, docs []ast.Ref) ([]view, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Abort(ctx, txn)
	var out []view
	for _, doc := range docs {
		body, err := c.QueryCompiler().Compile(ast.NewBody(ast.Equality.Expr(ast.VarTerm("v"), ast.RefTerm(doc...))))
		if err != nil {
			return nil, fmt.Errorf("fleet view %v: %w", doc, err)
		}
		rs, err := topdown.NewQuery(body).WithCompiler(c).WithStore(store).WithTransaction(txn).Run(ctx)
		if err != nil {
			return nil, fmt.Errorf("fleet view %v: %w", doc, err)
		}
		if len(rs) == 1 {
			out = append(out, view{doc: doc, value: rs[0][ast.Var("v")]})
		}
	}
	return out, nil
}

// dataOnlyDocs walks the rule graph down from roots and returns the
// documents that read data alone: every rule defining them (and everything
// those rules call) reads no input. The walk stops at such a document, so
// only the outermost ones are returned, sorted.
func dataOnlyDocs(c *ast.Compiler, roots []ast.Ref) []ast.Ref {
	readsInput := map[*ast.Rule]bool{}
	var reads func(r *ast.Rule) bool
	reads = func(r *ast.Rule) bool {
		if v, ok := readsInput[r]; ok {
			return v
		}
		readsInput[r] = true // Rego has no recursion; this only guards bad graphs.
		v := false
		ast.WalkTerms(r, func(t *ast.Term) bool {
			switch x := t.Value.(type) {
			case ast.Var:
				v = v || x.Equal(ast.InputRootDocument.Value)
			case ast.Ref:
				v = v || x.HasPrefix(ast.InputRootRef)
			}
			return v
		})
		for dep := range c.Graph.Dependencies(r) {
			if v {
				break
			}
			if d, ok := dep.(*ast.Rule); ok {
				v = reads(d)
			}
		}
		readsInput[r] = v
		return v
	}
	// dataOnly reports whether every rule at or below doc is a data-only
	// non-function rule.
	dataOnly := func(doc ast.Ref) bool {
		node := c.RuleTree.Find(doc)
		if node == nil {
			return false
		}
		ok := true
		node.DepthFirst(func(n *ast.TreeNode) bool {
			for _, r := range n.Values {
				if len(r.Head.Args) > 0 || reads(r) {
					ok = false
				}
			}
			return !ok
		})
		return ok
	}
	isRoot := map[string]bool{}
	for _, r := range roots {
		isRoot[r.String()] = true
	}
	found := map[string]ast.Ref{}
	walkRules(c, roots, func(r *ast.Rule) bool {
		if constant(r) {
			return false // as cheap to evaluate as to bind
		}
		if len(r.Head.Args) == 0 {
			doc := r.Ref().GroundPrefix()
			if !isRoot[doc.String()] && dataOnly(doc) {
				found[doc.String()] = doc
				return false
			}
		}
		return true
	})
	out := make([]ast.Ref, 0, len(found))
	for _, k := range slices.Sorted(maps.Keys(found)) {
		out = append(out, found[k])
	}
	return out
}

// walkRules visits, once each, the rules defining roots and the rules and
// functions they depend on, depth first; visit says whether to go on
// below a rule.
func walkRules(c *ast.Compiler, roots []ast.Ref, visit func(r *ast.Rule) bool) {
	seen := map[*ast.Rule]bool{}
	var walk func(r *ast.Rule)
	walk = func(r *ast.Rule) {
		if seen[r] {
			return
		}
		seen[r] = true
		if !visit(r) {
			return
		}
		for dep := range c.Graph.Dependencies(r) {
			if d, ok := dep.(*ast.Rule); ok {
				walk(d)
			}
		}
	}
	for _, root := range roots {
		for _, r := range c.GetRules(root) {
			walk(r)
		}
	}
}

// Kind is the API group and kind of an input's object: it decides which
// rules run (Rule.Match).
type Kind struct{ Group, Kind string }

// Eval runs the rules that apply to kind on one input value.
func (e *Engine) Eval(ctx context.Context, kind Kind, input ast.Value) ([]Violation, error) {
	qs, err := e.forKind(ctx, kind.Group, kind.Kind)
	if err != nil || len(qs) == 0 {
		return nil, err
	}
	if input == nil {
		return nil, errors.New("no input")
	}
	var out []Violation
	in := e.inputDigest(input)
	for _, q := range qs {
		vs, err := e.evalCached(ctx, q, in, func() ([]Violation, error) { return e.eval(ctx, q, input) })
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	if len(qs) > 1 {
		// In the pack's order, as one query gives them.
		slices.SortStableFunc(out, func(a, b Violation) int { return e.ruleIndex[a.Rule] - e.ruleIndex[b.Rule] })
	}
	return out, nil
}

// eval evaluates q on input.
func (e *Engine) eval(ctx context.Context, q *query, input ast.Value) ([]Violation, error) {
	rs, err := q.prepared.Eval(ctx, rego.EvalParsedInput(input), rego.EvalVirtualCache(e.virtualCache()))
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("policy query returned %d results, want 1", len(rs))
	}
	out, ok := rs[0].Bindings["x"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("policy query returned %T", rs[0].Bindings["x"])
	}
	var vs []Violation
	for _, i := range q.rules {
		set, _ := out[resultKey(i)].([]any)
		for _, v := range set {
			viol := Violation{Rule: &e.pack.Rules[i]}
			switch t := v.(type) {
			case string:
				viol.Msg = t
			case map[string]any:
				viol.Msg, _ = t["msg"].(string)
				viol.Field, _ = t["field"].(string)
			default:
				viol.Msg = fmt.Sprint(t)
			}
			vs = append(vs, viol)
		}
	}
	return vs, nil
}

// virtualCache returns a fresh evaluation cache that already holds the
// fleet views' values.
func (e *Engine) virtualCache() topdown.VirtualCache {
	vc := topdown.NewVirtualCache()
	for _, v := range e.views {
		vc.Put(v.doc, v.value)
	}
	return vc
}

// EvalAll evaluates n inputs, at most parallelism at a time (0: one per
// CPU). Each input is built by input(i) just before its evaluation, so only
// the inputs being evaluated are held in memory. Results are in input
// order whatever the scheduling.
func (e *Engine) EvalAll(ctx context.Context, n int, input func(i int) (Kind, ast.Value, error), parallelism int) ([][]Violation, error) {
	if parallelism <= 0 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	out := make([][]Violation, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism)
	for i := range n {
		g.Go(func() error {
			kind, in, err := input(i)
			if err != nil {
				return err
			}
			vs, err := e.Eval(gctx, kind, in)
			if err != nil {
				return fmt.Errorf("input %d: %w", i, err)
			}
			out[i] = vs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
