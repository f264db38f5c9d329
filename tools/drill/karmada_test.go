package drill

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	workv1alpha1 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/flotilla-gitops/flotilla/tools/semdiff"
)

// deployment is a Deployment as a template, a member copy or a backup
// holds it.
func deployment(replicas int64, image string, annotations map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "paddle-inference", "namespace": "inference"},
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{"app": "paddle"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "paddle"}},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "serve", "image": image}}},
			},
		},
	}}
	if annotations != nil {
		u.SetAnnotations(annotations)
	}
	return u
}

// controlPlane is a fake Karmada control plane holding the template of a
// divided Deployment (13 replicas, generation 3), its binding to the given
// clusters, and for each a Work whose manifest is Karmada's copy for it.
func controlPlane(t *testing.T, works map[string]*unstructured.Unstructured, applied bool, objs ...client.Object) client.Client {
	t.Helper()
	// Karmada's types only: the template stays unstructured, as an API
	// server serves it (no zero-valued fields a typed round trip adds).
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{workv1alpha1.Install, workv1alpha2.Install} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	tmpl := deployment(13, "registry/paddle:2.6", nil)
	tmpl.SetGeneration(3)
	rb := &workv1alpha2.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "inference", Name: names.GenerateBindingName("Deployment", "paddle-inference"), Generation: 2},
		Spec:       workv1alpha2.ResourceBindingSpec{Resource: workv1alpha2.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "inference", Name: "paddle-inference"}},
		Status:     workv1alpha2.ResourceBindingStatus{SchedulerObservedGeneration: 2},
	}
	all := []client.Object{tmpl, rb}
	for _, cluster := range slices.Sorted(func(yield func(string) bool) {
		for k := range works {
			if !yield(k) {
				return
			}
		}
	}) {
		m := works[cluster]
		rb.Spec.Clusters = append(rb.Spec.Clusters, workv1alpha2.TargetCluster{Name: cluster})
		raw, err := json.Marshal(m.Object)
		if err != nil {
			t.Fatal(err)
		}
		w := &workv1alpha1.Work{
			ObjectMeta: metav1.ObjectMeta{Namespace: names.GenerateExecutionSpaceName(cluster), Name: names.GenerateWorkName("Deployment", "paddle-inference", "inference")},
			Spec:       workv1alpha1.WorkSpec{Workload: workv1alpha1.WorkloadTemplate{Manifests: []workv1alpha1.Manifest{{RawExtension: runtime.RawExtension{Raw: raw}}}}},
		}
		if applied {
			w.Status.Conditions = []metav1.Condition{{Type: workv1alpha1.WorkApplied, Status: metav1.ConditionTrue, Reason: "AppliedSuccessful", LastTransitionTime: metav1.Now()}}
		}
		all = append(all, w)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(append(all, objs...)...).WithStatusSubresource(&workv1alpha1.Work{}).Build()
}

// memberCopy is Karmada's copy of the template for a member: its share of
// the replicas, the template's generation stamped.
func memberCopy(replicas int64) *unstructured.Unstructured {
	return deployment(replicas, "registry/paddle:2.6", map[string]string{workv1alpha2.ResourceTemplateGenerationAnnotationKey: "3"})
}

// TestExistingCopyIsJudgedByKarmada is the example drill's case: the DR
// site already runs its Karmada-assigned share of a divided Deployment (1
// of 13); the backup holds the source's share (4). The replicas are
// Karmada's to set, so they are judged against Karmada's copy for the DR
// site — equal — while every other field is still judged against the
// backup.
func TestExistingCopyIsJudgedByKarmada(t *testing.T) {
	kc := controlPlane(t, map[string]*unstructured.Unstructured{"src": memberCopy(4), "dr": memberCopy(1)}, true)
	kv := &karmadaView{client: kc, sourceFields: map[string][]string{"Deployment/inference/paddle-inference": {"spec.replicas"}}}
	backup := deployment(4, "registry/paddle:2.6", nil)
	sl := newSealer()

	t.Run("equal by design", func(t *testing.T) {
		changes, judged, err := kv.compareExisting(context.Background(), backup, deployment(1, "registry/paddle:2.6", nil), "dr", true, sl, verifyOptions(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 0 {
			t.Errorf("changes %v, want none: the replicas are Karmada's", changes)
		}
		if judged == nil || !slices.Equal(judged.Fields, []string{"spec.replicas"}) || judged.Karmada["spec.replicas"] != "1" || judged.Backup["spec.replicas"] != "4" {
			t.Errorf("judged %+v", judged)
		}
	})
	t.Run("Karmada's fields still judged", func(t *testing.T) {
		changes, _, err := kv.compareExisting(context.Background(), backup, deployment(3, "registry/paddle:2.6", nil), "dr", true, sl, verifyOptions(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Path != "spec.replicas" || fmt.Sprint(changes[0].Before) != "1" {
			t.Errorf("changes %v, want spec.replicas 1 (Karmada's) → 3", changes)
		}
	})
	t.Run("other fields against the backup", func(t *testing.T) {
		changes, _, err := kv.compareExisting(context.Background(), backup, deployment(1, "registry/paddle:2.5", nil), "dr", true, sl, verifyOptions(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || !strings.Contains(changes[0].Path, "image") {
			t.Errorf("changes %v, want the image only", changes)
		}
	})
	t.Run("a failover still reaching the member is waited for", func(t *testing.T) {
		// Karmada's copy for the DR site says 2 (the source's replicas
		// moving there); the member still runs 1, then catches up.
		kc := controlPlane(t, map[string]*unstructured.Unstructured{"src": memberCopy(4), "dr": memberCopy(2)}, true)
		moving := &karmadaView{client: kc, sourceFields: kv.sourceFields, settle: func(ctx context.Context, _ string, cond func(context.Context) (bool, error)) error {
			for range 3 {
				if ok, err := cond(ctx); ok || err != nil {
					return err
				}
			}
			return errors.New("not settled")
		}}
		reads := 0
		reread := func(context.Context) (*unstructured.Unstructured, error) {
			reads++
			return deployment(2, "registry/paddle:2.6", nil), nil
		}
		changes, judged, err := moving.compareExisting(context.Background(), backup, deployment(1, "registry/paddle:2.6", nil), "dr", true, sl, verifyOptions(), reread)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 0 || reads == 0 || judged.Karmada["spec.replicas"] != "2" {
			t.Errorf("changes %v after %d re-reads, judged %+v; want the member's copy to have caught up", changes, reads, judged)
		}
		stuck := func(context.Context) (*unstructured.Unstructured, error) {
			return deployment(1, "registry/paddle:2.6", nil), nil
		}
		changes, _, err = moving.compareExisting(context.Background(), backup, deployment(1, "registry/paddle:2.6", nil), "dr", true, sl, verifyOptions(), stuck)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Path != "spec.replicas" {
			t.Errorf("a member that never catches up: changes %v, want spec.replicas 2 → 1", changes)
		}
	})
	t.Run("not placed by Karmada: compared in full", func(t *testing.T) {
		changes, judged, err := kv.compareExisting(context.Background(), backup, deployment(1, "registry/paddle:2.6", nil), "elsewhere", true, sl, verifyOptions(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if judged != nil || len(changes) != 1 || changes[0].Path != "spec.replicas" {
			t.Errorf("changes %v judged %+v, want spec.replicas against the backup", changes, judged)
		}
	})
	t.Run("restored under another namespace: compared in full", func(t *testing.T) {
		changes, judged, err := kv.compareExisting(context.Background(), backup, deployment(1, "registry/paddle:2.6", nil), "dr", false, sl, verifyOptions(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if judged != nil || len(changes) != 1 {
			t.Errorf("changes %v judged %+v", changes, judged)
		}
	})
}

func verifyOptions() semdiff.Options { return semdiff.Options{Ignore: ignoredFields} }

// TestPlacedOnWaitsForEveryCopy: a binding whose Work is not applied, or
// whose member lacks the object, keeps the wait going with the reason; a
// namespace with no binding at all was never applied.
func TestPlacedOnWaitsForEveryCopy(t *testing.T) {
	ctx := context.Background()
	member := fake.NewClientBuilder().Build()

	kc := controlPlane(t, map[string]*unstructured.Unstructured{"src": memberCopy(4)}, false)
	pl, err := placedOn(ctx, kc, member, "src", []string{"inference", "models"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.objects) != 0 || len(pl.pending) != 1 || !strings.Contains(pl.pending[0], "not applied on src yet") {
		t.Errorf("Work not applied: %+v", pl)
	}
	if !slices.Equal(pl.empty, []string{"models"}) {
		t.Errorf("empty namespaces %v, want [models]", pl.empty)
	}

	kc = controlPlane(t, map[string]*unstructured.Unstructured{"src": memberCopy(4)}, true)
	if pl, err = placedOn(ctx, kc, member, "src", []string{"inference"}); err != nil {
		t.Fatal(err)
	}
	if len(pl.pending) != 1 || !strings.Contains(pl.pending[0], "applied, but not on src yet") {
		t.Errorf("applied, member empty: %+v", pl)
	}

	stale := memberCopy(4)
	stale.SetAnnotations(map[string]string{workv1alpha2.ResourceTemplateGenerationAnnotationKey: "2"})
	kc = controlPlane(t, map[string]*unstructured.Unstructured{"src": stale}, true)
	if pl, err = placedOn(ctx, kc, member, "src", []string{"inference"}); err != nil {
		t.Fatal(err)
	}
	if len(pl.pending) != 1 || !strings.Contains(pl.pending[0], "template generation 2, the template is at 3") {
		t.Errorf("stale Work: %+v", pl)
	}

	member = fake.NewClientBuilder().WithObjects(memberCopy(4)).Build()
	kc = controlPlane(t, map[string]*unstructured.Unstructured{"src": memberCopy(4)}, true)
	if pl, err = placedOn(ctx, kc, member, "src", []string{"inference"}); err != nil {
		t.Fatal(err)
	}
	if len(pl.pending) != 0 || len(pl.objects) != 1 || !slices.Equal(pl.objects[0].memberFields(), []string{"spec.replicas"}) {
		t.Errorf("placed: %+v", pl)
	}
}

// TestMissingFromResourceList reads Velero's backup resource list as
// `velero backup describe --details` does and names what it lacks.
func TestMissingFromResourceList(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_ = json.NewEncoder(zw).Encode(map[string][]string{
		"apps/v1/Deployment": {"inference/paddle-inference"},
		"v1/ConfigMap":       {"inference/routing"},
		"v1/Namespace":       {"inference"},
	})
	_ = zw.Close()
	expected := []ObjectKey{
		{Group: "apps", Kind: "Deployment", Namespace: "inference", Name: "paddle-inference"},
		{Kind: "ConfigMap", Namespace: "inference", Name: "routing"},
		{Kind: "Service", Namespace: "inference", Name: "paddle-inference"},
		{Group: "policy", Kind: "PodDisruptionBudget", Namespace: "inference", Name: "paddle-inference"},
	}
	missing, err := missingFromResourceList(buf.Bytes(), expected)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Service/inference/paddle-inference", "PodDisruptionBudget/inference/paddle-inference"}; !slices.Equal(missing, want) {
		t.Errorf("missing %v, want %v", missing, want)
	}
	if _, err := missingFromResourceList([]byte("not gzip"), expected); err == nil {
		t.Error("a list that is not gzip read without error")
	}
}

// TestWaitNeverBlamesTheClientsDeadline: a wait that runs out reports the
// last real error, never client-go's rate limiter refusing a request the
// deadline would cut short.
func TestWaitNeverBlamesTheClientsDeadline(t *testing.T) {
	r := &runner{o: Options{PhaseTimeout: 600 * time.Millisecond}}
	calls := 0
	err := r.poll(context.Background(), "BackupStorageLocation/velero/default on a Available", func(ctx context.Context) (bool, error) {
		calls++
		if calls == 1 {
			return false, errors.New("connection refused")
		}
		return false, errors.New("client rate limiter Wait returned an error: rate: Wait(n=1) would exceed context deadline")
	})
	if err == nil || strings.Contains(err.Error(), "rate limiter") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("wait error %v, want the last real error (connection refused)", err)
	}
}

// TestNotScheduledCarriesTheSchedulersVerdict: when Karmada's scheduler
// tried the binding's latest generation and failed (every cluster in
// graceful eviction, as after an application failover off all of them),
// the drill's wait says the scheduler's reason, not only "not yet".
func TestNotScheduledCarriesTheSchedulersVerdict(t *testing.T) {
	rb := &workv1alpha2.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Generation: 19}}
	rb.Status.SchedulerObservedGeneration = 17
	if got := notScheduled(rb); got != "not scheduled yet (binding generation 19, scheduled 17)" {
		t.Errorf("no condition: %q", got)
	}
	rb.Status.Conditions = []metav1.Condition{{Type: workv1alpha2.Scheduled, Status: metav1.ConditionFalse, Reason: "NoClusterFit",
		Message: "0/7 clusters are available: 4 cluster(s) is in the process of eviction."}}
	got := notScheduled(rb)
	if !strings.Contains(got, "Karmada's scheduler: NoClusterFit: 0/7 clusters are available: 4 cluster(s) is in the process of eviction.") {
		t.Errorf("the scheduler's verdict is not said: %q", got)
	}
	rb.Status.Conditions[0].Status = metav1.ConditionTrue
	if got := notScheduled(rb); strings.Contains(got, "scheduler:") {
		t.Errorf("a succeeded schedule is reported as the reason: %q", got)
	}
}
