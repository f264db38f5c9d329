package signals

import (
	"fmt"
	"sort"

	"github.com/flotilla-gitops/flotilla/tools/spot/internal/jsonpos"
)

// Range is one interruption-frequency bucket of the Spot Instance Advisor:
// the share of a type's spot instances that AWS interrupted over the last
// month.
type Range struct {
	Index int
	Label string // "<5%", "5-10%", ..., ">20%"
	// MaxPercent is the bucket's upper bound as the advisor's data gives it
	// (5, 11, 16, 22, 100 in the 2025-06 snapshot).
	MaxPercent int
}

// AdvisorEntry is the advisor's figures for one instance type in one
// region and operating system.
type AdvisorEntry struct {
	// SavingsPercent is the advisor's saving of spot against on-demand
	// (the "s" field). It can be negative: the 2025-06 snapshot has -62 for
	// p5.48xlarge in ca-central-1, a spot price above on-demand.
	SavingsPercent int
	// Bucket is the interruption-frequency bucket ("r"), an index into
	// Advisor.Ranges.
	Bucket int
	// Line is where the entry is in the file.
	Line int
}

// Advisor is the Spot Instance Advisor's data file.
type Advisor struct {
	File    string
	Ranges  []Range
	entries map[advisorKey]AdvisorEntry
}

type advisorKey struct{ region, os, instanceType string }

// Lookup returns the entry for an instance type in a region and operating
// system ("Linux" or "Windows").
func (a *Advisor) Lookup(region, os, instanceType string) (AdvisorEntry, bool) {
	e, ok := a.entries[advisorKey{region, os, instanceType}]
	return e, ok
}

// Len is the number of entries.
func (a *Advisor) Len() int { return len(a.entries) }

// Regions lists the regions, sorted.
func (a *Advisor) Regions() []string {
	seen := map[string]bool{}
	for k := range a.entries {
		seen[k.region] = true
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// ReadAdvisor reads the advisor's JSON (the file its web page loads):
// ranges, instance_types and spot_advisor[region][os][type] = {s, r}. Every
// problem is reported: ranges out of order, savings above 100 %, buckets
// the ranges do not define, missing fields. Unknown keys are ignored.
func ReadAdvisor(file string, data []byte) (*Advisor, error) {
	root, err := jsonpos.Parse(data)
	if err != nil {
		return nil, syntaxErr(file, err)
	}
	e := &errs{file: file}
	a := &Advisor{File: file, entries: map[advisorKey]AdvisorEntry{}}
	if root.Kind != jsonpos.Object {
		e.add(root.Pos, "", "the advisor's data is a JSON object, not a %s", root.Kind)
		return nil, e.err()
	}
	ranges := root.Get("ranges")
	switch {
	case ranges == nil:
		e.add(root.Pos, "ranges", "missing: the interruption-frequency buckets")
	case ranges.Kind != jsonpos.Array || len(ranges.Items) == 0:
		e.add(ranges.Pos, "ranges", "must be a non-empty array of buckets")
	default:
		prevMax := -1
		for i, r := range ranges.Items {
			field := fmt.Sprintf("ranges[%d]", i)
			if r.Kind != jsonpos.Object {
				e.add(r.Pos, field, "must be an object with index, label and max")
				continue
			}
			idx, okIdx := wholeNumber(r.Get("index"))
			mx, okMax := wholeNumber(r.Get("max"))
			label := r.Get("label")
			switch {
			case !okIdx || idx != int64(i):
				e.add(r.Pos, field+".index", "must be %d (buckets are listed in order)", i)
			case label == nil || label.Kind != jsonpos.String || label.Text == "":
				e.add(r.Pos, field+".label", "must be a non-empty string such as \"<5%%\"")
			case !okMax || mx <= int64(prevMax) || mx > 100:
				e.add(r.Pos, field+".max", "must be a whole percentage above the previous bucket's (%d) and at most 100", prevMax)
			default:
				a.Ranges = append(a.Ranges, Range{Index: i, Label: label.Text, MaxPercent: int(mx)})
				prevMax = int(mx)
			}
		}
	}
	adv := root.Get("spot_advisor")
	switch {
	case adv == nil:
		e.add(root.Pos, "spot_advisor", "missing: the per-region figures")
	case adv.Kind != jsonpos.Object:
		e.add(adv.Pos, "spot_advisor", "must be an object keyed by region, not a %s", adv.Kind)
	default:
		for _, region := range adv.Members {
			rf := "spot_advisor." + region.Key
			if region.Value.Kind != jsonpos.Object {
				e.add(region.Value.Pos, rf, "must be an object keyed by operating system")
				continue
			}
			for _, os := range region.Value.Members {
				of := rf + "." + os.Key
				if os.Value.Kind != jsonpos.Object {
					e.add(os.Value.Pos, of, "must be an object keyed by instance type")
					continue
				}
				for _, it := range os.Value.Members {
					tf := of + "[" + it.Key + "]"
					v := it.Value
					if v.Kind != jsonpos.Object {
						e.add(v.Pos, tf, "must be an object {\"s\": savings %%, \"r\": bucket}")
						continue
					}
					s, okS := wholeNumber(v.Get("s"))
					r, okR := wholeNumber(v.Get("r"))
					bad := false
					if !okS || s < -1000 || s > 100 {
						e.add(posOf(v, "s"), tf+".s", "must be a whole saving percentage of at most 100, got %s", showOr(v.Get("s")))
						bad = true
					}
					if !okR || r < 0 || (ranges != nil && int(r) >= len(ranges.Items)) {
						e.add(posOf(v, "r"), tf+".r", "must be the index of a bucket in ranges (0..%d), got %s", max(len(a.Ranges)-1, 0), showOr(v.Get("r")))
						bad = true
					}
					if bad {
						continue
					}
					a.entries[advisorKey{region.Key, os.Key, it.Key}] = AdvisorEntry{SavingsPercent: int(s), Bucket: int(r), Line: v.Pos.Line}
				}
			}
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return a, nil
}

func posOf(obj *jsonpos.Value, key string) jsonpos.Pos {
	if v := obj.Get(key); v != nil {
		return v.Pos
	}
	return obj.Pos
}

func showOr(v *jsonpos.Value) string {
	if v == nil {
		return "nothing"
	}
	return show(v)
}
