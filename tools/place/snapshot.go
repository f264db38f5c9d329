package place

import (
	"slices"
	"strings"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	karmadautil "github.com/karmada-io/karmada/pkg/util"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
)

// IntentSnapshot builds the Cluster objects a Karmada control plane would
// hold for these members if all were healthy and empty: Ready, every given
// API enabled, and the declared capacity as allocatable resources (what
// Karmada's general estimator divides by).
func IntentSnapshot(clusters []*v1alpha1.Cluster, apis []schema.GroupVersionKind) []*clusterv1alpha1.Cluster {
	byGV := map[string][]clusterv1alpha1.APIResource{}
	for _, gvk := range apis {
		gv := gvk.GroupVersion().String()
		r := clusterv1alpha1.APIResource{Name: strings.ToLower(gvk.Kind) + "s", Kind: gvk.Kind}
		if !slices.Contains(byGV[gv], r) {
			byGV[gv] = append(byGV[gv], r)
		}
	}
	var enablements []clusterv1alpha1.APIEnablement
	for _, gv := range sortedKeys(byGV) {
		rs := byGV[gv]
		slices.SortFunc(rs, func(a, b clusterv1alpha1.APIResource) int { return strings.Compare(a.Kind, b.Kind) })
		enablements = append(enablements, clusterv1alpha1.APIEnablement{GroupVersion: gv, Resources: rs})
	}
	out := make([]*clusterv1alpha1.Cluster, 0, len(clusters))
	for _, c := range clusters {
		kc := karmadaspec.Cluster(c)
		pods := int64(c.Spec.Capacity.Nodes) * int64(v1alpha1.DefaultPodsPerNode)
		if c.Spec.Capacity.Pods != nil {
			pods = int64(*c.Spec.Capacity.Pods)
		}
		kc.Status = clusterv1alpha1.ClusterStatus{
			KubernetesVersion: c.Spec.KubernetesVersion,
			APIEnablements:    enablements,
			Conditions: []metav1.Condition{
				{Type: clusterv1alpha1.ClusterConditionReady, Status: metav1.ConditionTrue, Reason: "ClusterReady"},
				{Type: clusterv1alpha1.ClusterConditionCompleteAPIEnablements, Status: metav1.ConditionTrue, Reason: "Complete"},
			},
			NodeSummary: &clusterv1alpha1.NodeSummary{TotalNum: c.Spec.Capacity.Nodes, ReadyNum: c.Spec.Capacity.Nodes},
			ResourceSummary: &clusterv1alpha1.ResourceSummary{
				Allocatable: corev1.ResourceList{
					corev1.ResourceCPU:    c.Spec.Capacity.CPU.DeepCopy(),
					corev1.ResourceMemory: c.Spec.Capacity.Memory.DeepCopy(),
					corev1.ResourcePods:   *resource.NewQuantity(pods, resource.DecimalSI),
				},
			},
		}
		out = append(out, kc)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Selected returns the workloads a set of objects defines: every object
// that one of the (Cluster)PropagationPolicies among them selects, paired
// with that policy, as Karmada's detector pairs them (a namespaced policy
// only selects objects in its namespace; Karmada's own API groups are never
// propagated). app names the owner of an object.
func Selected(objects []*unstructured.Unstructured, app func(*unstructured.Unstructured) string) ([]Workload, error) {
	skipped := karmadautil.NewSkippedResourceConfig()
	type kindKey struct{ ns, apiVersion, kind string }
	type nameKey struct {
		kindKey
		name string
	}
	byKind := map[kindKey][]*unstructured.Unstructured{}
	byName := map[nameKey]*unstructured.Unstructured{}
	var policies []*unstructured.Unstructured
	for _, o := range objects {
		gvk := o.GroupVersionKind()
		if gvk.Group == policyv1alpha1.GroupName && (gvk.Kind == policyv1alpha1.ResourceKindPropagationPolicy || gvk.Kind == policyv1alpha1.ResourceKindClusterPropagationPolicy) {
			policies = append(policies, o)
		}
		if skipped.GroupDisabled(gvk.Group) || skipped.GroupVersionDisabled(gvk.GroupVersion()) || skipped.GroupVersionKindDisabled(gvk) {
			continue
		}
		k := kindKey{o.GetNamespace(), o.GetAPIVersion(), o.GetKind()}
		byKind[k] = append(byKind[k], o)
		byName[nameKey{k, o.GetName()}] = o
	}
	// Every namespace, for cluster-wide selectors of namespaced kinds.
	namespaces := map[string]bool{"": true}
	for k := range byKind {
		namespaces[k.ns] = true
	}
	nsList := make([]string, 0, len(namespaces))
	for ns := range namespaces {
		nsList = append(nsList, ns)
	}
	slices.Sort(nsList)

	var out []Workload
	for _, p := range policies {
		spec := &policyv1alpha1.PropagationSpec{}
		raw, _, _ := unstructured.NestedMap(p.Object, "spec")
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, spec); err != nil {
			return nil, err
		}
		seen := map[*unstructured.Unstructured]bool{}
		add := func(o *unstructured.Unstructured) {
			if !seen[o] {
				seen[o] = true
				out = append(out, Workload{App: app(o), Object: o, Policy: spec, PolicyNamespace: p.GetNamespace()})
			}
		}
		for _, sel := range spec.ResourceSelectors {
			var scopes []string
			switch {
			case p.GetNamespace() != "":
				if sel.Namespace != "" && sel.Namespace != p.GetNamespace() {
					continue
				}
				scopes = []string{p.GetNamespace()}
			case sel.Namespace != "":
				scopes = []string{sel.Namespace}
			default:
				scopes = nsList
			}
			for _, ns := range scopes {
				k := kindKey{ns, sel.APIVersion, sel.Kind}
				if sel.Name != "" {
					if o := byName[nameKey{k, sel.Name}]; o != nil {
						add(o)
					}
					continue
				}
				for _, o := range byKind[k] {
					if selects(p, []policyv1alpha1.ResourceSelector{sel}, o) {
						add(o)
					}
				}
			}
		}
	}
	return out, nil
}

func selects(policy *unstructured.Unstructured, sels []policyv1alpha1.ResourceSelector, o *unstructured.Unstructured) bool {
	if policy.GetNamespace() != "" && o.GetNamespace() != policy.GetNamespace() {
		return false
	}
	for _, s := range sels {
		if s.APIVersion != o.GetAPIVersion() || s.Kind != o.GetKind() {
			continue
		}
		if s.Namespace != "" && s.Namespace != o.GetNamespace() {
			continue
		}
		if s.Name != "" {
			if s.Name == o.GetName() {
				return true
			}
			continue
		}
		if s.LabelSelector != nil {
			sel, err := metav1.LabelSelectorAsSelector(s.LabelSelector)
			if err == nil && sel.Matches(labels.Set(o.GetLabels())) {
				return true
			}
			continue
		}
		return true
	}
	return false
}
