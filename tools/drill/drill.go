package drill

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
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

// Options configure Run.
type Options struct {
	Repo  *intent.Repo
	Drill *intent.Drill
	// Config returns a client configuration for a member cluster by name,
	// or for the Karmada control plane by ControlPlane.
	Config       func(name string) (*rest.Config, error)
	ControlPlane string
	Servers      Servers
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
	clients map[string]client.Client
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
	r := &runner{o: o, drill: &o.Drill.DrillPlan, now: now, clients: map[string]client.Client{}}
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
		st = prev // resume: phases done are skipped
	case o.CleanupOnly:
		return nil, fmt.Errorf("no unfinished run of drill %s recorded in %s: nothing to clean up", st.Drill, o.StateFile)
	}
	r.st = st
	if err := st.save(o.StateFile); err != nil {
		return nil, err
	}

	var runErr error
	for _, p := range Phases[:len(Phases)-1] {
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
	// drill restored, whatever phase stopped the run.
	if cerr := r.phase(ctx, PhaseCleanup); cerr != nil && runErr == nil {
		runErr = cerr
	}
	st.Done = true
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
	ns := strings.Join(st.Namespaces, ", ")
	out := []Step{
		{PhasePreflight, fmt.Sprintf("check BackupStorageLocation %s/%s is Available on %s and %s/%s on %s", VeleroNamespace, st.Location, st.Source, VeleroNamespace, st.RecoveryLocation, st.Recovery)},
	}
	if d.Spec.Backup == v1alpha1.DrillBackupLatestScheduled {
		out = append(out, Step{PhaseBackup, fmt.Sprintf("pick the latest Completed scheduled backup of %s on %s", ns, st.Source)})
	} else {
		out = append(out, Step{PhaseBackup, fmt.Sprintf("create a Velero Backup of namespaces %s on %s (location %s) and wait until Completed", ns, st.Source, st.Location)})
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
		Step{PhaseVerify, fmt.Sprintf("compare every backed-up object with its restored copy on %s (server-owned fields aside)%s", st.Recovery, readyText(d))},
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
func (r *runner) client(name string) (client.Client, error) {
	if c, ok := r.clients[name]; ok {
		return c, nil
	}
	cfg, err := r.o.Config(name)
	if err != nil {
		return nil, err
	}
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, velerov1.AddToScheme, clusterv1alpha1.Install} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r.clients[name] = c
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

// poll waits for cond within the phase timeout.
func (r *runner) poll(ctx context.Context, what string, cond func(ctx context.Context) (bool, error)) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, r.o.PhaseTimeout, true, func(ctx context.Context) (bool, error) {
		ok, err := cond(ctx)
		var stop *stopError
		if errors.As(err, &stop) {
			return false, stop.err
		}
		if err != nil {
			if ctx.Err() == nil {
				last = err // not the client's own complaint about the deadline
			}
			return false, nil
		}
		return ok, nil
	})
	if err != nil && wait.Interrupted(err) {
		if last != nil {
			return fmt.Errorf("%s: not done after %s (last error: %v)", what, r.o.PhaseTimeout, last)
		}
		return fmt.Errorf("%s: not done after %s", what, r.o.PhaseTimeout)
	}
	return err
}

// stopError ends a poll at once (a terminal Velero phase).
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }

func stop(format string, args ...any) error { return &stopError{fmt.Errorf(format, args...)} }

// locationAvailable waits until a location is Available on a cluster.
func (r *runner) locationAvailable(ctx context.Context, cluster, name string) error {
	c, err := r.client(cluster)
	if err != nil {
		return err
	}
	bsl := &velerov1.BackupStorageLocation{}
	return r.poll(ctx, fmt.Sprintf("BackupStorageLocation %s/%s on %s Available", VeleroNamespace, name, cluster), func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: VeleroNamespace, Name: name}, bsl); err != nil {
			return false, err
		}
		if bsl.Status.Phase == velerov1.BackupStorageLocationPhaseUnavailable {
			// Velero validated it and failed: say why now rather than
			// wait out the phase.
			return false, stop("Velero: location is Unavailable: %s", bsl.Status.Message)
		}
		return bsl.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, nil
	})
}

func (r *runner) preflight(ctx context.Context) (string, error) {
	st := r.st
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
	err = r.poll(ctx, fmt.Sprintf("recovery side: BackupStorageLocation %s/%s on %s", VeleroNamespace, st.RecoveryLocation, st.Recovery), func(ctx context.Context) (bool, error) {
		if err := rc.Get(ctx, client.ObjectKey{Namespace: VeleroNamespace, Name: st.RecoveryLocation}, bsl); err != nil {
			return false, err
		}
		return true, nil
	})
	if err != nil {
		return "", err
	}
	if bsl.Spec.AccessMode != velerov1.BackupStorageLocationAccessModeReadOnly {
		return "", fmt.Errorf("recovery side: BackupStorageLocation %s/%s on %s is %s: it must be ReadOnly, or the recovery cluster's Velero could delete the source's backups", VeleroNamespace, st.RecoveryLocation, st.Recovery, orDefault(string(bsl.Spec.AccessMode), "ReadWrite"))
	}
	return fmt.Sprintf("%s Available on %s; %s ReadOnly on %s", st.Location, st.Source, st.RecoveryLocation, st.Recovery), nil
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
	b := &velerov1.Backup{}
	if r.drill.Spec.Backup == v1alpha1.DrillBackupLatestScheduled {
		if b, err = r.latestScheduled(ctx, c); err != nil {
			return "", err
		}
	} else {
		b = &velerov1.Backup{
			ObjectMeta: metav1.ObjectMeta{Name: st.RunID, Namespace: VeleroNamespace, Labels: map[string]string{LabelRun: st.RunID}},
			Spec: velerov1.BackupSpec{
				IncludedNamespaces: st.Namespaces, StorageLocation: st.Location,
				TTL: metav1.Duration{Duration: 24 * time.Hour}, SnapshotVolumes: ptrBool(false),
			},
		}
		if err := c.Create(ctx, b); err != nil && !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("create Backup %s/%s on %s: %w", VeleroNamespace, b.Name, st.Source, err)
		}
		// The verification snapshot is read while Velero works: the
		// objects are the same ones, and the phase does not wait twice.
		if st.Snapshot, err = r.snapshot(ctx, st.Source, st.Namespaces); err != nil {
			return "", err
		}
		err = r.poll(ctx, fmt.Sprintf("Backup %s on %s", b.Name, st.Source), func(ctx context.Context) (bool, error) {
			if err := c.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
				return false, err
			}
			switch b.Status.Phase {
			case velerov1.BackupPhaseCompleted:
				return true, nil
			case velerov1.BackupPhaseFailed, velerov1.BackupPhasePartiallyFailed, velerov1.BackupPhaseFailedValidation:
				return false, stop("Velero: Backup %s %s: %s", b.Name, b.Status.Phase, backupStatus(b).message())
			}
			return false, nil
		})
		st.Backup = backupStatus(b).times()
		if err != nil {
			return "", err
		}
	}
	st.Backup = backupStatus(b).times()
	return fmt.Sprintf("Backup %s %s: %d items", b.Name, b.Status.Phase, st.Backup.Items), nil
}

// latestScheduled finds the newest Completed backup of a Schedule that
// covers the drill's namespaces; verification then compares the restore
// with the source as it is now.
func (r *runner) latestScheduled(ctx context.Context, c client.Client) (*velerov1.Backup, error) {
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
	snap, err := r.snapshot(ctx, st.Source, st.Namespaces)
	if err != nil {
		return nil, err
	}
	st.Snapshot = snap
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

// veleroStatus is what a Backup's or Restore's status says, in one shape.
type veleroStatus struct {
	name, phase, failure string
	validation           []string
	warnings, errors     int
	started, completed   *metav1.Time
	items                int
	// logs is the velero CLI command that shows the errors.
	logs string
}

func (v veleroStatus) message() string {
	parts := []string{}
	if v.failure != "" {
		parts = append(parts, v.failure)
	}
	parts = append(parts, v.validation...)
	if v.errors > 0 {
		parts = append(parts, fmt.Sprintf("%d error(s), see `%s`", v.errors, v.logs))
	}
	return strings.Join(parts, "; ")
}

func (v veleroStatus) times() *VeleroTimes {
	t := &VeleroTimes{Name: v.name, Phase: v.phase, Warnings: v.warnings, Errors: v.errors, Items: v.items, Message: v.message()}
	if v.started != nil {
		t.Started = ptrTime(v.started.Time.UTC())
	}
	if v.completed != nil {
		t.Completed = ptrTime(v.completed.Time.UTC())
	}
	return t
}

func backupStatus(b *velerov1.Backup) veleroStatus {
	v := veleroStatus{name: b.Name, phase: string(b.Status.Phase), failure: b.Status.FailureReason, validation: b.Status.ValidationErrors,
		warnings: b.Status.Warnings, errors: b.Status.Errors, started: b.Status.StartTimestamp, completed: b.Status.CompletionTimestamp,
		logs: "velero backup logs " + b.Name}
	if p := b.Status.Progress; p != nil {
		v.items = p.ItemsBackedUp
	}
	return v
}

func restoreStatus(rs *velerov1.Restore) veleroStatus {
	v := veleroStatus{name: rs.Name, phase: string(rs.Status.Phase), failure: rs.Status.FailureReason, validation: rs.Status.ValidationErrors,
		warnings: rs.Status.Warnings, errors: rs.Status.Errors, started: rs.Status.StartTimestamp, completed: rs.Status.CompletionTimestamp,
		logs: "velero restore describe " + rs.Name + " --details"}
	if p := rs.Status.Progress; p != nil {
		v.items = p.ItemsRestored
	}
	return v
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
		return "", fmt.Errorf("StopAPIServer is not supported by this runner yet")
	default:
		msg = "no failure injected: the disaster is declared at this moment"
	}
	st.FailureAt = ptrTime(r.now().UTC())
	return msg, nil
}

// setTaint adds or removes the drill's NoExecute taint on a Karmada
// Cluster.
func setTaint(ctx context.Context, c client.Client, cluster string, on bool) error {
	kc := &clusterv1alpha1.Cluster{}
	if err := c.Get(ctx, client.ObjectKey{Name: cluster}, kc); err != nil {
		return fmt.Errorf("cluster %s in Karmada: %w", cluster, err)
	}
	orig := kc.DeepCopy()
	kc.Spec.Taints = slices.DeleteFunc(kc.Spec.Taints, func(t corev1.Taint) bool { return t.Key == taintKey })
	if on {
		kc.Spec.Taints = append(kc.Spec.Taints, corev1.Taint{Key: taintKey, Value: "disaster-recovery-drill", Effect: corev1.TaintEffectNoExecute, TimeAdded: ptrMetaTime(metav1.Now())})
	}
	if err := c.Patch(ctx, kc, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("cluster %s in Karmada: %w", cluster, err)
	}
	return nil
}

func (r *runner) awaitBackup(ctx context.Context) (string, error) {
	st := r.st
	c, err := r.client(st.Recovery)
	if err != nil {
		return "", err
	}
	how := "Velero's backup sync (first cycle after start: up to a minute)"
	if r.o.FastSync {
		// The location is validated before the first sync cycle runs; a
		// location already Available is synced at once.
		bsl := &velerov1.BackupStorageLocation{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: VeleroNamespace, Name: st.RecoveryLocation}, bsl); err != nil {
			return "", err
		}
		// Velero syncs a location a sync period after its last sync: a
		// lastSyncedTime left by an earlier server (Karmada retains the
		// status) would hold the first pass back a minute.
		if bsl.Status.Phase != velerov1.BackupStorageLocationPhaseAvailable || bsl.Status.LastSyncedTime != nil {
			orig := bsl.DeepCopy()
			bsl.Status.Phase = velerov1.BackupStorageLocationPhaseAvailable
			bsl.Status.LastSyncedTime = nil
			if err := c.Patch(ctx, bsl, client.MergeFrom(orig)); err != nil {
				return "", fmt.Errorf("preset %s Available on %s: %w", st.RecoveryLocation, st.Recovery, err)
			}
		}
		how = "fast path: location preset Available, synced on Velero's first pass"
	}
	if err := r.ensureServer(ctx, st.Recovery); err != nil {
		return "", err
	}
	b := &velerov1.Backup{}
	err = r.poll(ctx, fmt.Sprintf("Backup %s synced to %s", st.Backup.Name, st.Recovery), func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: VeleroNamespace, Name: st.Backup.Name}, b); err != nil {
			return false, err
		}
		return b.Status.Phase == velerov1.BackupPhaseCompleted, nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Backup %s listed on %s (%s)", b.Name, st.Recovery, how), nil
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
	if err := c.Create(ctx, rs); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create Restore %s/%s on %s: %w", VeleroNamespace, rs.Name, st.Recovery, err)
	}
	err = r.poll(ctx, fmt.Sprintf("Restore %s on %s", rs.Name, st.Recovery), func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(rs), rs); err != nil {
			return false, err
		}
		switch rs.Status.Phase {
		case velerov1.RestorePhaseCompleted:
			return true, nil
		case velerov1.RestorePhaseFailed, velerov1.RestorePhasePartiallyFailed, velerov1.RestorePhaseFailedValidation:
			return false, stop("Velero: Restore %s %s: %s", rs.Name, rs.Status.Phase, restoreStatus(rs).message())
		}
		return false, nil
	})
	st.Restore = restoreStatus(rs).times()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Restore %s Completed: %d items, %d warnings", rs.Name, st.Restore.Items, rs.Status.Warnings), nil
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
				done = append(done, "taint lifted from "+st.Source)
			}
		default:
			st.FailureLifted = true
		}
	}
	if st.Restore != nil && (d.Spec.Cleanup.RemoveRestored == nil || *d.Spec.Cleanup.RemoveRestored) {
		n, err := r.removeRestored(ctx)
		if err != nil {
			errs = append(errs, err)
		} else {
			done = append(done, fmt.Sprintf("%d restored object(s) removed from %s", n, st.Recovery))
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
func ptrTime(t time.Time) *time.Time         { return &t }
func ptrMetaTime(t metav1.Time) *metav1.Time { return &t }
