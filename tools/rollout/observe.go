package rollout

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/diag"
)

// binding is the part of a (Cluster)ResourceBinding a rollout reads.
type binding struct {
	Ref        string
	Object     string
	Resource   workv1alpha2.ObjectReference
	Clusters   []string
	Suspension *workv1alpha2.Suspension
	Status     map[string]workv1alpha2.AggregatedStatusItem
}

// listBindings returns the bindings claimed by the policies, sorted.
func listBindings(ctx context.Context, c client.Client, policies []PolicyRef) ([]binding, error) {
	ours := map[PolicyRef]bool{}
	for _, p := range policies {
		ours[p] = true
	}
	var out []binding
	add := func(ref string, spec *workv1alpha2.ResourceBindingSpec, st *workv1alpha2.ResourceBindingStatus) {
		b := binding{Ref: ref, Resource: spec.Resource, Suspension: spec.Suspension, Status: map[string]workv1alpha2.AggregatedStatusItem{}}
		b.Object = diag.ObjectRef(spec.Resource.Kind, spec.Resource.Namespace, spec.Resource.Name)
		for _, tc := range spec.Clusters {
			b.Clusters = append(b.Clusters, tc.Name)
		}
		slices.Sort(b.Clusters)
		for _, it := range st.AggregatedStatus {
			b.Status[it.ClusterName] = it
		}
		out = append(out, b)
	}
	rbs := &workv1alpha2.ResourceBindingList{}
	if err := c.List(ctx, rbs); err != nil {
		return nil, fmt.Errorf("list ResourceBindings: %w", err)
	}
	for i := range rbs.Items {
		rb := &rbs.Items[i]
		a := rb.GetAnnotations()
		p := PolicyRef{Kind: policyv1alpha1.ResourceKindPropagationPolicy, Namespace: a[policyv1alpha1.PropagationPolicyNamespaceAnnotation], Name: a[policyv1alpha1.PropagationPolicyNameAnnotation]}
		if a[policyv1alpha1.ClusterPropagationPolicyAnnotation] != "" {
			p = PolicyRef{Kind: policyv1alpha1.ResourceKindClusterPropagationPolicy, Name: a[policyv1alpha1.ClusterPropagationPolicyAnnotation]}
		}
		if ours[p] {
			add("ResourceBinding/"+rb.Namespace+"/"+rb.Name, &rb.Spec, &rb.Status)
		}
	}
	crbs := &workv1alpha2.ClusterResourceBindingList{}
	if err := c.List(ctx, crbs); err != nil {
		return nil, fmt.Errorf("list ClusterResourceBindings: %w", err)
	}
	for i := range crbs.Items {
		crb := &crbs.Items[i]
		p := PolicyRef{Kind: policyv1alpha1.ResourceKindClusterPropagationPolicy, Name: crb.GetAnnotations()[policyv1alpha1.ClusterPropagationPolicyAnnotation]}
		if ours[p] {
			add("ClusterResourceBinding/"+crb.Name, &crb.Spec, &crb.Status)
		}
	}
	slices.SortFunc(out, func(a, b binding) int { return strings.Compare(a.Ref, b.Ref) })
	return out, nil
}

// Status is what the control plane shows of each wave.
type Status struct {
	Waves []WaveStatus `json:"waves"`
}

// WaveStatus counts, over every (binding, cluster) pair of the wave's
// clusters, how many are held back, applied, running the current template
// and healthy; Problems name each pair that keeps the wave from being
// healthy.
type WaveStatus struct {
	Wave     int32     `json:"wave"`
	Clusters []string  `json:"clusters"`
	Released bool      `json:"released"`
	Targets  int       `json:"targets"`
	Held     int       `json:"held"`
	Applied  int       `json:"applied"`
	Updated  int       `json:"updated"`
	Healthy  int       `json:"healthy"`
	Problems []Problem `json:"problems,omitempty"`
}

// Ready says the wave is released and every pair healthy on the current
// template.
func (w *WaveStatus) Ready() bool { return w.Released && len(w.Problems) == 0 }

// Problem is one object on one cluster that is not (yet) healthy.
type Problem struct {
	Object  string `json:"object"`
	Cluster string `json:"cluster"`
	Reason  string `json:"reason"`
}

// federatedGeneration is the part of a workload's reflected status that
// says which template generation the member's copy was built from
// (Karmada's FederatedGeneration).
type federatedGeneration struct {
	ResourceTemplateGeneration int64 `json:"resourceTemplateGeneration"`
}

// observe reads every binding of the policies and judges each wave.
func observe(ctx context.Context, c client.Client, st *State) (*Status, error) {
	bs, err := listBindings(ctx, c, st.Policies)
	if err != nil {
		return nil, err
	}
	return judge(st, bs, func(r workv1alpha2.ObjectReference) (int64, error) { return generationOf(ctx, c, r) })
}

// judge sorts every (binding, cluster) pair into its wave and says, for
// released waves, what keeps each pair from counting as healthy: held
// back, no status, not applied, a copy built from an older template
// generation (read through templateGeneration, once per binding), or
// Karmada's health other than Healthy.
func judge(st *State, bs []binding, templateGeneration func(workv1alpha2.ObjectReference) (int64, error)) (*Status, error) {
	waveOf := map[string]int{}
	out := &Status{}
	for i, w := range st.Waves {
		for _, cl := range w.Clusters {
			waveOf[cl] = i
		}
		out.Waves = append(out.Waves, WaveStatus{Wave: w.Wave, Clusters: w.Clusters, Released: w.Wave <= st.Current})
	}
	for _, b := range bs {
		held := bindingHeld(b.Suspension)
		all := b.Suspension != nil && b.Suspension.Dispatching != nil && *b.Suspension.Dispatching
		var templateGen *int64
		for _, cl := range b.Clusters {
			i, ok := waveOf[cl]
			if !ok {
				continue // a cluster outside the rollout's waves (joined later)
			}
			ws := &out.Waves[i]
			ws.Targets++
			problem := func(reason string) {
				if ws.Released {
					ws.Problems = append(ws.Problems, Problem{Object: b.Object, Cluster: cl, Reason: reason})
				}
			}
			if all || slices.Contains(held, cl) {
				ws.Held++
				problem("held back by the gate")
				continue
			}
			it, ok := b.Status[cl]
			if !ok {
				problem("no status from the cluster yet")
				continue
			}
			if !it.Applied {
				problem("not applied: " + cmp.Or(it.AppliedMessage, "no message"))
				continue
			}
			ws.Applied++
			if it.Status != nil {
				fg := federatedGeneration{}
				if json.Unmarshal(it.Status.Raw, &fg) == nil && fg.ResourceTemplateGeneration > 0 {
					if templateGen == nil {
						g, err := templateGeneration(b.Resource)
						if err != nil {
							return nil, fmt.Errorf("%s: %w", b.Object, err)
						}
						templateGen = &g
					}
					if fg.ResourceTemplateGeneration != *templateGen {
						problem(fmt.Sprintf("runs template generation %d, the template is at %d", fg.ResourceTemplateGeneration, *templateGen))
						continue
					}
				}
			}
			ws.Updated++
			if it.Health != workv1alpha2.ResourceHealthy {
				problem(string(cmp.Or(it.Health, workv1alpha2.ResourceUnknown)))
				continue
			}
			ws.Healthy++
		}
	}
	for i := range out.Waves {
		slices.SortFunc(out.Waves[i].Problems, func(a, b Problem) int {
			return cmp.Or(strings.Compare(a.Object, b.Object), strings.Compare(a.Cluster, b.Cluster))
		})
	}
	return out, nil
}

// generationOf reads a resource template's metadata.generation.
func generationOf(ctx context.Context, c client.Client, r workv1alpha2.ObjectReference) (int64, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(r.APIVersion)
	u.SetKind(r.Kind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: r.Name}, u); err != nil {
		if apierrors.IsNotFound(err) {
			return 0, fmt.Errorf("resource template gone: %w", err)
		}
		return 0, err
	}
	return u.GetGeneration(), nil
}
