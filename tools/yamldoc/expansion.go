package yamldoc

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
)

// The converter (sigs.k8s.io/yaml, through yaml.v2) expands every alias
// into a copy of the node it names: 900 aliases of a 100 KB string become
// 90 MB, ten levels of ten aliases 10^10 nodes. checkExpansion measures
// what the expansion would produce on yaml.v3's node tree, where an alias
// is still a pointer — each node once, remembered — and refuses the
// document before anything is expanded.

// expansion is what a node becomes once its aliases are expanded.
type expansion struct {
	// bytes is its size: scalar bytes plus one per node.
	bytes int64
	// aliasBytes is the part of bytes that aliases add.
	aliasBytes int64
	// aliases counts the aliases expanded, nested ones included.
	aliases int64
	// height is its nesting: 0 for a scalar, 1 + the deepest child for a
	// mapping or sequence.
	height int
}

// saturate keeps sums of exponential expansions from overflowing; any
// bound is far below it.
const saturate = int64(1) << 60

func add(a, b int64) int64 { return min(a+b, saturate) }

// expander walks a document's node tree once.
type expander struct {
	file   string
	b      bounds.Input
	memo   map[*yaml.Node]expansion
	active map[*yaml.Node]bool
}

// checkExpansion refuses a document whose alias expansion or nesting goes
// over the bounds, naming the alias (or node) where it crosses.
func checkExpansion(file string, root *yaml.Node, b bounds.Input) error {
	x := &expander{file: file, b: b, memo: map[*yaml.Node]expansion{}, active: map[*yaml.Node]bool{}}
	e, err := x.measure(root)
	if err != nil {
		return err
	}
	if e.height > b.Depth {
		n := deepest(root, b.Depth, x.memo)
		return &Error{File: file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf("nesting is deeper than %d levels here, over the nesting depth bound (raise it with --%s)", b.Depth, bounds.FlagDepth)}
	}
	return nil
}

// measure returns what n expands to, refusing it as soon as its aliases
// go over the bounds, at the child where the running total crosses.
func (x *expander) measure(n *yaml.Node) (expansion, error) {
	if e, ok := x.memo[n]; ok {
		return e, nil
	}
	if x.active[n] {
		return expansion{}, &Error{File: x.file, Line: n.Line, Column: n.Column, Msg: "an alias refers to a node that contains it"}
	}
	x.active[n] = true
	defer delete(x.active, n)
	var e expansion
	switch n.Kind {
	case yaml.ScalarNode:
		e.bytes = int64(len(n.Value)) + 1
	case yaml.AliasNode:
		if n.Alias == nil {
			break
		}
		t, err := x.measure(n.Alias)
		if err != nil {
			return e, err
		}
		e = expansion{bytes: t.bytes, aliasBytes: t.bytes, aliases: add(t.aliases, 1), height: t.height}
	default: // mapping, sequence, document
		for _, c := range n.Content {
			ce, err := x.measure(c)
			if err != nil {
				return e, err
			}
			e.bytes = add(e.bytes, ce.bytes)
			e.aliasBytes = add(e.aliasBytes, ce.aliasBytes)
			e.aliases = add(e.aliases, ce.aliases)
			e.height = max(e.height, ce.height)
			if err := x.over(c, e); err != nil {
				return e, err
			}
		}
		e.bytes = add(e.bytes, 1)
		if n.Kind != yaml.DocumentNode {
			e.height++
		}
	}
	if err := x.over(n, e); err != nil {
		return e, err
	}
	x.memo[n] = e
	return e, nil
}

// over refuses an expansion, so far, over the alias bounds, at node at.
func (x *expander) over(at *yaml.Node, e expansion) error {
	switch {
	case e.aliases > int64(x.b.Aliases):
		return &Error{File: x.file, Line: at.Line, Column: at.Column, Msg: fmt.Sprintf("more than %d aliases are expanded by here, over the alias bound (raise it with --%s)", x.b.Aliases, bounds.FlagAliases)}
	case e.aliasBytes > x.b.AliasBytes:
		return &Error{File: x.file, Line: at.Line, Column: at.Column, Msg: fmt.Sprintf("aliases expand to more than %s by here, over the alias expansion bound (raise it with --%s)", bounds.Size(x.b.AliasBytes), bounds.FlagAliasBytes)}
	}
	return nil
}

// deepest returns the first node, in document order, at which nesting
// goes past limit levels: a mapping or sequence at level limit+1, or the
// alias whose expansion takes it there.
func deepest(n *yaml.Node, limit int, memo map[*yaml.Node]expansion) *yaml.Node {
	level := 0
	for {
		if n.Kind == yaml.AliasNode {
			return n
		}
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			if level++; level > limit {
				return n
			}
		}
		next := (*yaml.Node)(nil)
		for _, c := range n.Content {
			if level+memo[c].height > limit {
				next = c
				break
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
}
