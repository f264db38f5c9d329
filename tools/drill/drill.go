package drill

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1alpha1 "github.com/karmada-io/karmada/pkg/apis/apps/v1alpha1"
	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha1 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/intent"
)

// VeleroNamespace is where Velero's objects live in every cluster.
const VeleroNamespace = "velero"

// LabelRun marks what a drill creates (its Backup and Restore) with the
// run's ID.
const LabelRun = "flotilla.io/drill-run"

// Servers starts the Velero server of a cluster where none runs in it
// (the local fleet runs one at a time); nil when Velero runs in every
// cluster.
type Servers interface {
	Ensure(ctx context.Context, cluster string) error
}

// APIServers stops and starts a member cluster's API server: the
// StopAPIServer failure, which only the local fleet can inject (its API
// servers are processes flotilla started).
type APIServers interface {
	StopAPIServer(ctx context.Context, cluster string) error
	// StartAPIServer starts it again and returns once it serves.
	StartAPIServer(ctx context.Context, cluster string) error
}

// Options configure Run.
type Options struct {
	Repo  *intent.Repo
	Drill *intent.Drill
	// Config returns a client configuration for a member cluster by name,
	// or for the Karmada control plane by ControlPlane.
	Config       func(name string) (*rest.Config, error)
	ControlPlane string
	Servers      Servers
	// APIServers injects StopAPIServer; nil where the drill cannot stop a
	// cluster's API server (any fleet but the local one).
	APIServers APIServers
	// StateFile records the run; an existing one for this drill resumes it.
	StateFile string
	// Yes acts; without it Run only returns the steps it would take.
	Yes bool
	// FastSync marks the recovery side's location Available before its
	// Velero server starts, so Velero syncs the backup at once instead of
	// on its first one-minute cycle (the report says which was measured).
	FastSync bool
	// PhaseTimeout bounds every wait (default 10m).
	PhaseTimeout time.Duration
	Now          func() time.Time
	// Progress, when set, is told when a phase starts and ends.
	Progress func(PhaseRecord)
	// CleanupOnly runs only the cleanup of the recorded run (an
	// interrupted drill abandoned rather than resumed).
	CleanupOnly bool
}

// ErrInterrupted is returned (wrapped) when the context ends a run: the
// state is kept, cleanup has not run; run again to resume, or with
// CleanupOnly to undo what was done.
var ErrInterrupted = errors.New("drill interrupted")

// Step is one action a drill takes, for the preview.
type Step struct {
	Phase  Phase  `json:"phase"`
	Action string `json:"action"`
}

// Result is a run's outcome: the recorded state, the steps of a preview,
// and the report.
type Result struct {
	Preview bool    `json:"preview"`
	Steps   []Step  `json:"steps,omitempty"`
	State   *State  `json:"state,omitempty"`
	Report  *Report `json:"report,omitempty"`
}

type runner struct {
	o       Options
	st      *State
	drill   *v1alpha1.DrillPlan
	now     func() time.Time
	clients map[string]client.WithWatch
	// bindings follows a SpotReclaim drill's bindings from the notice
	// until Recover ends (nil otherwise).
	bindings *bindingWatch
}

// Run carries out (or, without Yes, previews) a drill. A failed phase ends
// the run with cleanup and a report naming the phase; the error is
// returned beside the result.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.PhaseTimeout == 0 {
		o.PhaseTimeout = 10 * time.Minute
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	r := &runner{o: o, drill: &o.Drill.DrillPlan, now: now, clients: map[string]client.WithWatch{}}
	defer r.stopWatchingBindings() // a run that ends before Recover does
	st, err := r.newState()
	if err != nil {
		return nil, err
	}
	if !o.Yes {
		return &Result{Preview: true, Steps: r.steps(st), State: st}, nil
	}
	prev, err := LoadState(o.StateFile)
	if err != nil {
		return nil, err
	}
	switch {
	case prev != nil && prev.Drill == st.Drill && !prev.Done:
		if f := prev.Failed(); f != nil && !o.CleanupOnly {
			// A failed run whose cleanup did not finish: running its
			// phases again would repeat the failure; finishing the
			// cleanup is what is left to do.
			return nil, fmt.Errorf("drill %s: run %s failed in %s and its cleanup did not finish: run again with cleanup only (flotilla drill run %s --yes --cleanup)", st.Drill, prev.RunID, f.Phase, st.Drill)
		}
		st = prev // resume: phases done are skipped
	case o.CleanupOnly:
		return nil, fmt.Errorf("no unfinished run of drill %s recorded in %s: nothing to clean up", st.Drill, o.StateFile)
	}
	r.st = st
	if err := st.save(o.StateFile); err != nil {
		return nil, err
	}

	var runErr error
	phases := PhasesOf(r.drill)
	for _, p := range phases[:len(phases)-1] {
		if o.CleanupOnly || ctx.Err() != nil {
			break
		}
		if st.finished(p) {
			continue
		}
		if runErr = r.phase(ctx, p); runErr != nil {
			break
		}
	}
	if ctx.Err() != nil {
		// Interrupted (a signal, a deadline): keep the state for a resume
		// or a cleanup-only run; cleanup itself would need the context.
		return &Result{State: st, Report: NewReport(st, r.drill, now())}, fmt.Errorf("%w in %s: run again to resume, or clean up: %v", ErrInterrupted, lastPhase(st), ctx.Err())
	}
	// Cleanup always runs: it lifts the failure and removes what the
	// drill restored, whatever phase stopped the run. When it fails (the
	// recovery cluster unreachable), the run stays unfinished, so a
	// cleanup-only run can finish it.
	cerr := r.phase(ctx, PhaseCleanup)
	if cerr != nil && runErr == nil {
		runErr = cerr
	}
	st.Done = cerr == nil
	if err := st.save(o.StateFile); err != nil && runErr == nil {
		runErr = err
	}
	return &Result{State: st, Report: NewReport(st, r.drill, now())}, runErr
}

// lastPhase names the phase a run was in.
func lastPhase(st *State) Phase {
	if len(st.Phases) == 0 {
		return PhasePreflight
	}
	return st.Phases[len(st.Phases)-1].Phase
}

// newState resolves the drill against the repository: recovery cluster,
// namespaces, storage locations.
func (r *runner) newState() (*State, error) {
	d, repo := r.drill, r.o.Repo
	if d.Spec.Failure.Type == v1alpha1.FailureSpotReclaim {
		return r.newSpotState()
	}
	src := repo.Cluster(d.Spec.Source)
	if src == nil {
		return nil, fmt.Errorf("DrillPlan/%s: unknown source cluster %q", d.Name, d.Spec.Source)
	}
	recovery := d.Spec.Recovery
	if recovery == "" {
		recovery = src.Spec.DRPartner
	}
	if recovery == "" || recovery == d.Spec.Source {
		return nil, fmt.Errorf("DrillPlan/%s: no recovery cluster other than the source", d.Name)
	}
	st := &State{APIVersion: APIVersion, Drill: d.Name, Source: d.Spec.Source, Recovery: recovery,
		RunID: fmt.Sprintf("%s-%s", d.Name, r.now().UTC().Format("20060102-150405")), Started: r.now().UTC(),
		NamespaceMapping: d.Spec.NamespaceMapping}
	for _, name := range d.Spec.Apps {
		a := repo.App(name)
		if a == nil || a.Spec.Backup == nil {
			return nil, fmt.Errorf("DrillPlan/%s: app %q has no backup intent", d.Name, name)
		}
		if !slices.Contains(st.Namespaces, a.Spec.Namespace) {
			st.Namespaces = append(st.Namespaces, a.Spec.Namespace)
		}
		loc := a.Spec.Backup.Location
		if loc == "" {
			if l := repo.DefaultLocation(); l != nil {
				loc = l.Name
			}
		}
		if st.Location != "" && loc != st.Location {
			return nil, fmt.Errorf("DrillPlan/%s: apps back up to different locations (%s, %s): drill them separately", d.Name, st.Location, loc)
		}
		st.Location = loc
	}
	slices.Sort(st.Namespaces)
	// render writes the recovery side's read-only copy of a source's
	// location as <location>-from-<source>.
	st.RecoveryLocation = st.Location + "-from-" + st.Source
	return st, nil
}

// steps lists what a run does, for the preview.
func (r *runner) steps(st *State) []Step {
	d := r.drill
	if st.Spot != nil {
		return r.spotSteps(st)
	}
	ns := strings.Join(st.Namespaces, ", ")
	out := []Step{
		{PhasePreflight, fmt.Sprintf("check BackupStorageLocation %s/%s is Available on %s and %s/%s on %s; wait until %s holds every object of %s as Karmada placed it (Works applied from the templates' current generations)", VeleroNamespace, st.Location, st.Source, VeleroNamespace, st.RecoveryLocation, st.Recovery, st.Source, ns)},
	}
	if d.Spec.Backup == v1alpha1.DrillBackupLatestScheduled {
		out = append(out, Step{PhaseBackup, fmt.Sprintf("pick the latest Completed scheduled backup of %s on %s", ns, st.Source)})
	} else {
		out = append(out, Step{PhaseBackup, fmt.Sprintf("create a Velero Backup of namespaces %s on %s (location %s), wait until Completed, and check it holds every object Karmada placed there", ns, st.Source, st.Location)})
	}
	failure := "none: the source stays up"
	switch d.Spec.Failure.Type {
	case v1alpha1.FailureTaintNoExecute:
		failure = fmt.Sprintf("taint Cluster %s NoExecute in Karmada (%s)", st.Source, taintKey)
	case v1alpha1.FailureDeleteNamespace:
		failure = fmt.Sprintf("delete namespaces %s in %s", ns, st.Source)
	case v1alpha1.FailureStopAPIServer:
		failure = fmt.Sprintf("stop %s's API server (local fleet)", st.Source)
	}
	out = append(out,
		Step{PhaseInjectFailure, failure},
		Step{PhaseAwaitBackup, fmt.Sprintf("wait until %s's Velero lists the backup (synced from %s)", st.Recovery, st.RecoveryLocation)},
		Step{PhaseRestore, fmt.Sprintf("create a Velero Restore on %s%s and wait until it ends", st.Recovery, mappingText(st.NamespaceMapping))},
		Step{PhaseVerify, fmt.Sprintf("compare every backed-up object with its restored copy on %s (server-owned fields aside; on copies Karmada placed there before, the fields it sets per member against Karmada's copy for %s)%s", st.Recovery, st.Recovery, readyText(d))},
		Step{PhaseCleanup, cleanupText(d, st)},
	)
	return out
}

func mappingText(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"→"+m[k])
	}
	return " mapping namespaces " + strings.Join(parts, ", ")
}

func readyText(d *v1alpha1.DrillPlan) string {
	if len(d.Spec.Verify.Ready) == 0 {
		return ""
	}
	return fmt.Sprintf(", and %d readiness check(s)", len(d.Spec.Verify.Ready))
}

func cleanupText(d *v1alpha1.DrillPlan, st *State) string {
	var parts []string
	if d.Spec.Failure.Type != v1alpha1.FailureNone && d.Spec.Failure.Type != "" {
		parts = append(parts, "lift the injected failure")
	}
	if d.Spec.Cleanup.RemoveRestored == nil || *d.Spec.Cleanup.RemoveRestored {
		parts = append(parts, "remove what was restored on "+st.Recovery)
	}
	if !d.Spec.Cleanup.KeepBackup && d.Spec.Backup != v1alpha1.DrillBackupLatestScheduled {
		parts = append(parts, "delete the drill's backup")
	}
	if len(parts) == 0 {
		return "nothing to clean up"
	}
	return strings.Join(parts, "; ")
}

// phase runs one phase, recording its start, end and error.
func (r *runner) phase(ctx context.Context, p Phase) error {
	st := r.st
	rec := st.record(p)
	if rec == nil {
		st.Phases = append(st.Phases, PhaseRecord{Phase: p})
		rec = &st.Phases[len(st.Phases)-1]
	}
	rec.Started, rec.Ended, rec.Error, rec.Message = r.now().UTC(), nil, "", ""
	if err := st.save(r.o.StateFile); err != nil {
		return err
	}
	r.progress(*rec)
	msg, err := r.run(ctx, p)
	if err != nil && ctx.Err() != nil {
		// Interrupted, not failed: the phase stays open, and a resumed
		// run starts it again.
		return fmt.Errorf("%s: %w", p, err)
	}
	end := r.now().UTC()
	rec = st.record(p)
	rec.Ended, rec.Message = &end, msg
	if err != nil {
		rec.Error = err.Error()
	}
	r.progress(*rec)
	if serr := st.save(r.o.StateFile); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}

func (r *runner) progress(rec PhaseRecord) {
	if r.o.Progress != nil {
		r.o.Progress(rec)
	}
}

func (r *runner) run(ctx context.Context, p Phase) (string, error) {
	if r.st.Spot != nil {
		switch p {
		case PhasePreflight:
			return r.spotPreflight(ctx)
		case PhaseInjectFailure:
			return r.spotInject(ctx)
		case PhaseRecover:
			return r.recover(ctx)
		}
	}
	switch p {
	case PhasePreflight:
		return r.preflight(ctx)
	case PhaseBackup:
		return r.backup(ctx)
	case PhaseInjectFailure:
		return r.inject(ctx)
	case PhaseAwaitBackup:
		return r.awaitBackup(ctx)
	case PhaseRestore:
		return r.restore(ctx)
	case PhaseVerify:
		return r.verify(ctx)
	case PhaseCleanup:
		return r.cleanup(ctx)
	}
	return "", fmt.Errorf("unknown phase %s", p)
}

// client returns a client of a cluster (or the control plane) that knows
// core, Velero and Karmada cluster types.
func (r *runner) client(name string) (client.WithWatch, error) {
	if c, ok := r.clients[name]; ok {
		return c, nil
	}
	c, err := newClient(r.o.Config, name)
	if err != nil {
		return nil, err
	}
	r.clients[name] = c
	return c, nil
}

// newClient makes a watching client of a cluster that knows core, Velero
// and Karmada cluster types.
func newClient(config func(string) (*rest.Config, error), name string) (client.WithWatch, error) {
	cfg, err := config(name)
	if err != nil {
		return nil, err
	}
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, velerov1.AddToScheme, clusterv1alpha1.Install, workv1alpha1.Install, workv1alpha2.Install, appsv1alpha1.Install} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// ensureServer starts the cluster's Velero server where the drill must.
func (r *runner) ensureServer(ctx context.Context, cluster string) error {
	if r.o.Servers == nil {
		return nil
	}
	if err := r.o.Servers.Ensure(ctx, cluster); err != nil {
		return fmt.Errorf("start Velero on %s: %w", cluster, err)
	}
	return nil
}

// locationAvailable waits until a location is Available on a cluster.
func (r *runner) locationAvailable(ctx context.Context, cluster, name string) error {
	c, err := r.client(cluster)
	if err != nil {
		return err
	}
	bsl := &velerov1.BackupStorageLocation{}
	return r.poll(ctx, fmt.Sprintf("BackupStorageLocation/%s/%s on %s Available", VeleroNamespace, name, cluster), func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: VeleroNamespace, Name: name}, bsl); err != nil {
			if apierrors.IsNotFound(err) {
				return false, r.notThere(ctx, bsl, name, cluster, err)
			}
			return false, err
		}
		if unavailableNow(bsl, r.now()) {
			// Velero validated it and failed: say why now rather than
			// wait out the phase.
			return false, stop("velero: BackupStorageLocation/%s/%s on %s is Unavailable: %s", VeleroNamespace, name, cluster, bsl.Status.Message)
		}
		return bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, nil
	})
}

func (r *runner) preflight(ctx context.Context) (string, error) {
	st := r.st
	// What the declared failure needs is checked before anything is done:
	// a drill that cannot inject its failure must not take a backup first.
	switch r.drill.Spec.Failure.Type {
	case v1alpha1.FailureStopAPIServer:
		if r.o.APIServers == nil {
			return "", fmt.Errorf("failure StopAPIServer: the drill can stop a cluster's API server only on the local fleet (flotilla fleet up --with-backup)")
		}
	case v1alpha1.FailureTaintNoExecute:
		if r.o.ControlPlane == "" {
			return "", fmt.Errorf("failure TaintNoExecute needs the Karmada control plane (--context)")
		}
		kc, err := r.client(r.o.ControlPlane)
		if err != nil {
			return "", err
		}
		if err := kc.Get(ctx, client.ObjectKey{Name: st.Source}, &clusterv1alpha1.Cluster{}); err != nil {
			return "", fmt.Errorf("failure TaintNoExecute: Cluster/%s in Karmada: %w", st.Source, err)
		}
	}
	if err := r.ensureServer(ctx, st.Source); err != nil {
		return "", err
	}
	if err := r.locationAvailable(ctx, st.Source, st.Location); err != nil {
		return "", err
	}
	rc, err := r.client(st.Recovery)
	if err != nil {
		return "", err
	}
	bsl := &velerov1.BackupStorageLocation{}
	// Karmada propagates the recovery copy: allow it the time to arrive.
	err = r.poll(ctx, fmt.Sprintf("recovery side: BackupStorageLocation/%s/%s on %s", VeleroNamespace, st.RecoveryLocation, st.Recovery), func(ctx context.Context) (bool, error) {
		if err := rc.Get(ctx, client.ObjectKey{Namespace: VeleroNamespace, Name: st.RecoveryLocation}, bsl); err != nil {
			if apierrors.IsNotFound(err) {
				return false, r.notThere(ctx, bsl, st.RecoveryLocation, st.Recovery, err)
			}
			return false, err
		}
		return true, nil
	})
	if err != nil {
		return "", err
	}
	if bsl.Spec.AccessMode != velerov1.BackupStorageLocationAccessModeReadOnly {
		return "", fmt.Errorf("recovery side: BackupStorageLocation/%s/%s on %s is %s: it must be ReadOnly, or the recovery cluster's Velero could delete the source's backups", VeleroNamespace, st.RecoveryLocation, st.Recovery, orDefault(string(bsl.Spec.AccessMode), "ReadWrite"))
	}
	recovery := "ReadOnly"
	if r.o.Servers == nil {
		// Velero runs in the recovery cluster: its location must be
		// Available now. On the local fleet its server starts only when
		// the backup is awaited, and it is validated then.
		if err := r.locationAvailable(ctx, st.Recovery, st.RecoveryLocation); err != nil {
			return "", fmt.Errorf("recovery side: %w", err)
		}
		recovery = "ReadOnly, Available"
	}
	placed, err := r.awaitPlaced(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s Available on %s; %s %s on %s; %s", st.Location, st.Source, st.RecoveryLocation, recovery, st.Recovery, placed), nil
}

// notThere is a wait's answer to a location missing on a member: "not
// yet" (err, waited on) while its template is on the control plane and
// Karmada is still propagating it, "not there" (the wait ends, naming the
// command that creates it) when the control plane does not have it
// either.
func (r *runner) notThere(ctx context.Context, bsl *velerov1.BackupStorageLocation, name, cluster string, err error) error {
	tmpl := &velerov1.BackupStorageLocation{ObjectMeta: metav1.ObjectMeta{Namespace: VeleroNamespace, Name: name}}
	what := fmt.Sprintf("BackupStorageLocation/%s/%s", VeleroNamespace, name)
	if why := r.absentFromControlPlane(ctx, tmpl, what); why != "" {
		return stop("%s is not on %s, and %s", what, cluster, why)
	}
	return fmt.Errorf("%s is not on %s yet (Karmada has its template: still propagating?): %w", what, cluster, err)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (r *runner) backup(ctx context.Context) (string, error) {
	st := r.st
	c, err := r.client(st.Source)
	if err != nil {
		return "", err
	}
	if err := r.ensureServer(ctx, st.Source); err != nil {
		return "", err
	}
	if r.drill.Spec.Backup == v1alpha1.DrillBackupLatestScheduled {
		b, err := r.latestScheduled(ctx, c)
		if err != nil {
			return "", err
		}
		st.Backup = backupStatus(b).times()
		return fmt.Sprintf("latest scheduled Backup %s %s: %d items", b.Name, b.Status.Phase, st.Backup.Items), nil
	}
	b := &velerov1.Backup{
		ObjectMeta: metav1.ObjectMeta{Name: st.RunID, Namespace: VeleroNamespace, Labels: map[string]string{LabelRun: st.RunID}},
		Spec: velerov1.BackupSpec{
			IncludedNamespaces: st.Namespaces, StorageLocation: st.Location,
			TTL: metav1.Duration{Duration: 24 * time.Hour}, SnapshotVolumes: ptrBool(false),
		},
	}
	if err := c.Create(ctx, b); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create Backup/%s/%s on %s: %w", VeleroNamespace, b.Name, st.Source, err)
	}
	requested := r.now().UTC()
	// The verification snapshot is read while Velero backs up: the
	// objects are the same ones, and the phase does not wait twice.
	var snap snapshot
	var snapErr error
	snapDone := make(chan struct{})
	go func() {
		defer close(snapDone)
		snap, snapErr = r.snapshot(ctx, st.Source, st.Namespaces)
	}()
	obs := &observed{}
	got, err := waitFor(ctx, c, client.ObjectKeyFromObject(b), &velerov1.BackupList{}, r.o.PhaseTimeout, fmt.Sprintf("Backup/%s/%s on %s", VeleroNamespace, b.Name, st.Source), func(b *velerov1.Backup) (bool, error) {
		obs.see(backupStarted(b.Status.Phase), b.Status.Phase == velerov1.BackupPhaseCompleted || backupFailed(b.Status.Phase), r.now)
		switch {
		case b.Status.Phase == velerov1.BackupPhaseCompleted:
			return true, nil
		case backupFailed(b.Status.Phase):
			return false, stop("velero: Backup/%s/%s %s", VeleroNamespace, b.Name, b.Status.Phase)
		}
		return false, nil
	})
	<-snapDone
	if got != nil {
		b = got
	}
	v := backupStatus(b)
	if backupFailed(b.Status.Phase) {
		v = withDetails(ctx, c, v, velerov1.DownloadTargetKindBackupResults)
		err = fmt.Errorf("velero: Backup/%s/%s on %s %s: %s", VeleroNamespace, b.Name, st.Source, b.Status.Phase, v.message())
	} else if err != nil && b.Status.Phase != "" {
		err = fmt.Errorf("%w; Velero last reported %s, %d items backed up", err, b.Status.Phase, v.items)
	}
	st.Backup = v.times()
	st.Backup.Requested, st.Backup.Seen = &requested, obs.span()
	if err != nil {
		return "", err
	}
	if snapErr != nil {
		return "", snapErr
	}
	if err := st.setSnapshot(snap.objects); err != nil {
		return "", err
	}
	st.Unreadable = snap.unreadable
	msg := fmt.Sprintf("Backup %s %s: %d items", b.Name, b.Status.Phase, st.Backup.Items)
	if st.Expected != nil {
		// Everything Karmada had placed on the source must be in it: a
		// backup of a half-propagated namespace rehearses nothing.
		missing, err := backedUpAll(ctx, c, b.Name, st.Expected)
		if err != nil {
			return "", fmt.Errorf("read what Backup/%s/%s holds: %w", VeleroNamespace, b.Name, err)
		}
		if len(missing) > 0 {
			return "", fmt.Errorf("%s, but %d of the %d objects Karmada placed on %s are not in it: %s", msg, len(missing), len(st.Expected), st.Source, strings.Join(missing, ", "))
		}
		msg += fmt.Sprintf(", the %d objects Karmada placed on %s among them", len(st.Expected), st.Source)
	}
	return msg, nil
}

// observed records when the drill saw Velero start and finish a Backup
// or Restore, to the millisecond: Velero's own timestamps have whole
// seconds, too coarse to tell a second-long backup's overhead.
type observed struct{ started, ended *time.Time }

func (o *observed) see(started, ended bool, now func() time.Time) {
	t := now().UTC()
	if started && o.started == nil {
		o.started = &t
	}
	if ended && o.ended == nil {
		o.ended = &t
	}
}

func (o *observed) span() *Span {
	if o.started == nil || o.ended == nil {
		return nil
	}
	return &Span{Started: *o.started, Ended: *o.ended}
}

// latestScheduled finds the newest Completed backup of a Schedule that
// covers the drill's namespaces; verification then compares the restore
// with the source as it is now.
func (r *runner) latestScheduled(ctx context.Context, c client.WithWatch) (*velerov1.Backup, error) {
	st := r.st
	var list velerov1.BackupList
	if err := c.List(ctx, &list, client.InNamespace(VeleroNamespace)); err != nil {
		return nil, err
	}
	var best *velerov1.Backup
	for i := range list.Items {
		b := &list.Items[i]
		if b.Labels[velerov1.ScheduleNameLabel] == "" || b.Status.Phase != velerov1.BackupPhaseCompleted {
			continue
		}
		if !coversAll(b.Spec.IncludedNamespaces, st.Namespaces) {
			continue
		}
		if best == nil || b.Status.StartTimestamp.After(best.Status.StartTimestamp.Time) {
			best = b
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no Completed scheduled backup of %s on %s", strings.Join(st.Namespaces, ", "), st.Source)
	}
	// The backup may be hours old: the restore is compared with what it
	// holds (read through Velero), not with the source as it is now.
	contents, err := backupContents(ctx, c, best.Name, st.Namespaces)
	if err != nil {
		return nil, fmt.Errorf("read Backup/%s/%s on %s: %w", VeleroNamespace, best.Name, st.Source, err)
	}
	if err := st.setSnapshot(contents); err != nil {
		return nil, err
	}
	return best, nil
}

func coversAll(included, want []string) bool {
	if len(included) == 0 || slices.Contains(included, "*") {
		return true
	}
	for _, n := range want {
		if !slices.Contains(included, n) {
			return false
		}
	}
	return true
}

// taintKey is the taint TaintNoExecute puts on the source's Karmada
// Cluster.
const taintKey = "flotilla.io/drill"

func (r *runner) inject(ctx context.Context) (string, error) {
	st := r.st
	var msg string
	switch r.drill.Spec.Failure.Type {
	case v1alpha1.FailureTaintNoExecute:
		if r.o.ControlPlane == "" {
			return "", fmt.Errorf("TaintNoExecute needs the Karmada control plane")
		}
		c, err := r.client(r.o.ControlPlane)
		if err != nil {
			return "", err
		}
		if err := setTaint(ctx, c, st.Source, true); err != nil {
			return "", err
		}
		msg = fmt.Sprintf("Cluster %s tainted %s:NoExecute in Karmada", st.Source, taintKey)
	case v1alpha1.FailureDeleteNamespace:
		c, err := r.client(st.Source)
		if err != nil {
			return "", err
		}
		for _, ns := range st.Namespaces {
			if err := c.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsNotFound(err) {
				return "", fmt.Errorf("delete Namespace/%s on %s: %w", ns, st.Source, err)
			}
		}
		msg = "deleted namespaces " + strings.Join(st.Namespaces, ", ") + " on " + st.Source
	case v1alpha1.FailureStopAPIServer:
		if r.o.APIServers == nil {
			return "", fmt.Errorf("StopAPIServer: the drill can stop a cluster's API server only on the local fleet")
		}
		// From here on the drill needs nothing from the source: the
		// snapshot it verifies against was read during the backup.
		if err := r.o.APIServers.StopAPIServer(ctx, st.Source); err != nil {
			return "", fmt.Errorf("stop the API server of %s: %w", st.Source, err)
		}
		msg = fmt.Sprintf("API server of %s stopped", st.Source)
	default:
		msg = "no failure injected: the disaster is declared at this moment"
	}
	st.FailureAt = ptrTime(r.now().UTC())
	return msg, nil
}

// setTaint adds or removes the drill's NoExecute taint on a Karmada
// Cluster. The taints are one list that Karmada's own controllers write
// too (not-ready, unreachable): the patch carries the resourceVersion it
// was computed from, and is recomputed when another write came first.
func setTaint(ctx context.Context, c client.Client, cluster string, on bool) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		kc := &clusterv1alpha1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: cluster}, kc); err != nil {
			return err
		}
		orig := kc.DeepCopy()
		kc.Spec.Taints = slices.DeleteFunc(kc.Spec.Taints, func(t corev1.Taint) bool { return t.Key == taintKey })
		if on {
			kc.Spec.Taints = append(kc.Spec.Taints, corev1.Taint{Key: taintKey, Value: "disaster-recovery-drill", Effect: corev1.TaintEffectNoExecute, TimeAdded: ptrMetaTime(metav1.Now())})
		}
		return c.Patch(ctx, kc, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
	})
	if err != nil {
		return fmt.Errorf("taint Cluster/%s in Karmada: %w", cluster, err)
	}
	return nil
}

// evictions says what Karmada did about the drill's taint: the bindings it
// is evicting from the source. Lifting the taint does not bring them back
// (Karmada does not reschedule onto a recovered cluster by itself), so the
// report must say so.
func (r *runner) evictions(ctx context.Context) string {
	c, err := r.client(r.o.ControlPlane)
	if err != nil {
		return ""
	}
	var moved []appsv1alpha1.ObjectReference
	add := func(res workv1alpha2.ObjectReference, tasks []workv1alpha2.GracefulEvictionTask) {
		for _, t := range tasks {
			if t.FromCluster == r.st.Source && t.Reason == workv1alpha2.EvictionReasonTaintUntolerated {
				moved = append(moved, appsv1alpha1.ObjectReference{APIVersion: res.APIVersion, Kind: res.Kind, Namespace: res.Namespace, Name: res.Name})
				return
			}
		}
	}
	var rbs workv1alpha2.ResourceBindingList
	var crbs workv1alpha2.ClusterResourceBindingList
	if c.List(ctx, &rbs) != nil || c.List(ctx, &crbs) != nil {
		return ""
	}
	for _, b := range rbs.Items {
		add(b.Spec.Resource, b.Spec.GracefulEvictionTasks)
	}
	for _, b := range crbs.Items {
		add(b.Spec.Resource, b.Spec.GracefulEvictionTasks)
	}
	if len(moved) == 0 {
		return " (Karmada evicted nothing from it)"
	}
	return fmt.Sprintf(" (Karmada moved %d workload(s) off it)%s", len(moved), r.moveBack(ctx, c, moved))
}

// moveBack asks Karmada to schedule the workloads the drill's taint moved
// afresh (a WorkloadRebalancer), now that the source takes them again:
// Karmada does not move them back by itself, and a rehearsal must not
// leave the fleet divided otherwise than it declares.
func (r *runner) moveBack(ctx context.Context, c client.WithWatch, moved []appsv1alpha1.ObjectReference) string {
	slices.SortFunc(moved, func(a, b appsv1alpha1.ObjectReference) int {
		return strings.Compare(a.Kind+"/"+a.Namespace+"/"+a.Name, b.Kind+"/"+b.Namespace+"/"+b.Name)
	})
	// Karmada's scheduler keeps a cluster out of a binding while it is
	// evicting the binding's copy from it (graceful eviction: until the
	// new copies are healthy, or its timeout): a rescheduling before that
	// ends would leave the source out again.
	settle := *r
	settle.o.PhaseTimeout = min(r.o.PhaseTimeout, 2*time.Minute)
	evicting := 0
	waitErr := settle.poll(ctx, fmt.Sprintf("Karmada ending its graceful evictions from %s", r.st.Source), func(ctx context.Context) (bool, error) {
		evicting = 0
		for _, w := range moved {
			spec, _, _, err := bindingOf(ctx, c, w)
			if err != nil {
				return false, err
			}
			if slices.ContainsFunc(spec.GracefulEvictionTasks, func(t workv1alpha2.GracefulEvictionTask) bool { return t.FromCluster == r.st.Source }) {
				evicting++
			}
		}
		return evicting == 0, nil
	})
	note := ""
	if waitErr != nil {
		note = fmt.Sprintf(" (%d still being evicted from %s when it was asked)", evicting, r.st.Source)
	}
	wr := &appsv1alpha1.WorkloadRebalancer{
		ObjectMeta: metav1.ObjectMeta{Name: r.st.RunID, Labels: map[string]string{LabelRun: r.st.RunID}},
		Spec:       appsv1alpha1.WorkloadRebalancerSpec{Workloads: moved, TTLSecondsAfterFinished: ptrInt32(3600)},
	}
	if err := c.Create(ctx, wr); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Sprintf("; asking Karmada to move them back failed (WorkloadRebalancer/%s: %v): they stay where it rescheduled them", wr.Name, err)
	}
	got, err := waitFor(ctx, c, client.ObjectKeyFromObject(wr), &appsv1alpha1.WorkloadRebalancerList{}, min(r.o.PhaseTimeout, 2*time.Minute), "WorkloadRebalancer/"+wr.Name,
		func(w *appsv1alpha1.WorkloadRebalancer) (bool, error) { return w.Status.FinishTime != nil, nil })
	if err != nil {
		return fmt.Sprintf("; WorkloadRebalancer/%s asked Karmada to schedule them afresh: %v", wr.Name, err)
	}
	var rescheduled []appsv1alpha1.ObjectReference
	var failed []string
	for _, o := range got.Status.ObservedWorkloads {
		if o.Result == appsv1alpha1.RebalanceSuccessful {
			rescheduled = append(rescheduled, o.Workload)
		} else {
			failed = append(failed, fmt.Sprintf("%s/%s/%s: %s %s", o.Workload.Kind, o.Workload.Namespace, o.Workload.Name, o.Result, o.Reason))
		}
	}
	// The rebalancer only triggers the scheduler: wait until it has
	// scheduled each binding since, so the fleet is settled when the
	// drill ends (a next drill's preflight would otherwise see it moving).
	back := 0
	err = settle.poll(ctx, fmt.Sprintf("Karmada rescheduling what WorkloadRebalancer/%s names", wr.Name), func(ctx context.Context) (bool, error) {
		back = 0
		for _, w := range rescheduled {
			spec, st, gen, err := bindingOf(ctx, c, w)
			if err != nil {
				return false, err
			}
			scheduledSince := st.LastScheduledTime != nil && !st.LastScheduledTime.Before(&got.CreationTimestamp)
			if !scheduledSince || st.SchedulerObservedGeneration != gen {
				return false, nil
			}
			if slices.ContainsFunc(spec.Clusters, func(tc workv1alpha2.TargetCluster) bool { return tc.Name == r.st.Source }) {
				back++
			}
		}
		return true, nil
	})
	msg := fmt.Sprintf("; WorkloadRebalancer/%s had Karmada schedule them afresh%s: %d of %d on %s again", wr.Name, note, back, len(rescheduled), r.st.Source)
	if err != nil {
		msg = fmt.Sprintf("; WorkloadRebalancer/%s asked Karmada to schedule them afresh: %v", wr.Name, err)
	}
	if len(failed) > 0 {
		msg += " (not: " + strings.Join(failed, "; ") + ")"
	}
	return msg
}

// bindingOf reads the (Cluster)ResourceBinding of a workload: its spec,
// status and generation.
func bindingOf(ctx context.Context, c client.Client, w appsv1alpha1.ObjectReference) (*workv1alpha2.ResourceBindingSpec, *workv1alpha2.ResourceBindingStatus, int64, error) {
	name := names.GenerateBindingName(w.Kind, w.Name)
	if w.Namespace == "" {
		crb := &workv1alpha2.ClusterResourceBinding{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, crb); err != nil {
			return nil, nil, 0, fmt.Errorf("get ClusterResourceBinding/%s: %w", name, err)
		}
		return &crb.Spec, &crb.Status, crb.Generation, nil
	}
	rb := &workv1alpha2.ResourceBinding{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: name}, rb); err != nil {
		return nil, nil, 0, fmt.Errorf("get ResourceBinding/%s/%s: %w", w.Namespace, name, err)
	}
	return &rb.Spec, &rb.Status, rb.Generation, nil
}

// clusterReady waits until Karmada sees a member Ready again.
func (r *runner) clusterReady(ctx context.Context, cluster string) error {
	c, err := r.client(r.o.ControlPlane)
	if err != nil {
		return err
	}
	return r.poll(ctx, fmt.Sprintf("Cluster/%s Ready in Karmada", cluster), func(ctx context.Context) (bool, error) {
		kc := &clusterv1alpha1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: cluster}, kc); err != nil {
			return false, err
		}
		return meta.IsStatusConditionTrue(kc.Status.Conditions, clusterv1alpha1.ClusterConditionReady), nil
	})
}

func (r *runner) awaitBackup(ctx context.Context) (string, error) {
	st := r.st
	c, err := r.client(st.Recovery)
	if err != nil {
		return "", err
	}
	how, err := syncBackup(ctx, c, r.o.Servers, st.Recovery, st.RecoveryLocation, st.Backup.Name, r.o.FastSync, r.o.PhaseTimeout, r.now)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Backup %s listed on %s (%s)", st.Backup.Name, st.Recovery, how), nil
}

// syncBackup waits until a recovery cluster's Velero lists a backup from
// its read-only copy of the source's location, starting its server where
// the drill must, and says how the backup got there. With fast, the
// location is preset Available first, so Velero syncs it on its first
// pass rather than its first one-minute cycle.
func syncBackup(ctx context.Context, c client.WithWatch, servers Servers, cluster, location, backup string, fast bool, timeout time.Duration, now func() time.Time) (string, error) {
	started := now()
	how := "Velero's backup sync (first cycle after start: up to a minute)"
	if fast {
		// The location is validated before the first sync cycle runs; a
		// location already Available is synced at once.
		bsl := &velerov1.BackupStorageLocation{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: VeleroNamespace, Name: location}, bsl); err != nil {
			return "", fmt.Errorf("BackupStorageLocation/%s/%s on %s: %w", VeleroNamespace, location, cluster, err)
		}
		// Velero syncs a location a sync period after its last sync: a
		// lastSyncedTime left by an earlier server (Karmada retains the
		// status) would hold the first pass back a minute. The last
		// validation goes too, so the server checks the location at once
		// (wrong credentials show now, not a minute later).
		if bsl.Status.Phase != velerov1.BackupStorageLocationPhaseAvailable || bsl.Status.LastSyncedTime != nil || bsl.Status.LastValidationTime != nil {
			orig := bsl.DeepCopy()
			bsl.Status.Phase = velerov1.BackupStorageLocationPhaseAvailable
			bsl.Status.LastSyncedTime, bsl.Status.LastValidationTime, bsl.Status.Message = nil, nil, ""
			if err := c.Patch(ctx, bsl, client.MergeFrom(orig)); err != nil {
				return "", fmt.Errorf("preset BackupStorageLocation/%s/%s Available on %s: %w", VeleroNamespace, location, cluster, err)
			}
		}
		how = "fast path: location preset Available, synced on Velero's first pass"
	}
	if servers != nil {
		if err := servers.Ensure(ctx, cluster); err != nil {
			return "", fmt.Errorf("start Velero on %s: %w", cluster, err)
		}
	}
	// Velero lists the backup only from an Available location: watch the
	// location beside the backup, and end the wait with Velero's message
	// when it finds the location Unavailable, rather than wait it out.
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := watchUnavailable(wctx, c, cluster, location, started, now); err != nil {
			cancel(err)
		}
	}()
	what := fmt.Sprintf("Backup/%s/%s synced to %s from %s", VeleroNamespace, backup, cluster, location)
	_, err := waitFor(wctx, c, client.ObjectKey{Namespace: VeleroNamespace, Name: backup}, &velerov1.BackupList{}, timeout, what, func(b *velerov1.Backup) (bool, error) {
		return b.Status.Phase == velerov1.BackupPhaseCompleted, nil
	})
	cancel(nil)
	wg.Wait()
	if cause := context.Cause(wctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	return how, err
}

// watchUnavailable returns an error carrying Velero's message once Velero
// has validated the location as Unavailable since the wait started; nil
// when ctx ends first.
func watchUnavailable(ctx context.Context, c client.Client, cluster, name string, since time.Time, now func() time.Time) error {
	for {
		bsl := &velerov1.BackupStorageLocation{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: VeleroNamespace, Name: name}, bsl); err == nil {
			last := bsl.Status.LastValidationTime
			if unavailableNow(bsl, now()) && last != nil && !last.Time.Before(since.Truncate(time.Second)) {
				return fmt.Errorf("velero: BackupStorageLocation/%s/%s on %s is Unavailable: %s", VeleroNamespace, name, cluster, bsl.Status.Message)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retryEvery):
		}
	}
}

func (r *runner) restore(ctx context.Context) (string, error) {
	st := r.st
	if st.Recovery == st.Source {
		return "", fmt.Errorf("refusing to restore into the source cluster")
	}
	c, err := r.client(st.Recovery)
	if err != nil {
		return "", err
	}
	if err := r.ensureServer(ctx, st.Recovery); err != nil {
		return "", err
	}
	rs := &velerov1.Restore{
		ObjectMeta: metav1.ObjectMeta{Name: st.RunID, Namespace: VeleroNamespace, Labels: map[string]string{LabelRun: st.RunID}},
		Spec: velerov1.RestoreSpec{
			BackupName: st.Backup.Name, IncludedNamespaces: st.Namespaces, NamespaceMapping: st.NamespaceMapping,
			RestorePVs: ptrBool(false),
		},
	}
	times, err := restoreAndWait(ctx, c, st.Recovery, rs, r.o.PhaseTimeout, r.now, func() error {
		// Recorded before the wait: whatever happens next, cleanup knows
		// a restore may have created objects.
		st.Restore = &VeleroTimes{Name: rs.Name}
		return st.save(r.o.StateFile)
	})
	if times != nil {
		st.Restore = times
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Restore %s Completed: %d items, %d warnings", rs.Name, times.Items, times.Warnings), nil
}

// restoreAndWait creates a Restore (one that exists already is waited
// for: a resumed run) and waits until Velero ends it. A failed restore's
// error carries Velero's own messages; one that does not end in time,
// what Velero last reported. created, when set, runs once the Restore
// exists.
func restoreAndWait(ctx context.Context, c client.WithWatch, cluster string, rs *velerov1.Restore, timeout time.Duration, now func() time.Time, created func() error) (*VeleroTimes, error) {
	if err := c.Create(ctx, rs); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create Restore/%s/%s on %s: %w", VeleroNamespace, rs.Name, cluster, err)
	}
	requested := now().UTC()
	if created != nil {
		if err := created(); err != nil {
			return nil, err
		}
	}
	obs := &observed{}
	got, err := waitFor(ctx, c, client.ObjectKeyFromObject(rs), &velerov1.RestoreList{}, timeout, fmt.Sprintf("Restore/%s/%s on %s", VeleroNamespace, rs.Name, cluster), func(rs *velerov1.Restore) (bool, error) {
		obs.see(rs.Status.Phase != "" && rs.Status.Phase != velerov1.RestorePhaseNew, rs.Status.Phase == velerov1.RestorePhaseCompleted || restoreFailed(rs.Status.Phase), now)
		switch {
		case rs.Status.Phase == velerov1.RestorePhaseCompleted:
			return true, nil
		case restoreFailed(rs.Status.Phase):
			return false, stop("velero: Restore/%s/%s %s", VeleroNamespace, rs.Name, rs.Status.Phase)
		}
		return false, nil
	})
	if got != nil {
		rs = got
	}
	v := restoreStatus(rs)
	if restoreFailed(rs.Status.Phase) {
		v = withDetails(ctx, c, v, velerov1.DownloadTargetKindRestoreResults)
		err = fmt.Errorf("velero: Restore/%s/%s on %s %s: %s", VeleroNamespace, rs.Name, cluster, rs.Status.Phase, v.message())
	} else if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("%w; Velero last reported %s, %d items restored", err, orDefault(string(rs.Status.Phase), "no phase"), v.items)
	}
	times := v.times()
	times.Requested, times.Seen = &requested, obs.span()
	return times, err
}

func (r *runner) cleanup(ctx context.Context) (string, error) {
	st, d := r.st, r.drill
	var done []string
	var errs []error
	if st.FailureAt != nil && !st.FailureLifted {
		switch d.Spec.Failure.Type {
		case v1alpha1.FailureTaintNoExecute:
			c, err := r.client(r.o.ControlPlane)
			if err == nil {
				err = setTaint(ctx, c, st.Source, false)
			}
			if err != nil {
				errs = append(errs, err)
			} else {
				st.FailureLifted = true
				done = append(done, "taint lifted from "+st.Source+r.evictions(ctx))
			}
		case v1alpha1.FailureSpotReclaim:
			msg, err := r.spotCleanup(ctx)
			if err != nil {
				errs = append(errs, err)
			} else {
				st.FailureLifted = true
				done = append(done, msg)
			}
		case v1alpha1.FailureStopAPIServer:
			msg, err := r.restartSource(ctx)
			if err != nil {
				errs = append(errs, err)
			} else {
				st.FailureLifted = true
				done = append(done, msg)
			}
		default:
			st.FailureLifted = true
		}
	}
	if st.Restore != nil && (d.Spec.Cleanup.RemoveRestored == nil || *d.Spec.Cleanup.RemoveRestored) {
		msg, err := r.removeRestored(ctx)
		if err != nil {
			errs = append(errs, err)
		} else {
			done = append(done, msg)
		}
	}
	if st.Backup != nil && !d.Spec.Cleanup.KeepBackup && d.Spec.Backup != v1alpha1.DrillBackupLatestScheduled {
		if err := r.deleteBackup(ctx); err != nil {
			errs = append(errs, err)
		} else {
			done = append(done, "backup "+st.Backup.Name+" deletion requested")
		}
	}
	if len(done) == 0 {
		done = append(done, "nothing to clean up")
	}
	return strings.Join(done, "; "), errors.Join(errs...)
}

// restartSource starts the source's API server again and, when the drill
// knows the control plane, waits until Karmada sees the cluster Ready.
func (r *runner) restartSource(ctx context.Context) (string, error) {
	st := r.st
	if r.o.APIServers == nil {
		return "", fmt.Errorf("the API server of %s was stopped by the drill and it cannot start it here: start it on the local fleet (flotilla fleet up), then run the cleanup again", st.Source)
	}
	start := r.now()
	if err := r.o.APIServers.StartAPIServer(ctx, st.Source); err != nil {
		return "", fmt.Errorf("start the API server of %s again: %w", st.Source, err)
	}
	if r.o.ControlPlane == "" {
		return fmt.Sprintf("API server of %s started again", st.Source), nil
	}
	if err := r.clusterReady(ctx, st.Source); err != nil {
		return "", err
	}
	return fmt.Sprintf("API server of %s started again, Ready in Karmada after %s", st.Source, round(r.now().Sub(start))), nil
}

// deleteBackup asks the source's Velero to delete the drill's backup
// (its records and its files in the bucket).
func (r *runner) deleteBackup(ctx context.Context) error {
	st := r.st
	c, err := r.client(st.Source)
	if err != nil {
		return err
	}
	dbr := &velerov1.DeleteBackupRequest{
		ObjectMeta: metav1.ObjectMeta{Name: st.Backup.Name + "-delete", Namespace: VeleroNamespace, Labels: map[string]string{LabelRun: st.RunID}},
		Spec:       velerov1.DeleteBackupRequestSpec{BackupName: st.Backup.Name},
	}
	if err := c.Create(ctx, dbr); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("DeleteBackupRequest for %s on %s: %w", st.Backup.Name, st.Source, err)
	}
	return nil
}

func ptrBool(b bool) *bool                   { return &b }
func ptrInt32(i int32) *int32                { return &i }
func ptrTime(t time.Time) *time.Time         { return &t }
func ptrMetaTime(t metav1.Time) *metav1.Time { return &t }
