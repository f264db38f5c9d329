package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// On a Karmada control plane a workload's own status is Karmada's sum
// over its member copies: a Deployment duplicated to two clusters
// reports twice its replicas and no conditions, which kstatus never
// judges Current. Its ResourceBinding says what the copies are: which
// clusters Karmada chose, whether each copy was applied, and each copy's
// health as Karmada's resource interpreter reads it from the member. So an
// object Karmada propagates is ready when its binding is scheduled and
// fully applied, and no copy is Unhealthy (Unknown: Karmada has no health
// rule for the kind); any other object (a policy, a namespace, an object
// no policy selects) is ready when kstatus says Current.

// notReady says why one applied object is not ready yet ("" when it is).
func notReady(ctx context.Context, c client.Client, u *unstructured.Unstructured) (string, error) {
	b, err := bindingOf(ctx, c, u)
	if err != nil {
		return "", err
	}
	if b != nil {
		return bindingNotReady(b), nil
	}
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(u.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKeyFromObject(u), live); err != nil {
		if apierrors.IsNotFound(err) {
			return "not found", nil
		}
		return "", err
	}
	res, err := status.Compute(live)
	if err != nil {
		return "", err
	}
	if res.Status != status.CurrentStatus {
		return fmt.Sprintf("%s: %s", res.Status, res.Message), nil
	}
	return "", nil
}

// bindingOf reads the (Cluster)ResourceBinding Karmada keeps for an
// object, nil when there is none (yet, or ever).
func bindingOf(ctx context.Context, c client.Client, u *unstructured.Unstructured) (*workv1alpha2.ResourceBinding, error) {
	obj := &unstructured.Unstructured{}
	kind := "ResourceBinding"
	if u.GetNamespace() == "" {
		kind = "ClusterResourceBinding"
	}
	obj.SetGroupVersionKind(workv1alpha2.SchemeGroupVersion.WithKind(kind))
	key := client.ObjectKey{Namespace: u.GetNamespace(), Name: names.GenerateBindingName(u.GetKind(), u.GetName())}
	if err := c.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
			return nil, nil
		}
		return nil, err
	}
	b := &workv1alpha2.ResourceBinding{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, b); err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, key, err)
	}
	if b.Spec.Resource.Kind != u.GetKind() || b.Spec.Resource.APIVersion != u.GetAPIVersion() {
		// Another kind's binding of the same name.
		return nil, nil
	}
	return b, nil
}

// bindingNotReady says why a binding's copies are not ready ("" when they
// are).
func bindingNotReady(b *workv1alpha2.ResourceBinding) string {
	if b.Status.SchedulerObservedGeneration != b.Generation || !meta.IsStatusConditionTrue(b.Status.Conditions, workv1alpha2.Scheduled) {
		return "not scheduled by Karmada yet"
	}
	if len(b.Spec.Clusters) == 0 {
		return "Karmada placed it on no cluster"
	}
	if !meta.IsStatusConditionTrue(b.Status.Conditions, workv1alpha2.FullyApplied) {
		return "not applied to every cluster yet"
	}
	byCluster := map[string]workv1alpha2.AggregatedStatusItem{}
	for _, it := range b.Status.AggregatedStatus {
		byCluster[it.ClusterName] = it
	}
	var waiting []string
	for _, tc := range b.Spec.Clusters {
		it, ok := byCluster[tc.Name]
		switch {
		case !ok || !it.Applied:
			waiting = append(waiting, tc.Name+" not applied")
		case it.Health == workv1alpha2.ResourceUnhealthy:
			waiting = append(waiting, tc.Name+" Unhealthy")
		}
	}
	if len(waiting) > 0 {
		slices.Sort(waiting)
		return fmt.Sprintf("%d of %d copies not ready (%s)", len(waiting), len(b.Spec.Clusters), strings.Join(waiting, ", "))
	}
	return ""
}

// waitReady polls every object until all are ready or the timeout
// passes; the error lists each object still not ready and why.
func waitReady(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, interval, timeout time.Duration) error {
	pending := slices.Clone(objs)
	why := map[*unstructured.Unstructured]string{}
	err := wait.PollUntilContextTimeout(ctx, interval, timeout, true, func(ctx context.Context) (bool, error) {
		var still []*unstructured.Unstructured
		for _, u := range pending {
			msg, err := notReady(ctx, c, u)
			if err != nil {
				if ctx.Err() != nil {
					return false, nil
				}
				msg = err.Error()
			}
			if msg != "" {
				why[u] = msg
				still = append(still, u)
			}
		}
		pending = still
		return len(pending) == 0, nil
	})
	if err == nil {
		return nil
	}
	var lines []string
	for _, u := range pending {
		lines = append(lines, fmt.Sprintf("%s/%s/%s: %s", u.GetKind(), u.GetNamespace(), u.GetName(), why[u]))
	}
	slices.Sort(lines)
	return fmt.Errorf("%d of %d objects not ready after %s:\n  %s", len(pending), len(objs), timeout, strings.Join(lines, "\n  "))
}
