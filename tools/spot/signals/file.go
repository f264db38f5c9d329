package signals

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// APIVersion and Kind of the flotilla signals file.
const (
	APIVersion = "flotilla.io/v1alpha1"
	Kind       = "SpotSignals"
)

// File is the flotilla signals file: one YAML document that says where the
// signals of the fleet's spot pools come from and holds what no cloud file
// gives (on-demand prices, the interruption notices seen).
type File struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

// Metadata names the file's object.
type Metadata struct {
	Name string `json:"name"`
}

// Spec is the content of a signals file. Paths are relative to the folder
// of the signals file.
type Spec struct {
	// OS is the operating system whose advisor figures and price history
	// rows apply: Linux (the default; price rows "Linux/UNIX") or Windows.
	OS string `json:"os,omitempty"`
	// Advisor is the Spot Instance Advisor's JSON.
	Advisor string `json:"advisor,omitempty"`
	// PriceHistory lists spot price history files: describe-spot-price-
	// history JSON (.json) or its tab-separated shape (.tsv, .tsv.zst).
	PriceHistory []string `json:"priceHistory,omitempty"`
	// OnDemand holds the on-demand price of each instance type per region.
	OnDemand []OnDemandPrice `json:"onDemand"`
	// Pools are the fleet's spot pools.
	Pools []PoolSpec `json:"pools"`
	// OnDemandClusters name the instance type a cluster buys on demand,
	// priced by OnDemand: needed for clusters without spot pools (whose
	// intent names no instance type), and for a cluster with pools whose
	// on-demand capacity is of another type than its fall-back's.
	OnDemandClusters []OnDemandClusterSpec `json:"onDemandClusters,omitempty"`
	// InterruptionNotices are spot interruption notices received.
	InterruptionNotices []NoticeSpec `json:"interruptionNotices,omitempty"`
}

// OnDemandPrice is the on-demand price of an instance type in a region.
type OnDemandPrice struct {
	Region       string  `json:"region"`
	InstanceType string  `json:"instanceType"`
	USDPerHour   float64 `json:"usdPerHour"`
}

// OnDemandClusterSpec is the instance type one cluster buys on demand.
type OnDemandClusterSpec struct {
	Cluster      string `json:"cluster"`
	Region       string `json:"region"`
	InstanceType string `json:"instanceType"`
}

// PoolSpec maps one spot pool of a cluster (a zone and an instance type its
// autoscaler may launch) to its signals.
type PoolSpec struct {
	Cluster string `json:"cluster"`
	Region  string `json:"region"`
	Zone    string `json:"zone"`
	// ZoneID is the zone's ID (use1-az6), needed to match price history
	// that names zones by ID; zone names map to IDs per AWS account.
	ZoneID       string `json:"zoneID,omitempty"`
	InstanceType string `json:"instanceType"`
	// SpotPrice says where the pool's spot price comes from. Without it the
	// price is unknown, and the optimizer moves no load toward the pool.
	SpotPrice *SpotPriceSpec `json:"spotPrice,omitempty"`
	// Availability is a SkyPilot availability trace of the pool.
	Availability *TraceRef `json:"availability,omitempty"`
	// Preemption is a SkyPilot preemption trace of the pool.
	Preemption *TraceRef `json:"preemption,omitempty"`
}

// Spot price sources.
const (
	FromPriceHistory   = "priceHistory"
	FromAdvisorSavings = "advisorSavings"
	FromFixed          = "fixed"
)

// SpotPriceSpec says where a pool's spot price comes from.
type SpotPriceSpec struct {
	// From is priceHistory (the rows of spec.priceHistory for the pool's
	// zone or zone ID, instance type and OS, as a series), advisorSavings
	// (the on-demand price less the advisor's saving for the region, OS and
	// type) or fixed (USDPerHour).
	From string `json:"from"`
	// USDPerHour is the price when From is fixed.
	USDPerHour *float64 `json:"usdPerHour,omitempty"`
}

// TraceRef points at a trace file and says when its first tick was.
type TraceRef struct {
	File string `json:"file"`
	// Start is the time of the first tick (RFC 3339). When omitted, the
	// date in the file name (00:00 UTC) is used.
	Start string `json:"start,omitempty"`
}

// NoticeSpec is one interruption notice received for a pool.
type NoticeSpec struct {
	Cluster      string `json:"cluster"`
	Zone         string `json:"zone"`
	InstanceType string `json:"instanceType"`
	// Time is when the notice arrived (RFC 3339).
	Time string `json:"time"`
}

// decodeStrict decodes a document into a File, reporting every unknown
// field and every value of the wrong type with its position (not only the
// first, as encoding/json's strict mode does).
func decodeStrict(doc *yamldoc.Document, obj string) (*File, diag.List) {
	var generic any
	if err := json.Unmarshal(doc.JSON, &generic); err != nil {
		return nil, diag.List{docError(doc, obj, "", "%v", err)}
	}
	var errs diag.List
	checkShape(doc, obj, generic, reflect.TypeOf(File{}), "", &errs)
	if len(errs) > 0 {
		return nil, errs
	}
	var f File
	if err := json.Unmarshal(doc.JSON, &f); err != nil {
		return nil, diag.List{docError(doc, obj, "", "%v", err)}
	}
	return &f, nil
}

func docError(doc *yamldoc.Document, obj, field, format string, args ...any) *diag.Error {
	e := doc.Err(field, format, args...)
	e.Object = obj
	return e
}

func checkShape(doc *yamldoc.Document, obj string, v any, t reflect.Type, path string, errs *diag.List) {
	if t.Kind() == reflect.Pointer {
		if v == nil {
			return
		}
		t = t.Elem()
	}
	want := func(what string) {
		*errs = append(*errs, docError(doc, obj, path, "must be %s, not %s", what, describe(v)))
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			if v == nil {
				return // an empty mapping; required fields are checked later
			}
			want("a mapping")
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			fields[name] = t.Field(i).Type
			names = append(names, name)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				*errs = append(*errs, docError(doc, obj, join(path, k), "unknown field (known: %s)", strings.Join(names, ", ")))
				continue
			}
			checkShape(doc, obj, m[k], ft, join(path, k), errs)
		}
	case reflect.Slice:
		if v == nil {
			return
		}
		items, ok := v.([]any)
		if !ok {
			want("a list")
			return
		}
		for i, item := range items {
			checkShape(doc, obj, item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			want("a string")
		}
	case reflect.Float64:
		f, ok := v.(float64)
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
			want("a number")
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case float64:
		return fmt.Sprintf("the number %v", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}
