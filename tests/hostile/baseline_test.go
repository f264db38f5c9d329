package hostile

import "testing"

// TestCleanFleetChecks is the corpus' baseline: the scratch fleet the
// probes start from renders up to date and checks clean, so every refusal
// below is the hostile input's doing.
func TestCleanFleetChecks(t *testing.T) {
	f := newFleet(t, minimalFleet)
	before := f.renderedHash()
	if r := f.run("render", "--check"); r.Code != 0 {
		t.Fatalf("render --check: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if after := f.renderedHash(); after != before {
		t.Fatalf("render --check changed rendered/")
	}
}
