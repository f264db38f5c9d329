package e2e

import (
	"context"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/apply"
	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
)

// applyExample applies the example fleet's control plane objects (storage
// locations included); re-applying is a no-op.
func applyExample(ctx context.Context, t *testing.T) {
	t.Helper()
	host, err := env.fleet.Client(fleet.HostName)
	if err != nil {
		t.Fatal(err)
	}
	plane := env.rendered.Repo.Fleet.Spec.ControlPlanes[0].Name
	if _, err := apply.Run(ctx, apply.Options{Client: host, Objects: cli.PlaneObjects(env.rendered, plane), Yes: true}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	readyAsPlaced(ctx, t)
}

// readyAsPlaced waits until Karmada has scheduled every workload on the
// control plane and put its copies on the members, then writes their
// status as kubelets would once every pod is ready — the suite's
// workload stand-in (standinOnce), run once: the suite's fleet is not a
// living one (no nodes, no pods); without this, an
// app declaring application failover (the example's paddle-inference) is
// moved off every cluster two minutes after apply, all of its clusters
// stay "in the process of eviction", and its binding never schedules
// again for the rest of the suite.
func readyAsPlaced(ctx context.Context, t *testing.T) {
	t.Helper()
	host := karmadaClient(t)
	var rbs workv1alpha2.ResourceBindingList
	if err := host.List(ctx, &rbs); err != nil {
		t.Fatalf("list ResourceBindings: %v", err)
	}
	example := map[string]bool{}
	for _, u := range cli.PlaneObjects(env.rendered, env.rendered.Repo.Fleet.Spec.ControlPlanes[0].Name) {
		example[ref(u)] = true
	}
	members := map[string]bool{}
	for i := range rbs.Items {
		r := rbs.Items[i].Spec.Resource
		if r.APIVersion != "apps/v1" || (r.Kind != "Deployment" && r.Kind != "StatefulSet" && r.Kind != "DaemonSet") {
			continue
		}
		// Only the example's own workloads: what another test created
		// and is deleting has no schedule to wait for.
		if !example[r.Kind+"/"+r.Namespace+"/"+r.Name] || rbs.Items[i].DeletionTimestamp != nil {
			continue
		}
		tcs, ok, err := waitScheduled(ctx, host, r.Kind, r.Namespace, r.Name)
		if err != nil || !ok {
			// Not this helper's verdict to give: the test that needs the
			// workload placed says so with its own context.
			t.Logf("%s/%s/%s not scheduled after apply (scheduled=%v, %v): its copies get no ready status", r.Kind, r.Namespace, r.Name, ok, err)
			continue
		}
		for _, tc := range tcs {
			waitCopy(ctx, t, tc.Name, r.Kind, r.Namespace, r.Name)
			members[tc.Name] = true
		}
	}
	for _, m := range slices.Sorted(maps.Keys(members)) {
		markHealthy(ctx, t, m)
	}
}

// veleroClient is a client of a member that knows Velero's types.
func veleroClient(t *testing.T, cluster string) client.Client {
	t.Helper()
	cfg, err := env.fleet.RESTConfig(cluster)
	if err != nil {
		t.Fatal(err)
	}
	s := runtime.NewScheme()
	if err := velerov1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVeleroBacksUpIntoTheStore is the local fleet's backup chain end to
// end, with real parts only: the rendered storage location reaches the
// member through Karmada (its s3Url pointed at the fleet's versitygw by a
// ClusterOverridePolicy), a real Velero server with the AWS plugin finds it
// Available, and a Backup of the inference namespace lands in the bucket.
func TestVeleroBacksUpIntoTheStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const source = "cloud-eu-central-1"
	applyExample(ctx, t)
	if err := env.fleet.StartVelero(ctx, env.engines, source, true); err != nil {
		t.Fatalf("start Velero on %s: %v", source, err)
	}
	defer func() {
		if err := env.fleet.StopComponent("velero-" + source); err != nil {
			t.Error(err)
		}
	}()

	vc := veleroClient(t, source)
	bsl := &velerov1.BackupStorageLocation{}
	var last string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := vc.Get(ctx, client.ObjectKey{Namespace: fleet.VeleroNamespace, Name: "default"}, bsl); err != nil {
			if ctx.Err() == nil {
				last = err.Error()
			}
			return false, nil
		}
		last = string(bsl.Status.Phase) + " " + bsl.Status.Message
		return bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, nil
	})
	if err != nil {
		t.Fatalf("BackupStorageLocation velero/default on %s never Available (last: %s); velero log:\n%s", source, last, lastLines(veleroLog(source), 30))
	}
	if got := bsl.Spec.Config["s3Url"]; got != env.fleet.Store.URL {
		t.Errorf("s3Url %q, want the local store %q (Karmada override)", got, env.fleet.Store.URL)
	}
	// The override also takes the Secret reference out: the server signs
	// with its credentials file, which Velero never rewrites under it.
	if bsl.Spec.Credential != nil {
		t.Errorf("spec.credential %+v, want none (Karmada override)", bsl.Spec.Credential)
	}

	name := "e2e-" + strings.ToLower(time.Now().UTC().Format("150405"))
	b := &velerov1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: fleet.VeleroNamespace},
		Spec:       velerov1.BackupSpec{IncludedNamespaces: []string{"inference"}, StorageLocation: "default", TTL: metav1.Duration{Duration: time.Hour}},
	}
	if err := vc.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := vc.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
			return false, nil
		}
		switch b.Status.Phase {
		case velerov1.BackupPhaseCompleted:
			return true, nil
		case velerov1.BackupPhaseFailed, velerov1.BackupPhasePartiallyFailed, velerov1.BackupPhaseFailedValidation:
			return false, &backupError{b}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("backup %s: %v; velero log:\n%s", name, err, lastLines(veleroLog(source), 30))
	}
	if b.Status.Progress == nil || b.Status.Progress.ItemsBackedUp == 0 {
		t.Errorf("backup %s completed with no items: %+v", name, b.Status.Progress)
	}
	prefix := "backups/" + name + "/"
	if p := bsl.Spec.ObjectStorage.Prefix; p != "" {
		prefix = strings.TrimSuffix(p, "/") + "/" + prefix
	}
	keys, err := env.fleet.Store.Objects(ctx, bsl.Spec.ObjectStorage.Bucket, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatalf("nothing under %s/%s in the store", bsl.Spec.ObjectStorage.Bucket, prefix)
	}
	t.Logf("backup %s: %d items in %s, %d objects in the store under %s", name, b.Status.Progress.ItemsBackedUp,
		b.Status.CompletionTimestamp.Sub(b.Status.StartTimestamp.Time), len(keys), prefix)
}

type backupError struct{ b *velerov1.Backup }

func (e *backupError) Error() string {
	return string(e.b.Status.Phase) + ": " + e.b.Status.FailureReason + " " + strings.Join(e.b.Status.ValidationErrors, "; ")
}

// veleroLog is the content of a member's Velero server log.
func veleroLog(cluster string) string {
	c := env.fleet.Component("velero-" + cluster)
	if c == nil {
		return ""
	}
	data, _ := os.ReadFile(c.Log)
	return string(data)
}
