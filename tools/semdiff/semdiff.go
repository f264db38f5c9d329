package semdiff

import "slices"

// Op is the kind of a Change.
type Op string

// The kinds of change.
const (
	Added   Op = "added"
	Removed Op = "removed"
	Changed Op = "changed"
)

// MaskedValue stands in for Before and After of a Masked change, so that a
// sensitive value never reaches a plan, a log or a JSON report.
const MaskedValue = "(sensitive)"

// lastAppliedAnnotation is where kubectl apply keeps a full copy of the
// object, data included.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// Change is one difference at a field path.
type Change struct {
	// Path names the field, e.g. spec.template.spec.containers[name=app].image,
	// metadata.labels["app.kubernetes.io/name"], spec.ports[port=80].targetPort
	// or spec.args[2].
	Path string `json:"path"`
	Op   Op     `json:"op"`
	// Before is nil for Added, After is nil for Removed. When a map entry or a
	// list item is added or removed, the value is the whole subtree (a copy,
	// without the ignored fields).
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
	// Masked is true when values under this path are sensitive (Secret data)
	// and Before/After were replaced by MaskedValue.
	Masked bool `json:"masked,omitempty"`
}

// Options tunes Diff. The zero value ignores nothing and masks Secret data.
type Options struct {
	// Ignore lists field paths (dotted, from the object root, without list
	// selectors, e.g. "metadata.resourceVersion", "metadata.managedFields",
	// "status", "spec.template.spec.containers.terminationMessagePath") that
	// never produce changes: fields the API server owns or defaults. An entry
	// covers the whole subtree under it. Keys holding dots or other odd
	// characters are quoted as in Change.Path:
	// `metadata.annotations["deployment.kubernetes.io/revision"]`. An entry
	// that cannot be parsed ignores nothing.
	Ignore []string
	// Sensitive reports whether the value at path must never be shown; it is
	// asked about both versions of the object, and a path is sensitive when
	// either says so. Everything under a sensitive path is sensitive too. path
	// holds the map keys verbatim and list items as their rendered selectors
	// ("[name=app]", "[2]"); it must not be retained. Nil means
	// DefaultSensitive.
	Sensitive func(obj map[string]any, path []string) bool
}

// DefaultSensitive reports, for a v1 Secret, everything under data and
// stringData, and the kubectl last-applied annotation, which embeds a plain
// copy of both.
func DefaultSensitive(obj map[string]any, path []string) bool {
	if len(path) == 0 || obj["kind"] != "Secret" || obj["apiVersion"] != "v1" {
		return false
	}
	switch path[0] {
	case "data", "stringData":
		return true
	case "metadata":
		return len(path) >= 3 && path[1] == "annotations" && path[2] == lastAppliedAnnotation
	}
	return false
}

// Diff returns the changes from before to after, in document order: map keys
// sorted at each level, items of a keyed list in the order of after with the
// removed ones last, items of other lists by index.
//
// Diff compares two versions of one object. When before or after is nil (the
// whole object is created or deleted) it returns nil: the caller reports that
// as one event about the object, which says more than a change per field.
func Diff(before, after map[string]any, opts Options) []Change {
	if before == nil || after == nil {
		return nil
	}
	w := &walker{before: before, after: after, sensitive: opts.Sensitive}
	if w.sensitive == nil {
		w.sensitive = DefaultSensitive
	}
	for _, s := range opts.Ignore {
		if keys := parseIgnore(s); len(keys) > 0 {
			w.ignore = append(w.ignore, keys)
		}
	}
	w.diffMaps(before, after, false)
	return w.out
}

// segment is one step of a path: a map key, or a list item's rendered
// selector.
type segment struct {
	text string
	item bool
}

// walker holds the state of one Diff. The path to the node being compared is
// kept in three parallel forms, pushed and popped together, so that none has
// to be rebuilt per node.
type walker struct {
	before, after map[string]any
	ignore        [][]string
	sensitive     func(map[string]any, []string) bool

	segs []segment // for Change.Path
	raw  []string  // for Options.Sensitive
	keys []string  // map keys only, for Options.Ignore

	out []Change
}

func (w *walker) pushKey(k string) {
	w.segs = append(w.segs, segment{text: k})
	w.raw = append(w.raw, k)
	w.keys = append(w.keys, k)
}

func (w *walker) pushItem(sel string) {
	w.segs = append(w.segs, segment{text: sel, item: true})
	w.raw = append(w.raw, sel)
}

func (w *walker) pop() {
	last := w.segs[len(w.segs)-1]
	w.segs = w.segs[:len(w.segs)-1]
	w.raw = w.raw[:len(w.raw)-1]
	if !last.item {
		w.keys = w.keys[:len(w.keys)-1]
	}
}

// ignored is asked each time a key is pushed, so an exact match is enough:
// the walk never goes below an ignored key.
func (w *walker) ignored() bool {
	for _, p := range w.ignore {
		if slices.Equal(p, w.keys) {
			return true
		}
	}
	return false
}

func (w *walker) isSensitive() bool {
	// Capped so that a callback appending to path cannot clobber the walker.
	p := w.raw[:len(w.raw):len(w.raw)]
	return w.sensitive(w.before, p) || w.sensitive(w.after, p)
}

// hasSensitive reports whether any value below the current path is
// sensitive, so that a subtree added or removed in one piece is split up
// before it could carry that value out.
func (w *walker) hasSensitive(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t { // the result does not depend on the order
			if c == nil {
				continue
			}
			w.pushKey(k)
			found := !w.ignored() && (w.isSensitive() || w.hasSensitive(c))
			w.pop()
			if found {
				return true
			}
		}
	case []any:
		for i, sel := range itemSelectors(t) {
			w.pushItem(sel)
			found := w.isSensitive() || w.hasSensitive(t[i])
			w.pop()
			if found {
				return true
			}
		}
	}
	return false
}

func (w *walker) diff(a, b any, sens bool) {
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			w.diffMaps(av, bv, sens)
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			w.diffLists(av, bv, sens)
			return
		}
	default:
		if isScalar(b) && scalarEqual(a, b) {
			return
		}
	}
	w.emit(Changed, a, b, sens || w.hasSensitive(a) || w.hasSensitive(b))
}

func (w *walker) diffMaps(a, b map[string]any, sens bool) {
	for _, k := range unionKeys(a, b) {
		w.pushKey(k)
		if !w.ignored() {
			s := sens || w.isSensitive()
			// A null entry is treated as absent: manifests carry
			// `creationTimestamp: null` where the live object has nothing.
			switch av, bv := a[k], b[k]; {
			case av == nil:
				w.whole(Added, bv, s)
			case bv == nil:
				w.whole(Removed, av, s)
			default:
				w.diff(av, bv, s)
			}
		}
		w.pop()
	}
}

func (w *walker) diffLists(a, b []any, sens bool) {
	// Merge keys come from the items' values; under a sensitive path those
	// would show in the path, so such lists are compared by index.
	if !sens {
		if ka, kb, ok := mergeKeys(a, b); ok {
			w.diffKeyed(a, b, ka, kb)
			return
		}
	}
	if w.atSetField() && sameMultiset(a, b) {
		return
	}
	n := min(len(a), len(b))
	for i := range max(len(a), len(b)) {
		w.pushItem(indexSelector(i))
		s := sens || w.isSensitive()
		switch {
		case i < n:
			w.diff(a[i], b[i], s)
		case i < len(b):
			w.whole(Added, b[i], s)
		default:
			w.whole(Removed, a[i], s)
		}
		w.pop()
	}
}

func (w *walker) diffKeyed(a, b []any, ka, kb keyedItems) {
	pos := make(map[string]int, len(a))
	for i, id := range ka.ids {
		pos[id] = i
	}
	matched := make([]bool, len(a))
	for j, id := range kb.ids {
		w.pushItem(kb.sels[j])
		s := w.isSensitive()
		if i, ok := pos[id]; ok {
			matched[i] = true
			w.diff(a[i], b[j], s)
		} else {
			w.whole(Added, b[j], s)
		}
		w.pop()
	}
	for i, m := range matched {
		if !m {
			w.pushItem(ka.sels[i])
			w.whole(Removed, a[i], w.isSensitive())
			w.pop()
		}
	}
}

// atSetField reports whether the list at the current path is, by its field
// name, a set whose order means nothing (capabilities, finalizers, selector
// values). command, args and the like are ordered and stay out.
func (w *walker) atSetField() bool {
	if len(w.segs) == 0 {
		return false
	}
	last := w.segs[len(w.segs)-1]
	if last.item {
		return false
	}
	switch last.text {
	case "add", "drop", "finalizers", "clusterNames", "exclude", "values":
		return true
	}
	return false
}

// whole reports v, added or removed at the current path. It is one change
// unless v holds sensitive values: then it is split so that each sensitive
// value is masked on its own and the keys around it stay visible.
func (w *walker) whole(op Op, v any, sens bool) {
	if !sens && !w.hasSensitive(v) {
		w.emit(op, v, v, false)
		return
	}
	n := len(w.out)
	switch t := v.(type) {
	case map[string]any:
		for _, k := range unionKeys(t, nil) {
			w.pushKey(k)
			if !w.ignored() {
				w.whole(op, t[k], sens || w.isSensitive())
			}
			w.pop()
		}
	case []any:
		// A sensitive list stays one masked change, like a scalar.
		if !sens {
			for i, sel := range itemSelectors(t) {
				w.pushItem(sel)
				w.whole(op, t[i], w.isSensitive())
				w.pop()
			}
		}
	}
	if len(w.out) == n { // a scalar, or nothing left to split
		w.emit(op, v, v, true)
	}
}

// emit records a change at the current path. For Added only after is used,
// for Removed only before.
func (w *walker) emit(op Op, before, after any, masked bool) {
	c := Change{Path: renderPath(w.segs), Op: op, Masked: masked}
	if op != Added {
		c.Before = w.value(before, masked)
	}
	if op != Removed {
		c.After = w.value(after, masked)
	}
	w.out = append(w.out, c)
}

func (w *walker) value(v any, masked bool) any {
	if masked {
		return MaskedValue
	}
	return w.clone(v)
}

// clone deep-copies v without its ignored fields and null entries, so that a
// Change neither shows what Ignore hides nor aliases the caller's object.
func (w *walker) clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, c := range t {
			if c == nil {
				continue
			}
			w.pushKey(k)
			if !w.ignored() {
				m[k] = w.clone(c)
			}
			w.pop()
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, c := range t {
			l[i] = w.clone(c)
		}
		return l
	}
	return v
}

// unionKeys returns the keys with a non-null value in a or b, sorted: the
// document order of a map as kubectl and sigs.k8s.io/yaml print it.
func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k, v := range a {
		if v != nil {
			keys = append(keys, k)
		}
	}
	for k, v := range b {
		if v != nil && a[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
