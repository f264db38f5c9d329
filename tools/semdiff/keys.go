package semdiff

import (
	"strconv"
	"strings"
)

// mergeKey is a field that identifies the items of a list, with an optional
// companion field that makes the identity compound.
// With list set, the field (a dotted path of maps) holds a list of
// strings, the whole of which is the identity.
type mergeKey struct {
	field, extra string
	list         bool
}

// mergeKeyOrder is tried in order, as Kubernetes strategic merge patch uses
// these fields as patchMergeKey for the lists of the core API (containers,
// env and volumes by name, ports by port and protocol, volumeMounts by
// mountPath, tolerations and items by key, ...). Diff cannot know the schema
// of every kind, so the first field that identifies every item uniquely wins.
// It is never modified.
var mergeKeyOrder = [...]mergeKey{
	{field: "name"},
	{field: "containerPort", extra: "protocol"},
	{field: "port", extra: "protocol"},
	{field: "mountPath"},
	{field: "devicePath"},
	{field: "key"},
	{field: "ip"},
	{field: "topologyKey"},
	{field: "type"},
	// Replica division: Karmada's staticWeightList items and flotilla's
	// App weights are known by the clusters they weigh, so a weight moving
	// reads as cloud-a's, not as item 0's.
	{field: "targetCluster.clusterNames", list: true},
	{field: "clusters", list: true},
}

// defaultProtocol is what the API server fills in for a port without a
// protocol; live objects carry it while manifests usually leave it out, and
// both mean the same port.
const defaultProtocol = "TCP"

// keyedItems identifies the items of one list: ids to pair them, sels to
// name them in paths.
type keyedItems struct{ ids, sels []string }

// mergeKeys finds the first merge key that identifies every item of a and of
// b, each list on its own being free of duplicates. ok is false when the
// lists are not lists of maps or no key fits; they are then compared by
// index.
func mergeKeys(a, b []any) (ka, kb keyedItems, ok bool) {
	if len(a)+len(b) == 0 || !allMaps(a) || !allMaps(b) {
		return ka, kb, false
	}
	for _, mk := range mergeKeyOrder {
		// The companion joins the key when any item has it, so that
		// {port: 53, protocol: UDP} and {port: 53, protocol: TCP} are two
		// items, not a duplicate.
		withExtra := mk.extra != "" && (anyHas(a, mk.extra) || anyHas(b, mk.extra))
		var okA, okB bool
		if ka, okA = identify(a, mk, withExtra); !okA {
			continue
		}
		if kb, okB = identify(b, mk, withExtra); okB {
			return ka, kb, true
		}
	}
	return keyedItems{}, keyedItems{}, false
}

// itemSelectors names the items of a lone list (one added or removed in one
// piece), the same way mergeKeys would.
func itemSelectors(l []any) []string {
	if k, _, ok := mergeKeys(l, nil); ok {
		return k.sels
	}
	sels := make([]string, len(l))
	for i := range l {
		sels[i] = indexSelector(i)
	}
	return sels
}

func allMaps(l []any) bool {
	for _, v := range l {
		if _, ok := v.(map[string]any); !ok {
			return false
		}
	}
	return true
}

func anyHas(l []any, field string) bool {
	for _, v := range l {
		if v.(map[string]any)[field] != nil {
			return true
		}
	}
	return false
}

func identify(l []any, mk mergeKey, withExtra bool) (keyedItems, bool) {
	k := keyedItems{ids: make([]string, 0, len(l)), sels: make([]string, 0, len(l))}
	seen := make(map[string]bool, len(l))
	for _, v := range l {
		m := v.(map[string]any)
		var id, sel string
		if mk.list {
			names, ok := stringsAt(m, mk.field)
			if !ok {
				return keyedItems{}, false
			}
			id = "l" + strings.Join(names, "\x00")
			sel = mk.field + "=" + selectorValue(strings.Join(names, ","))
			if seen[id] {
				return keyedItems{}, false
			}
			seen[id] = true
			k.ids = append(k.ids, id)
			k.sels = append(k.sels, "["+sel+"]")
			continue
		}
		fv := m[mk.field]
		id, ok := canonical(fv)
		if fv == nil || !ok {
			return keyedItems{}, false
		}
		sel = mk.field + "=" + selectorValue(fv)
		if withExtra {
			extra := m[mk.extra]
			if extra == nil {
				extra = defaultProtocol
			}
			eid, ok := canonical(extra)
			if !ok {
				return keyedItems{}, false
			}
			id += "\x00" + eid
			sel += "," + mk.extra + "=" + selectorValue(extra)
		}
		if seen[id] {
			return keyedItems{}, false
		}
		seen[id] = true
		k.ids = append(k.ids, id)
		k.sels = append(k.sels, "["+sel+"]")
	}
	return k, true
}

// stringsAt reads a non-empty list of strings at a dotted path of maps.
func stringsAt(m map[string]any, path string) ([]string, bool) {
	var v any = m
	for _, f := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v = mm[f]
	}
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return nil, false
	}
	out := make([]string, len(l))
	for i, x := range l {
		if out[i], ok = x.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

func indexSelector(i int) string { return "[" + strconv.Itoa(i) + "]" }

// selectorValue renders a merge key value. Strings are quoted when they would
// be ambiguous: holding selector punctuation, or reading as a number, a
// boolean or null, so that [port=80] and [port="80"] stay distinct.
func selectorValue(v any) string {
	if n, ok := toNumber(v); ok {
		return n.String()
	}
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case string:
		if plainSelectorString(x) {
			return x
		}
		return strconv.Quote(x)
	}
	return "null"
}

func plainSelectorString(s string) bool {
	if s == "" || s == "true" || s == "false" || s == "null" {
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' || strings.ContainsRune(`[]=,"\`, r) {
			return false
		}
	}
	return true
}
