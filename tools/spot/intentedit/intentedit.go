package intentedit

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
	"github.com/flotilla-gitops/flotilla/tools/yamledit"
)

// Target names the App document to edit.
type Target struct {
	// File is the file's name for errors; Data its contents.
	File string
	Data []byte
	// Line is a line of the App's document (its first, from the loader).
	Line int
	// Object names the App in errors (App/name).
	Object string
}

// Division writes an app's division — spec.spot.division, one entry per
// cluster with replicas, sorted by cluster — and the static weights that
// say the same (spec.placement.replicas.weights: one entry per cluster
// naming it alone, its weight the cluster's total), editing the file in
// place. Entries already there keep their place and their comments;
// entries for clusters that keep no replica, and weights that select
// clusters otherwise than by one name, are removed (their comments stay);
// new ones are added at the end. Problems come back as *diag.Error with
// the file, line, column and field.
func Division(t Target, division []v1alpha1.SpotShare) ([]byte, error) {
	want := normalize(division)
	ed, err := yamledit.Open(t.Data, t.Line)
	if err != nil {
		return nil, t.fail(err, "")
	}
	w := &writer{t: t, ed: ed, offset: sequenceOffset(ed)}
	if err := w.division(want); err != nil {
		return nil, err
	}
	if err := w.weights(want); err != nil {
		return nil, err
	}
	out, err := ed.Bytes()
	if err != nil {
		return nil, t.fail(err, "")
	}
	if err := check(t, out, want); err != nil {
		return nil, err
	}
	return out, nil
}

// normalize keeps the clusters with replicas, sorted by name.
func normalize(division []v1alpha1.SpotShare) []v1alpha1.SpotShare {
	var out []v1alpha1.SpotShare
	for _, s := range division {
		if total(s) > 0 {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b v1alpha1.SpotShare) int { return strings.Compare(a.Cluster, b.Cluster) })
	return out
}

func total(s v1alpha1.SpotShare) int64 {
	return int64(s.OnDemand) + int64(s.Spot) + int64(s.Hedge) + int64(s.HedgeSpotOnly)
}

// fail turns an error into a diag.Error at its position.
func (t Target) fail(err error, field string) error {
	d := &diag.Error{File: t.File, Object: t.Object, Field: field, Msg: err.Error(), Err: err}
	var ye *yamledit.Error
	if errors.As(err, &ye) {
		d.Line, d.Column, d.Msg = ye.Line, ye.Column, ye.Msg
	}
	return d
}

type writer struct {
	t  Target
	ed *yamledit.Editor
	// offset is how far the file indents a block sequence's dashes past
	// its key (0 or 2, as the file already does).
	offset int
}

// sequenceOffset finds how the file indents block sequences under a key:
// the first one it has decides; 2 when it has none.
func sequenceOffset(ed *yamledit.Editor) int {
	found := -1
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		if found >= 0 {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Kind == yaml.SequenceNode && yamledit.IsBlock(v) && len(v.Content) > 0 {
					if dash, err := ed.DashColumn(v.Content[0]); err == nil && found < 0 {
						found = dash - ed.Column(k)
					}
				}
			}
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	visit(ed.Root())
	if found < 0 || found > 8 {
		return 2
	}
	return found
}

// block returns the value node at path, which must be a block mapping.
func (w *writer) block(path ...string) ([]*yaml.Node, error) {
	parents := []*yaml.Node{w.ed.Root()}
	for i, p := range path {
		key, v := yamledit.MapGet(parents[len(parents)-1], p)
		field := strings.Join(path[:i+1], ".")
		switch {
		case v == nil:
			return nil, w.t.fail(yamledit.ErrAt(parents[len(parents)-1], "missing: rebalancing writes below it"), field)
		case v.Kind != yaml.MappingNode:
			return nil, w.t.fail(yamledit.ErrAt(key, "is not a mapping"), field)
		case !yamledit.IsBlock(v):
			return nil, w.t.fail(yamledit.ErrAt(v, "is written in flow style ({...}); rebalancing edits block style only"), field)
		}
		parents = append(parents, v)
	}
	return parents, nil
}

// scalar renders a string as a YAML scalar (quoted only when it must be).
func scalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// fields are a division entry's counts in the order written.
var fields = []string{"onDemand", "spot", "hedge", "hedgeSpotOnly"}

func counts(s v1alpha1.SpotShare) []int32 {
	return []int32{s.OnDemand, s.Spot, s.Hedge, s.HedgeSpotOnly}
}

// divisionItem renders one division entry with its dash at indent.
func divisionItem(s v1alpha1.SpotShare, indent int) string {
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	fmt.Fprintf(&b, "%s- cluster: %s\n", pad, scalar(s.Cluster))
	for i, c := range counts(s) {
		fmt.Fprintf(&b, "%s  %s: %d\n", pad, fields[i], c)
	}
	return b.String()
}

// weightItem renders one weight with its dash at indent.
func weightItem(cluster string, weight int64, indent int) string {
	pad := strings.Repeat(" ", indent)
	return fmt.Sprintf("%s- clusters: [%s]\n%s  weight: %d\n", pad, scalar(cluster), pad, weight)
}

// list is a block sequence to rewrite: the key's entry, and how each
// wanted entry is rendered.
type list struct {
	field    string
	key      string
	parents  []*yaml.Node // down to the mapping holding key
	comment  string       // a line to write above the key when it is new
	names    []string     // wanted entries, in order
	render   func(name string, indent int) string
	identify func(item *yaml.Node) (string, bool) // an item's cluster, when the item is one rebalancing keeps
	update   func(item *yaml.Node, name string, ext yamledit.Extent, indent int) error
}

// rewrite edits a block sequence so that it holds one entry per wanted
// name: items identified as a wanted name are updated in place, the
// others deleted, missing names appended.
func (w *writer) rewrite(l list) error {
	m := l.parents[len(l.parents)-1]
	key, v := yamledit.MapGet(m, l.key)
	keyCol := w.ed.Column(firstKey(m))
	var text strings.Builder
	if v == nil || v.Kind != yaml.SequenceNode || !yamledit.IsBlock(v) || len(v.Content) == 0 {
		if v != nil && v.Kind != yaml.SequenceNode && !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			return w.t.fail(yamledit.ErrAt(v, "is not a list"), l.field)
		}
		if l.comment != "" {
			fmt.Fprintf(&text, "%s# %s\n", strings.Repeat(" ", keyCol), l.comment)
		}
		fmt.Fprintf(&text, "%s%s:\n", strings.Repeat(" ", keyCol), l.key)
		for _, n := range l.names {
			text.WriteString(l.render(n, keyCol+w.offset))
		}
		if v == nil {
			w.ed.InsertAfter(w.ed.BlockExtent(l.parents).Last, text.String())
			return nil
		}
		// An empty or flow list: the entry is written again in block
		// style (its comments kept).
		ext := w.ed.EntryExtent(l.parents, key)
		w.ed.ReplaceLines(ext, keyCol, v, text.String())
		return nil
	}
	parents := append(slices.Clone(l.parents), v)
	indent, err := w.ed.DashColumn(v.Content[0])
	if err != nil {
		return w.t.fail(err, l.field)
	}
	done := map[string]bool{}
	last := 0
	for i, item := range v.Content {
		ext, err := w.ed.ItemExtent(parents, i)
		if err != nil {
			return w.t.fail(err, fmt.Sprintf("%s[%d]", l.field, i))
		}
		last = ext.Last
		name, ok := l.identify(item)
		if !ok || done[name] || !slices.Contains(l.names, name) {
			w.ed.DeleteLines(ext, indent, item)
			continue
		}
		done[name] = true
		if err := l.update(item, name, ext, indent); err != nil {
			return w.t.fail(err, fmt.Sprintf("%s[%d]", l.field, i))
		}
	}
	for _, n := range l.names {
		if !done[n] {
			text.WriteString(l.render(n, indent))
		}
	}
	if text.Len() > 0 {
		w.ed.InsertAfter(last, text.String())
	}
	return nil
}

func firstKey(m *yaml.Node) *yaml.Node { return m.Content[0] }

func (w *writer) division(want []v1alpha1.SpotShare) error {
	parents, err := w.block("spec", "spot")
	if err != nil {
		return err
	}
	byName := map[string]v1alpha1.SpotShare{}
	var names []string
	for _, s := range want {
		byName[s.Cluster] = s
		names = append(names, s.Cluster)
	}
	return w.rewrite(list{
		field: "spec.spot.division", key: "division", parents: parents, names: names,
		comment: "Written by `flotilla spot rebalance`: each cluster's replicas (the weights say the same).",
		render:  func(name string, indent int) string { return divisionItem(byName[name], indent) },
		identify: func(item *yaml.Node) (string, bool) {
			_, c := yamledit.MapGet(item, "cluster")
			if c == nil || c.Kind != yaml.ScalarNode {
				return "", false
			}
			return c.Value, true
		},
		update: func(item *yaml.Node, name string, ext yamledit.Extent, indent int) error {
			s := byName[name]
			if !yamledit.IsBlock(item) {
				w.ed.ReplaceLines(ext, indent, item, divisionItem(s, indent))
				return nil
			}
			var missing strings.Builder
			keyCol := w.ed.Column(firstKey(item))
			for i, c := range counts(s) {
				_, v := yamledit.MapGet(item, fields[i])
				switch {
				case v == nil:
					if c != 0 {
						fmt.Fprintf(&missing, "%s%s: %d\n", strings.Repeat(" ", keyCol), fields[i], c)
					}
				case v.Kind != yaml.ScalarNode:
					return yamledit.ErrAt(v, "%s is not a number", fields[i])
				case v.Value != strconv.Itoa(int(c)):
					if err := w.ed.SetScalar(v, strconv.Itoa(int(c))); err != nil {
						return err
					}
				}
			}
			if missing.Len() > 0 {
				w.ed.InsertAfter(ext.Last, missing.String())
			}
			return nil
		},
	})
}

func (w *writer) weights(want []v1alpha1.SpotShare) error {
	parents, err := w.block("spec", "placement", "replicas")
	if err != nil {
		return err
	}
	totals := map[string]int64{}
	var names []string
	for _, s := range want {
		totals[s.Cluster] = total(s)
		names = append(names, s.Cluster)
	}
	return w.rewrite(list{
		field: "spec.placement.replicas.weights", key: "weights", parents: parents, names: names,
		render: func(name string, indent int) string { return weightItem(name, totals[name], indent) },
		identify: func(item *yaml.Node) (string, bool) {
			// Only a weight that names one cluster and nothing else says
			// what the division says.
			if item.Kind != yaml.MappingNode {
				return "", false
			}
			for i := 0; i+1 < len(item.Content); i += 2 {
				if k := item.Content[i].Value; k != "clusters" && k != "weight" {
					return "", false
				}
			}
			_, cs := yamledit.MapGet(item, "clusters")
			if cs == nil || cs.Kind != yaml.SequenceNode || len(cs.Content) != 1 || cs.Content[0].Kind != yaml.ScalarNode {
				return "", false
			}
			return cs.Content[0].Value, true
		},
		update: func(item *yaml.Node, name string, ext yamledit.Extent, indent int) error {
			_, v := yamledit.MapGet(item, "weight")
			want := strconv.FormatInt(totals[name], 10)
			switch {
			case v == nil && yamledit.IsBlock(item):
				w.ed.InsertAfter(ext.Last, fmt.Sprintf("%sweight: %s\n", strings.Repeat(" ", w.ed.Column(firstKey(item))), want))
			case v == nil:
				w.ed.ReplaceLines(ext, indent, item, weightItem(name, totals[name], indent))
			case v.Kind != yaml.ScalarNode:
				return yamledit.ErrAt(v, "weight is not a number")
			case v.Value != want:
				return w.ed.SetScalar(v, want)
			}
			return nil
		},
	})
}

// check reads the edited file back as the loader does (sigs.k8s.io/yaml,
// the converter the engines use) and holds it to what was meant.
func check(t Target, out []byte, want []v1alpha1.SpotShare) error {
	ed, err := yamledit.Open(out, t.Line)
	if err != nil {
		return t.fail(fmt.Errorf("the edited file does not parse: %w", err), "")
	}
	before, _ := yamldoc.Parse(t.File, t.Data)
	after, errs := yamldoc.Parse(t.File, out)
	if len(errs) > 0 || len(after) != len(before) {
		return t.fail(fmt.Errorf("internal error: the edited file holds %d documents (had %d): %v", len(after), len(before), errs), "")
	}
	var app v1alpha1.App
	if err := sigsyaml.Unmarshal(ed.Text(), &app); err != nil {
		return t.fail(fmt.Errorf("the edited file does not read back: %w", err), "")
	}
	got := app.Spec.Spot.Division
	if !slices.EqualFunc(normalize(got), want, func(a, b v1alpha1.SpotShare) bool { return a == b }) {
		return t.fail(fmt.Errorf("internal error: the edited file reads back the division %v, not %v", got, want), "spec.spot.division")
	}
	weights := app.Spec.Placement.Replicas.Weights
	if len(weights) != len(want) {
		return t.fail(fmt.Errorf("internal error: the edited file has %d weights for %d clusters", len(weights), len(want)), "spec.placement.replicas.weights")
	}
	seen := map[string]bool{}
	for _, wt := range weights {
		if len(wt.Clusters) != 1 || seen[wt.Clusters[0]] {
			return t.fail(fmt.Errorf("internal error: the edited weights are %v", weights), "spec.placement.replicas.weights")
		}
		seen[wt.Clusters[0]] = true
		i := slices.IndexFunc(want, func(s v1alpha1.SpotShare) bool { return s.Cluster == wt.Clusters[0] })
		if i < 0 || total(want[i]) != wt.Weight {
			return t.fail(fmt.Errorf("internal error: the edited weights are %v", weights), "spec.placement.replicas.weights")
		}
	}
	return nil
}
