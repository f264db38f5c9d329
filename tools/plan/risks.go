package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Risk codes.
const (
	RiskDeleteNamespace   = "delete-namespace"
	RiskDeletePVC         = "delete-pvc"
	RiskDeleteCRD         = "delete-crd"
	RiskBelowPDB          = "below-pdb"
	RiskFleetWide         = "fleet-wide"
	RiskEdge              = "edge"
	RiskDRStandbyLost     = "dr-standby-lost"
	RiskSpotOnlySingleton = "spot-only-singleton"
	RiskOntoSpot          = "onto-spot"
)

// risks finds what a reviewer must not miss, in a stable order.
func risks(c *comparer, p *Plan, clusters map[string]*Cluster) []Risk {
	out := []Risk{}
	out = append(out, deletions(p)...)
	out = append(out, belowPDB(c.base, c.head)...)
	if r, ok := fleetWide(p, c.head); ok {
		out = append(out, r)
	}
	var edge []string
	for _, t := range p.Targets {
		if t.Cluster != nil && t.Cluster.Kind == "edge" && substantive(t) {
			edge = append(edge, t.Name)
		}
	}
	if len(edge) > 0 {
		slices.Sort(edge)
		out = append(out, Risk{Code: RiskEdge, Clusters: edge,
			Message: fmt.Sprintf("touches %d edge cluster(s): %s — edge sites reconcile over slow, intermittent links; check the edge group's capacity and registry mirror", len(edge), strings.Join(edge, ", "))})
	}
	out = append(out, drStandbyLost(c.base, c.head)...)
	out = append(out, spotOnlySingletons(c.base, c.head, clusters)...)
	out = append(out, ontoSpot(c.base, c.head, clusters)...)
	return out
}

// deletions flags Namespaces, PersistentVolumeClaims and CRDs the change
// deletes: their removal takes data or every object of a kind with it.
func deletions(p *Plan) []Risk {
	type key struct{ code, object, app string }
	where := map[key][]string{}
	for _, t := range p.Targets {
		for _, ch := range t.Changes {
			if ch.Action != Removed {
				continue
			}
			kind, _, _ := strings.Cut(ch.Object, "/")
			code := ""
			switch kind {
			case "Namespace":
				code = RiskDeleteNamespace
			case "PersistentVolumeClaim":
				code = RiskDeletePVC
			case "CustomResourceDefinition":
				code = RiskDeleteCRD
			default:
				continue
			}
			k := key{code, ch.Object, ch.App}
			where[k] = append(where[k], t.Name)
		}
	}
	keys := slices.Collect(maps.Keys(where))
	slices.SortFunc(keys, func(a, b key) int {
		return strings.Compare(a.code+"\x00"+a.object, b.code+"\x00"+b.object)
	})
	var out []Risk
	for _, k := range keys {
		cl := where[k]
		slices.Sort(cl)
		out = append(out, Risk{Code: k.code, App: k.app, Object: k.object, Clusters: cl,
			Message: fmt.Sprintf("deletes %s from %s — everything in it (and its data) goes with it", k.object, strings.Join(cl, ", "))})
	}
	return out
}

// belowPDB flags workloads whose replicas on a cluster fall below the
// minAvailable of a PodDisruptionBudget selecting their pods there: every
// voluntary disruption (node drain, upgrade) then blocks.
func belowPDB(base, head *Side) []Risk {
	keys := slices.Sorted(maps.Keys(head.Objects))
	pdbs := pdbsByPlace(head, keys)
	var out []Risk
	for _, k := range keys {
		o := head.Objects[k]
		if o.Replicas == 0 {
			continue
		}
		before := memberMap(base.Objects[k])
		for _, m := range o.Members {
			prev := replicasOn(before, m.Cluster)
			if m.Replicas >= prev {
				continue
			}
			podLabels, _, _ := unstructured.NestedStringMap(m.Object.Object, "spec", "template", "metadata", "labels")
			for _, pdb := range pdbs[location{o.Template.GetNamespace(), m.Cluster}] {
				if pdb.Spec.MinAvailable == nil || pdb.Spec.Selector == nil {
					continue
				}
				sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
				if err != nil || !sel.Matches(labels.Set(podLabels)) {
					continue
				}
				minAvail := pdb.Spec.MinAvailable.IntValue()
				if pdb.Spec.MinAvailable.Type != 0 || int(m.Replicas) >= minAvail {
					continue // percentages scale with the replicas
				}
				out = append(out, Risk{Code: RiskBelowPDB, App: o.App, Object: o.Ref, Clusters: []string{m.Cluster},
					Message: fmt.Sprintf("%s falls to %d replica(s) on %s (was %d), below PodDisruptionBudget/%s/%s minAvailable %d: drains and upgrades there will block",
						o.Ref, m.Replicas, m.Cluster, prev, pdb.Namespace, pdb.Name, minAvail)})
			}
		}
	}
	return out
}

// location is a namespace on a member cluster.
type location struct{ namespace, cluster string }

// pdbsByPlace indexes a side's PodDisruptionBudgets by where they land,
// each list in key order, decoded once.
func pdbsByPlace(s *Side, keys []string) map[location][]*policyv1.PodDisruptionBudget {
	out := map[location][]*policyv1.PodDisruptionBudget{}
	for _, k := range keys {
		o := s.Objects[k]
		if o.Template.GetKind() != "PodDisruptionBudget" {
			continue
		}
		for _, m := range o.Members {
			pdb := &policyv1.PodDisruptionBudget{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m.Object.Object, pdb); err == nil {
				at := location{o.Template.GetNamespace(), m.Cluster}
				out[at] = append(out[at], pdb)
			}
		}
	}
	return out
}

// fleetWide flags a change that reaches every member cluster, and says so
// louder when they all share one wave: nothing then stages it.
func fleetWide(p *Plan, head *Side) (Risk, bool) {
	total := len(head.Clusters)
	// Namespace copies land on every member whatever the change (a new
	// app's namespace, a new cluster's set): they make nothing fleet-wide.
	touched := 0
	for _, t := range p.Targets {
		if t.Type == TargetCluster && substantive(t) {
			touched++
		}
	}
	if total < 2 || touched < total {
		return Risk{}, false
	}
	msg := fmt.Sprintf("lands on all %d member clusters", total)
	if len(p.Waves) == 1 {
		msg += fmt.Sprintf(", all in wave %d: nothing stages it", p.Waves[0].Wave)
	} else {
		msg += fmt.Sprintf(" over %d waves; promote with `flotilla rollout` and watch the first wave", len(p.Waves))
	}
	return Risk{Code: RiskFleetWide, Message: msg}, true
}

// drSites are the clusters some cluster names as its DR partner.
func drSites(s *Side) map[string]bool {
	out := map[string]bool{}
	for _, c := range s.Clusters {
		if c.DRPartner != "" {
			out[c.DRPartner] = true
		}
	}
	return out
}

// drStandbyLost flags workloads that keep running but no longer have
// replicas on a DR site where they had some: a failover there would start
// cold.
func drStandbyLost(base, head *Side) []Risk {
	sites := drSites(head)
	var out []Risk
	for _, k := range slices.Sorted(maps.Keys(base.Objects)) {
		b := base.Objects[k]
		if b.Replicas == 0 {
			continue
		}
		h := head.Objects[k]
		if h == nil || h.Replicas == 0 {
			continue // the workload goes altogether: its deletion says it
		}
		after := memberMap(h)
		for _, m := range b.Members {
			if !sites[m.Cluster] || m.Replicas == 0 {
				continue
			}
			if replicasOn(after, m.Cluster) > 0 {
				continue
			}
			out = append(out, Risk{Code: RiskDRStandbyLost, App: b.App, Object: b.Ref, Clusters: []string{m.Cluster},
				Message: fmt.Sprintf("%s loses its standby on DR site %s (%d → 0 replicas): a failover there starts cold", b.Ref, m.Cluster, m.Replicas)})
		}
	}
	return out
}

// spotOnlySingletons flags workloads the change leaves with a single
// replica on spot capacity only: one reclaim takes the service down.
func spotOnlySingletons(base, head *Side, clusters map[string]*Cluster) []Risk {
	is := func(o *Object) bool {
		if o == nil || o.Replicas == 0 || len(o.Members) == 0 {
			return false
		}
		var total int32
		for _, m := range o.Members {
			total += m.Replicas
			if c := clusters[m.Cluster]; c == nil || c.CapacityType != "spot" {
				return false
			}
		}
		return total <= 1
	}
	var out []Risk
	for _, k := range slices.Sorted(maps.Keys(head.Objects)) {
		o := head.Objects[k]
		if !is(o) || is(base.Objects[k]) {
			continue
		}
		var names []string
		for _, m := range o.Members {
			names = append(names, m.Cluster)
		}
		out = append(out, Risk{Code: RiskSpotOnlySingleton, App: o.App, Object: o.Ref, Clusters: names,
			Message: fmt.Sprintf("%s runs a single replica on spot capacity only (%s): one reclaim takes it down", o.Ref, strings.Join(names, ", "))})
	}
	return out
}

// ontoSpot flags a large move of a workload's replicas onto one cluster
// of spot or mixed capacity: at least two more there, half as many again
// as before, and a larger share of the workload than before — one reclaim
// there then takes more of it at once. (Doubling the replicas on the
// mostly-spot cluster raised nothing before this rule.)
func ontoSpot(base, head *Side, clusters map[string]*Cluster) []Risk {
	var out []Risk
	for _, k := range slices.Sorted(maps.Keys(head.Objects)) {
		o := head.Objects[k]
		if o.Replicas == 0 {
			continue
		}
		b := base.Objects[k]
		before := memberMap(b)
		total, totalBefore := o.Replicas, int32(0)
		if b != nil {
			totalBefore = b.Replicas
		}
		for _, m := range o.Members {
			c := clusters[m.Cluster]
			if c == nil || (c.CapacityType != "spot" && c.CapacityType != "mixed") {
				continue
			}
			prev := replicasOn(before, m.Cluster)
			if m.Replicas-prev < 2 || 2*m.Replicas < 3*prev {
				continue
			}
			if totalBefore > 0 && float64(m.Replicas)/float64(total) <= float64(prev)/float64(totalBefore) {
				continue // scaled with the workload: the same share
			}
			out = append(out, Risk{Code: RiskOntoSpot, App: o.App, Object: o.Ref, Clusters: []string{m.Cluster},
				Message: fmt.Sprintf("%s moves onto %s capacity: %d of %d replicas on %s (was %d of %d) — one reclaim there takes more of it at once; keep an on-demand floor (App spec.spot.objective) or spread the spot share",
					o.Ref, c.CapacityType, m.Replicas, total, m.Cluster, prev, totalBefore)})
		}
	}
	return out
}
