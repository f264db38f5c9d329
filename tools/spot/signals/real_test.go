package signals

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/spot/internal/spotdata"
)

// TestRealTraces reads every trace of the shared data and checks the
// reading documented in doc.go: values within the node count of the name,
// the gaps and spans the repository describes, and the 9-zone set's
// single-zone availability between 17 % and 91 %.
func TestRealTraces(t *testing.T) {
	dir := spotdata.Require(t)
	files, err := filepath.Glob(filepath.Join(dir, "skypilot-traces", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces in %s: %v", dir, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := ReadTrace(f, data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if !tr.Named {
			t.Errorf("%s: name not in the repository's naming", filepath.Base(f))
			continue
		}
		days := tr.Span().Hours() / 24
		if days < 1.5 || days > 46 {
			t.Errorf("%s: spans %.1f days", filepath.Base(f), days)
		}
		// Preemption traces keep their instances running: the most they
		// count is what was asked for, and they reach it.
		if tr.Name.Kind == Preemption && tr.MaxVal != tr.Name.Nodes {
			t.Errorf("%s: at most %d of %d instances up", filepath.Base(f), tr.MaxVal, tr.Name.Nodes)
		}
	}
	for _, zone := range spotdata.NineZones {
		f := filepath.Join(dir, spotdata.NineZoneFile(zone))
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := ReadTrace(f, data)
		if err != nil {
			t.Fatal(err)
		}
		ones := 0
		for _, v := range tr.Values {
			ones += v
		}
		share := float64(ones) / float64(len(tr.Values))
		t.Logf("%s: %d ticks of %v (%.1f days), available %.1f %%", zone, len(tr.Values), tr.Gap, tr.Span().Hours()/24, 100*share)
		if tr.Gap != 195*time.Second || len(tr.Values) != 20158 || tr.MaxVal != 1 {
			t.Errorf("%s: gap %v, %d ticks, max %d; the 9-zone set has 20,158 ticks of 195 s, 0 or 1", zone, tr.Gap, len(tr.Values), tr.MaxVal)
		}
		if share < 0.16 || share > 0.92 {
			t.Errorf("%s: available %.1f %% of ticks, outside the 17-91 %% the data's README gives", zone, 100*share)
		}
		if zone == "us-east-1a" && ones != 3360 {
			t.Errorf("us-east-1a: %d ones, want 3,360", ones)
		}
	}
}

func TestRealAdvisor(t *testing.T) {
	dir := spotdata.Require(t)
	f := filepath.Join(dir, "aws", "spot-advisor-data-2025-06.json")
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ReadAdvisor(f, data)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := a.Lookup("us-east-1", "Linux", "p3.2xlarge")
	if !ok || e.SavingsPercent != 80 || e.Bucket != 4 {
		t.Errorf("p3.2xlarge us-east-1 Linux = %+v %v, want s=80 r=4", e, ok)
	}
	var labels []string
	for _, r := range a.Ranges {
		labels = append(labels, r.Label)
	}
	if got := strings.Join(labels, " "); got != "<5% 5-10% 10-15% 15-20% >20%" || len(a.Regions()) != 33 {
		t.Errorf("ranges %q, %d regions", got, len(a.Regions()))
	}
	t.Logf("%d entries in %d regions", a.Len(), len(a.Regions()))
}

func TestRealPriceHistory(t *testing.T) {
	dir := spotdata.Require(t)
	f := filepath.Join(dir, "aws", "spot-price-history-2022-05-31.tsv.zst")
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := ReadPriceHistory(f, data)
	if err != nil {
		t.Fatal(err)
	}
	regions := map[string]bool{}
	found := false
	for _, p := range pts {
		if p.ZoneID == "" {
			t.Fatalf("line %d names a zone (%s), the file names zone IDs", p.Line, p.Zone)
		}
		regions[strings.SplitN(p.ZoneID, "-", 2)[0]] = true
		if p.ZoneID == "use2-az1" && p.InstanceType == "p3.2xlarge" && p.Product == "Linux/UNIX" && p.USDPerHour == 0.918 {
			found = true
		}
	}
	if len(pts) != 33362 || len(regions) != 17 || !found {
		t.Errorf("%d rows in %d regions, use2-az1 p3.2xlarge at 0.918: %v", len(pts), len(regions), found)
	}
}
