package e2e

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The suite's shared fleet is not a living one (fleet.Options.Living):
// its members are bare API servers, so no pod runs and no workload ever
// reports ready. Tests that need Karmada to see healthy copies (the
// rollout's waves, a drill's restore, failover's graceful eviction) write
// the status a kubelet and the workload controllers would, once, with
// standinOnce: the suite's one fake. TestLivingFleet runs a living fleet
// and needs none of it.

// standinOnce writes, on one member, the ready status of every workload
// whose status does not already say so for its current generation, and
// returns how many it wrote. nodes is what a DaemonSet is scheduled on (at
// least one).
func standinOnce(ctx context.Context, c client.Client, nodes int32) (int, error) {
	nodes = max(nodes, 1)
	n := 0
	var deps appsv1.DeploymentList
	if err := c.List(ctx, &deps); err != nil {
		return n, fmt.Errorf("list Deployments: %w", err)
	}
	for i := range deps.Items {
		d := &deps.Items[i]
		r := replicasOf(d.Spec.Replicas)
		want := appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: r, UpdatedReplicas: r, ReadyReplicas: r, AvailableReplicas: r}
		if statusEqual(d.Status.ObservedGeneration, d.Generation, d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, r) {
			continue
		}
		d.Status = want
		if err := c.Status().Update(ctx, d); err != nil {
			return n, fmt.Errorf("status of Deployment/%s/%s: %w", d.Namespace, d.Name, err)
		}
		n++
	}
	var sts appsv1.StatefulSetList
	if err := c.List(ctx, &sts); err != nil {
		return n, fmt.Errorf("list StatefulSets: %w", err)
	}
	for i := range sts.Items {
		s := &sts.Items[i]
		r := replicasOf(s.Spec.Replicas)
		if statusEqual(s.Status.ObservedGeneration, s.Generation, s.Status.Replicas, s.Status.UpdatedReplicas, s.Status.ReadyReplicas, s.Status.AvailableReplicas, r) {
			continue
		}
		s.Status = appsv1.StatefulSetStatus{ObservedGeneration: s.Generation, Replicas: r, ReadyReplicas: r, CurrentReplicas: r, UpdatedReplicas: r, AvailableReplicas: r}
		if err := c.Status().Update(ctx, s); err != nil {
			return n, fmt.Errorf("status of StatefulSet/%s/%s: %w", s.Namespace, s.Name, err)
		}
		n++
	}
	var dss appsv1.DaemonSetList
	if err := c.List(ctx, &dss); err != nil {
		return n, fmt.Errorf("list DaemonSets: %w", err)
	}
	for i := range dss.Items {
		d := &dss.Items[i]
		st := d.Status
		if st.ObservedGeneration == d.Generation && st.DesiredNumberScheduled == nodes && st.UpdatedNumberScheduled == nodes && st.NumberAvailable == nodes && st.NumberReady == nodes {
			continue
		}
		d.Status = appsv1.DaemonSetStatus{ObservedGeneration: d.Generation, DesiredNumberScheduled: nodes, CurrentNumberScheduled: nodes, UpdatedNumberScheduled: nodes, NumberReady: nodes, NumberAvailable: nodes}
		if err := c.Status().Update(ctx, d); err != nil {
			return n, fmt.Errorf("status of DaemonSet/%s/%s: %w", d.Namespace, d.Name, err)
		}
		n++
	}
	return n, nil
}

func replicasOf(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// statusEqual says whether a workload's status already reports r ready
// replicas of generation gen.
func statusEqual(observed, gen int64, replicas, updated, ready, available, r int32) bool {
	return observed == gen && replicas == r && updated == r && ready == r && available == r
}
