package reclaim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

// ConditionSpotInterruption is the node condition set at notice time.
const ConditionSpotInterruption corev1.NodeConditionType = "SpotInterruption"

// DefaultNotice is the notice a spot interruption gives (EC2's two
// minutes).
const DefaultNotice = 2 * time.Minute

// AnyCapacity as Options.CapacityType takes from all of a cluster's nodes,
// whatever bought them: its whole capacity lost, as in a zone outage.
const AnyCapacity = "any"

// Options choose the nodes to take.
type Options struct {
	// CapacityType is the karpenter.sh/capacity-type of the nodes taken
	// (default spot); AnyCapacity takes from every node.
	CapacityType string
	// Count nodes, or Percent of the matching nodes (rounded up); neither
	// set: all of them.
	Count, Percent int
	// Notice is how long the nodes live after the notice (default 2m).
	Notice time.Duration
}

// Plan is what a reclaim takes.
type Plan struct {
	Cluster      string        `json:"cluster"`
	CapacityType string        `json:"capacityType"`
	Notice       Duration      `json:"notice"`
	Matching     int           `json:"matchingNodes"`
	Nodes        []NodeLoss    `json:"nodes"`
	Kept         []corev1.Node `json:"-"`
}

// NodeLoss is one node taken and the pods it runs.
type NodeLoss struct {
	Node         string   `json:"node"`
	InstanceType string   `json:"instanceType,omitempty"`
	Zone         string   `json:"zone,omitempty"`
	Pods         []string `json:"pods"`
}

// Duration prints as Go durations in JSON.
type Duration time.Duration

// MarshalText writes the duration as "2m0s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Select chooses the nodes: Ready nodes of the capacity type not already
// under notice, in name order (node-2 before node-10; deterministic), and
// the pods on each.
func Select(ctx context.Context, c client.Client, cluster string, o Options) (*Plan, error) {
	if o.CapacityType == "" {
		o.CapacityType = karpv1.CapacityTypeSpot
	}
	if o.Notice == 0 {
		o.Notice = DefaultNotice
	}
	if o.Count < 0 || o.Percent < 0 || o.Percent > 100 || (o.Count > 0 && o.Percent > 0) {
		return nil, fmt.Errorf("choose --count N or --percent P (0-100), not both")
	}
	var nodes corev1.NodeList
	var sel []client.ListOption
	if o.CapacityType != AnyCapacity {
		sel = append(sel, client.MatchingLabels{karpv1.CapacityTypeLabelKey: o.CapacityType})
	}
	if err := c.List(ctx, &nodes, sel...); err != nil {
		return nil, fmt.Errorf("%s: list nodes: %w", cluster, err)
	}
	var live []corev1.Node
	for _, n := range nodes.Items {
		if n.DeletionTimestamp == nil && ready(&n) && !underNotice(&n) {
			live = append(live, n)
		}
	}
	if len(live) == 0 && o.CapacityType == AnyCapacity {
		return nil, fmt.Errorf("%s has no Ready node to reclaim", cluster)
	}
	if len(live) == 0 {
		return nil, fmt.Errorf("%s has no Ready node labelled %s=%s to reclaim", cluster, karpv1.CapacityTypeLabelKey, o.CapacityType)
	}
	slices.SortFunc(live, func(a, b corev1.Node) int { return nameOrder(a.Name, b.Name) })
	n := len(live)
	switch {
	case o.Count > 0:
		n = min(o.Count, len(live))
	case o.Percent > 0:
		n = (len(live)*o.Percent + 99) / 100
	}
	p := &Plan{Cluster: cluster, CapacityType: o.CapacityType, Notice: Duration(o.Notice), Matching: len(live), Kept: live[:n]}
	var pods corev1.PodList
	if err := c.List(ctx, &pods); err != nil {
		return nil, fmt.Errorf("%s: list pods: %w", cluster, err)
	}
	for _, nd := range live[:n] {
		loss := NodeLoss{Node: nd.Name, InstanceType: nd.Labels[corev1.LabelInstanceTypeStable], Zone: nd.Labels[corev1.LabelTopologyZone], Pods: []string{}}
		for _, pod := range pods.Items {
			if pod.Spec.NodeName == nd.Name && !finished(&pod) {
				loss.Pods = append(loss.Pods, pod.Namespace+"/"+pod.Name)
			}
		}
		slices.Sort(loss.Pods)
		p.Nodes = append(p.Nodes, loss)
	}
	return p, nil
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func underNotice(n *corev1.Node) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == karpv1.DisruptedTaintKey })
}

func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// Result is what a reclaim did.
type Result struct {
	Plan *Plan `json:"plan"`
	// NoticeAt is when the nodes got the notice; TerminatedAt when they
	// were deleted.
	NoticeAt     time.Time `json:"noticeAt"`
	TerminatedAt time.Time `json:"terminatedAt"`
	// Evicted pods left within the notice; Killed ones were still there
	// at termination (a PodDisruptionBudget held them, or they ignored
	// the eviction) and went with the node.
	Evicted []string `json:"evicted"`
	Killed  []string `json:"killed"`
	// DaemonPods went with their nodes, as they do (drains leave them).
	DaemonPods int `json:"daemonPods"`
}

// Run gives the plan's nodes the notice, evicts their pods until it runs
// out, then terminates the nodes. progress, when set, hears each step.
func Run(ctx context.Context, c client.Client, p *Plan, progress func(string)) (*Result, error) {
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	res := &Result{Plan: p, NoticeAt: time.Now().UTC(), Evicted: []string{}, Killed: []string{}}
	deadline := res.NoticeAt.Add(time.Duration(p.Notice))
	for _, nd := range p.Kept {
		if err := notice(ctx, c, nd.Name, deadline); err != nil {
			return res, err
		}
	}
	say("notice given to %d node(s) of %s: terminated at %s", len(p.Kept), p.Cluster, deadline.Format(time.TimeOnly))
	names := map[string]bool{}
	for _, nd := range p.Kept {
		names[nd.Name] = true
	}
	evicted := map[string]bool{}
	for {
		var pods corev1.PodList
		if err := c.List(ctx, &pods); err != nil {
			return res, fmt.Errorf("%s: list pods: %w", p.Cluster, err)
		}
		left := 0
		for i := range pods.Items {
			pod := &pods.Items[i]
			if !names[pod.Spec.NodeName] || finished(pod) || pod.DeletionTimestamp != nil {
				continue
			}
			if isDaemonPod(pod) {
				// DaemonSet pods stay to the end, as drains leave them.
				continue
			}
			left++
			ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name}}
			err := c.SubResource("eviction").Create(ctx, pod, ev)
			switch {
			case err == nil:
				evicted[pod.Namespace+"/"+pod.Name] = true
			case apierrors.IsTooManyRequests(err), apierrors.IsNotFound(err):
				// A PodDisruptionBudget holds it (try again), or it is gone.
			default:
				return res, fmt.Errorf("evict %s/%s: %w", pod.Namespace, pod.Name, err)
			}
		}
		if left == 0 || !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(min(time.Second, time.Until(deadline))):
		}
	}
	// Wait out the notice: the instance goes away at its end, not sooner.
	if d := time.Until(deadline); d > 0 {
		say("every pod that could leave has left; the nodes terminate in %s", d.Round(time.Second))
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(d):
		}
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods); err != nil {
		return res, fmt.Errorf("%s: list pods: %w", p.Cluster, err)
	}
	// The cloud terminates the instances together: the deletes go out
	// side by side (a few at a time, not one after another).
	var (
		mu   sync.Mutex
		errs []error
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	del := func(obj client.Object, what string, opts ...client.DeleteOption) {
		g.Go(func() error {
			if err := c.Delete(gctx, obj, opts...); err != nil && !apierrors.IsNotFound(err) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("delete %s: %w", what, err))
				mu.Unlock()
			}
			return nil
		})
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !names[pod.Spec.NodeName] {
			continue
		}
		key := pod.Namespace + "/" + pod.Name
		switch {
		case isDaemonPod(pod):
			res.DaemonPods++
		case !evicted[key] && !finished(pod):
			res.Killed = append(res.Killed, key)
		}
		// The node's end is the pod's: no kubelet is left to stop it.
		del(pod, "pod "+key, client.GracePeriodSeconds(0))
	}
	for _, nd := range p.Kept {
		del(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nd.Name}}, "node "+nd.Name)
	}
	_ = g.Wait() // each delete records its own error
	res.TerminatedAt = time.Now().UTC()
	for k := range evicted {
		res.Evicted = append(res.Evicted, k)
	}
	slices.Sort(res.Evicted)
	slices.Sort(res.Killed)
	say("%d node(s) of %s terminated: %d pod(s) evicted in time, %d lost with their node (and %d DaemonSet pods)", len(p.Kept), p.Cluster, len(res.Evicted), len(res.Killed), res.DaemonPods)
	return res, errors.Join(errs...)
}

func isDaemonPod(p *corev1.Pod) bool {
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" && o.Controller != nil && *o.Controller {
			return true
		}
	}
	return false
}

// notice taints a node as Karpenter's interruption handling does and
// records the interruption as a node condition.
func notice(ctx context.Context, c client.Client, name string, deadline time.Time) error {
	var n corev1.Node
	if err := c.Get(ctx, client.ObjectKey{Name: name}, &n); err != nil {
		return fmt.Errorf("node %s: %w", name, err)
	}
	if !underNotice(&n) {
		patch := client.MergeFrom(n.DeepCopy())
		n.Spec.Taints = append(n.Spec.Taints, karpv1.DisruptedNoScheduleTaint)
		if err := c.Patch(ctx, &n, patch); err != nil {
			return fmt.Errorf("taint node %s: %w", name, err)
		}
	}
	patch := client.MergeFrom(n.DeepCopy())
	now := metav1.Now()
	cond := corev1.NodeCondition{
		Type: ConditionSpotInterruption, Status: corev1.ConditionTrue, Reason: "SpotInterruptionWarning",
		Message:           "the cloud reclaims this spot capacity: the node terminates at " + deadline.Format(time.RFC3339),
		LastHeartbeatTime: now, LastTransitionTime: now,
	}
	i := slices.IndexFunc(n.Status.Conditions, func(c corev1.NodeCondition) bool { return c.Type == ConditionSpotInterruption })
	if i >= 0 {
		n.Status.Conditions[i] = cond
	} else {
		n.Status.Conditions = append(n.Status.Conditions, cond)
	}
	if err := c.Status().Patch(ctx, &n, patch); err != nil {
		return fmt.Errorf("condition of node %s: %w", name, err)
	}
	return nil
}

// Restore creates reclaimed nodes again, as the capacity comes back: same
// names, labels and allocatable, without the notice. It returns how many
// it created (a node that exists again is left alone).
func Restore(ctx context.Context, c client.Client, nodes []corev1.Node) (int, error) {
	n := 0
	for _, old := range nodes {
		nd := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: old.Name, Labels: old.Labels, Annotations: old.Annotations}}
		for _, t := range old.Spec.Taints {
			if t.Key != karpv1.DisruptedTaintKey && t.Key != corev1.TaintNodeNotReady && t.Key != corev1.TaintNodeUnreachable {
				nd.Spec.Taints = append(nd.Spec.Taints, t)
			}
		}
		if err := c.Create(ctx, nd); err != nil {
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			return n, fmt.Errorf("node %s: %w", old.Name, err)
		}
		// A merge patch, not an update: kwok may already be writing the
		// new node's conditions.
		patch := client.MergeFrom(nd.DeepCopy())
		nd.Status.Capacity, nd.Status.Allocatable = old.Status.Capacity, old.Status.Allocatable
		if err := c.Status().Patch(ctx, nd, patch); err != nil {
			return n, fmt.Errorf("node %s status: %w", old.Name, err)
		}
		n++
	}
	return n, nil
}

// nameOrder orders names by their text, then by the number they end with
// (node-2 before node-10).
func nameOrder(a, b string) int {
	ta, na := splitNumber(a)
	tb, nb := splitNumber(b)
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	if na != nb {
		return cmp.Compare(na, nb)
	}
	return strings.Compare(a, b)
}

// splitNumber splits a name into its text and the number it ends with
// (-1 when it ends with none).
func splitNumber(s string) (string, int) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) || len(s)-i > 9 {
		return s, -1
	}
	n, _ := strconv.Atoi(s[i:])
	return s[:i], n
}
