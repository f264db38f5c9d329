package signals

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/spot/internal/jsonpos"
)

// TraceKind says what a SkyPilot trace measured.
type TraceKind string

// The two kinds of traces in skypilot-org/spot-traces.
const (
	// Availability traces probe a zone every tick: a value is the number of
	// spot instances a launch obtained at that tick (0 or 1 for the 1-node
	// sets; 0 to 16 for the 16-node set, which asked for 16).
	Availability TraceKind = "availability"
	// Preemption traces keep instances running and record, every tick, how
	// many of them were up: 1 (or 4 of 4) while they ran; a fall is a
	// preemption, a rise a successful relaunch, and a run of zeros the time
	// a relaunch could not get capacity.
	Preemption TraceKind = "preemption"
)

// TraceName is what the repository's file naming says about a trace:
// <kind>_<nodes>-node_<cloud>-<MM-DD-YYYY>_<zone>_<instance>.json.
type TraceName struct {
	Kind     TraceKind
	Nodes    int       // instances the collector asked for (1, 4 or 16)
	Cloud    string    // aws or gcp
	Start    time.Time // the collection's start date, 00:00 UTC
	Zone     string    // e.g. us-east-1a
	Instance string    // the repository's label, e.g. v100_1 or intel_64
}

var traceNameRE = regexp.MustCompile(`^(availability|preemption)_([0-9]+)-node_([a-z]+)-([0-9]{2}-[0-9]{2}-[0-9]{4})_([a-z0-9-]+?)_(.+)\.json$`)

// ParseTraceName reads a file name (its base) in the repository's naming.
func ParseTraceName(file string) (TraceName, bool) {
	m := traceNameRE.FindStringSubmatch(path.Base(strings.ReplaceAll(file, `\`, "/")))
	if m == nil {
		return TraceName{}, false
	}
	nodes, err := strconv.Atoi(m[2])
	if err != nil || nodes < 1 {
		return TraceName{}, false
	}
	start, err := time.Parse("01-02-2006", m[4])
	if err != nil {
		return TraceName{}, false
	}
	return TraceName{Kind: TraceKind(m[1]), Nodes: nodes, Cloud: m[3], Start: start.UTC(), Zone: m[5], Instance: m[6]}, true
}

// Trace is one file of skypilot-org/spot-traces.
type Trace struct {
	File string
	// Gap is the time between two ticks (metadata.gap_seconds).
	Gap time.Duration
	// Values holds one count per tick (data).
	Values []int
	// Prices holds the spot price in USD per hour at each tick, when the
	// file has them (some preemption traces do); nil otherwise.
	Prices []float64
	// Name is what the file name says, when it follows the naming.
	Name   TraceName
	Named  bool
	MaxVal int // the largest value
}

// Span is the time the trace covers.
func (t *Trace) Span() time.Duration { return time.Duration(len(t.Values)) * t.Gap }

// Capacity is the most instances a tick can report: the node count of the
// file name when known, else the largest value seen.
func (t *Trace) Capacity() int {
	if t.Named {
		return t.Name.Nodes
	}
	return max(t.MaxVal, 1)
}

// maxErrorsPerFile bounds the errors one broken file reports, so that a
// file of garbage gives a readable answer; the last error says how many
// more there were.
const maxErrorsPerFile = 50

// errs collects the errors of one file.
type errs struct {
	file  string
	list  diag.List
	extra int
}

func (e *errs) add(pos jsonpos.Pos, field, format string, args ...any) {
	if len(e.list) >= maxErrorsPerFile {
		e.extra++
		return
	}
	e.list = append(e.list, &diag.Error{File: e.file, Line: pos.Line, Column: pos.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (e *errs) err() error {
	if e.extra > 0 {
		e.list = append(e.list, &diag.Error{File: e.file, Msg: fmt.Sprintf("and %d more errors like the above", e.extra)})
	}
	if len(e.list) == 0 {
		return nil
	}
	return e.list // already in file order; Sort would move the summary
}

func syntaxErr(file string, err error) error {
	if se, ok := err.(*jsonpos.SyntaxError); ok {
		return diag.List{{File: file, Line: se.Pos.Line, Column: se.Pos.Column, Msg: "invalid JSON: " + se.Msg}}
	}
	return diag.List{{File: file, Msg: "invalid JSON: " + err.Error()}}
}

// ReadTrace reads a trace. Every problem is reported, as a diag.List: a
// missing or non-positive gap, values that are not whole non-negative
// numbers or exceed the node count of the file name, prices that are not
// positive numbers or do not match the data tick for tick. Unknown keys
// are ignored (the format may grow).
func ReadTrace(file string, data []byte) (*Trace, error) {
	root, err := jsonpos.Parse(data)
	if err != nil {
		return nil, syntaxErr(file, err)
	}
	e := &errs{file: file}
	t := &Trace{File: file}
	t.Name, t.Named = ParseTraceName(file)
	if root.Kind != jsonpos.Object {
		e.add(root.Pos, "", "a trace is a JSON object with metadata and data, not a %s", root.Kind)
		return nil, e.err()
	}
	meta := root.Get("metadata")
	switch {
	case meta == nil:
		e.add(root.Pos, "metadata", "missing: a trace says its tick in metadata.gap_seconds")
	case meta.Kind != jsonpos.Object:
		e.add(meta.Pos, "metadata", "must be an object, not a %s", meta.Kind)
	default:
		gap := meta.Get("gap_seconds")
		if gap == nil {
			e.add(meta.Pos, "metadata.gap_seconds", "missing: the seconds between two ticks")
		} else if s, ok := wholeNumber(gap); !ok || s <= 0 || s > 86400 {
			e.add(gap.Pos, "metadata.gap_seconds", "must be a whole number of seconds between 1 and 86400, got %s", show(gap))
		} else {
			t.Gap = time.Duration(s) * time.Second
		}
	}
	values := root.Get("data")
	switch {
	case values == nil:
		e.add(root.Pos, "data", "missing: the values of the ticks")
	case values.Kind != jsonpos.Array:
		e.add(values.Pos, "data", "must be an array, not a %s", values.Kind)
	case len(values.Items) == 0:
		e.add(values.Pos, "data", "is empty: a trace has at least one tick")
	default:
		t.Values = make([]int, len(values.Items))
		for i, v := range values.Items {
			n, ok := wholeNumber(v)
			if !ok || n < 0 || n > math.MaxInt32 {
				e.add(v.Pos, fmt.Sprintf("data[%d]", i), "must be a whole number of instances (0 or more), got %s", show(v))
				continue
			}
			if t.Named && int(n) > t.Name.Nodes {
				e.add(v.Pos, fmt.Sprintf("data[%d]", i), "%d instances, but the file name says the collector asked for %d", n, t.Name.Nodes)
				continue
			}
			t.Values[i] = int(n)
			t.MaxVal = max(t.MaxVal, int(n))
		}
	}
	if prices := root.Get("prices"); prices != nil {
		switch {
		case prices.Kind != jsonpos.Array:
			e.add(prices.Pos, "prices", "must be an array, not a %s", prices.Kind)
		case values != nil && values.Kind == jsonpos.Array && len(prices.Items) != len(values.Items):
			e.add(prices.Pos, "prices", "has %d values for %d ticks of data: a price belongs to each tick", len(prices.Items), len(values.Items))
		default:
			t.Prices = make([]float64, len(prices.Items))
			for i, v := range prices.Items {
				f, err := v.Float()
				if err != nil || !(f > 0) || math.IsInf(f, 0) {
					e.add(v.Pos, fmt.Sprintf("prices[%d]", i), "must be a positive price in USD per hour, got %s", show(v))
					continue
				}
				t.Prices[i] = f
			}
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return t, nil
}

// wholeNumber returns a JSON number that is a whole number.
func wholeNumber(v *jsonpos.Value) (int64, bool) {
	if v == nil || v.Kind != jsonpos.Number {
		return 0, false
	}
	if n, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
		return n, true
	}
	f, err := v.Float()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// show renders a value for an error message.
func show(v *jsonpos.Value) string {
	switch v.Kind {
	case jsonpos.Number:
		return v.Text
	case jsonpos.String:
		s := v.Text
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return strconv.Quote(s)
	case jsonpos.Bool:
		return strconv.FormatBool(v.Bool)
	}
	return "a " + v.Kind.String()
}
