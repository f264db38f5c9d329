package drill

import (
	"bytes"
	"context"
	"encoding/xml"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/intent"
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
	st.Backup = &VeleroTimes{Name: "d-1", Phase: "Completed", Started: at(2), Completed: at(10), Items: 400}
	st.Restore = &VeleroTimes{Name: "d-1", Phase: "Completed", Started: at(26), Completed: at(35), Items: 400}
	st.Verification = &Verification{Objects: 400, Verified: 400}
	return st
}

func TestReportMeasuresRTORPOAndOverhead(t *testing.T) {
	rep := NewReport(recorded(), plan(time.Minute, 15*time.Second), *at(41))
	if rep.RTO != 28*time.Second || rep.RPO != 10*time.Second {
		t.Errorf("RTO %s RPO %s, want 28s and 10s", rep.RTO, rep.RPO)
	}
	// Backup and restore phases 20 s, Velero inside them 17 s: 15%.
	if rep.Overhead < 0.149 || rep.Overhead > 0.151 || !rep.Passed {
		t.Errorf("overhead %.3f, passed %v; want 0.15 and passed", rep.Overhead, rep.Passed)
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
	st.Phases[4].Error = "Velero: Restore d-1 PartiallyFailed: 3 error(s)"
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
	for _, want := range []string{"✅ passed", "| RTO (failure → verified restore) | 28s | 1m0s | ✅ |", "| AwaitBackup | 13s |", "Orchestration overhead", "400 equal"} {
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
	if err := st.save(state); err != nil {
		t.Fatal(err)
	}
	back, err := LoadState(state)
	if err != nil || back.RunID != "d-1" || !back.finished(PhaseVerify) || back.Failed() != nil {
		t.Errorf("state round trip: %+v %v", back, err)
	}
	d.Spec.Source = "b"
	if _, err := Run(context.Background(), Options{Repo: repo, Drill: d}); err == nil {
		t.Error("a source without a DR partner and no recovery must be refused")
	}
}
