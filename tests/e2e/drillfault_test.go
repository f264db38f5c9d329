package e2e

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		Servers: fleetServers{}, StateFile: filepath.Join(t.TempDir(), "state.json"), FastSync: true,
		PhaseTimeout: 2 * time.Minute,
	}
}

// faultDrill is exampleDrill, acting.
func faultDrill(t *testing.T) drill.Options {
	o := exampleDrill(t, "inference-fault")
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
	o := faultDrill(t)
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
	o := faultDrill(t)
	// Velero must be up and the location Available before the store goes.
	if err := env.fleet.StartVelero(ctx, env.engines, "cloud-eu-central-1", true); err != nil {
		t.Fatal(err)
	}
	if err := env.fleet.StopComponent("object-store"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.fleet.StartComponent(context.Background(), "object-store", true); err != nil {
			t.Errorf("restart the object store: %v", err)
		}
	}()
	res, err := drill.Run(ctx, o)
	if err == nil || res == nil || res.Report.Passed {
		t.Fatalf("a drill without its object store passed: %v", err)
	}
	rep := res.Report
	if rep.FailedPhase != string(drill.PhaseBackup) && rep.FailedPhase != string(drill.PhasePreflight) {
		t.Errorf("failed in %q, want Backup or Preflight: %s", rep.FailedPhase, rep.Error)
	}
	if !strings.Contains(rep.Error, "connection refused") && !strings.Contains(rep.Error, "Unavailable") && !strings.Contains(rep.Error, "Failed") {
		t.Errorf("the report does not carry Velero's reason: %s", rep.Error)
	}
	if res.State.Restore != nil || !res.State.Done {
		t.Errorf("state: restore %+v, done %v", res.State.Restore, res.State.Done)
	}
	t.Logf("failed in %s: %s", rep.FailedPhase, rep.Error)
}
