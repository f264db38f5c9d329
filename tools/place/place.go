package place

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	configv1alpha1 "github.com/karmada-io/karmada/pkg/apis/config/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	clusterlister "github.com/karmada-io/karmada/pkg/generated/listers/cluster/v1alpha1"
	"github.com/karmada-io/karmada/pkg/resourceinterpreter/default/native"
	"github.com/karmada-io/karmada/pkg/scheduler/cache"
	"github.com/karmada-io/karmada/pkg/scheduler/core"
	"github.com/karmada-io/karmada/pkg/scheduler/framework"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/plugins"
	fwruntime "github.com/karmada-io/karmada/pkg/scheduler/framework/runtime"
	ppwebhook "github.com/karmada-io/karmada/pkg/webhook/propagationpolicy"
	"golang.org/x/sync/errgroup"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8scache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Default tolerations the Karmada webhook adds (its flags'
// defaults: --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds).
const defaultTolerationSeconds = 300

// Workload is one object a propagation policy selects.
type Workload struct {
	// App owns the object ("" when unknown).
	App string
	// Object is the resource template as it is applied to Karmada.
	Object *unstructured.Unstructured
	// Policy is the (Cluster)PropagationPolicy spec that selects it, as
	// written; Preview applies the webhook's defaults itself.
	Policy *policyv1alpha1.PropagationSpec
	// PolicyNamespace is the policy's namespace ("" for a
	// ClusterPropagationPolicy); the webhook defaults selectors to it.
	PolicyNamespace string
}

// Target is a cluster a workload lands on.
type Target struct {
	Cluster  string `json:"cluster"`
	Replicas int32  `json:"replicas"`
}

// Filtered is a cluster the workload does not land on, and why.
type Filtered struct {
	Cluster string `json:"cluster"`
	Reason  string `json:"reason"`
}

// Result is the preview of one workload.
type Result struct {
	App    string `json:"app,omitempty"`
	Object string `json:"object"`
	Kind   string `json:"kind"`
	// Replicas is the workload's replica count as Karmada's interpreter
	// reads it (0 for objects Karmada does not divide).
	Replicas int32 `json:"replicas"`
	// Mode is Duplicated or Divided.
	Mode string `json:"mode"`
	// AffinityGroup is the ordered affinity group the scheduler settled on.
	AffinityGroup string     `json:"affinityGroup,omitempty"`
	Targets       []Target   `json:"targets"`
	Filtered      []Filtered `json:"filtered,omitempty"`
	// Error is set when no cluster fits.
	Error string `json:"error,omitempty"`
}

// Options configure Preview.
type Options struct {
	// Parallelism bounds concurrent scheduling; 0 means one per CPU.
	Parallelism int
}

// Scheduler previews placements over one snapshot of clusters. Build it
// once, call Preview many times.
type Scheduler struct {
	clusters    []*clusterv1alpha1.Cluster
	algorithm   core.ScheduleAlgorithm
	framework   framework.Framework
	interpreter *native.DefaultInterpreter
	mutator     admission.Handler
	decoder     admission.Decoder
}

// New prepares Karmada's scheduler over the given clusters.
func New(clusters []*clusterv1alpha1.Cluster) (*Scheduler, error) {
	indexer := k8scache.NewIndexer(k8scache.MetaNamespaceKeyFunc, k8scache.Indexers{})
	sorted := slices.Clone(clusters)
	slices.SortFunc(sorted, func(a, b *clusterv1alpha1.Cluster) int { return strings.Compare(a.Name, b.Name) })
	for _, c := range sorted {
		if err := indexer.Add(c.DeepCopy()); err != nil {
			return nil, err
		}
	}
	alg, err := core.NewGenericScheduler(cache.NewCache(clusterlister.NewClusterLister(indexer)), plugins.NewInTreeRegistry())
	if err != nil {
		return nil, fmt.Errorf("karmada scheduler: %w", err)
	}
	fw, err := fwruntime.NewFramework(plugins.NewInTreeRegistry())
	if err != nil {
		return nil, fmt.Errorf("karmada scheduler framework: %w", err)
	}
	scheme := runtime.NewScheme()
	if err := policyv1alpha1.Install(scheme); err != nil {
		return nil, err
	}
	dec := admission.NewDecoder(scheme)
	return &Scheduler{
		clusters:    sorted,
		algorithm:   alg,
		framework:   fw,
		interpreter: native.NewDefaultInterpreter(),
		mutator:     ppwebhook.NewMutatingHandler(defaultTolerationSeconds, defaultTolerationSeconds, dec),
		decoder:     dec,
	}, nil
}

// Clusters returns the snapshot, sorted by name.
func (s *Scheduler) Clusters() []*clusterv1alpha1.Cluster { return s.clusters }

// Preview schedules every workload. Results are in the order of the input
// whatever the parallelism.
func (s *Scheduler) Preview(ctx context.Context, workloads []Workload, opts Options) ([]Result, error) {
	results := make([]Result, len(workloads))
	g, gctx := errgroup.WithContext(ctx)
	if opts.Parallelism > 0 {
		g.SetLimit(opts.Parallelism)
	} else {
		g.SetLimit(runtimeCPUs())
	}
	for i := range workloads {
		g.Go(func() error {
			r, err := s.schedule(gctx, workloads[i])
			if err != nil {
				return err
			}
			results[i] = r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

// Mutate applies karmada-webhook's PropagationPolicy defaults to a spec,
// by running the webhook's own handler on a CREATE request.
func (s *Scheduler) Mutate(ctx context.Context, spec *policyv1alpha1.PropagationSpec, namespace string) (*policyv1alpha1.PropagationSpec, error) {
	pp := &policyv1alpha1.PropagationPolicy{Spec: *spec.DeepCopy()}
	pp.APIVersion, pp.Kind = policyv1alpha1.SchemeGroupVersion.String(), policyv1alpha1.ResourceKindPropagationPolicy
	pp.Name, pp.Namespace = "preview", namespace
	raw, err := json.Marshal(pp)
	if err != nil {
		return nil, err
	}
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: admissionv1.Create, Namespace: namespace, Name: pp.Name,
		Object: runtime.RawExtension{Raw: raw},
	}}
	resp := s.mutator.Handle(ctx, req)
	if !resp.Allowed {
		return nil, fmt.Errorf("karmada webhook refused the policy: %s", resp.Result.Message)
	}
	patchJSON, err := json.Marshal(resp.Patches)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.DecodePatch(patchJSON)
	if err != nil {
		return nil, err
	}
	mutated, err := patch.Apply(raw)
	if err != nil {
		return nil, fmt.Errorf("apply webhook patch: %w", err)
	}
	out := &policyv1alpha1.PropagationPolicy{}
	if err := json.Unmarshal(mutated, out); err != nil {
		return nil, err
	}
	return &out.Spec, nil
}

func (s *Scheduler) schedule(ctx context.Context, w Workload) (Result, error) {
	obj := w.Object
	res := Result{App: w.App, Object: objectRef(obj), Kind: obj.GetKind(), Mode: string(policyv1alpha1.ReplicaSchedulingTypeDuplicated)}
	spec, err := s.Mutate(ctx, w.Policy, w.PolicyNamespace)
	if err != nil {
		return res, fmt.Errorf("%s: %w", res.Object, err)
	}
	if rs := spec.Placement.ReplicaScheduling; rs != nil && rs.ReplicaSchedulingType != "" {
		res.Mode = string(rs.ReplicaSchedulingType)
	}
	// As karmada's detector builds a ResourceBinding.
	binding := workv1alpha2.ResourceBindingSpec{
		PropagateDeps:      spec.PropagateDeps,
		SchedulerName:      spec.SchedulerName,
		Placement:          &spec.Placement,
		Failover:           spec.Failover,
		ConflictResolution: spec.ConflictResolution,
		Resource: workv1alpha2.ObjectReference{
			APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(),
		},
	}
	if s.interpreter.HookEnabled(obj.GroupVersionKind(), configv1alpha1.InterpreterOperationInterpretReplica) {
		replicas, reqs, err := s.interpreter.GetReplicas(obj)
		if err != nil {
			return res, fmt.Errorf("%s: karmada interpreter: %w", res.Object, err)
		}
		binding.Replicas, binding.ReplicaRequirements = replicas, reqs
	}
	res.Replicas = binding.Replicas

	status := &workv1alpha2.ResourceBindingStatus{}
	var result core.ScheduleResult
	opt := &core.ScheduleAlgorithmOption{}
	affinities := spec.Placement.ClusterAffinities
	if len(affinities) == 0 {
		result, err = s.algorithm.Schedule(ctx, &binding, status, opt)
	} else {
		// As karmada-scheduler walks ordered affinity groups: the first
		// group that schedules wins.
		var firstErr error
		for _, term := range affinities {
			status.SchedulerObservedAffinityName = term.AffinityName
			result, err = s.algorithm.Schedule(ctx, &binding, status, opt)
			if err == nil {
				res.AffinityGroup = term.AffinityName
				break
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		if err != nil {
			err = firstErr
		}
	}
	if err != nil {
		// A FitError ("0/N clusters are available: ...") is the normal
		// no-fit answer; anything else is reported the same way, since the
		// real scheduler would leave the binding unscheduled either way.
		res.Error = err.Error()
	}
	for _, t := range result.SuggestedClusters {
		res.Targets = append(res.Targets, Target{Cluster: t.Name, Replicas: t.Replicas})
	}
	slices.SortFunc(res.Targets, func(a, b Target) int { return strings.Compare(a.Cluster, b.Cluster) })
	res.Filtered = s.reasons(ctx, &binding, status, res.Targets)
	return res, nil
}

// reasons explains, for each cluster not among the targets, why: the first
// failing filter plugin, or that the selection or replica assignment left
// it out.
func (s *Scheduler) reasons(ctx context.Context, binding *workv1alpha2.ResourceBindingSpec, status *workv1alpha2.ResourceBindingStatus, targets []Target) []Filtered {
	var out []Filtered
	for _, c := range s.clusters {
		if slices.ContainsFunc(targets, func(t Target) bool { return t.Cluster == c.Name }) {
			continue
		}
		r := s.framework.RunFilterPlugins(ctx, binding, status, c)
		reason := "not selected: spread constraints or replica assignment left it out"
		if !r.IsSuccess() {
			reason = strings.Join(r.Reasons(), "; ")
		}
		out = append(out, Filtered{Cluster: c.Name, Reason: reason})
	}
	return out
}

func objectRef(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + "/" + u.GetName()
	}
	return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
}

// Compare orders results by app, then object.
func Compare(a, b Result) int {
	return cmp.Or(strings.Compare(a.App, b.App), strings.Compare(a.Object, b.Object))
}
