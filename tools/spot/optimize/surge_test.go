package optimize

import (
	"slices"
	"testing"
)

func TestSurge(t *testing.T) {
	before := []Assignment{{Cluster: "b", Spot: 2}, {Cluster: "a", Spot: 1, Hedge: 1}}
	after := []Assignment{{Cluster: "a", Spot: 2, HedgeSpotOnly: 1}, {Cluster: "c", OnDemand: 1, Hedge: 1}}
	want := []Assignment{{Cluster: "a", Spot: 2, Hedge: 1, HedgeSpotOnly: 1}, {Cluster: "b", Spot: 2}, {Cluster: "c", OnDemand: 1, Hedge: 1}}
	if got := Surge(before, after); !slices.Equal(got, want) {
		t.Errorf("Surge = %+v, want %+v", got, want)
	}
	if got := Surge(after, after); !slices.Equal(got, normalize(after)) {
		t.Errorf("Surge of a plan with itself = %+v", got)
	}
}
