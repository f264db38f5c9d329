package rebalance

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
)

func TestMessage(t *testing.T) {
	r := &Result{Now: time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC), Signals: "spot/signals.yaml", Digest: "sha256:0123456789abcdef"}
	move := optimize.Move{Kind: "move", From: "a", To: "b", Replicas: 2, What: "spot", FromWhat: "spot", FromCost: 0.2, ToCost: 0.1, FromAvailability: 0.9, ToAvailability: 0.95}
	r.Apps = []AppReport{
		{Name: "api", File: "apps/api/app.yaml", Replicas: 4, Target: 0.999, Plan: optimize.Plan{Changed: true, CurrentCost: 1, Cost: 0.8, CurrentRisk: 0.002, Risk: 0.0004,
			Moves: []optimize.Move{move}, Assignments: []optimize.Assignment{{Cluster: "b", Spot: 3, Hedge: 1}, {Cluster: "c", OnDemand: 1}}}},
		{Name: "held", File: "apps/held/app.yaml", Replicas: 2, Target: 0.99, Plan: optimize.Plan{Held: "saving 1.0 % is less than the minimum 5.0 %"}},
		{Name: "web", File: "apps/web/app.yaml", Replicas: 2, Target: 0.99, Plan: optimize.Plan{Changed: true, CurrentCost: math.NaN(), Cost: 0.5, CurrentRisk: 1, Risk: 0.001,
			Moves: []optimize.Move{{Kind: "add", To: "b", Replicas: 2, What: "spot", ToCost: 0.25, ToAvailability: 0.95}}, Assignments: []optimize.Assignment{{Cluster: "b", Spot: 2}}}},
	}
	got := Message(r)
	want := `spot: rebalance 2 apps: $1.300/h expected

Planned by ` + "`flotilla spot rebalance`" + ` for 2025-03-04T12:00:00Z from spot/signals.yaml.

api (apps/api/app.yaml): 4 ready 99.9 % of minutes
expected cost $1.000/h → $0.800/h (−20.0 %), risk of fewer than 4 ready 0.200 % → 0.040 %
- 2 spot replica(s) a → b ($0.200/h → $0.100/h per replica; spot available 90.0 % → 95.0 %)
division: b 3 spot + 1 hedge; c 1 on-demand

web (apps/web/app.yaml): 2 ready 99.0 % of minutes
expected cost $0.500/h, risk of fewer than 2 ready 0.100 % (the current division is not one the objective allows)
- add 2 spot replica(s) in b ($0.250/h per replica; spot available 95.0 %)
division: b 2 spot

Flotilla-Spot-Rebalance: api
Flotilla-Spot-Rebalance: web
Flotilla-Spot-Signals: spot/signals.yaml sha256:0123456789abcdef
Flotilla-Spot-Now: 2025-03-04T12:00:00Z
`
	if got != want {
		t.Errorf("message:\n%s\nwant:\n%s", got, want)
	}
	// Nothing moved: no message.
	for i := range r.Apps {
		r.Apps[i].Plan.Changed = false
	}
	if m := Message(r); m != "" || strings.Contains(m, TrailerKey) {
		t.Errorf("a message without moves: %q", m)
	}
}
