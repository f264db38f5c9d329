package drill

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSpotTimelineInChromium draws a SpotReclaim drill's timeline in
// headless Chromium (Debian's chromium, installed by make testtools) and
// checks the picture: the phases are drawn, and under them the journey's
// required line (dashed, #e45756) and the ready-replica step line
// (#4c78a8) dipping below it. The screenshot's path is logged for people
// to look at.
func TestSpotTimelineInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("FLOTILLA_REQUIRE_CHROMIUM") != "" {
			t.Fatal("chromium not found (scripts/install-test-tools.sh installs it)")
		}
		t.Skip("chromium not installed; `make test` installs it")
	}
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	sr := journey(t0, [3]int{-1, 11, 2}, [3]int{10, 11, 0}, [3]int{131, 13, 0})
	sr.CapacityType = "any"
	sr.settle()
	rep := &Report{Drill: "d", Source: "b", RTOObjective: 5 * time.Minute, Spot: sr,
		Phases: []PhaseRecord{{Phase: PhaseInjectFailure, Started: t0, Ended: ptrTime(t0.Add(11 * time.Second))}, {Phase: PhaseRecover, Started: t0.Add(11 * time.Second), Ended: ptrTime(t0.Add(140 * time.Second))}}}
	spotReport(rep, &State{Spot: sr})
	var svg strings.Builder
	if err := WriteSVG(&svg, rep); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "timeline.svg")
	if err := os.WriteFile(page, []byte(svg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(os.TempDir(), "flotilla-spot-drill-timeline.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--window-size=950,300", "--screenshot="+shot, "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium screenshot: %v\n%s", err, out)
	}
	t.Logf("screenshot of the timeline: %s", shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	near := func(c, want uint32) bool { return max(c, want)-min(c, want) < 16 }
	// Rows of each colour: the step line spans rows (13, 12 and 11 replicas
	// and the steps between), the required line is one row.
	red, blueRows := 0, map[int]bool{}
	firstJourneyRow := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if near(r, 0xe4) && near(g, 0x57) && near(bl, 0x56) {
				red++
				if firstJourneyRow == 0 {
					firstJourneyRow = y
				}
			}
			if near(r, 0x4c) && near(g, 0x78) && near(bl, 0xa8) && firstJourneyRow > 0 && y >= firstJourneyRow-20 {
				blueRows[y] = true
			}
		}
	}
	if red < 150 {
		t.Errorf("%d pixels of the required line's colour: the line is not drawn", red)
	}
	if len(blueRows) < 10 {
		t.Errorf("the ready-replica line spans %d rows around the required line: the dip is not drawn", len(blueRows))
	}
}
