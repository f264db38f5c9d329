package drill

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"github.com/vmware-tanzu/velero/pkg/util/results"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/semdiff"
)

func at(s int) *time.Time {
	t := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC).Add(time.Duration(s) * time.Second)
	return &t
}

func plan(rto, rpo time.Duration) *v1alpha1.DrillPlan {
	d := &v1alpha1.DrillPlan{}
	d.Name = "d"
	d.Spec.Objectives = v1alpha1.DrillObjectives{RTO: metav1.Duration{Duration: rto}, RPO: metav1.Duration{Duration: rpo}}
	return d
}

// recorded is a run whose phases took known times: backup 10 s (Velero 8 s),
// failure at 12 s, verified at 40 s (restore 10 s, Velero 9 s).
func recorded() *State {
	st := &State{APIVersion: APIVersion, Drill: "d", RunID: "d-1", Source: "a", Recovery: "b", FailureAt: at(12)}
	add := func(p Phase, from, to int) {
		st.Phases = append(st.Phases, PhaseRecord{Phase: p, Started: *at(from), Ended: at(to)})
	}
	add(PhasePreflight, 0, 1)
	add(PhaseBackup, 1, 11)
	add(PhaseInjectFailure, 11, 12)
	add(PhaseAwaitBackup, 12, 25)
	add(PhaseRestore, 25, 35)
	add(PhaseVerify, 35, 40)
	add(PhaseCleanup, 40, 41)
	st.Backup = &VeleroTimes{Name: "d-1", Phase: "Completed", Started: at(2), Completed: at(10), Items: 400,
		Seen: &Span{Started: at(1).Add(500 * time.Millisecond), Ended: at(10).Add(700 * time.Millisecond)}}
	st.Restore = &VeleroTimes{Name: "d-1", Phase: "Completed", Started: at(26), Completed: at(35), Items: 400,
		Seen: &Span{Started: at(25).Add(100 * time.Millisecond), Ended: at(34).Add(900 * time.Millisecond)}}
	st.Verification = &Verification{Objects: 400, Verified: 400}
	return st
}

func TestReportMeasuresRTORPOAndOverhead(t *testing.T) {
	rep := NewReport(recorded(), plan(time.Minute, 15*time.Second), *at(41))
	if rep.RTO != 28*time.Second || rep.RPO != 10*time.Second {
		t.Errorf("RTO %s RPO %s, want 28s and 10s", rep.RTO, rep.RPO)
	}
	// Backup and restore phases 20 s, Velero inside them 17 s: 15%; as
	// the drill saw it, 9.2 s + 9.8 s: 5%.
	if rep.Overhead < 0.149 || rep.Overhead > 0.151 || !rep.Passed {
		t.Errorf("overhead %.3f, passed %v; want 0.15 and passed", rep.Overhead, rep.Passed)
	}
	if rep.OverheadSeen < 0.049 || rep.OverheadSeen > 0.051 {
		t.Errorf("overhead seen %.3f, want 0.05", rep.OverheadSeen)
	}
	rep = NewReport(recorded(), plan(20*time.Second, 5*time.Second), *at(41))
	if rep.RTOMet || rep.RPOMet || rep.Passed {
		t.Errorf("objectives missed but report says RTO met %v, RPO met %v, passed %v", rep.RTOMet, rep.RPOMet, rep.Passed)
	}
	st := recorded()
	st.Verification.Missing = []string{"ConfigMap/ns/x"}
	if NewReport(st, plan(time.Minute, time.Minute), *at(41)).Passed {
		t.Error("a missing object must fail the drill")
	}
	st = recorded()
	st.Phases[4].Error = "velero: Restore d-1 PartiallyFailed: 3 error(s)"
	st.Phases = st.Phases[:5]
	rep = NewReport(st, plan(time.Minute, time.Minute), *at(41))
	if rep.Passed || rep.FailedPhase != string(PhaseRestore) || rep.RTO != 0 {
		t.Errorf("failed restore: %+v", rep)
	}
}

func TestReportFormats(t *testing.T) {
	rep := NewReport(recorded(), plan(time.Minute, 15*time.Second), *at(41))
	var md, junit, svg bytes.Buffer
	if err := WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"✅ passed", "| RTO (failure → verified restore) | 28s | 1m0s | ✅ |", "| AwaitBackup | 13s |",
		"Orchestration overhead (backup and restore phases outside Velero's own time): 15% by Velero's timestamps (whole seconds), 5% by its status changes as the drill watched them.", "400 equal"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if err := WriteJUnit(&junit, rep); err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(junit.Bytes(), &suite); err != nil || suite.Tests != 9 || suite.Failures != 0 {
		t.Errorf("junit: %+v %v\n%s", suite, err, junit.String())
	}
	if err := WriteSVG(&svg, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rects []struct{} `xml:"rect"`
	}
	if err := xml.Unmarshal(svg.Bytes(), &doc); err != nil || len(doc.Rects) != 7+2+1 {
		t.Errorf("svg: %d bars, %v (want a bar per phase, Velero's two, and RTO)", len(doc.Rects), err)
	}
}

func TestPreviewAndState(t *testing.T) {
	repo := &intent.Repo{}
	src := &intent.Cluster{}
	src.Name, src.Spec.DRPartner, src.Spec.Region = "a", "b", "r1"
	dst := &intent.Cluster{}
	dst.Name, dst.Spec.Region = "b", "r2"
	repo.Clusters = []*intent.Cluster{src, dst}
	app := &intent.App{}
	app.Name, app.Spec.Namespace, app.Spec.Backup = "web", "shop", &v1alpha1.Backup{}
	repo.Apps = []*intent.App{app}
	loc := &intent.Location{}
	loc.Name, loc.Spec.Default = "default", true
	repo.Locations = []*intent.Location{loc}
	d := &intent.Drill{DrillPlan: *plan(time.Minute, time.Hour)}
	d.Spec.Source, d.Spec.Apps = "a", []string{"web"}
	d.Spec.Failure.Type = v1alpha1.FailureTaintNoExecute
	state := filepath.Join(t.TempDir(), "state.json")
	res, err := Run(context.Background(), Options{Repo: repo, Drill: d, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Preview || res.State.Recovery != "b" || res.State.RecoveryLocation != "default-from-a" || len(res.Steps) != len(Phases) {
		t.Fatalf("preview: %+v", res)
	}
	if !strings.Contains(res.Steps[2].Action, "taint Cluster a NoExecute") {
		t.Errorf("failure step: %q", res.Steps[2].Action)
	}
	if s, err := LoadState(state); s != nil || err != nil {
		t.Errorf("a preview wrote state: %+v %v", s, err)
	}
	st := recorded()
	cm := &unstructured.Unstructured{}
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	cm.SetNamespace("shop")
	cm.SetName("routes")
	if err := st.setSnapshot([]*unstructured.Unstructured{cm}); err != nil {
		t.Fatal(err)
	}
	if err := st.save(state); err != nil {
		t.Fatal(err)
	}
	back, err := LoadState(state)
	if err != nil || back.RunID != "d-1" || !back.finished(PhaseVerify) || back.Failed() != nil || len(back.Snapshot) != 1 || back.Snapshot[0].GetName() != "routes" {
		t.Errorf("state round trip: %+v %v", back, err)
	}
	// The snapshot is written once, beside the state, not with every save.
	if data, err := os.ReadFile(state); err != nil || strings.Contains(string(data), "routes") {
		t.Errorf("the state file holds the snapshot: %v", err)
	}
	before, _ := os.Stat(snapshotPath(state))
	if err := back.save(state); err != nil {
		t.Fatal(err)
	}
	if after, err := os.Stat(snapshotPath(state)); err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the snapshot was written again: %v", err)
	}
	d.Spec.Source = "b"
	if _, err := Run(context.Background(), Options{Repo: repo, Drill: d}); err == nil {
		t.Error("a source without a DR partner and no recovery must be refused")
	}
}

func TestUnavailableNow(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	bsl := func(phase velerov1.BackupStorageLocationPhase, ago time.Duration, freq *metav1.Duration) *velerov1.BackupStorageLocation {
		b := &velerov1.BackupStorageLocation{}
		b.Status.Phase, b.Spec.ValidationFrequency = phase, freq
		if ago >= 0 {
			b.Status.LastValidationTime = &metav1.Time{Time: now.Add(-ago)}
		}
		return b
	}
	for _, tc := range []struct {
		name string
		b    *velerov1.BackupStorageLocation
		want bool
	}{
		{"available", bsl(velerov1.BackupStorageLocationPhaseAvailable, time.Second, nil), false},
		{"just validated unavailable", bsl(velerov1.BackupStorageLocationPhaseUnavailable, 2*time.Second, nil), true},
		{"unavailable, never validated (preset)", bsl(velerov1.BackupStorageLocationPhaseUnavailable, -1, nil), true},
		// Left by an earlier server: Velero validates it again at once.
		{"stale unavailable", bsl(velerov1.BackupStorageLocationPhaseUnavailable, 5*time.Minute, nil), false},
		{"unavailable within its own frequency", bsl(velerov1.BackupStorageLocationPhaseUnavailable, 5*time.Minute, &metav1.Duration{Duration: time.Hour}), true},
	} {
		if got := unavailableNow(tc.b, now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestVeleroErrorsAreQuoted(t *testing.T) {
	r := results.Result{Velero: []string{"error getting backup store"}, Namespaces: map[string][]string{
		"shop": {"error restoring configmaps/shop/a: connection refused", "error restoring configmaps/shop/b: connection refused"},
		"apps": {"error restoring secrets/apps/x: connection refused"},
	}}
	got := flatten(r)
	want := []string{"velero: error getting backup store", "apps: error restoring secrets/apps/x: connection refused",
		"shop: error restoring configmaps/shop/a: connection refused", "and 1 more"}
	if !slices.Equal(got, want) {
		t.Errorf("flatten:\n%q\nwant\n%q", got, want)
	}
	v := veleroStatus{name: "r", phase: "PartiallyFailed", errors: 4, details: got, logs: "velero restore describe r --details"}
	if msg := v.message(); !strings.HasPrefix(msg, "4 error(s): velero: error getting backup store; apps: ") {
		t.Errorf("message with details: %s", msg)
	}
	v.details = nil
	if msg := v.message(); msg != "4 error(s), see `velero restore describe r --details`" {
		t.Errorf("message without details: %s", msg)
	}
}

// A source's copy and the recovery cluster's own copy of one Karmada
// template differ only in Karmada's per-member bookkeeping and Velero's
// labels: equal for verification; a user's label is content.
func TestNormalizedLeavesKarmadaBookkeepingOut(t *testing.T) {
	obj := func(member, restore, tier string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("ConfigMap")
		u.SetName("routes")
		labels := map[string]string{"karmada.io/managed": "true", "work.karmada.io/permanent-id": member + "-id", "tier": tier}
		if restore != "" {
			labels["velero.io/restore-name"] = restore
		}
		u.SetLabels(labels)
		u.SetAnnotations(map[string]string{"work.karmada.io/namespace": "karmada-es-" + member, "resourcetemplate.karmada.io/uid": member})
		u.Object["data"] = map[string]any{"route": "a"}
		return u
	}
	opts := semdiff.Options{Ignore: ignoredFields}
	if d := semdiff.Diff(normalized(obj("src", "", "web")), normalized(obj("dr", "r-1", "web")), opts); len(d) != 0 {
		t.Errorf("Karmada's bookkeeping compared: %v", d)
	}
	if d := semdiff.Diff(normalized(obj("src", "", "web")), normalized(obj("dr", "", "db")), opts); len(d) != 1 {
		t.Errorf("a user's label not compared: %v", d)
	}
}
