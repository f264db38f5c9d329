package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/drill"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/intent"
)

// readmeCLI runs flotilla as the README's commands do: in the repository
// the local fleet was started from, with no KUBECONFIG, so the command
// finds the fleet's own kubeconfig and servers as a user's run would.
func readmeCLI(ctx context.Context, t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "KUBECONFIG" {
			return ""
		}
		return os.Getenv(k)
	}
	code := cli.Run(ctx, append(args, "--repo", env.repo), cli.IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: getenv})
	return code, out.String(), errOut.String()
}

// TestDrillAsDeclared follows the README's drill section word for word:
// `flotilla apply --yes`, then `flotilla drill run
// backup/drills/inference-eu-central.yaml --yes --fast-sync` — the drill
// exactly as committed (both apps, no namespace mapping, the DR site's own
// standby copy of the divided inference Deployment beside the restore,
// the TaintNoExecute failure) — and it must pass: the backup holds every
// object Karmada placed on the source, and the standby's replicas are
// judged against Karmada's division for the DR site, not the backup's.
// `make e2e-soak` runs it five times in a row.
//
// Its file sorts last (go test runs files in name order), after the
// rollout test: the drill's TaintNoExecute makes Karmada evict the
// source's copies, which the rollout test would see leaving.
func TestDrillAsDeclared(t *testing.T) {
	// Longer than the drill's own phase timeout (10 minutes), so a phase
	// that waits it out reports what it waited for.
	ctx, cancel := context.WithTimeout(context.Background(), 13*time.Minute)
	defer cancel()
	defer stopVeleros(t)
	t.Chdir(env.repo)
	if code, out, errOut := readmeCLI(ctx, t, "apply", "--yes"); code != 0 {
		t.Fatalf("flotilla apply --yes: exit %d\n%s%s", code, out, errOut)
	}
	// The suite's fleet is not a living one: no pod of paddle-inference
	// ever becomes ready, and two minutes after apply Karmada's
	// application failover (the app declares it) would move it off every
	// cluster. `flotilla fleet up` gives members nodes and pods; the
	// suite's fleet writes the ready status once instead.
	readyAsPlaced(ctx, t)
	reports := t.TempDir()
	start := time.Now()
	code, out, errOut := readmeCLI(ctx, t, "drill", "run", "backup/drills/inference-eu-central.yaml", "--yes", "--fast-sync", "--report-dir", reports)
	t.Logf("flotilla drill run (%s):\n%s", time.Since(start).Round(time.Second), out)
	if code != 0 {
		t.Fatalf("drill run: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "using the local fleet of "+filepath.Join(env.repo, ".fleet")) {
		t.Errorf("the drill did not find the local fleet as the README's run does:\n%s", errOut)
	}
	data, err := os.ReadFile(filepath.Join(reports, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep drill.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Passed || rep.Verification == nil {
		t.Fatalf("the declared drill did not pass: failed in %s: %s", rep.FailedPhase, rep.Error)
	}
	if rep.Expected <= 0 || rep.Backup == nil || rep.Backup.Items < rep.Expected {
		t.Errorf("backup: %+v, Karmada placed %d", rep.Backup, rep.Expected)
	}
	judged := false
	for _, k := range rep.Verification.Karmada {
		if k.Object == "Deployment/inference/paddle-inference" && strings.Contains(strings.Join(k.Fields, ","), "spec.replicas") {
			judged = true
		}
	}
	if !judged {
		t.Errorf("the DR site's standby paddle-inference was not judged by Karmada's division: %+v", rep.Verification.Karmada)
	}
	if md, err := os.ReadFile(filepath.Join(reports, "report.md")); err == nil && !strings.Contains(string(md), "judged against Karmada's copy for dr-us-east-2") {
		t.Errorf("report.md does not say which fields were judged by Karmada:\n%s", md)
	}
	t.Logf("RTO %s (fast sync), backup %d items, %d objects placed by Karmada", rep.RTO.Round(10*time.Millisecond), rep.Backup.Items, rep.Expected)
}

// TestDrillBeforeApplyEndsAtOnce: a drill of apps the control plane does
// not hold — a storage location never applied, or an app's namespace never
// applied — ends in preflight with what to run, instead of waiting out its
// phase for something no one will create.
func TestDrillBeforeApplyEndsAtOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	defer stopVeleros(t)
	// The example is applied (its default location reaches the source);
	// what each case adds is not.
	applyExample(ctx, t)
	base := env.rendered.Repo.Drill("inference-eu-central")
	if base == nil {
		t.Fatal("no example drill")
	}
	for _, tc := range []struct {
		name  string
		setup func(repo *intent.Repo, d *intent.Drill)
		want  string
	}{{
		name: "location not applied",
		setup: func(repo *intent.Repo, d *intent.Drill) {
			loc := *repo.Location("default")
			loc.BackupStorageLocation = *loc.BackupStorageLocation.DeepCopy()
			loc.Name, loc.Spec.Default = "never-applied", false
			app := *repo.App("paddle-inference")
			app.App = *app.App.DeepCopy()
			app.Name, app.Spec.Backup.Location = "never-applied-app", "never-applied"
			repo.Locations = append(repo.Locations, &loc)
			repo.Apps = append(repo.Apps, &app)
			d.Spec.Apps = []string{"never-applied-app"}
		},
		want: "BackupStorageLocation/velero/never-applied is not on cloud-eu-central-1, and BackupStorageLocation/velero/never-applied is not on the Karmada control plane karmada-host either, so no member will get it: run `flotilla apply --yes` first",
	}, {
		name: "namespace not applied",
		setup: func(repo *intent.Repo, d *intent.Drill) {
			app := *repo.App("paddle-inference")
			app.App = *app.App.DeepCopy()
			app.Name, app.Spec.Namespace = "never-applied-app", "never-applied"
			repo.Apps = append(repo.Apps, &app)
			d.Spec.Apps = []string{"never-applied-app"}
		},
		want: "nothing of namespace(s) never-applied is on the Karmada control plane karmada-host: run `flotilla apply --yes` first",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			repo := *env.rendered.Repo
			repo.Apps = append([]*intent.App(nil), repo.Apps...)
			repo.Locations = append([]*intent.Location(nil), repo.Locations...)
			d := &intent.Drill{DrillPlan: *base.DrillPlan.DeepCopy(), Source: base.Source}
			d.Spec.Failure.Type = v1alpha1.FailureNone
			tc.setup(&repo, d)
			// The repository's lookups are by binary search over names.
			slices.SortFunc(repo.Apps, func(a, b *intent.App) int { return strings.Compare(a.Name, b.Name) })
			slices.SortFunc(repo.Locations, func(a, b *intent.Location) int { return strings.Compare(a.Name, b.Name) })
			o := drill.Options{
				Repo: &repo, Drill: d, Config: env.fleet.RESTConfig, ControlPlane: fleet.HostName,
				Servers: fleetServers{}, StateFile: filepath.Join(t.TempDir(), "state.json"), FastSync: true, Yes: true,
				// A wait that did not tell "not there" from "not yet" would
				// run this long.
				PhaseTimeout: 10 * time.Minute,
			}
			start := time.Now()
			res, err := drill.Run(ctx, o)
			took := time.Since(start)
			if err == nil || res == nil || res.Report == nil || res.Report.FailedPhase != string(drill.PhasePreflight) {
				t.Fatalf("drill before apply: %v (report %+v)", err, res)
			}
			if !strings.Contains(res.Report.Error, tc.want) || strings.Contains(res.Report.Error, "not done after") {
				t.Errorf("preflight error:\n%s\nwant it to say:\n%s", res.Report.Error, tc.want)
			}
			t.Logf("ended in %s: %s", took.Round(10*time.Millisecond), res.Report.Error)
		})
	}
}

// waitCopy waits (bounded) until Karmada has put its copy of a workload
// on a member: its status can be written only then.
func waitCopy(ctx context.Context, t *testing.T, cluster, kind, ns, name string) {
	t.Helper()
	c, err := env.fleet.Client(cluster)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps/v1")
	u.SetKind(kind)
	if err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		return c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u) == nil, nil
	}); err != nil {
		t.Fatalf("%s/%s/%s never reached %s: %v", kind, ns, name, cluster, err)
	}
}
