package lint

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/flotilla-gitops/flotilla/tools/resultcache"
)

// What a query's rules read besides their input, for the keys of their
// results: the base documents the engine holds and the fleet views it
// evaluates once.
const (
	readsInventory = 1 << iota // data.inventory: every object
	readsFleet                 // data.flotilla.fleet: clusters, apps, edge groups
)

var (
	inventoryRef = ast.MustParseRef("data.inventory")
	fleetRef     = ast.MustParseRef("data.flotilla.fleet")
)

// dataReads says which base documents and fleet views the rules at refs
// read, through every rule and function they call. A view is read as its
// value (one per run): its rules are not followed. A reference that could
// reach into either base document (data[x], data.flotilla[x]) counts as
// reading both.
func dataReads(c *ast.Compiler, refs []ast.Ref, views []view) (base int, viewsRead []int) {
	inView := func(r *ast.Rule) int {
		doc := r.Ref().GroundPrefix()
		for i, v := range views {
			if doc.HasPrefix(v.doc) {
				return i
			}
		}
		return -1
	}
	seenView := map[int]bool{}
	walkRules(c, refs, func(r *ast.Rule) bool {
		if i := inView(r); i >= 0 {
			if !seenView[i] {
				seenView[i] = true
				viewsRead = append(viewsRead, i)
			}
			return false
		}
		ast.WalkRefs(r, func(ref ast.Ref) bool {
			if !ref.HasPrefix(ast.DefaultRootRef) {
				return false
			}
			gp := ref.GroundPrefix()
			switch {
			case gp.HasPrefix(inventoryRef):
				base |= readsInventory
			case gp.HasPrefix(fleetRef):
				base |= readsFleet
			case inventoryRef.HasPrefix(gp) || fleetRef.HasPrefix(gp):
				if len(gp) < len(ref) { // a dynamic key below a prefix of either
					base |= readsInventory | readsFleet
				}
			}
			return false
		})
		return true
	})
	return base, viewsRead
}

// resultKeys computes the parts of result keys that are the same for every
// object of a run: digests of the base documents and views, each once and
// only when some query reads it.
type resultKeys struct {
	pack      *Pack
	views     []view // the engine's
	mu        sync.Mutex
	rules     map[int]reads // by rule index, see ruleReads
	inventory func() []byte
	fleet     func() []byte
	viewSums  []func() []byte // of views, by index
}

func newResultKeys(pack *Pack, data map[string]any, views []view) *resultKeys {
	digest := func(v func() string) func() []byte {
		return sync.OnceValue(func() []byte {
			sum := resultcache.NewKey([]byte(v()))
			return sum[:]
		})
	}
	k := &resultKeys{pack: pack, views: views, rules: map[int]reads{}}
	k.inventory = digest(func() string { return valueString(data["inventory"]) })
	k.fleet = digest(func() string { return valueString(data["flotilla"]) })
	for _, v := range views {
		k.viewSums = append(k.viewSums, digest(v.value.String))
	}
	return k
}

// valueString is the OPA text of a document of the engine's data (nested
// maps holding OPA values), "" when absent.
func valueString(doc any) string {
	if doc == nil {
		return ""
	}
	v, err := ast.InterfaceToValue(doc)
	if err != nil {
		// Not reachable for data the engine stores; a key that cannot
		// name its data must not match another run's.
		return fmt.Sprintf("unkeyable %s: %v", rand.Text(), err)
	}
	return v.String()
}

// reads is what one rule reads besides its input.
type reads struct {
	base  int
	views []int // indices into the engine's views, ascending
}

func (r reads) String() string { return fmt.Sprint(r.base, r.views) }

// ruleReads is what the rule at index i of pack reads, computed once per
// rule under the pack's preparation lock: reading the compiler's rule
// graph must not race with OPA preparing a query on it.
func (k *resultKeys) ruleReads(i int) reads {
	k.mu.Lock()
	defer k.mu.Unlock()
	if r, ok := k.rules[i]; ok {
		return r
	}
	k.pack.prepareMu.Lock()
	base, viewsRead := dataReads(k.pack.compiler, []ast.Ref{k.pack.Rules[i].Ref}, k.views)
	k.pack.prepareMu.Unlock()
	slices.Sort(viewsRead)
	r := reads{base: base, views: viewsRead}
	k.rules[i] = r
	return r
}

// readGroups splits rules (ascending) into sets that read the same data,
// each ascending, in the order of their first rule.
func (k *resultKeys) readGroups(rules []int) [][]int {
	var groups [][]int
	at := map[string]int{}
	for _, i := range rules {
		sig := k.ruleReads(i).String()
		g, ok := at[sig]
		if !ok {
			g = len(groups)
			at[sig] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// queryPrefix is prefix for a new query: what its rules read together.
func (k *resultKeys) queryPrefix(q *query) []byte {
	var base int
	var viewsRead []int
	for _, i := range q.rules {
		r := k.ruleReads(i)
		base |= r.base
		viewsRead = append(viewsRead, r.views...)
	}
	slices.Sort(viewsRead)
	return k.prefix(q, base, slices.Compact(viewsRead))
}

// prefix is the part of a query's keys that is the same for every input:
// the stage's format, the pack, the rules the query evaluates and what
// they read besides their input.
func (k *resultKeys) prefix(q *query, base int, viewsRead []int) []byte {
	parts := [][]byte{[]byte("lint/1"), k.pack.digest[:]}
	for _, i := range q.rules {
		parts = append(parts, []byte(k.pack.Rules[i].ID), []byte(k.pack.Rules[i].Ref.String()))
	}
	if base&readsInventory != 0 {
		parts = append(parts, []byte("inventory"), k.inventory())
	}
	if base&readsFleet != 0 {
		parts = append(parts, []byte("fleet"), k.fleet())
	}
	for _, i := range viewsRead {
		parts = append(parts, []byte("view"), k.viewSums[i]())
	}
	sum := resultcache.NewKey(parts...)
	return sum[:]
}

// cachedViolation is a Violation as kept: the rule by its place in the
// query (whose rules are in the key).
type cachedViolation struct {
	Rule  int    `json:"r"`
	Msg   string `json:"m,omitempty"`
	Field string `json:"f,omitempty"`
}

// inputDigest is the SHA-256 of input's OPA text (nil without a result
// cache): computed once for every query an object's kind has.
func (e *Engine) inputDigest(input ast.Value) []byte {
	if e.results == nil {
		return nil
	}
	sum := sha256.Sum256([]byte(input.String()))
	return sum[:]
}

// evalCached is q's evaluation of input (its digest), from the engine's results when a
// run of the same pack over the same input and data gave it before.
func (e *Engine) evalCached(ctx context.Context, q *query, input []byte, eval func() ([]Violation, error)) ([]Violation, error) {
	if e.results == nil || q.keyPrefix == nil {
		return eval() // no cache, or a query prepared before KeepResults
	}
	key := resultcache.NewKey(q.keyPrefix, input)
	if b, ok := e.results.Get(key); ok {
		var cached []cachedViolation
		if json.Unmarshal(b, &cached) == nil {
			if vs, ok := q.violations(e.pack, cached); ok {
				return vs, nil
			}
		}
	}
	vs, err := eval()
	if err != nil {
		return nil, err
	}
	cached := make([]cachedViolation, len(vs))
	for j, v := range vs {
		// The rule's place in the query (-1, refused on reading, if none).
		cached[j] = cachedViolation{Rule: slices.Index(q.rules, e.ruleIndex[v.Rule]), Msg: v.Msg, Field: v.Field}
	}
	if b, err := json.Marshal(cached); err == nil {
		e.results.Put(key, b)
	}
	return vs, nil
}

// violations maps kept violations back onto the pack's rules; false when
// one names no rule of the query.
func (q *query) violations(pack *Pack, cached []cachedViolation) ([]Violation, bool) {
	vs := make([]Violation, 0, len(cached))
	for _, c := range cached {
		if c.Rule < 0 || c.Rule >= len(q.rules) {
			return nil, false
		}
		vs = append(vs, Violation{Rule: &pack.Rules[q.rules[c.Rule]], Msg: c.Msg, Field: c.Field})
	}
	return vs, true
}
