package suggest

import "testing"

func TestClosest(t *testing.T) {
	for _, c := range []struct {
		name       string
		candidates []string
		want       string
		ok         bool
	}{
		{"regoin", []string{"kind", "region", "regions"}, "region", true},
		{"cloud-eu-westt-1", []string{"cloud-eu-west-1", "cloud-eu-central-1"}, "cloud-eu-west-1", true},
		{"x", []string{"y", "z"}, "", false},
		{"placemnt", []string{"namespace", "source"}, "", false},
		{"a", nil, "", false},
	} {
		if got, ok := Closest(c.name, c.candidates); got != c.want || ok != c.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
	if got := DidYouMean("regoin", []string{"region"}); got != ` (did you mean "region"?)` {
		t.Errorf("DidYouMean = %q", got)
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("Distance = %d", d)
	}
}
