package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/drill"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/intent"
)

// exampleDrill is the example fleet's drill narrowed to paddle-inference,
// its restore mapped to namespace mapped so the DR site's live copy is not
// touched, with no failure and no readiness checks; a preview until the
// caller sets Yes.
func exampleDrill(t *testing.T, mapped string) drill.Options {
	t.Helper()
	example := env.rendered.Repo.Drill("inference-eu-central")
	if example == nil {
		t.Fatal("the example fleet has no drill inference-eu-central")
	}
	d := &intent.Drill{DrillPlan: *example.DrillPlan.DeepCopy(), Source: example.Source}
	d.Spec.Apps = []string{"paddle-inference"}
	d.Spec.NamespaceMapping = map[string]string{"inference": mapped}
	d.Spec.Failure.Type = v1alpha1.FailureNone
	d.Spec.Verify.Ready = nil
	return drill.Options{
		Repo: env.rendered.Repo, Drill: d, Config: env.fleet.RESTConfig, ControlPlane: fleet.HostName,
		Servers: fleetServers{}, APIServers: fleetServers{}, StateFile: filepath.Join(t.TempDir(), "state.json"), FastSync: true,
		PhaseTimeout: 2 * time.Minute,
	}
}

// faultDrill is exampleDrill, acting, restored into namespace mapped on
// the DR site. Each test restores into its own: the DR site's members run
// no namespace controller, so a namespace a cleanup deleted stays
// Terminating and cannot be restored into again.
func faultDrill(t *testing.T, mapped string) drill.Options {
	o := exampleDrill(t, mapped)
	o.Yes = true
	return o
}

// stopVeleros stops the Velero servers the drills start.
func stopVeleros(t *testing.T) {
	for _, c := range []string{"cloud-eu-central-1", "dr-us-east-2"} {
		if comp := env.fleet.Component("velero-" + c); comp != nil {
			if err := env.fleet.StopComponent(comp.Name); err != nil {
				t.Error(err)
			}
		}
	}
	// Servers a CLI run started (the README's drill) are recorded in the
	// fleet's state on disk, not in this process' view of the fleet.
	if err := stopRecordedVeleros(); err != nil {
		t.Error(err)
	}
}

// stopRecordedVeleros stops every Velero server the fleet's state on
// disk records: those a flotilla command run against the fleet started
// (they outlive it, as a user's do, until fleet down).
func stopRecordedVeleros() error {
	disk, err := fleet.Load(env.fleet.Dir)
	if err != nil {
		return err
	}
	for _, c := range disk.Components {
		if strings.HasPrefix(c.Name, "velero-") {
			if err := disk.StopComponent(c.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestDrillInterruptedAndResumed: a drill whose process is interrupted
// right after its backup keeps its state and does not clean up; the next
// run resumes at the failure injection (the backup is not taken again)
// and passes.
func TestDrillInterruptedAndResumed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	applyExample(ctx, t)
	defer stopVeleros(t)
	o := faultDrill(t, "inference-resumed")
	runCtx, interrupt := context.WithCancel(ctx)
	o.Progress = func(p drill.PhaseRecord) {
		if p.Phase == drill.PhaseBackup && p.Ended != nil && p.Error == "" {
			interrupt()
		}
	}
	res, err := drill.Run(runCtx, o)
	if !errors.Is(err, drill.ErrInterrupted) {
		t.Fatalf("interrupted run: %v, want ErrInterrupted", err)
	}
	first, err := drill.LoadState(o.StateFile)
	if err != nil || first == nil || first.Done || first.Backup == nil || res.State.Restore != nil {
		t.Fatalf("state after the interruption: %+v, %v", first, err)
	}
	backupStarted := first.Phases[1].Started

	o.Progress = func(p drill.PhaseRecord) {
		if p.Ended != nil {
			t.Logf("resumed: %-14s %6s  %s%s", p.Phase, p.Ended.Sub(p.Started).Round(10*time.Millisecond), p.Message, p.Error)
		}
	}
	res, err = drill.Run(ctx, o)
	if err != nil || !res.Report.Passed {
		t.Fatalf("resumed run: %v (report: failed phase %q %s)", err, res.Report.FailedPhase, res.Report.Error)
	}
	st := res.State
	if st.RunID != first.RunID || !st.Phases[1].Started.Equal(backupStarted) || st.Backup.Name != first.Backup.Name {
		t.Errorf("the resumed run took the backup again: run %s/%s, backup started %s/%s", first.RunID, st.RunID, backupStarted, st.Phases[1].Started)
	}
	if st.Verification == nil || st.Verification.Verified == 0 || !st.Done {
		t.Errorf("resumed run: verification %+v, done %v", st.Verification, st.Done)
	}
}

// TestDrillWithTheStoreDown: the object store goes away before the backup;
// the drill fails in Backup (or Preflight, if Velero noticed first) with
// Velero's message, cleans up, and leaves nothing restored.
func TestDrillWithTheStoreDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	applyExample(ctx, t)
	defer stopVeleros(t)
	o := faultDrill(t, "inference-store-down")
	// Velero must be up and the location Available before the store goes.
	if err := env.fleet.StartVelero(ctx, env.engines, "cloud-eu-central-1", true); err != nil {
		t.Fatal(err)
	}
	if err := env.fleet.StopComponent("object-store"); err != nil {
		t.Fatal(err)
	}
	defer storeBack(t)
	res, err := drill.Run(ctx, o)
	rep := failedRun(t, res, err, "without its object store")
	if rep.FailedPhase != string(drill.PhaseBackup) && rep.FailedPhase != string(drill.PhasePreflight) {
		t.Errorf("failed in %q, want Backup or Preflight: %s", rep.FailedPhase, rep.Error)
	}
	if !strings.Contains(rep.Error, "connection refused") && !strings.Contains(rep.Error, "Unavailable") && !strings.Contains(rep.Error, "Failed") {
		t.Errorf("the report does not carry Velero's reason: %s", rep.Error)
	}
	restoredNothing(t, res)
	t.Logf("failed in %s: %s", rep.FailedPhase, rep.Error)
}

const drillSource, drillRecovery, drillNS = "cloud-eu-central-1", "dr-us-east-2", "inference"

// storeBack starts the object store again after a test stopped it, and
// has the source's location validated afresh: Velero would otherwise hold
// it Unavailable for up to a minute (its validation period), and the next
// drill's preflight would report that, as it should.
func storeBack(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := env.fleet.StartComponent(ctx, "object-store", true); err != nil {
		t.Errorf("restart the object store: %v", err)
	}
	stopVeleros(t)
	clearLocationStatus(ctx, t, drillSource, "default")
}

// sourceState is what the source holds in the drill's namespace: each
// object's identity, and for the data written into the member directly
// (not Karmada's copies of templates, which Karmada itself may update
// while a test runs, e.g. after a member comes back) its resourceVersion,
// which any write changes.
func sourceState(ctx context.Context, t *testing.T) map[string]string {
	t.Helper()
	c, err := env.fleet.Client(drillSource)
	if err != nil {
		t.Fatal(err)
	}
	// The example's objects reach the member through Karmada: wait for
	// them, or the first test of a fresh fleet sees them arrive later.
	if err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		return c.Get(ctx, client.ObjectKey{Namespace: drillNS, Name: "paddle-inference"}, &appsv1.Deployment{}) == nil, nil
	}); err != nil {
		t.Fatalf("Deployment/%s/paddle-inference never reached %s: %v", drillNS, drillSource, err)
	}
	out := map[string]string{}
	for _, gvk := range []schema.GroupVersionKind{
		{Version: "v1", Kind: "ConfigMapList"}, {Version: "v1", Kind: "SecretList"}, {Version: "v1", Kind: "ServiceList"},
		{Group: "apps", Version: "v1", Kind: "DeploymentList"}, {Group: "policy", Version: "v1", Kind: "PodDisruptionBudgetList"},
	} {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gvk)
		if err := c.List(ctx, l, client.InNamespace(drillNS)); err != nil {
			t.Fatalf("list %s on %s: %v", gvk.Kind, drillSource, err)
		}
		for _, it := range l.Items {
			rv := it.GetResourceVersion()
			if it.GetLabels()[karmadaManaged] == "true" {
				rv = "managed by Karmada"
			}
			out[it.GetKind()+"/"+it.GetName()] = rv
		}
	}
	return out
}

// karmadaManaged labels what Karmada put into a member.
const karmadaManaged = "karmada.io/managed"

// failedRun ends the test when a drill with an injected fault (described
// as "a drill <fault>") passed, and returns the failed run's report.
func failedRun(t *testing.T, res *drill.Result, err error, fault string) *drill.Report {
	t.Helper()
	if err == nil || res == nil || res.Report.Passed {
		t.Fatalf("a drill %s passed: %v", fault, err)
	}
	return res.Report
}

// restoredNothing checks a drill that failed before its restore: no
// Restore recorded, and the run ended (its cleanup made).
func restoredNothing(t *testing.T, res *drill.Result) {
	t.Helper()
	if res.State.Restore != nil || !res.State.Done {
		t.Errorf("state: restore %+v, done %v", res.State.Restore, res.State.Done)
	}
}

// sourceUnchanged fails the test when the source's namespace changed.
func sourceUnchanged(ctx context.Context, t *testing.T, before map[string]string) {
	t.Helper()
	after := sourceState(ctx, t)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("source %s changed: %s resourceVersion %s → %q", drillSource, k, v, after[k])
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("source %s changed: %s appeared", drillSource, k)
		}
	}
}

// bulkData creates n ConfigMaps with data in the source's namespace (a
// backup and a restore that last long enough to be interrupted), removed
// when the test ends.
func bulkData(ctx context.Context, t *testing.T, n int) {
	t.Helper()
	c, err := env.fleet.Client(drillSource)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitNamespace(ctx, c, drillNS); err != nil {
		t.Fatal(err)
	}
	lbl := map[string]string{"flotilla.io/e2e": "bulk"}
	t.Cleanup(func() {
		if err := c.DeleteAllOf(context.Background(), &corev1.ConfigMap{}, client.InNamespace(drillNS), client.MatchingLabels(lbl)); err != nil {
			t.Error(err)
		}
	})
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bulk-%04d", i), Namespace: drillNS, Labels: lbl},
				Data: map[string]string{"shard": strings.Repeat(fmt.Sprintf("%04d", i), 64)}}
			if err := c.Create(gctx, cm); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// whenVelero polls the drill's Backup or Restore (list) on a cluster
// every 20 ms until cond holds for it, then runs act once; it returns
// when act has run or ctx ended, and whether act ran.
func whenVelero(ctx context.Context, cluster string, list client.ObjectList, cond func(client.Object) bool, act func()) bool {
	cfg, err := env.fleet.RESTConfig(cluster)
	if err != nil {
		return false
	}
	s := runtime.NewScheme()
	_ = velerov1.AddToScheme(s)
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return false
	}
	for {
		if err := c.List(ctx, list, client.InNamespace(fleet.VeleroNamespace), client.HasLabels{drill.LabelRun}); err == nil {
			items, _ := meta.ExtractList(list)
			for _, it := range items {
				if o, ok := it.(client.Object); ok && cond(o) {
					act()
					return true
				}
			}
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// restoredLeft counts the objects a restore left on the recovery side.
func restoredLeft(ctx context.Context, t *testing.T, restore, ns string) int {
	t.Helper()
	c, err := env.fleet.Client(drillRecovery)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range []client.ObjectList{&corev1.ConfigMapList{}, &corev1.SecretList{}, &corev1.ServiceList{}, &appsv1.DeploymentList{}} {
		if err := c.List(ctx, l, client.InNamespace(ns), client.MatchingLabels{velerov1.RestoreNameLabel: restore}); err != nil {
			t.Fatal(err)
		}
		n += meta.LenList(l)
	}
	return n
}

// TestDrillWithTheStoreDownDuringTheBackup: the object store goes away
// while Velero backs up — after it checked the backup is new and collected
// the items, before it uploads them. The drill fails in Backup with
// Velero's reason, restores nothing, and leaves the source as it was.
func TestDrillWithTheStoreDownDuringTheBackup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	applyExample(ctx, t)
	defer stopVeleros(t)
	bulkData(ctx, t, 1000)
	before := sourceState(ctx, t)
	o := faultDrill(t, "inference-store-mid")
	defer storeBack(t)

	// Velero patches status.progress.totalItems once it has collected the
	// items: from then on until the upload it does not touch the store.
	wctx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var stoppedAt string
	wg.Add(1)
	go func() {
		defer wg.Done()
		whenVelero(wctx, drillSource, &velerov1.BackupList{}, func(o client.Object) bool {
			// InProgress: not an earlier test's backup.
			b := o.(*velerov1.Backup)
			return b.Status.Phase == velerov1.BackupPhaseInProgress && b.Status.Progress != nil && b.Status.Progress.TotalItems > 0
		}, func() {
			if err := env.fleet.StopComponent("object-store"); err != nil {
				t.Errorf("stop the object store: %v", err)
			}
			stoppedAt = time.Now().Format("15:04:05.000")
		})
	}()
	res, err := drill.Run(ctx, o)
	stopWatch()
	wg.Wait()
	if stoppedAt == "" {
		t.Fatalf("the backup never reported its items: the store was not stopped (drill: %v)", err)
	}
	rep := failedRun(t, res, err, "whose store went down during the backup")
	t.Logf("store stopped at %s; failed in %s: %s", stoppedAt, rep.FailedPhase, rep.Error)
	if rep.FailedPhase != string(drill.PhaseBackup) || !strings.Contains(rep.Error, "velero: Backup/velero/"+res.State.RunID) ||
		!strings.Contains(rep.Error, "Failed") {
		t.Errorf("failed in %q with %q, want Backup and Velero's verdict", rep.FailedPhase, rep.Error)
	}
	if res.State.Backup == nil || res.State.Backup.Phase == string(velerov1.BackupPhaseCompleted) {
		t.Errorf("backup recorded as %+v", res.State.Backup)
	}
	restoredNothing(t, res)
	sourceUnchanged(ctx, t, before)
}

// TestDrillWithTheRecoveryAPIServerDownDuringTheRestore: the DR site's API
// server crashes while Velero restores into it, and comes back ten
// seconds later. The drill waits the outage out, fails in Restore with Velero's
// verdict and its own error messages, and its cleanup removes what the
// restore did create; the source is unchanged.
func TestDrillWithTheRecoveryAPIServerDownDuringTheRestore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	applyExample(ctx, t)
	defer stopVeleros(t)
	bulkData(ctx, t, 1000)
	before := sourceState(ctx, t)
	const mapped = "inference-apidown"
	o := faultDrill(t, mapped)
	o.PhaseTimeout = 3 * time.Minute
	apiserver := fleet.APIServerName(drillRecovery)
	t.Cleanup(func() {
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer rcancel()
		if err := env.fleet.StartComponent(rctx, apiserver, true); err != nil {
			t.Errorf("restart %s: %v", apiserver, err)
		}
		if err := fleet.WaitClustersReady(rctx, karmadaClient(t), []string{drillRecovery}, 90*time.Second); err != nil {
			t.Errorf("after restart: %v", err)
		}
	})

	wctx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var outage string
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Once Velero reports restored items: it is creating objects.
		whenVelero(wctx, drillRecovery, &velerov1.RestoreList{}, func(o client.Object) bool {
			rs := o.(*velerov1.Restore)
			return rs.Status.Phase == velerov1.RestorePhaseInProgress && rs.Status.Progress != nil && rs.Status.Progress.ItemsRestored > 0
		}, func() {
			from := time.Now()
			if err := env.fleet.KillComponent(apiserver); err != nil {
				t.Errorf("stop %s: %v", apiserver, err)
				return
			}
			select {
			case <-wctx.Done():
			case <-time.After(10 * time.Second):
			}
			if err := env.fleet.StartComponent(ctx, apiserver, true); err != nil {
				t.Errorf("restart %s: %v", apiserver, err)
			}
			outage = fmt.Sprintf("%s down from %s for %s", apiserver, from.Format("15:04:05.000"), time.Since(from).Round(100*time.Millisecond))
		})
	}()
	res, err := drill.Run(ctx, o)
	stopWatch()
	wg.Wait()
	if outage == "" {
		t.Fatalf("the restore was never seen restoring: the API server was not stopped (drill: %v)", err)
	}
	rep := failedRun(t, res, err, "whose recovery API server went down during the restore")
	t.Logf("%s; failed in %s: %s", outage, rep.FailedPhase, rep.Error)
	for _, p := range rep.Phases {
		t.Logf("%-14s %s%s", p.Phase, p.Message, p.Error)
	}
	if rep.FailedPhase != string(drill.PhaseRestore) || !strings.Contains(rep.Error, "velero: Restore/velero/"+res.State.RunID) {
		t.Errorf("failed in %q with %q, want Restore and Velero's verdict", rep.FailedPhase, rep.Error)
	}
	if res.State.Restore == nil || res.State.Restore.Phase == string(velerov1.RestorePhaseCompleted) || !res.State.Done {
		t.Errorf("state: restore %+v, done %v", res.State.Restore, res.State.Done)
	}
	if cl := res.State.Phases[len(res.State.Phases)-1]; cl.Phase != drill.PhaseCleanup || cl.Error != "" || !strings.Contains(cl.Message, "restored object(s) removed") {
		t.Errorf("cleanup: %+v", cl)
	}
	if n := restoredLeft(ctx, t, res.State.RunID, mapped); n != 0 {
		t.Errorf("%d restored objects left in %s on %s", n, mapped, drillRecovery)
	}
	sourceUnchanged(ctx, t, before)
}

// clearLocationStatus removes what Velero wrote into a location's status,
// as a location no server has validated yet: the next server validates it
// at once (it would otherwise trust a validation younger than a minute).
func clearLocationStatus(ctx context.Context, t *testing.T, cluster, name string) {
	t.Helper()
	bsl := &velerov1.BackupStorageLocation{ObjectMeta: metav1.ObjectMeta{Namespace: fleet.VeleroNamespace, Name: name}}
	patch := []byte(`{"status":{"phase":null,"message":null,"lastValidationTime":null,"lastSyncedTime":null}}`)
	vc := veleroClient(t, cluster)
	// Karmada propagates the location: on a fresh fleet it may not be
	// there yet.
	var last error
	if err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		last = vc.Patch(ctx, bsl, client.RawPatch(types.MergePatchType, patch))
		return last == nil, nil
	}); err != nil {
		t.Fatalf("clear BackupStorageLocation/%s/%s on %s: %v", fleet.VeleroNamespace, name, cluster, last)
	}
}

// TestDrillWithWrongCredentials: the credentials Velero signs its
// requests to a location with are wrong — on the source (the drill fails
// in Preflight, before any backup), or only on the recovery side once the
// backup is taken (it fails in AwaitBackup as soon as Velero validates the
// location there, not at the phase's timeout); either way with Velero's
// message (the store's answer), nothing restored, the source as it was.
// On the local fleet each Velero server reads the store's credentials
// from a file (AWS_SHARED_CREDENTIALS_FILE): the test writes wrong ones
// into it.
func TestDrillWithWrongCredentials(t *testing.T) {
	for _, tc := range []struct {
		name, cluster, location string
		phase                   drill.Phase
		mapped                  string
	}{
		{"source location", drillSource, "default", drill.PhasePreflight, "inference-creds-source"},
		{"recovery copy", drillRecovery, "default-from-" + drillSource, drill.PhaseAwaitBackup, "inference-creds-recovery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			applyExample(ctx, t)
			stopVeleros(t)
			before := sourceState(ctx, t)
			file := env.fleet.Store.CredentialsFile
			good, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			wrong := []byte("[default]\naws_access_key_id=flotilla-wrong\naws_secret_access_key=wrong\n")
			t.Cleanup(func() {
				cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
				defer ccancel()
				stopVeleros(t)
				if err := os.WriteFile(file, good, 0o600); err != nil {
					t.Errorf("restore the credentials: %v", err)
				}
				// The next drill's Velero validates the location again
				// rather than trust this test's Unavailable for a minute.
				clearLocationStatus(cctx, t, tc.cluster, tc.location)
			})
			o := faultDrill(t, tc.mapped)
			if tc.cluster == drillSource {
				if err := os.WriteFile(file, wrong, 0o600); err != nil {
					t.Fatal(err)
				}
				clearLocationStatus(ctx, t, tc.cluster, tc.location)
			} else {
				// Wrong from the moment the backup is in the store: the
				// recovery side's server starts after it.
				o.Progress = func(p drill.PhaseRecord) {
					if p.Phase == drill.PhaseBackup && p.Ended != nil {
						if err := os.WriteFile(file, wrong, 0o600); err != nil {
							t.Error(err)
						}
					}
				}
			}

			res, err := drill.Run(ctx, o)
			rep := failedRun(t, res, err, "with wrong credentials")
			t.Logf("failed in %s after %s: %s", rep.FailedPhase, res.State.Failed().Duration(time.Now()).Round(10*time.Millisecond), rep.Error)
			if rep.FailedPhase != string(tc.phase) || !strings.Contains(rep.Error, "velero: BackupStorageLocation/velero/"+tc.location+" on "+tc.cluster+" is Unavailable") {
				t.Errorf("failed in %q with %q, want %s and Velero's verdict on the location", rep.FailedPhase, rep.Error, tc.phase)
			}
			if d := res.State.Failed().Duration(time.Now()); d > time.Minute {
				t.Errorf("%s took %s: the drill waited instead of reporting Velero's verdict", tc.phase, d)
			}
			restoredNothing(t, res)
			sourceUnchanged(ctx, t, before)
		})
	}
}

// TestDrillWithAPartiallyFailedBackup: a pod in the source's namespace
// opts a volume into Velero's file-system backup, but no node-agent runs
// on its node — a common misconfiguration. Real Velero backs up every
// other item and ends the backup PartiallyFailed; the drill fails in
// Backup with Velero's own error message (read back through a
// DownloadRequest) and restores nothing.
//
// The members run no kubelets: the test writes the status a kubelet would
// write for the running pod (Velero only backs up the volumes of running
// pods), nothing else.
func TestDrillWithAPartiallyFailedBackup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	applyExample(ctx, t)
	defer stopVeleros(t)
	before := sourceState(ctx, t)
	c, err := env.fleet.Client(drillSource)
	if err != nil {
		t.Fatal(err)
	}
	node := drillSource + "-node-0"
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "model-cache", Namespace: drillNS, Annotations: map[string]string{"backup.velero.io/backup-volumes": "cache"}},
		Spec: corev1.PodSpec{
			NodeName:   node,
			Containers: []corev1.Container{{Name: "cache", Image: "registry.example/model-cache:1", VolumeMounts: []corev1.VolumeMount{{Name: "cache", MountPath: "/cache"}}}},
			Volumes:    []corev1.Volume{{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
	if err := c.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// No kubelet confirms a graceful deletion: remove it at once.
		if err := c.Delete(context.Background(), pod, client.GracePeriodSeconds(0)); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete the pod: %v", err)
		}
	})
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	if err := c.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}

	res, err := drill.Run(ctx, faultDrill(t, "inference-partial"))
	rep := failedRun(t, res, err, "whose backup left a volume out")
	t.Logf("failed in %s: %s", rep.FailedPhase, rep.Error)
	if rep.FailedPhase != string(drill.PhaseBackup) || !strings.Contains(rep.Error, "PartiallyFailed") ||
		!strings.Contains(rep.Error, "daemonset pod not found in running state in node "+node) {
		t.Errorf("failed in %q with %q, want Backup, PartiallyFailed and Velero's own message", rep.FailedPhase, rep.Error)
	}
	if b := res.State.Backup; b == nil || b.Phase != string(velerov1.BackupPhasePartiallyFailed) || b.Errors == 0 || b.Items < 5 {
		t.Errorf("backup recorded as %+v, want PartiallyFailed with errors and the other items", b)
	}
	restoredNothing(t, res)
	sourceUnchanged(ctx, t, before)
}

// TestDrillStopsTheSourceAPIServer: the StopAPIServer failure stops the
// source's kube-apiserver after the backup; the drill restores and
// verifies on the DR site without it, and its cleanup starts it again and
// waits until Karmada sees the cluster Ready. The source holds what it
// held before.
func TestDrillStopsTheSourceAPIServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	applyExample(ctx, t)
	defer stopVeleros(t)
	bulkData(ctx, t, 50)
	before := sourceState(ctx, t)
	apiserver := fleet.APIServerName(drillSource)
	t.Cleanup(func() {
		// Only if the drill did not: leave the fleet as the next tests expect.
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer rcancel()
		if err := env.fleet.StartComponent(rctx, apiserver, true); err != nil {
			t.Errorf("restart %s: %v", apiserver, err)
		}
	})
	src, err := env.fleet.Client(drillSource)
	if err != nil {
		t.Fatal(err)
	}
	o := faultDrill(t, "inference-stopped")
	o.Drill.Spec.Failure.Type = v1alpha1.FailureStopAPIServer
	var downDuringRestore error
	o.Progress = func(p drill.PhaseRecord) {
		if p.Ended == nil {
			return
		}
		t.Logf("%-14s %6s  %s%s", p.Phase, p.Ended.Sub(p.Started).Round(10*time.Millisecond), p.Message, p.Error)
		if p.Phase == drill.PhaseRestore {
			qctx, qcancel := context.WithTimeout(ctx, 2*time.Second)
			downDuringRestore = src.Get(qctx, client.ObjectKey{Name: drillNS}, &corev1.Namespace{})
			qcancel()
		}
	}
	res, err := drill.Run(ctx, o)
	if err != nil || !res.Report.Passed {
		t.Fatalf("drill: %v (failed phase %q: %s)", err, res.Report.FailedPhase, res.Report.Error)
	}
	if downDuringRestore == nil {
		t.Error("the source answered during the restore: its API server was not stopped")
	}
	cleanup := res.State.Phases[len(res.State.Phases)-1]
	if !strings.Contains(cleanup.Message, "API server of "+drillSource+" started again, Ready in Karmada") || !res.State.FailureLifted {
		t.Errorf("cleanup: %+v", cleanup)
	}
	t.Logf("RTO %s (source down: %v)", res.Report.RTO.Round(10*time.Millisecond), downDuringRestore)
	sourceUnchanged(ctx, t, before)
}
