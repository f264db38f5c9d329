package sim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
)

// Fleet is what the simulator replays: traces, clusters whose spot pools
// follow them, and apps with their objectives and declared weights.
type Fleet struct {
	Traces   []Trace
	Clusters []Cluster
	Apps     []App
}

// Trace is an availability series: how many spot instances a probe could
// get, one value every Gap from Start (signals.Series, or a hand-made
// one).
type Trace struct {
	Name   string
	Start  time.Time
	Gap    time.Duration
	Values []int
}

// Cluster is a member cluster.
type Cluster struct {
	Name   string
	Region string
	// Pools are the spot pools the cluster's autoscaler may launch
	// (Karpenter diversifies over them).
	Pools []Pool
	// OnDemandPrice is USD per replica-hour on on-demand.
	OnDemandPrice float64
	// Capacity is the most replicas of one app the cluster takes; 0 is
	// no limit.
	Capacity int
}

// Pool is one spot pool of a cluster: a zone and instance type whose
// availability follows a trace.
type Pool struct {
	// Zone is the failure domain.
	Zone string
	// Trace names the pool's trace in Fleet.Traces.
	Trace string
	// SpotPrice is USD per replica-hour on spot.
	SpotPrice float64
	// UnitReplicas is how many replicas of one app one unit of the trace
	// can hold. 0 means no limit while the trace is above 0: a 1-node
	// trace says whether the zone had the instance type, not how many.
	UnitReplicas int
}

// Weight is a declared Karmada static weight.
type Weight struct {
	Cluster string
	Weight  int
}

// App is one app.
type App struct {
	Name      string
	Objective optimize.Objective
	// Clusters are the clusters its placement allows.
	Clusters []string
	// Weights are its declared static weights (today's division); the
	// clusters of Clusters not listed get no replicas under them.
	Weights []Weight
	// FailoverAfter is Karmada's application failover toleration: a
	// cluster where the app's replicas stay unready this long is evicted.
	// 0 is no failover.
	FailoverAfter time.Duration
}

// validate checks a fleet and reports every problem.
func (f *Fleet) validate() error {
	var msgs []string
	traces := map[string]bool{}
	for _, t := range f.Traces {
		if traces[t.Name] {
			msgs = append(msgs, fmt.Sprintf("trace %s: listed twice", t.Name))
		}
		traces[t.Name] = true
		if t.Gap <= 0 || len(t.Values) == 0 {
			msgs = append(msgs, fmt.Sprintf("trace %s: no ticks (gap %v, %d values)", t.Name, t.Gap, len(t.Values)))
		}
	}
	clusters := map[string]bool{}
	for _, c := range f.Clusters {
		if clusters[c.Name] {
			msgs = append(msgs, fmt.Sprintf("cluster %s: listed twice", c.Name))
		}
		clusters[c.Name] = true
		if !(c.OnDemandPrice > 0) {
			msgs = append(msgs, fmt.Sprintf("cluster %s: on-demand price %v is not a price", c.Name, c.OnDemandPrice))
		}
		for i, p := range c.Pools {
			if !traces[p.Trace] {
				msgs = append(msgs, fmt.Sprintf("cluster %s: pool %d: no trace %q", c.Name, i, p.Trace))
			}
			if !(p.SpotPrice > 0) {
				msgs = append(msgs, fmt.Sprintf("cluster %s: pool %d: spot price %v is not a price", c.Name, i, p.SpotPrice))
			}
		}
	}
	apps := map[string]bool{}
	for _, a := range f.Apps {
		if apps[a.Name] {
			msgs = append(msgs, fmt.Sprintf("app %s: listed twice", a.Name))
		}
		apps[a.Name] = true
		if a.Objective.Replicas < 1 {
			msgs = append(msgs, fmt.Sprintf("app %s: %d replicas", a.Name, a.Objective.Replicas))
		}
		allowed := map[string]bool{}
		for _, c := range a.Clusters {
			if !clusters[c] {
				msgs = append(msgs, fmt.Sprintf("app %s: no cluster %s", a.Name, c))
			}
			allowed[c] = true
		}
		sum := 0
		for _, w := range a.Weights {
			if !allowed[w.Cluster] {
				msgs = append(msgs, fmt.Sprintf("app %s: weight for %s, which its placement does not allow", a.Name, w.Cluster))
			}
			if w.Weight < 0 {
				msgs = append(msgs, fmt.Sprintf("app %s: negative weight for %s", a.Name, w.Cluster))
			}
			sum += w.Weight
		}
		if sum == 0 {
			msgs = append(msgs, fmt.Sprintf("app %s: no declared weight above 0", a.Name))
		}
	}
	if len(msgs) > 0 {
		sort.Strings(msgs)
		return fmt.Errorf("fleet: %s", strings.Join(msgs, "\n"))
	}
	return nil
}
