package overrides

import (
	"fmt"
	"strconv"
	"strings"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadautil "github.com/karmada-io/karmada/pkg/util"
	"github.com/karmada-io/karmada/pkg/util/overridemanager"

	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
)

// Variant is the object as it lands on some clusters.
type Variant struct {
	Clusters []string
	Object   *unstructured.Unstructured
}

// Applier applies a fixed set of override policies.
type Applier struct {
	mgr      overridemanager.OverrideManager
	ops      map[string][]policyv1alpha1.OverridePolicy // by namespace
	cops     []policyv1alpha1.ClusterOverridePolicy
	clusters map[string]*clusterv1alpha1.Cluster
	// matchers caches each rule's parsed target (Karmada's matching).
	matchers map[*policyv1alpha1.ClusterAffinity]*karmadaspec.Matcher
}

// New reads the override policies among objects and prepares Karmada's
// override manager over them and the clusters.
func New(objects []*unstructured.Unstructured, clusters []*clusterv1alpha1.Cluster) (*Applier, error) {
	a := &Applier{ops: map[string][]policyv1alpha1.OverridePolicy{}, clusters: map[string]*clusterv1alpha1.Cluster{},
		matchers: map[*policyv1alpha1.ClusterAffinity]*karmadaspec.Matcher{}}
	for _, c := range clusters {
		a.clusters[c.Name] = c
	}
	for _, u := range objects {
		gvk := u.GroupVersionKind()
		if gvk.Group != policyv1alpha1.GroupName {
			continue
		}
		switch gvk.Kind {
		case policyv1alpha1.ResourceKindOverridePolicy:
			op := policyv1alpha1.OverridePolicy{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &op); err != nil {
				return nil, fmt.Errorf("OverridePolicy/%s/%s: %w", u.GetNamespace(), u.GetName(), err)
			}
			a.ops[op.Namespace] = append(a.ops[op.Namespace], op)
		case policyv1alpha1.ResourceKindClusterOverridePolicy:
			cop := policyv1alpha1.ClusterOverridePolicy{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &cop); err != nil {
				return nil, fmt.Errorf("ClusterOverridePolicy/%s: %w", u.GetName(), err)
			}
			a.cops = append(a.cops, cop)
		}
	}
	reader := &policyReader{clusters: a.clusters, cops: a.cops, ops: a.ops}
	// A FakeRecorder without a channel drops the manager's events.
	a.mgr = overridemanager.New(reader, &record.FakeRecorder{})
	return a, nil
}

// Variants returns the object as it lands on each of the clusters,
// grouped: one variant per distinct set of matching override rules, in
// the order of the first cluster of each group. Clusters no rule matches
// get the object unchanged.
func (a *Applier) Variants(obj *unstructured.Unstructured, clusters []string) ([]Variant, error) {
	type group struct {
		clusters []string
		key      string
	}
	var groups []*group
	byKey := map[string]*group{}
	policies := a.selecting(obj)
	for _, name := range clusters {
		kc := a.clusters[name]
		if kc == nil {
			return nil, fmt.Errorf("unknown cluster %s", name)
		}
		key := a.signature(policies, kc)
		g, ok := byKey[key]
		if !ok {
			g = &group{key: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.clusters = append(g.clusters, name)
	}
	out := make([]Variant, 0, len(groups))
	for _, g := range groups {
		v := Variant{Clusters: g.clusters, Object: obj}
		if g.key != "" {
			cp := obj.DeepCopy()
			if _, _, err := a.mgr.ApplyOverridePolicies(cp, g.clusters[0]); err != nil {
				return nil, fmt.Errorf("%s/%s on %s: karmada overrides: %w", obj.GetKind(), obj.GetName(), g.clusters[0], err)
			}
			v.Object = cp
		}
		out = append(out, v)
	}
	return out, nil
}

func (a *Applier) matcher(t *policyv1alpha1.ClusterAffinity) *karmadaspec.Matcher {
	m, ok := a.matchers[t]
	if !ok {
		m = karmadaspec.NewMatcher(t)
		a.matchers[t] = m
	}
	return m
}

// selected is an override policy whose resource selectors match an
// object: which of its rules apply then depends on the cluster only.
type selected struct {
	id   string // kind/ns/name
	spec *policyv1alpha1.OverrideSpec
}

// selecting returns the policies that select the object, as Karmada's
// getOverridersFromOverridePolicies filters them, cluster policies first.
// Selectors depend on the object alone, so they are matched once per
// object rather than once per cluster.
func (a *Applier) selecting(obj *unstructured.Unstructured) []selected {
	var out []selected
	add := func(kind, ns, name string, spec *policyv1alpha1.OverrideSpec) {
		if len(spec.ResourceSelectors) > 0 && !karmadautil.ResourceMatchSelectors(obj, spec.ResourceSelectors...) {
			return
		}
		out = append(out, selected{id: kind + "/" + ns + "/" + name, spec: spec})
	}
	for i := range a.cops {
		add("C", "", a.cops[i].Name, &a.cops[i].Spec)
	}
	if ns := obj.GetNamespace(); ns != "" {
		for i := range a.ops[ns] {
			add("N", ns, a.ops[ns][i].Name, &a.ops[ns][i].Spec)
		}
	}
	return out
}

// signature lists the rules of the selecting policies that apply on a
// cluster.
func (a *Applier) signature(policies []selected, kc *clusterv1alpha1.Cluster) string {
	var b strings.Builder
	for _, p := range policies {
		spec := p.spec
		if len(spec.OverrideRules) == 0 {
			// The deprecated single-rule form, which Karmada still reads.
			//lint:ignore SA1019 Karmada's override manager reads it too
			if t := spec.TargetCluster; t == nil || a.matcher(t).Matches(kc) {
				b.WriteString(p.id + ";")
			}
			continue
		}
		for i := range spec.OverrideRules {
			if t := spec.OverrideRules[i].TargetCluster; t == nil || a.matcher(t).Matches(kc) {
				b.WriteString(p.id + "#" + strconv.Itoa(i) + ";")
			}
		}
	}
	return b.String()
}
