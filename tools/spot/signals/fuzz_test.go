package signals

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func seed(f *testing.F, names ...string) {
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzReadTrace: any input gives a trace or errors, never a panic, and a
// trace is consistent with what the reader promises.
func FuzzReadTrace(f *testing.F) {
	seed(f, "availability_1-node_aws-02-15-2023_us-east-1a_v100_1.json", "preemption_4-node_aws-08-03-2023_us-east-2a_v100_1.json")
	f.Add([]byte(`{"metadata":{"gap_seconds":1e3},"data":[1e0,2],"prices":[1,2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadTrace("preemption_4-node_aws-08-03-2023_z_i.json", data)
		if err != nil {
			if tr != nil {
				t.Fatal("a trace and an error")
			}
			return
		}
		if tr.Gap <= 0 || len(tr.Values) == 0 || (tr.Prices != nil && len(tr.Prices) != len(tr.Values)) {
			t.Fatalf("inconsistent trace %+v", tr)
		}
		for _, v := range tr.Values {
			if v < 0 || v > 4 {
				t.Fatalf("value %d outside 0..4", v)
			}
		}
	})
}

func FuzzReadAdvisor(f *testing.F) {
	seed(f, "advisor.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadAdvisor("a.json", data)
		if err != nil {
			return
		}
		for _, r := range a.Regions() {
			_ = r
		}
		for k, e := range a.entries {
			if e.Bucket < 0 || e.Bucket >= len(a.Ranges) || e.SavingsPercent < 0 || e.SavingsPercent > 100 {
				t.Fatalf("%v: %+v outside the ranges", k, e)
			}
		}
	})
}

func FuzzReadPriceHistoryJSON(f *testing.F) {
	seed(f, "prices.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		pts, err := ReadPriceHistoryJSON("p.json", data)
		if err != nil {
			return
		}
		for _, p := range pts {
			if !(p.USDPerHour > 0) || p.InstanceType == "" {
				t.Fatalf("bad point %+v", p)
			}
		}
	})
}

func FuzzReadPriceHistoryTSV(f *testing.F) {
	seed(f, "prices.tsv")
	f.Fuzz(func(t *testing.T, data []byte) {
		pts, err := ReadPriceHistoryTSV("p.tsv", bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, p := range pts {
			if !(p.USDPerHour > 0) || p.InstanceType == "" || (p.Zone == "") == (p.ZoneID == "") {
				t.Fatalf("bad point %+v", p)
			}
		}
	})
}

// FuzzParse fuzzes the signals file with the fixtures as its sources.
func FuzzParse(f *testing.F) {
	seed(f, "signals.yaml")
	sources := map[string][]byte{}
	for _, n := range []string{"advisor.json", "prices.json", "prices.tsv", "availability_1-node_aws-02-15-2023_us-east-1a_v100_1.json", "preemption_4-node_aws-08-03-2023_us-east-2a_v100_1.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		sources[n] = data
	}
	opts := Options{ReadFile: func(name string) ([]byte, error) {
		if d, ok := sources[filepath.Base(name)]; ok {
			return d, nil
		}
		return nil, os.ErrNotExist
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("signals.yaml", data, opts)
		if err != nil {
			if s != nil {
				t.Fatal("signals and an error")
			}
			return
		}
		for _, p := range s.Pools {
			if !(p.OnDemandUSD > 0) {
				t.Fatalf("pool %s/%s without an on-demand price", p.Cluster, p.Zone)
			}
			if !p.Spot.Known {
				continue
			}
			if v, ok := p.Spot.At(p.Spot.Points[0].Time); !ok || !(v > 0) {
				t.Fatalf("pool %s/%s spot %v", p.Cluster, p.Zone, v)
			}
		}
	})
}
