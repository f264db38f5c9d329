package rebalance

import (
	"encoding/json"

	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
)

// The JSON form names fields in lower camel case, as flotilla's other
// reports do, and writes an unknown figure (the cost of a current
// division the objective does not allow) as null rather than failing on
// NaN.

type jsonAssignment struct {
	Cluster       string `json:"cluster"`
	OnDemand      int    `json:"onDemand"`
	Spot          int    `json:"spot"`
	Hedge         int    `json:"hedge"`
	HedgeSpotOnly int    `json:"hedgeSpotOnly"`
	Weight        int    `json:"weight"`
}

type jsonMove struct {
	Kind             string  `json:"kind"`
	From             string  `json:"from,omitempty"`
	To               string  `json:"to,omitempty"`
	Replicas         int     `json:"replicas"`
	What             string  `json:"what"`
	FromWhat         string  `json:"fromWhat,omitempty"`
	FromCost         float64 `json:"fromUSDPerReplicaHour"`
	ToCost           float64 `json:"toUSDPerReplicaHour"`
	FromAvailability float64 `json:"fromAvailability"`
	ToAvailability   float64 `json:"toAvailability"`
	Text             string  `json:"text"`
}

type jsonPlan struct {
	Changed        bool             `json:"changed"`
	Held           string           `json:"held,omitempty"`
	MeetsObjective bool             `json:"meetsObjective"`
	Cost           float64          `json:"costUSDPerHour"`
	Risk           float64          `json:"risk"`
	CurrentCost    *float64         `json:"currentCostUSDPerHour"`
	CurrentRisk    float64          `json:"currentRisk"`
	OptimumCost    float64          `json:"optimumCostUSDPerHour"`
	OptimumRisk    float64          `json:"optimumRisk"`
	Division       []jsonAssignment `json:"division"`
	Optimum        []jsonAssignment `json:"optimum"`
	Moves          []jsonMove       `json:"moves"`
}

func assignments(as []optimize.Assignment) []jsonAssignment {
	out := make([]jsonAssignment, 0, len(as))
	for _, a := range as {
		out = append(out, jsonAssignment{a.Cluster, a.OnDemand, a.Spot, a.Hedge, a.HedgeSpotOnly, a.Replicas()})
	}
	return out
}

// MarshalJSON writes the app's report.
func (a AppReport) MarshalJSON() ([]byte, error) {
	p := a.Plan
	jp := jsonPlan{Changed: p.Changed, Held: p.Held, MeetsObjective: p.MeetsObjective, Cost: p.Cost, Risk: p.Risk,
		CurrentRisk: p.CurrentRisk, OptimumCost: p.OptimumCost, OptimumRisk: p.OptimumRisk,
		Division: assignments(p.Assignments), Optimum: assignments(p.Optimum), Moves: []jsonMove{}}
	if valid(p.CurrentCost) {
		c := p.CurrentCost
		jp.CurrentCost = &c
	}
	for _, m := range p.Moves {
		jp.Moves = append(jp.Moves, jsonMove{m.Kind, m.From, m.To, m.Replicas, m.What, m.FromWhat, m.FromCost, m.ToCost, m.FromAvailability, m.ToAvailability, m.String()})
	}
	return json.Marshal(struct {
		Name        string           `json:"app"`
		File        string           `json:"file"`
		Objective   string           `json:"objective"`
		Workload    string           `json:"workload"`
		CurrentFrom string           `json:"currentFrom"`
		PodCPU      float64          `json:"podCPU"`
		Replicas    int              `json:"minReady"`
		Target      float64          `json:"availabilityTarget"`
		Current     []jsonAssignment `json:"current"`
		Plan        jsonPlan         `json:"plan"`
	}{a.Name, a.File, a.Objective, a.Workload, a.CurrentFrom, a.PodCPU, a.Replicas, a.Target, assignments(a.Current), jp})
}
