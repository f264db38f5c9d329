package e2e

import (
	"context"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/place"
)

// usedDeployment is a Deployment of n replicas requesting cpu each.
func usedDeployment(ns, name string, n int32, cpu string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example/used:1",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("1Gi")}}}}},
			},
		},
	}
}

// checkUsedCapacityFidelity: Karmada's scheduler divides by available
// replicas from the members' real summaries, so on a living fleet whose
// capacity is partly used it parts from the offline preview (which sees
// the intent's empty clusters), and the preview over the live Cluster
// objects is what agrees. A filler Deployment takes 12 of the 16 CPUs of
// 28 of cloud-eu-west-1's 40 nodes; a Deployment divided by available
// replicas over three clusters is then scheduled by Karmada and previewed
// both ways.
func checkUsedCapacityFidelity(ctx context.Context, t *testing.T, f *fleet.Fleet) {
	t.Helper()
	host := livingClient(t, f, fleet.HostName)
	const ns, full = "fidelity-used", "cloud-eu-west-1"
	ensureNamespaces(t, host, ns)
	pp := func(name string, clusters []string, divided bool) *policyv1alpha1.PropagationPolicy {
		p := &policyv1alpha1.PropagationPolicy{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: policyv1alpha1.PropagationSpec{
				ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: name}},
				Placement: policyv1alpha1.Placement{
					ClusterAffinity:    &policyv1alpha1.ClusterAffinity{ClusterNames: clusters},
					ClusterTolerations: []corev1.Toleration{{Key: "flotilla.io/dr-standby", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
				},
			},
		}
		if divided {
			p.Spec.Placement.ReplicaScheduling = &policyv1alpha1.ReplicaSchedulingStrategy{
				ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
				ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
				WeightPreference:          &policyv1alpha1.ClusterPreferences{DynamicWeight: policyv1alpha1.DynamicWeightByAvailableReplicas},
			}
		}
		return p
	}
	// The filler goes when the check ends, not the test: the spot drills
	// after it divide the inference replicas over this capacity.
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = host.DeleteAllOf(cctx, &appsv1.Deployment{}, client.InNamespace(ns))
		_ = host.DeleteAllOf(cctx, &policyv1alpha1.PropagationPolicy{}, client.InNamespace(ns))
		member := livingClient(t, f, full)
		if err := wait.PollUntilContextTimeout(cctx, time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
			var pods corev1.PodList
			if err := member.List(ctx, &pods, client.InNamespace(ns)); err != nil {
				return false, nil
			}
			return len(pods.Items) == 0, nil
		}); err != nil {
			t.Errorf("the filler's pods are still on %s: %v", full, err)
		}
		_ = host.Delete(cctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}()

	for _, o := range []client.Object{pp("filler", []string{full}, false), usedDeployment(ns, "filler", 28, "12")} {
		if err := host.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if msg := workloadReady(ctx, livingClient(t, f, full), "Deployment", ns, "filler"); msg != "" {
		t.Fatalf("filler on %s: %s", full, msg)
	}
	// Karmada's summary of the member holds the filler's requests, and is
	// the same on two reads a status interval apart: what its scheduler
	// will divide by.
	var live []*clusterv1alpha1.Cluster
	if err := wait.PollUntilContextTimeout(ctx, 3*time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		before, err := liveSnapshot(ctx, host)
		if err != nil {
			return false, nil
		}
		time.Sleep(3 * time.Second)
		after, err := liveSnapshot(ctx, host)
		if err != nil {
			return false, nil
		}
		for i := range after {
			if after[i].Name == full && after[i].Status.ResourceSummary != nil && after[i].Status.ResourceSummary.Allocated.Cpu().Value() < 28*12 {
				return false, nil
			}
			if i >= len(before) || !equalSummary(before[i], after[i]) {
				return false, nil
			}
		}
		live = after
		return true, nil
	}); err != nil {
		t.Fatalf("Karmada's summary of %s never settled with the filler's requests: %v", full, err)
	}

	clusters := []string{full, "cloud-eu-central-1", "dr-us-east-2"}
	dep := usedDeployment(ns, "divided", 40, "4")
	policy := pp("divided", clusters, true)
	for _, o := range []client.Object{policy, dep} {
		if err := host.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := waitScheduled(ctx, host, "Deployment", ns, "divided")
	if err != nil || !ok {
		t.Fatalf("divided: not scheduled: %v", err)
	}
	// Previewed as written (Create filled in what the server returned, and
	// a typed client's response has no apiVersion and kind).
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(usedDeployment(ns, "divided", 40, "4"))
	if err != nil {
		t.Fatal(err)
	}
	w := []place.Workload{{Object: &unstructured.Unstructured{Object: obj}, Policy: &pp("divided", clusters, true).Spec, PolicyNamespace: ns}}
	preview := func(snapshot []*clusterv1alpha1.Cluster) place.Result {
		s, err := place.New(snapshot)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Preview(ctx, w, place.Options{Alternatives: true})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Error != "" {
			t.Fatalf("preview of the divided Deployment: %s", res[0].Error)
		}
		return res[0]
	}
	var intent []*v1alpha1.Cluster
	for _, c := range env.rendered.Repo.Clusters {
		intent = append(intent, &c.Cluster)
	}
	offline := preview(place.IntentSnapshot(intent, []schema.GroupVersionKind{appsv1.SchemeGroupVersion.WithKind("Deployment")}))
	now := preview(live)
	karmada := fromBinding(got)
	t.Logf("divided by available replicas with %s's capacity used: Karmada %s; preview over the live clusters %s; offline (empty clusters) %s",
		full, targetsString(karmada, true), targetsString(now.Targets, true), targetsString(offline.Targets, true))
	if !now.Agrees(karmada) {
		t.Errorf("the preview over the live Cluster objects %s, Karmada %s", targetsString(now.Targets, true), targetsString(karmada, true))
	}
	// The used capacity must matter, else the check shows nothing: the
	// offline preview, blind to it, divides otherwise.
	if offline.Agrees(karmada) {
		t.Errorf("the offline preview agrees with Karmada (%s) although %s's capacity is mostly used: the filler did not count", targetsString(karmada, true), full)
	}
}

// equalSummary compares two reads of a Cluster's resource summary.
func equalSummary(a, b *clusterv1alpha1.Cluster) bool {
	ra, rb := a.Status.ResourceSummary, b.Status.ResourceSummary
	if ra == nil || rb == nil {
		return ra == rb
	}
	return ra.Allocated.Cpu().Cmp(*rb.Allocated.Cpu()) == 0 && ra.Allocating.Cpu().Cmp(*rb.Allocating.Cpu()) == 0
}
