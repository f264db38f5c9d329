package signals

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// Signals is what a signals file resolves to: every pool with its prices,
// interruption figures and traces, as plain data.
type Signals struct {
	// Name is the signals file's metadata.name.
	Name string
	// File is the signals file as given to Load.
	File string
	// OS is the operating system the figures are for.
	OS    string
	Pools []Pool // sorted by cluster, zone, instance type
	// OnDemandClusters are the clusters whose on-demand instance type
	// the file names, sorted by cluster.
	OnDemandClusters []OnDemandCluster
	// OnDemand are the on-demand prices, sorted by region and instance
	// type.
	OnDemand []OnDemandPrice
}

// OnDemandUSD returns the on-demand price of an instance type in a
// region, per instance-hour.
func (s *Signals) OnDemandUSD(region, instanceType string) (float64, bool) {
	i, ok := sort.Find(len(s.OnDemand), func(i int) int {
		if c := strings.Compare(region, s.OnDemand[i].Region); c != 0 {
			return c
		}
		return strings.Compare(instanceType, s.OnDemand[i].InstanceType)
	})
	if !ok {
		return 0, false
	}
	return s.OnDemand[i].USDPerHour, true
}

// OnDemandCluster is the instance type a cluster buys on demand, and its
// price.
type OnDemandCluster struct {
	Cluster, Region, InstanceType string
	// OnDemandUSD is the on-demand price per instance-hour.
	OnDemandUSD float64
	// Source is where the entry is declared (file:line); Field, Line
	// and Column its entry (spec.onDemandClusters[i]) and position.
	Source       string
	Field        string
	Line, Column int
}

// Pool is one spot pool and its signals. A signal the file does not give
// is marked unknown (Known false, nil series), never filled in: an unknown
// price or availability is not free capacity, and the optimizer moves no
// load toward such a pool.
type Pool struct {
	Cluster, Region, Zone, ZoneID, InstanceType string
	// OnDemandUSD is the on-demand price per instance-hour (always known:
	// a pool without one is an error).
	OnDemandUSD  float64
	Spot         SpotPrice
	Interruption Interruption
	// Availability and Preemption are the pool's traces, or nil.
	Availability *Series
	Preemption   *Series
	// Notices are the interruption notices received, sorted.
	Notices []time.Time
	// Source is where the pool is declared (file:line); Field, Line and
	// Column its entry (spec.pools[i]) and position, for errors about it.
	Source       string
	Field        string
	Line, Column int
}

// Unknown lists the signals the pool lacks: "spot price" when no price is
// given, "interruption risk" when neither a trace nor the advisor says how
// often the pool is interrupted.
func (p *Pool) Unknown() []string {
	var out []string
	if !p.Spot.Known {
		out = append(out, "spot price")
	}
	if p.Availability == nil && p.Preemption == nil && !p.Interruption.Known {
		out = append(out, "interruption risk")
	}
	return out
}

// SpotPrice is a pool's spot price: one point (fixed, advisor) or a series
// of changes (price history).
type SpotPrice struct {
	Known bool
	// From is the source: priceHistory, advisorSavings or fixed.
	From string
	// Points are the price changes, oldest first. A point with a zero Time
	// holds at all times.
	Points []PriceChange
}

// PriceChange is a spot price from Time on.
type PriceChange struct {
	Time       time.Time
	USDPerHour float64
}

// At returns the price in force at t: the last change at or before t, or
// the first one when t is before every change (the history does not say
// what came before, and the oldest price is the best estimate).
func (s SpotPrice) At(t time.Time) (float64, bool) {
	if !s.Known || len(s.Points) == 0 {
		return 0, false
	}
	i := sort.Search(len(s.Points), func(i int) bool { return s.Points[i].Time.After(t) })
	if i == 0 {
		return s.Points[0].USDPerHour, true
	}
	return s.Points[i-1].USDPerHour, true
}

// Interruption is the Spot Instance Advisor's figures for a pool's region,
// OS and instance type.
type Interruption struct {
	Known bool
	// Bucket is the advisor's interruption-frequency bucket, Label its
	// label ("<5%" ... ">20%") and MaxPercent its upper bound: the share of
	// spot instances of the type AWS interrupted over the last month.
	Bucket     int
	Label      string
	MaxPercent int
	// SavingsPercent is the advisor's saving against on-demand.
	SavingsPercent int
}

// Series is a trace placed in time.
type Series struct {
	Kind  TraceKind
	File  string
	Start time.Time
	Gap   time.Duration
	// Values are the trace's counts, one per Gap from Start.
	Values []int
	// Capacity is the most instances a value can count.
	Capacity int
	// Prices are the trace's spot prices per tick, or nil.
	Prices []float64
}

// End is the time after the last tick.
func (s *Series) End() time.Time { return s.Start.Add(time.Duration(len(s.Values)) * s.Gap) }

// At returns the value in force at t: the last tick at or before t (a
// probe's answer holds until the next probe). Outside the trace it reports
// false: no observation is not availability.
func (s *Series) At(t time.Time) (int, bool) {
	if t.Before(s.Start) || !t.Before(s.End()) {
		return 0, false
	}
	return s.Values[int(t.Sub(s.Start)/s.Gap)], true
}

// Resample returns n values, one every step from start, each the value in
// force then (sample and hold); -1 marks times outside the trace.
func (s *Series) Resample(start time.Time, step time.Duration, n int) []int {
	out := make([]int, n)
	for i := range out {
		v, ok := s.At(start.Add(time.Duration(i) * step))
		if !ok {
			v = -1
		}
		out[i] = v
	}
	return out
}

// Options configure Load.
type Options struct {
	// ReadFile reads a file the signals file names; os.ReadFile when nil.
	ReadFile func(name string) ([]byte, error)
}

// Load reads a signals file and every source it names (relative to the
// file's folder). On any problem it returns a diag.List of every error
// found, sorted, and no Signals.
func Load(file string, opts Options) (*Signals, error) {
	read := opts.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(file)
	if err != nil {
		return nil, diag.List{{File: file, Msg: "reading the signals file: " + err.Error(), Err: err}}
	}
	return Parse(file, data, opts)
}

// Parse is Load for a signals file already read.
func Parse(file string, data []byte, opts Options) (*Signals, error) {
	read := opts.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	docs, perrs := yamldoc.Parse(file, data)
	errs := diag.Collect(perrs...)
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	if len(docs) != 1 {
		return nil, diag.List{{File: file, Line: 1, Msg: fmt.Sprintf("holds %d YAML documents; a signals file holds one %s", len(docs), Kind)}}
	}
	r := &resolver{doc: docs[0], file: file, dir: filepath.Dir(file), read: read}
	s := r.resolve()
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

type resolver struct {
	doc  *yamldoc.Document
	file string
	dir  string
	read func(string) ([]byte, error)
	obj  string
	errs diag.List
}

func (r *resolver) errf(field, format string, args ...any) {
	r.errs = append(r.errs, docError(r.doc, r.obj, field, format, args...))
}

// source resolves a path of the signals file.
func (r *resolver) source(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.dir, filepath.FromSlash(p))
}

func (r *resolver) readSource(field, p string) ([]byte, string, bool) {
	name := r.source(p)
	data, err := r.read(name)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			msg = "no such file"
		}
		r.errf(field, "cannot read %s: %s", name, msg)
		return nil, name, false
	}
	return data, name, true
}

var regionRE = regexp.MustCompile(`^([a-z]{2})-([a-z]+)-([0-9]+)$`)

// zoneIDPrefix is the region part of AWS zone IDs: us-east-1 → use1,
// ap-northeast-2 → apne2, eu-central-1 → euc1.
func zoneIDPrefix(region string) (string, bool) {
	m := regionRE.FindStringSubmatch(region)
	if m == nil {
		return "", false
	}
	dir := map[string]string{"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
		"northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}[m[2]]
	if dir == "" {
		return "", false
	}
	return m[1] + dir + m[3], true
}

// products are the price history's product descriptions per OS.
var products = map[string][]string{
	"Linux":   {"Linux/UNIX", "Linux/UNIX (Amazon VPC)"},
	"Windows": {"Windows", "Windows (Amazon VPC)"},
}

type odKey struct{ region, instanceType string }

type poolKey struct{ cluster, zone, instanceType string }

func (r *resolver) resolve() *Signals {
	f, errs := decodeStrict(r.doc, Kind)
	if len(errs) > 0 {
		r.errs = append(r.errs, errs...)
		return nil
	}
	r.obj = Kind + "/" + f.Metadata.Name
	if f.APIVersion != APIVersion {
		r.errf("apiVersion", "must be %s, got %q", APIVersion, f.APIVersion)
	}
	if f.Kind != Kind {
		r.errf("kind", "must be %s, got %q", Kind, f.Kind)
	}
	if f.Metadata.Name == "" {
		r.errf("metadata.name", "missing: name the signals")
	}
	spec := f.Spec
	osName := spec.OS
	if osName == "" {
		osName = "Linux"
	}
	if products[osName] == nil {
		r.errf("spec.os", "must be Linux or Windows, got %q", spec.OS)
	}
	s := &Signals{Name: f.Metadata.Name, File: r.file, OS: osName}

	od := map[odKey]float64{}
	odLine := map[odKey]int{}
	for i, p := range spec.OnDemand {
		field := fmt.Sprintf("spec.onDemand[%d]", i)
		ok := r.need(field+".region", p.Region) && r.need(field+".instanceType", p.InstanceType)
		if !(p.USDPerHour > 0) {
			r.errf(field+".usdPerHour", "must be a positive price in USD per hour, got %v", p.USDPerHour)
			ok = false
		}
		if !ok {
			continue
		}
		k := odKey{p.Region, p.InstanceType}
		line, _ := r.doc.Locate(field)
		if first, dup := odLine[k]; dup {
			r.errf(field, "a second on-demand price for %s in %s (first at line %d)", p.InstanceType, p.Region, first)
			continue
		}
		od[k], odLine[k] = p.USDPerHour, line
		s.OnDemand = append(s.OnDemand, p)
	}
	sort.Slice(s.OnDemand, func(i, j int) bool {
		a, b := s.OnDemand[i], s.OnDemand[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.InstanceType < b.InstanceType
	})

	// Sources: read each once.
	var advisor *Advisor
	if spec.Advisor != "" {
		if data, name, ok := r.readSource("spec.advisor", spec.Advisor); ok {
			a, err := ReadAdvisor(name, data)
			if err != nil {
				r.errs = append(r.errs, diag.Collect(err)...)
			} else {
				advisor = a
			}
		}
	}
	var prices []PricePoint
	for i, p := range spec.PriceHistory {
		if data, name, ok := r.readSource(fmt.Sprintf("spec.priceHistory[%d]", i), p); ok {
			pts, err := ReadPriceHistory(name, data)
			if err != nil {
				r.errs = append(r.errs, diag.Collect(err)...)
				continue
			}
			for j := range pts {
				pts[j].Zone = strings.TrimSpace(pts[j].Zone)
			}
			prices = append(prices, pts...)
		}
	}
	traces := map[string]*Trace{}

	seen := map[poolKey]int{}
	for i, ps := range spec.Pools {
		field := fmt.Sprintf("spec.pools[%d]", i)
		ok := r.need(field+".cluster", ps.Cluster) && r.need(field+".region", ps.Region) &&
			r.need(field+".zone", ps.Zone) && r.need(field+".instanceType", ps.InstanceType)
		if !ok {
			continue
		}
		line, col := r.doc.Locate(field)
		k := poolKey{ps.Cluster, ps.Zone, ps.InstanceType}
		if first, dup := seen[k]; dup {
			r.errf(field, "pool %s/%s/%s is declared twice (first at line %d)", ps.Cluster, ps.Zone, ps.InstanceType, first)
			continue
		}
		seen[k] = line
		if !strings.HasPrefix(ps.Zone, ps.Region) || len(ps.Zone) == len(ps.Region) {
			r.errf(field+".zone", "zone %s is not in region %s", ps.Zone, ps.Region)
		}
		if ps.ZoneID != "" {
			prefix, known := zoneIDPrefix(ps.Region)
			switch {
			case !IsZoneID(ps.ZoneID):
				r.errf(field+".zoneID", "%q is not a zone ID such as use1-az6", ps.ZoneID)
			case known && !strings.HasPrefix(ps.ZoneID, prefix+"-"):
				r.errf(field+".zoneID", "zone ID %s is not in region %s (its IDs start with %s-)", ps.ZoneID, ps.Region, prefix)
			}
		}
		p := Pool{Cluster: ps.Cluster, Region: ps.Region, Zone: ps.Zone, ZoneID: ps.ZoneID, InstanceType: ps.InstanceType,
			Source: fmt.Sprintf("%s:%d", r.file, line), Field: field, Line: line, Column: col}
		odPrice, hasOD := od[odKey{ps.Region, ps.InstanceType}]
		if !hasOD {
			r.errf(field, "no on-demand price for %s in %s: add it to spec.onDemand (a saving needs both prices)", ps.InstanceType, ps.Region)
		}
		p.OnDemandUSD = odPrice
		if advisor != nil {
			if e, found := advisor.Lookup(ps.Region, osName, ps.InstanceType); found {
				rg := advisor.Ranges[e.Bucket]
				p.Interruption = Interruption{Known: true, Bucket: e.Bucket, Label: rg.Label, MaxPercent: rg.MaxPercent, SavingsPercent: e.SavingsPercent}
			}
		}
		if sp := ps.SpotPrice; sp != nil {
			pf := field + ".spotPrice"
			if sp.USDPerHour != nil && sp.From != FromFixed {
				r.errf(pf+".usdPerHour", "only a fixed price has usdPerHour (from is %q)", sp.From)
			}
			switch sp.From {
			case FromFixed:
				if sp.USDPerHour == nil || !(*sp.USDPerHour > 0) {
					r.errf(pf+".usdPerHour", "a fixed spot price needs a positive usdPerHour")
					break
				}
				p.Spot = SpotPrice{Known: true, From: FromFixed, Points: []PriceChange{{USDPerHour: *sp.USDPerHour}}}
				if hasOD && *sp.USDPerHour > odPrice {
					r.errf(pf+".usdPerHour", "spot price %.4f is above the on-demand price %.4f of %s in %s", *sp.USDPerHour, odPrice, ps.InstanceType, ps.Region)
				}
			case FromAdvisorSavings:
				switch {
				case spec.Advisor == "":
					r.errf(pf+".from", "advisorSavings needs spec.advisor")
				case advisor == nil: // its errors are reported
				case !p.Interruption.Known:
					r.errf(pf+".from", "the advisor (%s) has no %s %s figures in %s", spec.Advisor, osName, ps.InstanceType, ps.Region)
				case p.Interruption.SavingsPercent >= 100:
					r.errf(pf+".from", "the advisor says spot %s in %s saves %d%%: a price of zero is not a price", ps.InstanceType, ps.Region, p.Interruption.SavingsPercent)
				case hasOD:
					price := odPrice * float64(100-p.Interruption.SavingsPercent) / 100
					p.Spot = SpotPrice{Known: true, From: FromAdvisorSavings, Points: []PriceChange{{USDPerHour: price}}}
				}
			case FromPriceHistory:
				if len(spec.PriceHistory) == 0 {
					r.errf(pf+".from", "priceHistory needs spec.priceHistory files")
					break
				}
				p.Spot = r.history(pf, ps, osName, prices)
			default:
				r.errf(pf+".from", "must be %s, %s or %s, got %q", FromPriceHistory, FromAdvisorSavings, FromFixed, sp.From)
			}
		}
		p.Availability = r.trace(field+".availability", ps, ps.Availability, Availability, traces)
		p.Preemption = r.trace(field+".preemption", ps, ps.Preemption, Preemption, traces)
		s.Pools = append(s.Pools, p)
	}

	odClusters := map[string]int{}
	for i, oc := range spec.OnDemandClusters {
		field := fmt.Sprintf("spec.onDemandClusters[%d]", i)
		if !(r.need(field+".cluster", oc.Cluster) && r.need(field+".region", oc.Region) && r.need(field+".instanceType", oc.InstanceType)) {
			continue
		}
		line, col := r.doc.Locate(field)
		if first, dup := odClusters[oc.Cluster]; dup {
			r.errf(field+".cluster", "a second on-demand instance type for cluster %s (first at line %d)", oc.Cluster, first)
			continue
		}
		odClusters[oc.Cluster] = line
		price, ok := od[odKey{oc.Region, oc.InstanceType}]
		if !ok {
			r.errf(field, "no on-demand price for %s in %s: add it to spec.onDemand", oc.InstanceType, oc.Region)
			continue
		}
		s.OnDemandClusters = append(s.OnDemandClusters, OnDemandCluster{Cluster: oc.Cluster, Region: oc.Region, InstanceType: oc.InstanceType,
			OnDemandUSD: price, Source: fmt.Sprintf("%s:%d", r.file, line), Field: field, Line: line, Column: col})
	}
	sort.Slice(s.OnDemandClusters, func(i, j int) bool { return s.OnDemandClusters[i].Cluster < s.OnDemandClusters[j].Cluster })

	byKey := map[poolKey]*Pool{}
	for i := range s.Pools {
		p := &s.Pools[i]
		byKey[poolKey{p.Cluster, p.Zone, p.InstanceType}] = p
	}
	for i, n := range spec.InterruptionNotices {
		field := fmt.Sprintf("spec.interruptionNotices[%d]", i)
		if !(r.need(field+".cluster", n.Cluster) && r.need(field+".zone", n.Zone) && r.need(field+".instanceType", n.InstanceType) && r.need(field+".time", n.Time)) {
			continue
		}
		t, err := time.Parse(time.RFC3339, n.Time)
		if err != nil {
			r.errf(field+".time", "must be an RFC 3339 time such as 2023-02-20T14:03:00Z, got %q", n.Time)
			continue
		}
		p := byKey[poolKey{n.Cluster, n.Zone, n.InstanceType}]
		if p == nil {
			r.errf(field, "no pool %s/%s/%s in spec.pools", n.Cluster, n.Zone, n.InstanceType)
			continue
		}
		p.Notices = append(p.Notices, t.UTC())
	}
	for i := range s.Pools {
		sort.Slice(s.Pools[i].Notices, func(a, b int) bool { return s.Pools[i].Notices[a].Before(s.Pools[i].Notices[b]) })
	}
	sort.SliceStable(s.Pools, func(i, j int) bool {
		a, b := s.Pools[i], s.Pools[j]
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		if a.Zone != b.Zone {
			return a.Zone < b.Zone
		}
		return a.InstanceType < b.InstanceType
	})
	return s
}

func (r *resolver) need(field, v string) bool {
	if strings.TrimSpace(v) == "" {
		r.errf(field, "missing")
		return false
	}
	return true
}

// history picks a pool's rows from the price history.
func (r *resolver) history(field string, ps PoolSpec, osName string, prices []PricePoint) SpotPrice {
	var pts []PricePoint
	byID := false
	for _, p := range prices {
		if p.InstanceType != ps.InstanceType || !contains(products[osName], p.Product) {
			continue
		}
		if p.ZoneID != "" {
			byID = true
		}
		if (p.Zone != "" && p.Zone == ps.Zone) || (p.ZoneID != "" && p.ZoneID == ps.ZoneID) {
			pts = append(pts, p)
		}
	}
	if len(pts) == 0 {
		hint := ""
		if byID && ps.ZoneID == "" {
			hint = "; the history names zones by ID: set zoneID"
		}
		zone := ps.Zone
		if ps.ZoneID != "" {
			zone += " (" + ps.ZoneID + ")"
		}
		r.errf(field+".from", "the price history has no %s rows for %s in %s%s", strings.Join(products[osName], " or "), ps.InstanceType, zone, hint)
		return SpotPrice{}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].Time.Before(pts[j].Time) })
	out := SpotPrice{Known: true, From: FromPriceHistory}
	for _, p := range pts {
		if n := len(out.Points); n > 0 && out.Points[n-1].Time.Equal(p.Time) {
			if out.Points[n-1].USDPerHour != p.USDPerHour {
				r.errf(field+".from", "price history line %d: two prices for %s in %s at %s (%.4f and %.4f)",
					p.Line, ps.InstanceType, ps.Zone, p.Time.Format(time.RFC3339), out.Points[n-1].USDPerHour, p.USDPerHour)
			}
			continue
		}
		out.Points = append(out.Points, PriceChange{Time: p.Time, USDPerHour: p.USDPerHour})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (r *resolver) trace(field string, ps PoolSpec, ref *TraceRef, kind TraceKind, cache map[string]*Trace) *Series {
	if ref == nil {
		return nil
	}
	if !r.need(field+".file", ref.File) {
		return nil
	}
	name := r.source(ref.File)
	t, done := cache[name]
	if !done {
		data, _, ok := r.readSource(field+".file", ref.File)
		if ok {
			var err error
			t, err = ReadTrace(name, data)
			if err != nil {
				r.errs = append(r.errs, diag.Collect(err)...)
				t = nil
			}
		}
		cache[name] = t
	}
	if t == nil {
		return nil
	}
	if t.Named {
		if t.Name.Kind != kind {
			r.errf(field+".file", "%s is a %s trace (by its name), not an %s trace", ref.File, t.Name.Kind, kind)
		}
		if t.Name.Zone != ps.Zone {
			r.errf(field+".file", "%s was collected in %s (by its name), but the pool is in %s", ref.File, t.Name.Zone, ps.Zone)
		}
	}
	var start time.Time
	switch {
	case ref.Start != "":
		st, err := time.Parse(time.RFC3339, ref.Start)
		if err != nil {
			r.errf(field+".start", "must be an RFC 3339 time such as 2023-02-15T00:00:00Z, got %q", ref.Start)
			return nil
		}
		start = st.UTC()
	case t.Named:
		start = t.Name.Start
	default:
		r.errf(field+".start", "missing: %s's name does not say when it starts", ref.File)
		return nil
	}
	return &Series{Kind: kind, File: name, Start: start, Gap: t.Gap, Values: t.Values, Capacity: t.Capacity(), Prices: t.Prices}
}
