package simreport

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/flotilla-gitops/flotilla/tools/internal/golden"
	"github.com/flotilla-gitops/flotilla/tools/spot/internal/spotdata"
	"github.com/flotilla-gitops/flotilla/tools/spot/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a small hand-made result covering every element drawn.
func sample() *sim.Result {
	r := &sim.Result{Start: time.Date(2023, 2, 15, 0, 0, 0, 0, time.UTC), Minutes: 4 * 1440, Days: 4, Apps: 2,
		Model: sim.Model{Notice: 2, Startup: 5, FallbackDelay: 1, ConsolidateAfter: 5, CommitDelay: 10, RebalanceEvery: 30, EvictionGrace: 10}}
	add := func(p sim.Policy, cost, ready, lost float64, intr, abs int, commits float64) {
		r.Policies = append(r.Policies, sim.PolicyResult{Policy: p, CostVsOnDemand: cost, Saving: 1 - cost, OracleSavingShare: (1 - cost) / 0.7,
			ReadyShare: ready, WorstAppReadyShare: ready - 0.001, LostShare: lost, Interruptions: intr, Absorbed: abs, CommitsPerDay: commits, MovesPerDay: 2 * commits,
			Failovers: intr / 10, MinutesOverCaps: int64(1000 * lost), HedgeReadyShare: 1})
	}
	add(sim.OnDemand, 1, 1, 0, 0, 0, 0)
	add(sim.Karpenter, 0.38, 0.966, 0.013, 1200, 300, 0)
	add(sim.SpotHedge, 0.29, 0.973, 0.011, 900, 400, 0)
	add(sim.Flotilla, 0.45, 0.9985, 0.0007, 1000, 950, 4.5)
	add(sim.FlotillaAt(0.99), 0.39, 0.991, 0.003, 1100, 800, 6)
	add(sim.FlotillaDynamicHedge, 0.8, 0.9991, 0.0005, 600, 500, 1.5)
	add(sim.VariantAt(sim.FlotillaDynamicHedge, 0.99), 0.7, 0.995, 0.002, 700, 500, 2)
	add(sim.Oracle, 0.3, 0.999, 0.001, 0, 0, 0)
	r.Policies[0].CostBreakdown = sim.CostBreakdown{PinnedOnDemand: 1}
	r.Policies[3].CostBreakdown = sim.CostBreakdown{PinnedOnDemand: 0.15, PrimarySpot: 0.1, PrimaryOnDemand: 0.08, HedgeSpot: 0.07, HedgeOnDemand: 0.05}
	r.Policies[3].HedgeReadyShare, r.Policies[3].MinutesBelowNHedgeDown, r.Policies[3].ReclaimsWithHedge = 0.9987, 1234, 56
	r.Policies[5].CostBreakdown = sim.CostBreakdown{PinnedOnDemand: 0.6, PrimarySpot: 0.1, PrimaryOnDemand: 0.05, HedgeSpot: 0.05}
	r.Policies[5].HedgeReadyShare, r.Policies[5].ReclaimsWithHedge = 0.95, 120
	for i := 0; i <= 4; i++ {
		share := 0.95 + 0.0125*float64(i)
		r.Frontier = append(r.Frontier, sim.FrontierPoint{ReadyShare: share, CostVsOnDemand: 0.2 + 0.1*float64(i)/4})
	}
	tl := &sim.Timeline{App: "app-002", Replicas: 4, BucketMinutes: 360}
	for _, p := range []sim.Policy{sim.Karpenter, sim.SpotHedge, sim.Flotilla} {
		s := sim.TimelineSeries{Policy: p}
		for b := 0; b < 16; b++ {
			s.MinReady = append(s.MinReady, 4+b%2-(b%5)/4)
			s.MeanReady = append(s.MeanReady, 4.5)
			s.SpotShare = append(s.SpotShare, float64(b%4)/4)
		}
		tl.Series = append(tl.Series, s)
	}
	r.Timeline = tl
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got, *update)
}

func render(t *testing.T, f func(io.Writer, *sim.Result) error, r *sim.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMarkdown(t *testing.T) {
	out := render(t, Markdown, sample())
	golden(t, "report.md", out)
	for _, want := range []string{"| flotilla | 45.0 % | 55.0 % | 78.6 % | 99.850 % |", "950 of 1,000 (95.0 %)", "| flotilla@99% |",
		"| flotilla | 15.0 | 10.0 | 8.0 | 7.0 | 5.0 | 99.87 % | 1,234 | 56 |", "| flotilla-dynamic-hedge | 60.0 | 10.0 | 5.0 | 5.0 | 0.0 | 95.00 % | 0 | 120 |"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
}

func TestSVG(t *testing.T) {
	out := render(t, SVG, sample())
	golden(t, "report.svg", out)
	// Well-formed XML, with a label and a point for every policy and one
	// timeline row per series.
	dec := xml.NewDecoder(bytes.NewReader(out))
	circles, texts := 0, map[string]bool{}
	var curves []int
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "circle" {
			circles++
		}
		// A flotilla policy's curve is solid, joins its own points only.
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" && attr(se, "stroke-width") == "1.5" && attr(se, "stroke-dasharray") == "" {
			curves = append(curves, len(strings.Fields(attr(se, "points"))))
		}
		if cd, ok := tok.(xml.CharData); ok {
			texts[strings.TrimSpace(string(cd))] = true
		}
	}
	if circles != 2*len(sample().Policies) {
		t.Errorf("%d circles, want a point and a legend marker per policy", circles)
	}
	if !slices.Equal(curves, []int{2, 2}) {
		t.Errorf("curves of %v points, want flotilla's and flotilla-dynamic-hedge's, two points each", curves)
	}
	for _, want := range []string{"oracle frontier", "flotilla@99%", "cost (% of on-demand only)", "replicas", "100 % spot"} {
		if !texts[want] {
			t.Errorf("no text %q", want)
		}
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestJSON(t *testing.T) {
	out := render(t, JSON, sample())
	var back sim.Result
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Policies) != 8 || back.Policies[3].CommitsPerDay != 4.5 || back.Policies[3].CostBreakdown.HedgeOnDemand != 0.05 || back.Timeline.Series[2].Policy != sim.Flotilla {
		t.Errorf("round trip: %+v", back)
	}
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDir(dir, sample()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "report.json report.md report.svg" {
		t.Errorf("wrote %v", names)
	}
}

// TestReport replays the 9-zone V100 set with 200 apps and writes the
// report (Markdown, JSON, SVG) into the folder $FLOTILLA_SPOT_REPORT, for
// the README. Skipped unless that is set (and the data is there).
func TestReport(t *testing.T) {
	out := os.Getenv("FLOTILLA_SPOT_REPORT")
	if out == "" {
		t.Skip("set FLOTILLA_SPOT_REPORT to a folder to write the 9-zone report")
	}
	f, err := sim.NineZoneFleet(spotdata.Require(t), 200)
	if err != nil {
		t.Fatal(err)
	}
	o := sim.DefaultOptions()
	o.TimelineApp = "app-002"
	o.Policies = sim.WithTrials()
	o.FlotillaTargets = []float64{0.9, 0.95, 0.97, 0.98, 0.99, 0.995}
	start := time.Now()
	res, err := sim.Run(t.Context(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("replay took %v", time.Since(start))
	if err := WriteDir(out, res); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	t.Logf("\n%s", md)
}
