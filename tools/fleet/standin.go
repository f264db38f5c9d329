package fleet

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The local fleet's members are kube-apiservers with no kubelet (no
// container runtime runs here), so no pod of a workload ever becomes
// ready: Karmada judges every copy Unhealthy, and an app that declares
// application failover is moved off every cluster once its afterSeconds
// pass — two minutes after `flotilla apply` for the example's inference
// service. The workload stand-in is the one fake the fleet runs, until
// kwok's nodes (the living-fleet issue) replace it: a process that writes
// each Deployment's, StatefulSet's and DaemonSet's status on the members
// as a kubelet and the workload controllers would once every pod of the
// current spec is ready. `flotilla fleet up` starts it unless told
// --ready-workloads=false; the end-to-end tests run without it, to judge
// health themselves.

// StandinName is the stand-in's component name.
const StandinName = "workload-standin"

// StandinOnce writes, on one member, the ready status of every workload
// whose status does not already say so for its current generation, and
// returns how many it wrote. nodes is what a DaemonSet is scheduled on (at
// least one).
func StandinOnce(ctx context.Context, c client.Client, nodes int32) (int, error) {
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

// RunStandin runs the stand-in over every member until ctx ends, a pass
// every interval; errors of a pass (a member restarting) are logged to
// logf and the next pass tries again.
func (f *Fleet) RunStandin(ctx context.Context, interval time.Duration, logf func(format string, args ...any)) error {
	clients := map[string]client.Client{}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for _, m := range f.Clusters {
			if !m.Member {
				continue
			}
			c, ok := clients[m.Name]
			if !ok {
				var err error
				if c, err = f.Client(m.Name); err != nil {
					logf("%s: %v", m.Name, err)
					continue
				}
				clients[m.Name] = c
			}
			var nodes corev1.NodeList
			if err := c.List(ctx, &nodes); err != nil {
				logf("%s: list Nodes: %v", m.Name, err)
				continue
			}
			n, err := StandinOnce(ctx, c, int32(len(nodes.Items)))
			if err != nil && ctx.Err() == nil {
				logf("%s: %v", m.Name, err)
			}
			if n > 0 {
				logf("%s: %d workload(s) reported ready", m.Name, n)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// startStandin starts the stand-in as a component of the fleet: the
// flotilla binary (Options.StandinCommand) running `fleet standin`.
func (b *bringUp) startStandin() error {
	cmd := b.o.StandinCommand
	c := &Component{
		Name: StandinName, Role: RoleController, Cluster: HostName, Binary: cmd[0],
		Args: append(cmd[1:], "fleet", "standin", "--state", b.f.Dir),
		Log:  b.dir("logs", StandinName+".log"),
	}
	if err := start(c, nil, b.o.Tie); err != nil {
		return err
	}
	b.f.add(c)
	return b.f.save()
}
