package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/drill"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
)

// scheduledBackup creates a Backup as Velero's schedule controller does
// when the schedule fires (its template, labelled with its name) and
// waits until real Velero ends it in phase.
func scheduledBackup(ctx context.Context, t *testing.T, s *velerov1.Schedule, name string, edit func(*velerov1.BackupSpec), phase velerov1.BackupPhase) *velerov1.Backup {
	t.Helper()
	vc := veleroClient(t, drillSource)
	b := &velerov1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: fleet.VeleroNamespace, Labels: map[string]string{velerov1.ScheduleNameLabel: s.Name}},
		Spec:       *s.Spec.Template.DeepCopy(),
	}
	if edit != nil {
		edit(&b.Spec)
	}
	if err := vc.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := vc.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
			return false, nil
		}
		return b.Status.Phase == phase, nil
	})
	if err != nil {
		t.Fatalf("Backup %s: %s %v, want %s: %v", name, b.Status.Phase, b.Status.ValidationErrors, phase, err)
	}
	return b
}

// TestVerifyBackups checks paddle-inference's backups on its Frankfurt
// member with real Velero: a backup made from the app's Schedule (as the
// schedule controller makes them, labelled with its name) is the chain's
// latest; the preview reads the chain and restores nothing; --yes
// restores it on the DR site into a scratch namespace, verifies every
// object against what the backup holds (read through Velero) and removes
// it; a backup Velero refuses breaks the chain.
func TestVerifyBackups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	const app = "paddle-inference"
	applyExample(ctx, t)
	defer stopVeleros(t)
	vc := veleroClient(t, drillSource)
	s := &velerov1.Schedule{}
	if err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		return vc.Get(ctx, client.ObjectKey{Namespace: fleet.VeleroNamespace, Name: app}, s) == nil, nil
	}); err != nil {
		t.Fatalf("Schedule velero/%s never reached %s: %v", app, drillSource, err)
	}
	if err := env.fleet.StartVelero(ctx, env.engines, drillSource, true); err != nil {
		t.Fatal(err)
	}
	// Velero refuses backups until it has validated the location.
	bsl := &velerov1.BackupStorageLocation{}
	if err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		err := vc.Get(ctx, client.ObjectKey{Namespace: fleet.VeleroNamespace, Name: s.Spec.Template.StorageLocation}, bsl)
		return err == nil && bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, nil
	}); err != nil {
		t.Fatalf("BackupStorageLocation %s on %s: %s %s", s.Spec.Template.StorageLocation, drillSource, bsl.Status.Phase, bsl.Status.Message)
	}
	// With Velero running, Karmada and Velero leave the Schedule alone
	// (Velero used to write spec.skipImmediately, Karmada to take it out,
	// several times a second).
	time.Sleep(time.Second) // Velero's first pass over it marks it Enabled
	if err := vc.Get(ctx, client.ObjectKeyFromObject(s), s); err != nil {
		t.Fatal(err)
	}
	rv := s.ResourceVersion
	time.Sleep(3 * time.Second)
	if err := vc.Get(ctx, client.ObjectKeyFromObject(s), s); err != nil || s.ResourceVersion != rv {
		t.Errorf("Schedule %s rewritten while Velero runs: resourceVersion %s → %s (%v)", app, rv, s.ResourceVersion, err)
	}
	stamp := time.Now().UTC().Format("20060102150405")
	good := scheduledBackup(ctx, t, s, app+"-"+stamp, nil, velerov1.BackupPhaseCompleted)
	t.Cleanup(func() {
		for _, name := range []string{good.Name, app + "-refused-" + stamp} {
			_ = vc.Create(context.Background(), &velerov1.DeleteBackupRequest{ObjectMeta: metav1.ObjectMeta{Name: name + "-delete", Namespace: fleet.VeleroNamespace},
				Spec: velerov1.DeleteBackupRequestSpec{BackupName: name}})
		}
	})
	// The example's cron fires every six hours: if it fired since the
	// Schedule was created (long enough ago to count), whether Velero ran
	// then decides the chain, and only the dry-run is this test's to judge.
	sched, err := cron.ParseStandard(s.Spec.Schedule)
	if err != nil {
		t.Fatal(err)
	}
	judgeChain := sched.Next(s.CreationTimestamp.Time).After(time.Now().Add(-10 * time.Minute))
	if !judgeChain {
		t.Logf("%s fired since Schedule %s was created at %s: its chain is not this test's", s.Spec.Schedule, app, s.CreationTimestamp)
	}

	vo := drill.VerifyOptions{Repo: env.rendered.Repo, Config: env.fleet.RESTConfig, Servers: fleetServers{}, Apps: []string{app}, Clusters: []string{drillSource},
		FastSync: true, Timeout: 2 * time.Minute}
	// The preview reads the chain and restores nothing.
	rep, err := drill.VerifyBackups(ctx, vo)
	if err != nil || len(rep.Schedules) != 1 {
		t.Fatalf("preview: %v %+v", err, rep)
	}
	sr := rep.Schedules[0]
	if !rep.Preview || sr.Chain == nil || sr.Chain.Latest != good.Name || len(sr.Steps) == 0 || sr.DryRun != nil || sr.Recovery != drillRecovery {
		t.Fatalf("preview: %+v", sr)
	}
	if judgeChain && (!sr.Chain.OK() || !rep.Passed) {
		t.Errorf("preview: chain %+v", sr.Chain)
	}
	var restores velerov1.RestoreList
	if err := veleroClient(t, drillRecovery).List(ctx, &restores, client.InNamespace(fleet.VeleroNamespace), client.MatchingLabels{drill.LabelVerify: rep.RunID}); err != nil || len(restores.Items) != 0 {
		t.Errorf("the preview restored: %d Restores (%v)", len(restores.Items), err)
	}

	// --yes: the dry-run.
	vo.Yes = true
	vo.Progress = func(p drill.PhaseRecord) {
		if p.Ended != nil {
			t.Logf("%-40s %6s  %s%s", p.Phase, p.Ended.Sub(p.Started).Round(10*time.Millisecond), p.Message, p.Error)
		}
	}
	rep, err = drill.VerifyBackups(ctx, vo)
	if err != nil || len(rep.Schedules) != 1 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	var md bytes.Buffer
	if err := drill.WriteBackupsMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", md.String())
	sr = rep.Schedules[0]
	d := sr.DryRun
	if d == nil || !d.Passed() || d.Backup != good.Name || d.Verification.Objects == 0 || d.Verification.Verified != d.Verification.Objects {
		t.Fatalf("dry-run: %+v (verification %+v)", d, d.Verification)
	}
	if judgeChain && !rep.Passed {
		t.Errorf("report failed: %+v", sr)
	}
	rc, err := env.fleet.Client(drillRecovery)
	if err != nil {
		t.Fatal(err)
	}
	var cms corev1.ConfigMapList
	if err := rc.List(ctx, &cms, client.InNamespace(d.Scratch)); err != nil || len(cms.Items) != 0 {
		t.Errorf("%d ConfigMaps left in scratch namespace %s on %s (%v)", len(cms.Items), d.Scratch, drillRecovery, err)
	}
	done := &velerov1.Restore{}
	if err := veleroClient(t, drillRecovery).Get(ctx, client.ObjectKey{Namespace: fleet.VeleroNamespace, Name: d.Restore}, done); err != nil ||
		done.Labels["flotilla.io/restore-removed"] != "true" || done.Status.Phase != velerov1.RestorePhaseCompleted {
		t.Errorf("Restore %s: %v, labels %v, phase %s", d.Restore, err, done.Labels, done.Status.Phase)
	}

	// A backup made from the schedule that Velero refuses breaks the chain.
	if err := env.fleet.StartVelero(ctx, env.engines, drillSource, true); err != nil {
		t.Fatal(err)
	}
	refused := scheduledBackup(ctx, t, s, app+"-refused-"+stamp, func(b *velerov1.BackupSpec) { b.StorageLocation = "nowhere" }, velerov1.BackupPhaseFailedValidation)
	vo.Yes = false
	rep, err = drill.VerifyBackups(ctx, vo)
	if err != nil {
		t.Fatal(err)
	}
	sr = rep.Schedules[0]
	want := "Backup " + refused.Name + " (created "
	if rep.Passed || sr.Chain.OK() || !strings.Contains(strings.Join(sr.Chain.Problems, "\n"), want) || sr.Chain.Latest != good.Name {
		t.Errorf("a refused backup did not break the chain: %+v", sr.Chain)
	}
	t.Logf("chain with the refused backup: %v", sr.Chain.Problems)
}
