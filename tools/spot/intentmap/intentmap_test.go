package intentmap

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/sirupsen/logrus"
	"k8s.io/klog/v2"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/spot/signals"
)

// The example fleet of the repository and its signals.
const (
	exampleRoot = "../../.."
	exampleSig  = "../../../spot/signals.yaml"
)

var now = time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)

var example struct {
	once   sync.Once
	r      *pipeline.Rendered
	placed []place.Result
	err    error
}

// rendered renders the example fleet once, with the placement preview of
// its apps without a division.
func rendered(t *testing.T) (*pipeline.Rendered, []place.Result) {
	t.Helper()
	example.once.Do(func() {
		ctx := context.Background()
		eng, err := pipeline.NewEngine(0)
		if err != nil {
			example.err = err
			return
		}
		if example.r, example.err = eng.Render(ctx, exampleRoot); example.err != nil {
			return
		}
		example.placed, _, example.err = eng.PlaceWith(ctx, example.r, pipeline.PlaceRequest{Apps: NeedsPlacement(example.r.Repo), Options: place.Options{Alternatives: true}})
		for i := range example.placed {
			example.placed[i].Canonical()
		}
	})
	if example.err != nil {
		t.Fatal(example.err)
	}
	return example.r, example.placed
}

// signalsWith loads the example signals with edits to the file's text
// (old → new, each must match once).
func signalsWith(t *testing.T, edits ...string) *signals.Signals {
	t.Helper()
	data, err := os.ReadFile(exampleSig)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for i := 0; i+1 < len(edits); i += 2 {
		if strings.Count(text, edits[i]) != 1 {
			t.Fatalf("the signals hold %q %d times", edits[i], strings.Count(text, edits[i]))
		}
		text = strings.Replace(text, edits[i], edits[i+1], 1)
	}
	s, err := signals.Parse(exampleSig, []byte(text), signals.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mapAt(t *testing.T, sig *signals.Signals, at time.Time) (*Fleet, error) {
	t.Helper()
	r, placed := rendered(t)
	return Map(Input{Repo: r.Repo, Output: r.Output, Signals: sig, Placed: placed, Now: at,
		Moves: map[string][]time.Time{"paddle-inference": {at.Add(-3 * time.Hour)}}})
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

func TestBucketEstimates(t *testing.T) {
	prev := BucketEstimate{}
	for i, b := range BucketEstimates {
		if b.ReclaimsPerHour() <= prev.ReclaimsPerHour() || (i > 0 && b.Availability() >= prev.Availability()) {
			t.Errorf("bucket %s is not riskier than %s", b.Label, prev.Label)
		}
		prev = b
	}
	// The upper bound, per month of 720 hours.
	if b := bucket(signals.Interruption{Bucket: 2}); b.Label != "10-15%" || !near(b.ReclaimsPerHour(), 0.15/720) || !near(b.Availability(), 0.85) {
		t.Errorf("10-15%%: %+v", b)
	}
	if b := bucket(signals.Interruption{Bucket: 9}); b.Label != ">20%" {
		t.Errorf("a bucket past the table reads as %s, want the riskiest", b.Label)
	}
}

func TestExampleFleet(t *testing.T) {
	f, err := mapAt(t, signalsWith(t), now)
	if err != nil {
		t.Fatal(err)
	}
	// Frankfurt: three zones on the advisor's 10-15 % bucket, taken as
	// independent; its m6i pool has no price and is left out.
	fra := f.Cluster("cloud-eu-central-1")
	a, l := 0.85, 0.15/720
	if !fra.SpotKnown || len(fra.Zones) != 3 || fra.Zones[0].Source != "advisor 10-15%" ||
		!near(fra.Availability, 1-math.Pow(1-a, 3)) || !near(fra.OutagesPerHour, 3*l*(1-a)*(1-a)) ||
		!near(fra.InterruptionsPerHour, 3*l-fra.OutagesPerHour) || !near(fra.ReclaimShare, fra.Availability/(3*a)) {
		t.Errorf("cloud-eu-central-1: %+v", fra)
	}
	if !near(fra.SpotUSD, 0.7752*0.36) || fra.OnDemandType != "c6i.4xlarge" || !fra.Fallback {
		t.Errorf("cloud-eu-central-1 prices: spot %v, on-demand %s %v, fall-back %v", fra.SpotUSD, fra.OnDemandType, fra.OnDemandUSD, fra.Fallback)
	}
	if !slices.ContainsFunc(fra.Notes, func(n string) bool { return strings.Contains(n, "eu-central-1a/m6i.4xlarge: unknown spot price") }) {
		t.Errorf("no note of the unknown pool: %q", fra.Notes)
	}
	// us-east-1: every zone traced; the cheapest pool per zone at now.
	use := f.Cluster("cloud-us-east-1-spot")
	if len(use.Zones) != 3 || use.Domain != "us-east-1a+us-east-1c+us-east-1d" {
		t.Fatalf("cloud-us-east-1-spot zones %+v", use.Zones)
	}
	for _, z := range use.Zones {
		if z.Source != "trace" || z.InstanceType != "c6i.4xlarge" || !(z.Availability > 0.5 && z.Availability < 1) {
			t.Errorf("zone %+v", z)
		}
	}
	if z := use.Zones[0]; z.SpotUSD != 0.2698 {
		t.Errorf("us-east-1a: the price at now is 0.2698 (from 2025-03-03T22:05), got %v", z.SpotUSD)
	}
	if z := use.Zones[2]; z.Notices != 1 || z.ReclaimsPerHour < 1.0/168 {
		t.Errorf("us-east-1d: a notice in the week counts as a reclaim: %+v", z)
	}
	if !(use.OutagesPerHour > 0) || !(use.Availability > use.Zones[2].Availability) {
		t.Errorf("us-east-1: availability %v, outages %v", use.Availability, use.OutagesPerHour)
	}
	// On-demand clusters: spot at the on-demand price, never chosen.
	dr := f.Cluster("dr-us-east-2")
	if p := dr.Priced(0.25, 4); !dr.OnDemandOnly || p.SpotPrice != p.OnDemandPrice || p.OnDemandPrice != 0.768*0.25 || p.Capacity != 48 {
		t.Errorf("dr-us-east-2 priced: %+v", p)
	}

	if len(f.Apps) != 1 {
		t.Fatalf("apps %+v", f.Apps)
	}
	app := f.Apps[0]
	o := app.Optimize.Objective
	// The pod requests 4 CPUs (its init container's 1 runs before).
	if app.PodCPU != 4 || app.Share["cloud-eu-central-1"] != 0.25 || app.Workload != "Deployment/inference/paddle-inference" {
		t.Errorf("app %s: pod %v CPU, share %v", app.Workload, app.PodCPU, app.Share)
	}
	if o.Replicas != 12 || o.Availability != 0.999 || o.MaxClusterShare != 0.6 || o.MaxRegionShare != 0.75 || o.OnDemandFloor != 4 || o.MaxHedge != 3 ||
		o.Limits.MinSaving != 0.05 || o.Limits.MinInterval != 6*time.Hour || o.Limits.MaxMovesPerDay != 2 || o.Limits.RiskSlack != 2 {
		t.Errorf("objective %+v", o)
	}
	// dr-us-east-2 holds the app's warm standby (a DR site with no
	// recovery target of its own): kept as it is, not planned.
	if !slices.Equal(app.Optimize.Clusters, []string{"cloud-eu-central-1", "cloud-eu-west-1", "cloud-us-east-1-spot"}) {
		t.Errorf("clusters %v", app.Optimize.Clusters)
	}
	if len(app.Standby) != 1 || app.Standby["dr-us-east-2"] != 1 {
		t.Errorf("standby %v, want dr-us-east-2: 1", app.Standby)
	}
	// Current from the placement preview: 6/4/2 of the 13 (the 1 on the
	// standby aside), on-demand clusters' as on-demand.
	want := map[string][2]int{"cloud-eu-west-1": {6, 0}, "cloud-eu-central-1": {0, 4}, "cloud-us-east-1-spot": {0, 2}}
	for _, c := range app.Optimize.Current {
		if w := want[c.Cluster]; c.OnDemand != w[0] || c.Spot != w[1] || c.Hedge+c.HedgeSpotOnly != 0 {
			t.Errorf("current %+v, want %v", c, w)
		}
	}
	if len(app.Optimize.Current) != 3 || !strings.HasPrefix(app.CurrentFrom, "placement preview of") || len(app.Optimize.Moves) != 1 {
		t.Errorf("current %+v from %s, moves %v", app.Optimize.Current, app.CurrentFrom, app.Optimize.Moves)
	}
}

func TestTracesThatEndBeforeNow(t *testing.T) {
	later := time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC)
	f, err := mapAt(t, signalsWith(t), later)
	if err != nil {
		t.Fatal(err)
	}
	use := f.Cluster("cloud-us-east-1-spot")
	// The advisor's us-east-1 buckets: c6i 5-10 %, m6i <5 %: the riskier.
	for _, z := range use.Zones {
		if z.Source != "advisor 5-10%" {
			t.Errorf("zone %s: %s, want the advisor once the traces have ended", z.Zone, z.Source)
		}
	}
	if !slices.ContainsFunc(use.Notes, func(n string) bool { return strings.Contains(n, "not at 2025-03-09T00:00:00Z: not used") }) {
		t.Errorf("no note of the unused traces: %q", use.Notes)
	}
}

func TestUnknownIsNeverFree(t *testing.T) {
	// Frankfurt's pools without a price: its spot is unknown.
	sig := signalsWith(t, "      instanceType: c6i.4xlarge\n      spotPrice: {from: advisorSavings}\n    - cluster: cloud-eu-central-1\n      region: eu-central-1\n      zone: eu-central-1b\n      instanceType: c6i.4xlarge\n      spotPrice: {from: advisorSavings}\n    - cluster: cloud-eu-central-1\n      region: eu-central-1\n      zone: eu-central-1c\n      instanceType: c6i.4xlarge\n      spotPrice: {from: advisorSavings}\n",
		"      instanceType: c6i.4xlarge\n")
	f, err := mapAt(t, sig, now)
	if err != nil {
		t.Fatal(err)
	}
	fra := f.Cluster("cloud-eu-central-1")
	if fra.SpotKnown || len(fra.Zones) != 0 {
		t.Errorf("cloud-eu-central-1 with no priced pool: %+v", fra)
	}
	p := fra.Priced(0.25, 4)
	if p.SpotKnown || p.SpotPrice != 0 {
		t.Errorf("priced %+v: unknown spot must stay unknown", p)
	}
}

func TestSignalsThatDoNotFitTheIntent(t *testing.T) {
	sig := signalsWith(t,
		"    - cluster: cloud-eu-central-1\n      region: eu-central-1\n      zone: eu-central-1c\n", "    - cluster: cloud-eu-central-1\n      region: eu-central-1\n      zone: eu-central-1d\n",
		"{cluster: dr-us-east-2, region: us-east-2", "{cluster: dr-us-east-2, region: eu-west-1",
		"    - cluster: cloud-us-east-1-spot\n      region: us-east-1\n      zone: us-east-1d\n      instanceType: m6i.4xlarge\n", "    - cluster: edge-factory-lyon\n      region: us-east-1\n      zone: us-east-1d\n      instanceType: m6i.4xlarge\n",
	)
	_, err := mapAt(t, sig, now)
	var list diag.List
	if !errors.As(err, &list) {
		t.Fatalf("error %v is not a diag.List", err)
	}
	file := filepath.Clean(exampleSig)
	for _, want := range []string{
		file + ":64:7: SpotSignals/example-fleet: spec.pools[5].cluster: cluster edge-factory-lyon has no spot pools in clusters/edge-factory-lyon.yaml (spec.spot)",
		file + ":81:7: SpotSignals/example-fleet: spec.pools[8]: cluster cloud-eu-central-1 has no spot pool with c6i.4xlarge in eu-central-1d (clusters/cloud-eu-central-1.yaml spec.spot.pools)",
		file + ":31:7: SpotSignals/example-fleet: spec.onDemandClusters[1].region: cluster dr-us-east-2 is in us-east-2, not eu-west-1",
	} {
		if !slices.ContainsFunc(list, func(e *diag.Error) bool { return strings.Replace(e.Error(), exampleSig, file, 1) == want }) {
			t.Errorf("no error %q in:\n%v", want, err)
		}
	}
	// A cluster the placement admits without an on-demand price.
	sig = signalsWith(t, "    - {cluster: dr-us-east-2, region: us-east-2, instanceType: m6i.4xlarge}\n", "")
	_, err = mapAt(t, sig, now)
	if err == nil || !strings.Contains(err.Error(), "apps/paddle-inference/app.yaml:11:3: App/paddle-inference: spec.placement: cluster dr-us-east-2, which the placement admits, has no on-demand price") {
		t.Errorf("error %v", err)
	}
}

func TestSimFleet(t *testing.T) {
	sig := signalsWith(t)
	f, err := mapAt(t, sig, now)
	if err != nil {
		t.Fatal(err)
	}
	sf, notes, err := SimFleet(f, sig, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	// Three real traces and the always-up one of the clusters replayed
	// as on-demand (the two on-demand clusters, and Frankfurt, which has
	// no trace).
	if len(sf.Traces) != 4 || sf.Traces[3].Name != OnDemandTrace {
		t.Fatalf("traces %d: %v", len(sf.Traces), sf.Traces)
	}
	for _, c := range sf.Clusters {
		onDemand := len(c.Pools) == 1 && c.Pools[0].Trace == OnDemandTrace
		if onDemand != (c.Name != "cloud-us-east-1-spot") {
			t.Errorf("cluster %s pools %+v", c.Name, c.Pools)
		}
		if onDemand && c.Pools[0].SpotPrice != c.OnDemandPrice {
			t.Errorf("%s replayed as on-demand at %v, on-demand %v", c.Name, c.Pools[0].SpotPrice, c.OnDemandPrice)
		}
	}
	if len(sf.Apps) != 1 || len(sf.Apps[0].Weights) != 3 || sf.Apps[0].FailoverAfter != 2*time.Minute {
		t.Errorf("apps %+v", sf.Apps)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "cloud-eu-central-1: no pool to replay") }) {
		t.Errorf("notes %q", notes)
	}
}

func TestMain(m *testing.M) {
	// Karmada's and Argo CD's libraries log through klog and logrus.
	klog.SetLogger(logr.Discard())
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}
