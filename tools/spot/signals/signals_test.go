package signals

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/flotilla-gitops/flotilla/tools/diag"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// wantErrors checks that err is a diag.List holding, in order, errors whose
// text contains each of want.
func wantErrors(t *testing.T, err error, want ...string) {
	t.Helper()
	var list diag.List
	if !errors.As(err, &list) {
		t.Fatalf("error %v is not a diag.List", err)
	}
	if len(list) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, w := range want {
		if !strings.Contains(list[i].Error(), w) {
			t.Errorf("error %d = %q, want it to contain %q", i, list[i].Error(), w)
		}
	}
}

func TestParseTraceName(t *testing.T) {
	n, ok := ParseTraceName("x/availability_16-node_aws-08-27-2023_us-west-2a_v100_1.json")
	want := TraceName{Kind: Availability, Nodes: 16, Cloud: "aws", Start: time.Date(2023, 8, 27, 0, 0, 0, 0, time.UTC), Zone: "us-west-2a", Instance: "v100_1"}
	if !ok || n != want {
		t.Errorf("got %+v %v, want %+v", n, ok, want)
	}
	for _, bad := range []string{"trace.json", "availability_0-node_aws-08-27-2023_z_i.json", "preemption_1-node_gcp-13-30-2023_z_i.json"} {
		if _, ok := ParseTraceName(bad); ok {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestReadTrace(t *testing.T) {
	name := "availability_1-node_aws-02-15-2023_us-east-1a_v100_1.json"
	tr, err := ReadTrace(name, read(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Gap != 195*time.Second || len(tr.Values) != 12 || tr.Span() != 12*195*time.Second || tr.Capacity() != 1 || tr.Prices != nil {
		t.Errorf("got gap %v, %d values, span %v, capacity %d, prices %v", tr.Gap, len(tr.Values), tr.Span(), tr.Capacity(), tr.Prices)
	}
	name = "preemption_4-node_aws-08-03-2023_us-east-2a_v100_1.json"
	tr, err = ReadTrace(name, read(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Name.Kind != Preemption || tr.Capacity() != 4 || len(tr.Prices) != 9 || tr.Prices[6] != 0.93 {
		t.Errorf("got %+v", tr)
	}
}

func TestReadTraceErrors(t *testing.T) {
	cases := []struct {
		name, file, doc string
		want            []string
	}{
		{"not an object", "t.json", `[1]`, []string{"t.json:1:1: a trace is a JSON object"}},
		{"syntax", "t.json", "{\"data\": [1,\n 2,,]}", []string{"t.json:2:4: invalid JSON"}},
		{"every bad value", "t.json", "{\"metadata\": {\"gap_seconds\": 0},\n\"data\": [1, -1, 2.5, \"x\", 3]}",
			[]string{"t.json:1:30: metadata.gap_seconds: must be a whole number of seconds", "t.json:2:13: data[1]: must be a whole number", "t.json:2:17: data[2]", "t.json:2:22: data[3]"}},
		{"over the node count", "preemption_4-node_aws-08-03-2023_z_i.json", `{"metadata": {"gap_seconds": 300}, "data": [4, 5]}`,
			[]string{"1:48: data[1]: 5 instances, but the file name says the collector asked for 4"}},
		{"missing parts", "t.json", `{}`, []string{"metadata: missing", "data: missing"}},
		{"prices", "t.json", `{"metadata": {"gap_seconds": 60}, "data": [1, 1], "prices": [0.9]}`, []string{"prices: has 1 values for 2 ticks"}},
		{"bad price", "t.json", `{"metadata": {"gap_seconds": 60}, "data": [1, 1], "prices": [0.9, -1]}`, []string{"prices[1]: must be a positive price"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadTrace(c.file, []byte(c.doc))
			wantErrors(t, err, c.want...)
		})
	}
}

func TestReadTraceErrorCap(t *testing.T) {
	doc := `{"metadata": {"gap_seconds": 60}, "data": [` + strings.Repeat(`-1, `, 80) + `0]}`
	_, err := ReadTrace("t.json", []byte(doc))
	var list diag.List
	if !errors.As(err, &list) || len(list) != maxErrorsPerFile+1 || !strings.Contains(list[maxErrorsPerFile].Error(), "and 30 more errors") {
		t.Fatalf("got %d errors: %v", len(list), err)
	}
}

func TestReadAdvisor(t *testing.T) {
	a, err := ReadAdvisor("advisor.json", read(t, "advisor.json"))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := a.Lookup("us-east-1", "Linux", "p3.2xlarge")
	if !ok || e.SavingsPercent != 80 || e.Bucket != 4 || a.Ranges[e.Bucket].Label != ">20%" || a.Ranges[e.Bucket].MaxPercent != 100 {
		t.Errorf("p3.2xlarge us-east-1 Linux = %+v %v", e, ok)
	}
	if _, ok := a.Lookup("us-east-2", "Windows", "p3.2xlarge"); ok {
		t.Error("found an entry the file does not have")
	}
	if a.Len() != 4 || strings.Join(a.Regions(), ",") != "us-east-1,us-east-2" {
		t.Errorf("len %d regions %v", a.Len(), a.Regions())
	}
}

func TestReadAdvisorErrors(t *testing.T) {
	doc := `{
 "ranges": [{"index": 0, "label": "<5%", "max": 5}, {"index": 2, "label": "x", "max": 9}],
 "spot_advisor": {"us-east-1": {"Linux": {
   "a.large": {"s": 101, "r": 0},
   "b.large": {"s": 50, "r": 7},
   "c.large": {"r": 0},
   "d.large": [1]
 }}, "eu-west-1": 3}
}`
	_, err := ReadAdvisor("adv.json", []byte(doc))
	wantErrors(t, err,
		"adv.json:2:53: ranges[1].index: must be 1",
		"adv.json:4:21: spot_advisor.us-east-1.Linux[a.large].s: must be a whole saving percentage of at most 100, got 101",
		"adv.json:5:30: spot_advisor.us-east-1.Linux[b.large].r: must be the index of a bucket",
		"adv.json:6:15: spot_advisor.us-east-1.Linux[c.large].s: must be a whole saving percentage of at most 100, got nothing",
		"adv.json:7:15: spot_advisor.us-east-1.Linux[d.large]: must be an object",
		"adv.json:8:19: spot_advisor.eu-west-1: must be an object keyed by operating system",
	)
}

func TestReadPriceHistory(t *testing.T) {
	pts, err := ReadPriceHistory("prices.json", read(t, "prices.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 3 || pts[1].Zone != "us-east-2a" || pts[1].USDPerHour != 0.935 || pts[1].Line != 10 || !pts[1].Time.Equal(time.Date(2023, 2, 16, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("got %+v", pts)
	}
	tsv := read(t, "prices.tsv")
	plain, err := ReadPriceHistory("prices.tsv", tsv)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) != 4 || plain[0].ZoneID != "use1-az6" || plain[0].Zone != "" || plain[2].Line != 4 || plain[3].USDPerHour != 0.035 {
		t.Errorf("got %+v", plain)
	}
	// The same rows, zstd-compressed as the shared data is (compressed
	// here: the repository keeps no binary fixtures).
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	enc.Write(tsv)
	enc.Close()
	zst, err := ReadPriceHistory("prices.tsv.zst", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(zst) != len(plain) || zst[3] != plain[3] {
		t.Errorf("zstd rows %+v, want %+v", zst, plain)
	}
	if _, err := ReadPriceHistory("prices.tsv.zst", []byte("not zstd")); err == nil {
		t.Error("garbage read as zstd")
	}
	if _, err := ReadPriceHistory("prices.csv", tsv); err == nil {
		t.Error("unknown extension accepted")
	}
}

func TestReadPriceHistoryErrors(t *testing.T) {
	tsv := "use1-az6\tp3.2xlarge\tLinux/UNIX\t0.9\t2022-05-31T21:13:42+00:00\n" +
		"use1-az6\tp3.2xlarge\tLinux/UNIX\tfree\tyesterday\n" +
		"use1-az6\tp3.2xlarge\n" +
		"\tp3.2xlarge\tLinux/UNIX\t-1\t2022-05-31T21:13:42Z\n"
	_, err := ReadPriceHistory("p.tsv", []byte(tsv))
	wantErrors(t, err,
		"p.tsv:2:32: price: must be a positive price in USD per hour, got \"free\"",
		"p.tsv:2:37: time: must be an RFC 3339 time",
		"p.tsv:3:1: has 2 tab-separated columns, want 5",
		"p.tsv:4:1: zone: is empty",
		"p.tsv:4:24: price: must be a positive price",
	)
	js := `{"SpotPriceHistory": [
  {"AvailabilityZone": "us-east-1a", "InstanceType": "p3.2xlarge", "ProductDescription": "Linux/UNIX", "SpotPrice": 0.9, "Timestamp": "2023-01-01T00:00:00Z"},
  {"InstanceType": "p3.2xlarge", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.9", "Timestamp": "now"}
]}`
	_, err = ReadPriceHistory("p.json", []byte(js))
	wantErrors(t, err,
		"p.json:2:117: SpotPriceHistory[0].SpotPrice: must be a non-empty string, got 0.9",
		"p.json:3:3: SpotPriceHistory[1].AvailabilityZone: missing",
		"p.json:3:103: SpotPriceHistory[1].Timestamp: must be an RFC 3339 time",
	)
}

func TestLoad(t *testing.T) {
	s, err := Load(filepath.Join("testdata", "signals.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "test" || s.OS != "Linux" || len(s.Pools) != 5 {
		t.Fatalf("got %+v", s)
	}
	byZone := map[string]*Pool{}
	for i := range s.Pools {
		if s.Pools[i].InstanceType == "p3.2xlarge" {
			byZone[s.Pools[i].Zone] = &s.Pools[i]
		}
	}
	if g := s.Pools[3]; g.InstanceType != "g5.xlarge" || len(g.Unknown()) != 1 || g.Unknown()[0] != "interruption risk" {
		t.Errorf("pool 3 (sorted by cluster, zone, type) %s/%s unknown %v, want g5.xlarge with an unknown interruption risk", g.Zone, g.InstanceType, g.Unknown())
	}
	// Price history by zone ID, Linux rows only, as a series.
	a := byZone["us-east-1a"]
	if a.Spot.From != FromPriceHistory || len(a.Spot.Points) != 2 {
		t.Fatalf("us-east-1a spot %+v", a.Spot)
	}
	if p, _ := a.Spot.At(time.Date(2022, 5, 31, 22, 0, 0, 0, time.UTC)); p != 0.918 {
		t.Errorf("price at 22:00 = %v, want 0.918", p)
	}
	if p, _ := a.Spot.At(time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)); p != 0.93 {
		t.Errorf("price the next day = %v, want 0.93", p)
	}
	if !a.Interruption.Known || a.Interruption.Label != ">20%" || a.OnDemandUSD != 3.06 {
		t.Errorf("us-east-1a interruption %+v od %v", a.Interruption, a.OnDemandUSD)
	}
	if a.Availability == nil || !a.Availability.Start.Equal(time.Date(2023, 2, 15, 0, 0, 0, 0, time.UTC)) || a.Availability.Capacity != 1 {
		t.Fatalf("us-east-1a availability %+v", a.Availability)
	}
	if v, ok := a.Availability.At(a.Availability.Start.Add(3 * 195 * time.Second)); !ok || v != 1 {
		t.Errorf("availability at tick 3 = %v %v", v, ok)
	}
	if _, ok := a.Availability.At(a.Availability.End()); ok {
		t.Error("a value after the trace's end")
	}
	if len(a.Notices) != 1 || len(a.Unknown()) != 0 {
		t.Errorf("notices %v unknown %v", a.Notices, a.Unknown())
	}
	// Advisor saving: 3.06 less 70 %.
	b := byZone["us-east-2a"]
	if p, _ := b.Spot.At(time.Time{}); b.Spot.From != FromAdvisorSavings || p < 0.9179 || p > 0.9181 {
		t.Errorf("us-east-2a spot %+v", b.Spot)
	}
	if b.Preemption == nil || b.Preemption.Capacity != 4 || !b.Preemption.Start.Equal(time.Date(2023, 8, 3, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("us-east-2a preemption %+v", b.Preemption)
	}
	// A fixed price and the advisor's bucket, no trace: nothing unknown.
	if c := byZone["us-east-2b"]; len(c.Unknown()) != 0 || c.Interruption.Label != "10-15%" || c.Availability != nil {
		t.Errorf("us-east-2b unknown %v interruption %+v", c.Unknown(), c.Interruption)
	}
	if got := byZone["us-east-1b"].Unknown(); len(got) != 1 || got[0] != "spot price" {
		t.Errorf("us-east-1b unknown %v", got)
	}
	if _, ok := byZone["us-east-1b"].Spot.At(time.Now()); ok {
		t.Error("an unknown spot price has a value")
	}
}

// files serves a signals file and its sources from memory.
func files(m map[string]string) Options {
	return Options{ReadFile: func(name string) ([]byte, error) {
		if s, ok := m[filepath.ToSlash(name)]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}}
}

func TestLoadErrors(t *testing.T) {
	fixtures := map[string]string{}
	for _, n := range []string{"advisor.json", "prices.tsv", "availability_1-node_aws-02-15-2023_us-east-1a_v100_1.json"} {
		fixtures["s/"+n] = string(read(t, n))
	}
	fixtures["s/signals.yaml"] = `apiVersion: flotilla.io/v1alpha1
kind: SpotSignals
metadata:
  name: bad
spec:
  os: Linux
  advisor: advisor.json
  priceHistory: [prices.tsv, missing.json]
  onDemand:
    - {region: us-east-1, instanceType: p3.2xlarge, usdPerHour: 3.06}
    - {region: us-east-1, instanceType: p3.2xlarge, usdPerHour: 3.1}
    - {region: us-east-2, instanceType: p3.2xlarge, usdPerHour: -1}
  pools:
    - cluster: a
      region: us-east-1
      zone: us-west-2a
      zoneID: usw2-az1
      instanceType: p3.2xlarge
      spotPrice: {from: fixed, usdPerHour: 4}
    - cluster: a
      region: us-east-1
      zone: us-east-1a
      instanceType: p3.2xlarge
      spotPrice: {from: priceHistory}
      availability: {file: availability_1-node_aws-02-15-2023_us-east-1a_v100_1.json, start: yesterday}
    - cluster: a
      region: us-east-1
      zone: us-east-1c
      instanceType: p3.2xlarge
      spotPrice: {from: cheap}
      preemption: {file: availability_1-node_aws-02-15-2023_us-east-1a_v100_1.json}
    - cluster: b
      region: eu-west-1
      zone: eu-west-1a
      instanceType: p3.2xlarge
      spotPrice: {from: advisorSavings}
    - cluster: a
      region: us-east-1
      zone: us-east-1a
      instanceType: p3.2xlarge
  interruptionNotices:
    - {cluster: z, zone: us-east-1a, instanceType: p3.2xlarge, time: 2023-02-15T00:00:00Z}
    - {cluster: a, zone: us-east-1a, instanceType: p3.2xlarge, time: noon}
`
	_, err := Load("s/signals.yaml", files(fixtures))
	wantErrors(t, err,
		"s/signals.yaml:8:30: SpotSignals/bad: spec.priceHistory[1]: cannot read s/missing.json: no such file",
		"s/signals.yaml:11:7: SpotSignals/bad: spec.onDemand[1]: a second on-demand price for p3.2xlarge in us-east-1 (first at line 10)",
		"s/signals.yaml:12:53: SpotSignals/bad: spec.onDemand[2].usdPerHour: must be a positive price",
		"s/signals.yaml:16:7: SpotSignals/bad: spec.pools[0].zone: zone us-west-2a is not in region us-east-1",
		"s/signals.yaml:17:7: SpotSignals/bad: spec.pools[0].zoneID: zone ID usw2-az1 is not in region us-east-1 (its IDs start with use1-)",
		"s/signals.yaml:19:32: SpotSignals/bad: spec.pools[0].spotPrice.usdPerHour: spot price 4.0000 is above the on-demand price 3.0600",
		"s/signals.yaml:24:19: SpotSignals/bad: spec.pools[1].spotPrice.from: the price history has no Linux/UNIX or Linux/UNIX (Amazon VPC) rows for p3.2xlarge in us-east-1a; the history names zones by ID: set zoneID",
		"s/signals.yaml:25:87: SpotSignals/bad: spec.pools[1].availability.start: must be an RFC 3339 time",
		"s/signals.yaml:30:19: SpotSignals/bad: spec.pools[2].spotPrice.from: must be priceHistory, advisorSavings or fixed, got \"cheap\"",
		"s/signals.yaml:31:20: SpotSignals/bad: spec.pools[2].preemption.file: availability_1-node_aws-02-15-2023_us-east-1a_v100_1.json is a availability trace (by its name), not an preemption trace",
		"s/signals.yaml:31:20: SpotSignals/bad: spec.pools[2].preemption.file: availability_1-node_aws-02-15-2023_us-east-1a_v100_1.json was collected in us-east-1a (by its name), but the pool is in us-east-1c",
		"s/signals.yaml:32:7: SpotSignals/bad: spec.pools[3]: no on-demand price for p3.2xlarge in eu-west-1",
		"s/signals.yaml:36:19: SpotSignals/bad: spec.pools[3].spotPrice.from: the advisor (advisor.json) has no Linux p3.2xlarge figures in eu-west-1",
		"s/signals.yaml:37:7: SpotSignals/bad: spec.pools[4]: pool a/us-east-1a/p3.2xlarge is declared twice (first at line 20)",
		"s/signals.yaml:42:7: SpotSignals/bad: spec.interruptionNotices[0]: no pool z/us-east-1a/p3.2xlarge in spec.pools",
		"s/signals.yaml:43:64: SpotSignals/bad: spec.interruptionNotices[1].time: must be an RFC 3339 time",
	)
}

func TestLoadShapeErrors(t *testing.T) {
	doc := `apiVersion: flotilla.io/v1alpha1
kind: SpotSignals
metadata:
  name: shapes
  labels: {a: b}
spec:
  onDemand: {region: us-east-1}
  pools:
    - cluster: [a]
      region: us-east-1
      zone: us-east-1a
      instanceType: p3.2xlarge
      spotPrice: {from: fixed, usdPerHour: "cheap", currency: USD}
`
	_, err := Load("s.yaml", files(map[string]string{"s.yaml": doc}))
	wantErrors(t, err,
		"s.yaml:5:3: SpotSignals: metadata.labels: unknown field (known: name)",
		"s.yaml:7:3: SpotSignals: spec.onDemand: must be a list, not a mapping",
		"s.yaml:9:7: SpotSignals: spec.pools[0].cluster: must be a string, not a list",
		"s.yaml:13:32: SpotSignals: spec.pools[0].spotPrice.usdPerHour: must be a number, not the string \"cheap\"",
		"s.yaml:13:53: SpotSignals: spec.pools[0].spotPrice.currency: unknown field (known: from, usdPerHour)",
	)
	for name, doc := range map[string]string{
		"two documents": "kind: SpotSignals\n---\nkind: SpotSignals\n",
		"yaml syntax":   "kind: [\n",
		"wrong kind":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {}\n",
	} {
		if _, err := Load("s.yaml", files(map[string]string{"s.yaml": doc})); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestZoneIDPrefix(t *testing.T) {
	for region, want := range map[string]string{"us-east-1": "use1", "ap-northeast-2": "apne2", "eu-central-1": "euc1", "sa-east-1": "sae1", "ca-central-1": "cac1", "ap-southeast-4": "apse4"} {
		if got, ok := zoneIDPrefix(region); !ok || got != want {
			t.Errorf("%s: %q %v, want %q", region, got, ok, want)
		}
	}
	if _, ok := zoneIDPrefix("mars-1"); ok {
		t.Error("mars-1 has a prefix")
	}
}

func TestOnDemandClusters(t *testing.T) {
	doc := `apiVersion: flotilla.io/v1alpha1
kind: SpotSignals
metadata:
  name: od
spec:
  onDemand:
    - {region: eu-west-1, instanceType: m6i.4xlarge, usdPerHour: 0.856}
    - {region: eu-west-1, instanceType: c6i.4xlarge, usdPerHour: 0.76}
  pools: []
  onDemandClusters:
    - {cluster: primary, region: eu-west-1, instanceType: m6i.4xlarge}
    - {cluster: primary, region: eu-west-1, instanceType: c6i.4xlarge}
    - {cluster: dr, region: us-east-2, instanceType: m6i.4xlarge}
    - {cluster: edge, region: eu-west-1}
`
	_, err := Load("s.yaml", files(map[string]string{"s.yaml": doc}))
	wantErrors(t, err,
		"s.yaml:12:8: SpotSignals/od: spec.onDemandClusters[1].cluster: a second on-demand instance type for cluster primary (first at line 11)",
		"s.yaml:13:7: SpotSignals/od: spec.onDemandClusters[2]: no on-demand price for m6i.4xlarge in us-east-2: add it to spec.onDemand",
		"s.yaml:14:7: SpotSignals/od: spec.onDemandClusters[3].instanceType: missing",
	)
	good := strings.Replace(strings.Replace(doc, "    - {cluster: primary, region: eu-west-1, instanceType: c6i.4xlarge}\n", "", 1), "    - {cluster: edge, region: eu-west-1}\n", "", 1)
	good = strings.Replace(good, "cluster: dr, region: us-east-2", "cluster: dr, region: eu-west-1", 1)
	s, err := Load("s.yaml", files(map[string]string{"s.yaml": good}))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.OnDemandClusters) != 2 || s.OnDemandClusters[0].Cluster != "dr" || s.OnDemandClusters[1].OnDemandUSD != 0.856 || s.OnDemandClusters[1].Source != "s.yaml:11" {
		t.Errorf("on-demand clusters %+v", s.OnDemandClusters)
	}
	if p, ok := s.OnDemandUSD("eu-west-1", "c6i.4xlarge"); !ok || p != 0.76 {
		t.Errorf("OnDemandUSD(eu-west-1, c6i.4xlarge) = %v %v", p, ok)
	}
	if _, ok := s.OnDemandUSD("eu-west-1", "r6i.4xlarge"); ok {
		t.Error("an unpriced type has a price")
	}
}
