package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/drill"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
)

// fleetServers starts a member's Velero server on the local fleet, and
// stops and starts its API server (the StopAPIServer failure).
type fleetServers struct{}

func (fleetServers) Ensure(ctx context.Context, cluster string) error {
	return env.fleet.StartVelero(ctx, env.engines, cluster, true)
}

func (fleetServers) StopAPIServer(_ context.Context, cluster string) error {
	return env.fleet.KillComponent(fleet.APIServerName(cluster))
}

func (fleetServers) StartAPIServer(ctx context.Context, cluster string) error {
	return env.fleet.StartComponent(ctx, fleet.APIServerName(cluster), true)
}

// TestDrillRestoresIntoTheDRSite runs the example fleet's drill, narrowed
// to paddle-inference and restored beside the DR site's live copy (namespace
// mapped), with real Velero servers on both sides and the fleet's object
// store: hundreds of ConfigMaps and Secrets with data are backed up,
// restored and compared object by object; the restore is removed after,
// and the source is left as it was.
func TestDrillRestoresIntoTheDRSite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	const source, recovery, ns = "cloud-eu-central-1", "dr-us-east-2", "inference"
	// A namespace of its own per run (-count=N measures N drills): a
	// removed one stays Terminating on a member without a namespace
	// controller.
	mapped := fmt.Sprintf("inference-drill-%d", time.Now().Unix()%100000)
	applyExample(ctx, t)
	defer stopVeleros(t)

	// Data the app holds beyond its manifests, created in the source.
	src, err := env.fleet.Client(source)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitNamespace(ctx, src, ns); err != nil {
		t.Fatal(err)
	}
	const configMaps, secrets = 300, 100
	testData := map[string]string{"flotilla.io/e2e": "drill-data"}
	defer func() {
		// Leave the source as the other tests expect it.
		for _, o := range []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}} {
			if err := src.DeleteAllOf(context.Background(), o, client.InNamespace(ns), client.MatchingLabels(testData)); err != nil {
				t.Error(err)
			}
		}
	}()
	for i := range configMaps {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("routing-%03d", i), Namespace: ns, Labels: testData},
			Data: map[string]string{"route": fmt.Sprintf("model-%d -> shard-%d", i, i%7), "weight": fmt.Sprint(i % 13)}}
		if err := src.Create(ctx, cm); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	for i := range secrets {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("model-key-%03d", i), Namespace: ns, Labels: testData},
			Data: map[string][]byte{"key": []byte(fmt.Sprintf("secret-%d", i))}}
		if err := src.Create(ctx, s); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}

	// The fast path keeps `make test` short; FLOTILLA_DRILL_SLOW_SYNC=1
	// measures the RTO with Velero's default one-minute backup sync.
	o := exampleDrill(t, mapped)
	o.Drill.Spec.Verify.Ready = []v1alpha1.DrillReadyCheck{{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: "paddle-inference"}}
	o.FastSync = os.Getenv("FLOTILLA_DRILL_SLOW_SYNC") == ""
	o.PhaseTimeout = 3 * time.Minute
	o.Progress = func(p drill.PhaseRecord) {
		if p.Ended != nil {
			t.Logf("%-14s %6s  %s%s", p.Phase, p.Ended.Sub(p.Started).Round(10*time.Millisecond), p.Message, p.Error)
			if o.FastSync && p.Phase == drill.PhaseAwaitBackup && p.Ended.Sub(p.Started) > 20*time.Second {
				// Once in a few dozen runs the fast path's first sync did
				// not list the backup and the next cycle, a minute later,
				// did: keep what Velero said about its locations and syncs.
				var lines []string
				for _, l := range strings.Split(veleroLog(recovery), "\n") {
					if strings.Contains(l, "BackupStorageLocation") || strings.Contains(l, "backup-sync") {
						lines = append(lines, l)
					}
				}
				t.Logf("slow sync; Velero on %s about its locations and syncs:\n%s", recovery, lastLines(strings.Join(lines, "\n"), 40))
			}
		}
	}

	// The preview changes nothing.
	preview, err := drill.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !preview.Preview || len(preview.Steps) != len(drill.Phases) {
		t.Fatalf("preview: %+v", preview)
	}
	if _, err := os.Stat(o.StateFile); !os.IsNotExist(err) {
		t.Errorf("a preview wrote the state file: %v", err)
	}

	o.Yes = true
	res, err := drill.Run(ctx, o)
	if err != nil {
		if res != nil && res.State != nil && res.State.Verification != nil {
			for i, d := range res.State.Verification.Different {
				if i == 3 {
					break
				}
				t.Logf("different: %s: %v", d.Object, d.Changes)
			}
		}
		t.Fatalf("drill: %v; Velero on %s:\n%s", err, recovery, lastLines(veleroLog(recovery), 20))
	}
	rep := res.Report
	var md, junit, svg bytes.Buffer
	if err := drill.WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	if err := drill.WriteJUnit(&junit, rep); err != nil {
		t.Fatal(err)
	}
	if err := drill.WriteSVG(&svg, rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", md.String())
	if out := os.Getenv("FLOTILLA_ARTIFACTS"); out != "" {
		_ = os.WriteFile(filepath.Join(out, "drill-timeline.svg"), svg.Bytes(), 0o644)
		if data, err := json.MarshalIndent(rep, "", "  "); err == nil {
			_ = os.WriteFile(filepath.Join(out, "drill-report-"+rep.RunID+".json"), data, 0o644)
		}
	}
	if !rep.Passed {
		t.Fatalf("drill did not pass")
	}
	v := rep.Verification
	if v.Objects < configMaps+secrets || v.Verified != v.Objects {
		t.Errorf("verified %d of %d objects, want all of at least %d", v.Verified, v.Objects, configMaps+secrets)
	}
	if rep.RTO <= 0 || rep.RPO <= 0 || rep.Backup == nil || rep.Restore == nil || rep.Restore.Items < configMaps+secrets {
		t.Errorf("report: RTO %s RPO %s backup %+v restore %+v", rep.RTO, rep.RPO, rep.Backup, rep.Restore)
	}
	if !strings.Contains(junit.String(), `failures="0"`) || !strings.Contains(svg.String(), "<rect") {
		t.Errorf("JUnit or SVG incomplete:\n%s\n%s", junit.String(), svg.String())
	}

	// Cleanup removed the restored namespace; the source kept everything.
	rc, err := env.fleet.Client(recovery)
	if err != nil {
		t.Fatal(err)
	}
	nsObj := &corev1.Namespace{}
	if err := rc.Get(ctx, client.ObjectKey{Name: mapped}, nsObj); err == nil && nsObj.DeletionTimestamp == nil {
		t.Errorf("namespace %s still on %s after cleanup", mapped, recovery)
	}
	var left corev1.ConfigMapList
	if err := rc.List(ctx, &left, client.InNamespace(mapped)); err != nil || len(left.Items) != 0 {
		t.Errorf("%d restored ConfigMaps left in %s on %s after cleanup: %v", len(left.Items), mapped, recovery, err)
	}
	var cms corev1.ConfigMapList
	if err := src.List(ctx, &cms, client.InNamespace(ns)); err != nil || len(cms.Items) < configMaps {
		t.Errorf("source %s: %d ConfigMaps left, want %d: %v", source, len(cms.Items), configMaps, err)
	}
	state, err := drill.LoadState(o.StateFile)
	if err != nil || state == nil || !state.Done {
		t.Errorf("state file: %+v, %v", state, err)
	}
}

// waitNamespace waits until Karmada has created the namespace in a member.
func waitNamespace(ctx context.Context, c client.Client, name string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := c.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s never reached the member: %w", name, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
