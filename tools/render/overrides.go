package render

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
)

// Node labels of KubeEdge edge nodes.
const (
	LabelEdgeNode     = "node-role.kubernetes.io/edge"
	LabelNodeGroupOf  = "apps.kubeedge.io/belonging-to"
	containersField   = "containers"
	initContainersFld = "initContainers"
)

// PodSpecPath returns where a workload kind keeps its pod spec, or nil for
// kinds without one.
func PodSpecPath(gk schema.GroupKind) []string {
	switch gk {
	case schema.GroupKind{Group: "apps", Kind: "Deployment"}, schema.GroupKind{Group: "apps", Kind: "StatefulSet"},
		schema.GroupKind{Group: "apps", Kind: "DaemonSet"}, schema.GroupKind{Group: "apps", Kind: "ReplicaSet"},
		schema.GroupKind{Group: "batch", Kind: "Job"}, schema.GroupKind{Kind: "ReplicationController"}:
		return []string{"spec", "template", "spec"}
	case schema.GroupKind{Group: "batch", Kind: "CronJob"}:
		return []string{"spec", "jobTemplate", "spec", "template", "spec"}
	case schema.GroupKind{Kind: "Pod"}:
		return []string{"spec"}
	}
	return nil
}

// podChange is what the overrides do to one workload's pod spec on one
// cluster. Clusters with equal changes share an override rule.
type podChange struct {
	NodeSelector map[string]string   `json:"nodeSelector,omitempty"`
	Affinity     *corev1.Affinity    `json:"affinity,omitempty"`
	Tolerations  []corev1.Toleration `json:"tolerations,omitempty"`
	Registry     string              `json:"registry,omitempty"`
	// Containers maps "containers/<i>" or "initContainers/<i>" to the new
	// resources and env of that container.
	Containers map[string]containerChange `json:"containers,omitempty"`
}

type containerChange struct {
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	Env       []corev1.EnvVar              `json:"env,omitempty"`
}

func (c *podChange) empty() bool {
	return c.NodeSelector == nil && c.Affinity == nil && c.Tolerations == nil && c.Registry == "" && len(c.Containers) == 0
}

// checkOverrideContainers reports override container names that no
// workload of the app has.
func (r *renderer) checkOverrideContainers(b appBuild) diag.List {
	names := map[string]bool{}
	for _, so := range b.objects {
		p := PodSpecPath(so.obj.GroupVersionKind().GroupKind())
		if p == nil {
			continue
		}
		for _, field := range []string{containersField, initContainersFld} {
			cs, _, _ := unstructured.NestedSlice(so.obj.Object, append(slices.Clone(p), field)...)
			for _, c := range cs {
				if m, ok := c.(map[string]any); ok {
					if n, ok := m["name"].(string); ok {
						names[n] = true
					}
				}
			}
		}
	}
	var errs diag.List
	for i, o := range b.app.Spec.Overrides {
		for j, c := range o.Containers {
			if !names[c.Name] {
				e := b.app.Source.Err(fmt.Sprintf("spec.overrides[%d].containers[%d].name", i, j), "no workload of the app has a container %q (it has: %s)", c.Name, strings.Join(sortedKeys(names), ", ")).(*diag.Error)
				e.Object = intent.KindRef("App", "", b.app.Name)
				errs = append(errs, e)
			}
		}
	}
	return errs
}

// overridePolicies renders one OverridePolicy per workload whose pod spec
// some cluster changes. Its rules name clusters explicitly, one rule per
// distinct change, computed from the workload as written: rules never
// depend on each other, and a reviewer sees exactly which clusters get
// what.
func (r *renderer) overridePolicies(app *intent.App, objects []sourceObject, cands []*clusterv1alpha1.Cluster) ([]*policyv1alpha1.OverridePolicy, diag.List) {
	var ops []*policyv1alpha1.OverridePolicy
	var errs diag.List
	targets := make([]*karmadaspec.Matcher, len(app.Spec.Overrides))
	for i, o := range app.Spec.Overrides {
		targets[i] = karmadaspec.NewMatcher(karmadaspec.Affinity(o.Target))
	}
	for _, so := range objects {
		p := PodSpecPath(so.obj.GroupVersionKind().GroupKind())
		if p == nil {
			continue
		}
		podSpec, _, _ := unstructured.NestedMap(so.obj.Object, p...)
		var pod corev1.PodSpec
		if err := fromMap(podSpec, &pod); err != nil {
			// A value of the wrong type in the pod spec: validation reports
			// every one at its line (the render is not written with
			// findings). An override computed from the part that decodes
			// would be wrong, and stopping here would hide the others.
			continue
		}
		type variant struct {
			change   *podChange
			clusters []string
		}
		byKey := map[string]*variant{}
		var order []string
		for _, kc := range cands {
			change, err := r.podChange(app, kc, &pod, targets)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if change.empty() {
				continue
			}
			key, _ := json.Marshal(change)
			v, ok := byKey[string(key)]
			if !ok {
				v = &variant{change: change}
				byKey[string(key)] = v
				order = append(order, string(key))
			}
			v.clusters = append(v.clusters, kc.Name)
		}
		if len(order) == 0 {
			continue
		}
		op := &policyv1alpha1.OverridePolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindOverridePolicy},
			ObjectMeta: metav1.ObjectMeta{Name: strings.ToLower(so.obj.GetKind()) + "-" + so.obj.GetName(), Namespace: so.obj.GetNamespace()},
			Spec: policyv1alpha1.OverrideSpec{
				ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: so.obj.GetAPIVersion(), Kind: so.obj.GetKind(), Name: so.obj.GetName()}},
			},
		}
		for _, key := range order {
			v := byKey[key]
			op.Spec.OverrideRules = append(op.Spec.OverrideRules, policyv1alpha1.RuleWithCluster{
				TargetCluster: &policyv1alpha1.ClusterAffinity{ClusterNames: v.clusters},
				Overriders:    overriders(p, &pod, v.change),
			})
		}
		ops = append(ops, op)
	}
	return ops, errs
}

// podChange computes what the app's edge groups and overrides do to a pod
// spec on one cluster.
func (r *renderer) podChange(app *intent.App, kc *clusterv1alpha1.Cluster, pod *corev1.PodSpec, targets []*karmadaspec.Matcher) (*podChange, *diag.Error) {
	nodeSelector := map[string]string{}
	var tolerations []corev1.Toleration
	var affinity *corev1.Affinity
	registry := ""
	changed := false

	// Edge groups on this cluster steer pods onto their nodes.
	if app.Spec.Edge != nil {
		var groups []*intent.EdgeGroup
		for _, name := range app.Spec.Edge.Groups {
			if g := r.repo.EdgeGroup(name); g != nil && slices.Contains(g.Spec.Clusters, kc.Name) {
				groups = append(groups, g)
			}
		}
		slices.SortFunc(groups, func(a, b *intent.EdgeGroup) int { return strings.Compare(a.Name, b.Name) })
		if len(groups) > 0 {
			changed = true
			nodeSelector[LabelEdgeNode] = ""
			var names []string
			for _, g := range groups {
				names = append(names, g.Name)
				t := g.EdgeTaint()
				tol := corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpExists, Effect: t.Effect}
				if t.Value != "" {
					tol = corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpEqual, Value: t.Value, Effect: t.Effect}
				}
				if !slices.Contains(tolerations, tol) {
					tolerations = append(tolerations, tol)
				}
				if registry != "" && registry != g.Spec.RegistryMirror {
					e := app.Source.Err("spec.edge.groups", "edge groups %s on cluster %s pull from different registry mirrors (%s, %s): an app's pods there need one", strings.Join(names, ", "), kc.Name, registry, g.Spec.RegistryMirror).(*diag.Error)
					e.Object = intent.KindRef("App", "", app.Name)
					return nil, e
				}
				registry = g.Spec.RegistryMirror
			}
			if len(groups) == 1 {
				nodeSelector[LabelNodeGroupOf] = groups[0].Name
			} else {
				affinity = withNodeGroups(pod.Affinity, names)
			}
		}
	}

	containers := map[string]containerChange{}
	for i, o := range app.Spec.Overrides {
		if !targets[i].Matches(kc) {
			continue
		}
		changed = true
		if o.ImageRegistry != "" {
			registry = o.ImageRegistry
		}
		for k, v := range o.NodeSelector {
			nodeSelector[k] = v
		}
		for _, t := range o.Tolerations {
			if !slices.Contains(tolerations, t) {
				tolerations = append(tolerations, t)
			}
		}
		for _, co := range o.Containers {
			for _, field := range []string{containersField, initContainersFld} {
				list := pod.Containers
				if field == initContainersFld {
					list = pod.InitContainers
				}
				for i, c := range list {
					if c.Name != co.Name {
						continue
					}
					key := fmt.Sprintf("%s/%d", field, i)
					cc := containers[key]
					if co.Resources != nil {
						cc.Resources = co.Resources.DeepCopy()
					}
					if len(co.Env) > 0 {
						base := cc.Env
						if base == nil {
							base = slices.Clone(c.Env)
						}
						cc.Env = mergeEnv(base, co.Env)
					}
					containers[key] = cc
				}
			}
		}
	}
	if !changed {
		return &podChange{}, nil
	}
	ch := &podChange{Registry: registry, Affinity: affinity}
	if len(nodeSelector) > 0 {
		merged := map[string]string{}
		for k, v := range pod.NodeSelector {
			merged[k] = v
		}
		for k, v := range nodeSelector {
			merged[k] = v
		}
		ch.NodeSelector = merged
	}
	if len(tolerations) > 0 {
		merged := slices.Clone(pod.Tolerations)
		for _, t := range tolerations {
			if !slices.Contains(merged, t) {
				merged = append(merged, t)
			}
		}
		ch.Tolerations = merged
	}
	if len(containers) > 0 {
		ch.Containers = containers
	}
	return ch, nil
}

// withNodeGroups requires nodes of one of the groups: the requirement is
// added to every existing required node-affinity term (terms are ORed, so
// each must carry it), or forms the only term.
func withNodeGroups(base *corev1.Affinity, groups []string) *corev1.Affinity {
	req := corev1.NodeSelectorRequirement{Key: LabelNodeGroupOf, Operator: corev1.NodeSelectorOpIn, Values: groups}
	a := &corev1.Affinity{}
	if base != nil {
		a = base.DeepCopy()
	}
	if a.NodeAffinity == nil {
		a.NodeAffinity = &corev1.NodeAffinity{}
	}
	na := a.NodeAffinity
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil || len(na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) == 0 {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{}}}
	}
	terms := na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	for i := range terms {
		terms[i].MatchExpressions = append(terms[i].MatchExpressions, req)
	}
	return a
}

// mergeEnv sets variables, replacing those of the same name in place.
func mergeEnv(base []corev1.EnvVar, set []v1alpha1.EnvVar) []corev1.EnvVar {
	out := slices.Clone(base)
	for _, e := range set {
		i := slices.IndexFunc(out, func(x corev1.EnvVar) bool { return x.Name == e.Name })
		if i >= 0 {
			out[i] = corev1.EnvVar{Name: e.Name, Value: e.Value}
		} else {
			out = append(out, corev1.EnvVar{Name: e.Name, Value: e.Value})
		}
	}
	return out
}

// overriders turns a change into Karmada overriders: JSON-patch "add" of
// whole values (add replaces an existing member), and Karmada's image
// overrider for the registry, one predicate per container image.
func overriders(podPath []string, pod *corev1.PodSpec, ch *podChange) policyv1alpha1.Overriders {
	base := "/" + strings.Join(podPath, "/")
	var o policyv1alpha1.Overriders
	add := func(p string, v any) {
		raw, err := json.Marshal(v)
		if err != nil {
			panic(err) // values are API types
		}
		o.Plaintext = append(o.Plaintext, policyv1alpha1.PlaintextOverrider{Path: p, Operator: policyv1alpha1.OverriderOpAdd, Value: apiextensionsv1.JSON{Raw: raw}})
	}
	if ch.NodeSelector != nil {
		add(base+"/nodeSelector", ch.NodeSelector)
	}
	if ch.Affinity != nil {
		add(base+"/affinity", ch.Affinity)
	}
	if ch.Tolerations != nil {
		add(base+"/tolerations", ch.Tolerations)
	}
	for _, key := range sortedKeys(ch.Containers) {
		cc := ch.Containers[key]
		if cc.Resources != nil {
			add(base+"/"+key+"/resources", cc.Resources)
		}
		if cc.Env != nil {
			add(base+"/"+key+"/env", cc.Env)
		}
	}
	if ch.Registry != "" {
		for _, field := range []string{initContainersFld, containersField} {
			list := pod.Containers
			if field == initContainersFld {
				list = pod.InitContainers
			}
			for i := range list {
				o.ImageOverrider = append(o.ImageOverrider, policyv1alpha1.ImageOverrider{
					Predicate: &policyv1alpha1.ImagePredicate{Path: fmt.Sprintf("%s/%s/%d/image", base, field, i)},
					Component: policyv1alpha1.Registry,
					Operator:  policyv1alpha1.OverriderOpReplace,
					Value:     ch.Registry,
				})
			}
		}
	}
	return o
}

func fromMap(m map[string]any, into any) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}
