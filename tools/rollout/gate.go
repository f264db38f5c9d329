package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager owns spec.suspension of the gated policies, and nothing
// else: flotilla apply and Argo CD own the rest of the policy.
const FieldManager = "flotilla-rollout"

// PoliciesOf lists the propagation policies among rendered objects, sorted.
func PoliciesOf(objs []*unstructured.Unstructured) []PolicyRef {
	var out []PolicyRef
	for _, u := range objs {
		if u.GroupVersionKind().Group != policyv1alpha1.GroupName {
			continue
		}
		switch k := u.GetKind(); k {
		case policyv1alpha1.ResourceKindPropagationPolicy, policyv1alpha1.ResourceKindClusterPropagationPolicy:
			out = append(out, PolicyRef{Kind: k, Namespace: u.GetNamespace(), Name: u.GetName()})
		}
	}
	slices.SortFunc(out, func(a, b PolicyRef) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// gate holds the given clusters back on every policy: their Works keep
// what the members run. An empty list lifts the gate by writing an empty
// cluster list, not by removing the field: Karmada's detector copies a
// policy's suspension into its bindings only while it is set, so removing
// it would leave every binding suspended (and server-side apply drops an
// emptied suspension: {} once its children lose their owner). Policies
// that do not exist (yet) are skipped and returned.
func gate(ctx context.Context, c client.Client, policies []PolicyRef, held []string) (missing []PolicyRef, err error) {
	for _, p := range policies {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(policyv1alpha1.SchemeGroupVersion.String())
		u.SetKind(p.Kind)
		u.SetNamespace(p.Namespace)
		u.SetName(p.Name)
		if err := c.Get(ctx, client.ObjectKeyFromObject(u), u.DeepCopy()); apierrors.IsNotFound(err) {
			missing = append(missing, p)
			continue
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		names := make([]any, len(held))
		for i, h := range held {
			names[i] = h
		}
		u.Object["spec"] = map[string]any{"suspension": map[string]any{"dispatchingOnClusters": map[string]any{"clusterNames": names}}}
		if err := c.Patch(ctx, u, client.Apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
			return nil, fmt.Errorf("gate %s: %w", p, err)
		}
	}
	return missing, nil
}

// bindingHeld returns the clusters a binding's suspension holds back.
func bindingHeld(s *workv1alpha2.Suspension) []string {
	if s == nil || s.DispatchingOnClusters == nil {
		return nil
	}
	out := slices.Clone(s.DispatchingOnClusters.ClusterNames)
	slices.Sort(out)
	return out
}

// waitGated waits until every binding of the policies carries the gate:
// only then is a template change safe to apply (the binding controller
// renders each Work from the binding as it is, suspension included).
func waitGated(ctx context.Context, c client.Client, policies []PolicyRef, held []string, timeout time.Duration) error {
	var lagging []string
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		bs, err := listBindings(ctx, c, policies)
		if err != nil {
			return false, err
		}
		lagging = lagging[:0]
		for _, b := range bs {
			if !slices.Equal(bindingHeld(b.Suspension), held) {
				lagging = append(lagging, b.Ref)
			}
		}
		return len(lagging) == 0, nil
	})
	if err != nil && len(lagging) > 0 {
		return fmt.Errorf("%d binding(s) still lack the gate after %s, Karmada has not copied it (first: %s): %w", len(lagging), timeout, lagging[0], err)
	}
	return err
}
