package yamldoc

import (
	"strconv"
	"strings"
)

// FieldRename maps a field path of a generated object onto the field of
// the intent it was generated from. "[*]" in From matches any index and is
// replaced, in order, by the matched index in To.
type FieldRename struct {
	From, To string
}

// FieldMap translates field paths of a generated object into the paths of
// its source document.
type FieldMap []FieldRename

// Map returns the source path of a generated field: the rename whose From
// is the longest prefix of path (at segment boundaries) applies, and the
// rest of path is kept. The rename with From "" is the fallback, returned
// as is; without one, Map returns "" when nothing matches.
func (m FieldMap) Map(path string) string {
	segs := splitPath(path)
	best, bestLen := -1, -1
	var bestIdx []int
	for i, r := range m {
		from := splitPath(r.From)
		if len(from) > len(segs) || len(from) <= bestLen {
			continue
		}
		var idx []int
		ok := true
		for j, f := range from {
			s := segs[j]
			switch {
			case f.isIndex && s.isIndex && f.index == s.index:
			case !f.isIndex && f.key == "*" && s.isIndex:
				idx = append(idx, s.index)
			case !f.isIndex && !s.isIndex && f.key == s.key:
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			best, bestLen, bestIdx = i, len(from), idx
		}
	}
	if best < 0 {
		return ""
	}
	out := m[best].To
	if bestLen == 0 {
		return out // the fallback names where to point, not a translation
	}
	for _, n := range bestIdx {
		out = strings.Replace(out, "[*]", "["+strconv.Itoa(n)+"]", 1)
	}
	for _, s := range segs[bestLen:] {
		if s.isIndex {
			out += "[" + strconv.Itoa(s.index) + "]"
		} else if out == "" {
			out = s.key
		} else {
			out += "." + s.key
		}
	}
	return out
}
