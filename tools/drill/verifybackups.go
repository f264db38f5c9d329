package drill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"github.com/vmware-tanzu/velero/pkg/label"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
)

// LabelVerify marks the Restores a backup check creates with its run.
const LabelVerify = "flotilla.io/verify-backups"

// labelRemoved marks such a Restore once what it restored is removed, so
// a later run knows which scratch namespaces an interrupted run left.
const labelRemoved = "flotilla.io/restore-removed"

// VerifyOptions configure VerifyBackups.
type VerifyOptions struct {
	Repo *intent.Repo
	// Config returns a client configuration for a member cluster.
	Config  func(name string) (*rest.Config, error)
	Servers Servers
	// Apps and Clusters narrow the check (default: every app with backup
	// intent, on every cluster it backs up on).
	Apps, Clusters []string
	// Chain says how much of each schedule's chain is checked.
	Chain ChainOptions
	// Yes runs the restore dry-runs; without it only the chains are read
	// (nothing is changed) and the dry-runs are described.
	Yes bool
	// FastSync presets the recovery side's location Available, as for a
	// drill.
	FastSync bool
	// Timeout bounds every wait (default 10m).
	Timeout time.Duration
	Now     func() time.Time
	// Progress, when set, is told when each step starts and ends.
	Progress func(PhaseRecord)
}

// BackupsReport is the outcome of a backup check.
type BackupsReport struct {
	APIVersion string    `json:"apiVersion"`
	RunID      string    `json:"runID"`
	Checked    time.Time `json:"checked"`
	// Preview: the chains were read, no restore was made.
	Preview   bool             `json:"preview"`
	Passed    bool             `json:"passed"`
	Schedules []ScheduleReport `json:"schedules"`
}

// ScheduleReport is one app's backups on one cluster.
type ScheduleReport struct {
	App       string `json:"app"`
	Namespace string `json:"namespace"`
	Cluster   string `json:"cluster"`
	// Schedule is the Velero Schedule (velero/<app>).
	Schedule string `json:"schedule"`
	// Recovery is where the dry-run restores, from RecoveryLocation (the
	// read-only copy of the source's location).
	Recovery         string  `json:"recovery"`
	RecoveryLocation string  `json:"recoveryLocation"`
	Chain            *Chain  `json:"chain,omitempty"`
	DryRun           *DryRun `json:"dryRun,omitempty"`
	// Steps are what the dry-run would do (preview).
	Steps []string `json:"steps,omitempty"`
	// Error is why the check could not be made.
	Error  string `json:"error,omitempty"`
	Passed bool   `json:"passed"`
}

// DryRun is a restore of a backup into a scratch namespace, verified and
// removed: Velero's missing restore dry-run (velero #448).
type DryRun struct {
	Backup  string `json:"backup"`
	Restore string `json:"restore"`
	// Scratch is the namespace the backup was restored into.
	Scratch      string        `json:"scratch"`
	Velero       *VeleroTimes  `json:"velero,omitempty"`
	Verification *Verification `json:"verification,omitempty"`
	// Removed says what was removed afterwards.
	Removed string        `json:"removed,omitempty"`
	Error   string        `json:"error,omitempty"`
	Took    time.Duration `json:"tookNanos"`
}

// Passed says whether the backup came back whole.
func (d *DryRun) Passed() bool {
	return d != nil && d.Error == "" && d.Verification.Passed()
}

// target is one app's schedule on one cluster.
type target struct {
	app                         *intent.App
	cluster, recovery, location string
}

// VerifyBackups checks every app's backups on every cluster it backs up
// on: the schedule's chain (the last fires each produced a Completed
// backup) and, with Yes, a restore dry-run — the latest Completed backup
// restored on the recovery cluster (through its read-only copy of the
// location, as a real recovery would) into a scratch namespace, compared
// object by object with what the backup holds (read through Velero), and
// removed. Failures are findings in the report; the error is for input
// that names no app or cluster.
func VerifyBackups(ctx context.Context, o VerifyOptions) (*BackupsReport, error) {
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	targets, err := backupTargets(o.Repo, o.Apps, o.Clusters)
	if err != nil {
		return nil, err
	}
	now := o.Now().UTC()
	// The run names its Restores and scratch namespaces: unique even for
	// two runs within a second.
	run := "verify-" + now.Format("20060102-150405") + "-" + rand.String(4)
	rep := &BackupsReport{APIVersion: APIVersion, RunID: run, Checked: now, Preview: !o.Yes, Passed: true}
	clients := map[string]client.WithWatch{}
	cl := func(name string) (client.WithWatch, error) {
		if c, ok := clients[name]; ok {
			return c, nil
		}
		c, err := newClient(o.Config, name)
		if err == nil {
			clients[name] = c
		}
		return c, err
	}
	for _, t := range targets {
		if ctx.Err() != nil {
			break
		}
		sr := ScheduleReport{App: t.app.Name, Namespace: t.app.Spec.Namespace, Cluster: t.cluster, Schedule: VeleroNamespace + "/" + t.app.Name,
			Recovery: t.recovery, RecoveryLocation: t.location}
		step := func(what string, f func() (string, error)) error {
			return o.step(Phase(fmt.Sprintf("%s@%s %s", t.app.Name, t.cluster, what)), f)
		}
		_ = step("chain", func() (string, error) {
			ch, err := readChain(ctx, cl, t, o)
			if err != nil {
				sr.Error = err.Error()
				return "", err
			}
			sr.Chain = ch
			if !ch.OK() {
				return "", errors.New(strings.Join(ch.Problems, "; "))
			}
			return ch.summary() + "; latest " + ch.Latest, nil
		})
		switch {
		case sr.Chain == nil:
		case sr.Chain.Latest == "":
		case !o.Yes:
			sr.Steps = dryRunSteps(t, sr.Chain.Latest, scratchName(t.app.Spec.Namespace, rep.RunID))
		default:
			_ = step("restore dry-run", func() (string, error) {
				d := dryRun(ctx, cl, t, sr.Chain.Latest, rep.RunID, o)
				sr.DryRun = d
				if !d.Passed() {
					msg := d.Error
					if msg == "" {
						msg = "verification failed: " + d.Verification.summary(t.recovery)
					}
					return "", errors.New(msg)
				}
				return fmt.Sprintf("%s restored into %s on %s: %s; %s", d.Backup, d.Scratch, t.recovery, d.Verification.summary(t.recovery), d.Removed), nil
			})
		}
		sr.Passed = sr.Error == "" && sr.Chain.OK() && (!o.Yes || sr.DryRun.Passed())
		rep.Passed = rep.Passed && sr.Passed
		rep.Schedules = append(rep.Schedules, sr)
	}
	if err := ctx.Err(); err != nil {
		rep.Passed = false
		return rep, fmt.Errorf("%w: %v", ErrInterrupted, err)
	}
	return rep, nil
}

// step runs one step and tells Progress about it.
func (o VerifyOptions) step(p Phase, f func() (string, error)) error {
	rec := PhaseRecord{Phase: p, Started: o.Now().UTC()}
	if o.Progress != nil {
		o.Progress(rec)
	}
	msg, err := f()
	end := o.Now().UTC()
	rec.Ended, rec.Message = &end, msg
	if err != nil {
		rec.Error = err.Error()
	}
	if o.Progress != nil {
		o.Progress(rec)
	}
	return err
}

// backupTargets lists each app with backup intent and each cluster it
// backs up on — where its placement can land and backup does not skip
// (the clusters render sends its Velero Schedule to) — with the cluster it
// recovers into.
func backupTargets(repo *intent.Repo, apps, clusters []string) ([]target, error) {
	for _, a := range apps {
		if x := repo.App(a); x == nil || x.Spec.Backup == nil {
			return nil, fmt.Errorf("app %q has no backup intent (spec.backup)", a)
		}
	}
	for _, c := range clusters {
		if repo.Cluster(c) == nil {
			return nil, fmt.Errorf("unknown cluster %q", c)
		}
	}
	var kcs []*clusterv1alpha1.Cluster
	for _, c := range repo.Clusters {
		kcs = append(kcs, karmadaspec.Cluster(&c.Cluster))
	}
	var out []target
	for _, a := range repo.Apps {
		if a.Spec.Backup == nil || (len(apps) > 0 && !slices.Contains(apps, a.Name)) {
			continue
		}
		loc := a.Spec.Backup.Location
		if loc == "" {
			if l := repo.DefaultLocation(); l != nil {
				loc = l.Name
			}
		}
		p := karmadaspec.Placement(&a.App)
		for _, kc := range kcs {
			if (len(clusters) > 0 && !slices.Contains(clusters, kc.Name)) || repo.BackupSkips(a, kc.Name) || !karmadaspec.Admits(p, kc) {
				continue
			}
			recovery := a.Spec.Backup.RecoveryCluster
			if recovery == "" {
				recovery = repo.Cluster(kc.Name).Spec.DRPartner
			}
			if recovery == "" || recovery == kc.Name {
				continue // crosscheck reports an app that cannot recover
			}
			out = append(out, target{app: a, cluster: kc.Name, recovery: recovery, location: loc + "-from-" + kc.Name})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no app backs up on the clusters asked for")
	}
	return out, nil
}

// readChain reads a schedule and its backups on the source.
func readChain(ctx context.Context, cl func(string) (client.WithWatch, error), t target, o VerifyOptions) (*Chain, error) {
	c, err := cl(t.cluster)
	if err != nil {
		return nil, err
	}
	s := &velerov1.Schedule{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: VeleroNamespace, Name: t.app.Name}, s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("no Schedule/%s/%s on %s: Karmada has not propagated it there", VeleroNamespace, t.app.Name, t.cluster)
		}
		return nil, fmt.Errorf("get Schedule/%s/%s on %s: %w", VeleroNamespace, t.app.Name, t.cluster, err)
	}
	var list velerov1.BackupList
	if err := c.List(ctx, &list, client.InNamespace(VeleroNamespace), client.MatchingLabels{velerov1.ScheduleNameLabel: label.GetValidName(s.Name)}); err != nil {
		return nil, fmt.Errorf("backups of Schedule/%s/%s on %s: %w", VeleroNamespace, s.Name, t.cluster, err)
	}
	return CheckChain(s, list.Items, o.Now().UTC(), o.Chain), nil
}

// scratchName is the namespace a dry-run restores into: unique per run,
// because a deleted namespace may stay Terminating for long (for ever
// where no namespace controller runs) and could not be restored into.
func scratchName(ns, run string) string {
	name := ns + "-" + strings.TrimPrefix(run, "verify-")
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimRight(name, "-")
}

func dryRunSteps(t target, backup, scratch string) []string {
	return []string{
		fmt.Sprintf("wait until %s's Velero lists Backup %s (from %s)", t.recovery, backup, t.location),
		fmt.Sprintf("read what the backup holds in %s (through Velero)", t.app.Spec.Namespace),
		fmt.Sprintf("restore it on %s into scratch namespace %s", t.recovery, scratch),
		"compare every backed-up object with its restored copy (server-owned fields aside)",
		fmt.Sprintf("remove what was restored and namespace %s", scratch),
	}
}

// dryRun restores a backup into a scratch namespace on the recovery
// cluster, verifies it against the backup's contents and removes it.
func dryRun(ctx context.Context, cl func(string) (client.WithWatch, error), t target, backup, run string, o VerifyOptions) *DryRun {
	start := o.Now()
	ns := t.app.Spec.Namespace
	d := &DryRun{Backup: backup, Restore: label.GetValidName(backup + "-" + run), Scratch: scratchName(ns, run)}
	defer func() { d.Took = o.Now().Sub(start) }()
	fail := func(err error) *DryRun {
		d.Error = err.Error()
		return d
	}
	c, err := cl(t.recovery)
	if err != nil {
		return fail(err)
	}
	cfg, err := o.Config(t.recovery)
	if err != nil {
		return fail(err)
	}
	left, err := removeLeftovers(ctx, cfg, c, t.recovery, o.Timeout)
	if err != nil {
		return fail(fmt.Errorf("leftovers of an earlier check on %s: %w", t.recovery, err))
	}
	if _, err := syncBackup(ctx, c, o.Servers, t.recovery, t.location, backup, o.FastSync, o.Timeout, o.Now); err != nil {
		return fail(err)
	}
	contents, err := backupContents(ctx, c, backup, []string{ns})
	if err != nil {
		return fail(fmt.Errorf("read Backup/%s/%s on %s: %w", VeleroNamespace, backup, t.recovery, err))
	}
	rs := &velerov1.Restore{
		ObjectMeta: metav1.ObjectMeta{Name: d.Restore, Namespace: VeleroNamespace, Labels: map[string]string{LabelVerify: run}},
		Spec: velerov1.RestoreSpec{BackupName: backup, IncludedNamespaces: []string{ns}, NamespaceMapping: map[string]string{ns: d.Scratch},
			RestorePVs: ptrBool(false)},
	}
	mapped := func(from string) string {
		if from == ns {
			return d.Scratch
		}
		return from
	}
	d.Velero, err = restoreAndWait(ctx, c, t.recovery, rs, o.Timeout, o.Now, nil)
	if err == nil {
		// The backup's contents stay in memory: any key compares them.
		d.Verification, err = verifyRestore(ctx, cfg, c, t.recovery, rs.Name, contents, mapped, v1alpha1.DrillVerify{}, newSealer(), nil)
	}
	// Whatever the restore did, it is removed.
	removed, rerr := removeScratch(ctx, cfg, c, t.recovery, rs.Name, d.Scratch, o.Timeout)
	d.Removed = fmt.Sprintf("%d restored object(s) and Namespace/%s removed", removed, d.Scratch)
	if left > 0 {
		d.Removed += fmt.Sprintf("; %d object(s) an interrupted earlier check left removed", left)
	}
	if err := errors.Join(err, rerr); err != nil {
		d.Error = err.Error()
	}
	return d
}

// removeScratch removes what a dry-run restore created: once the Restore
// has ended, every object it labelled in the scratch namespace, then the
// namespace; the Restore is marked so later runs know it was cleaned.
func removeScratch(ctx context.Context, cfg *rest.Config, c client.WithWatch, cluster, restore, scratch string, timeout time.Duration) (int, error) {
	rs, err := settle(ctx, c, restore, timeout)
	if err != nil {
		return 0, fmt.Errorf("restored objects left in %s on %s: %w", scratch, cluster, err)
	}
	n, err := removeLabelled(ctx, cfg, cluster, scratch, restore)
	if err != nil {
		return n, err
	}
	if err := c.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: scratch}}); err != nil && !apierrors.IsNotFound(err) {
		return n, fmt.Errorf("delete Namespace/%s on %s: %w", scratch, cluster, err)
	}
	if rs != nil {
		orig := rs.DeepCopy()
		if rs.Labels == nil {
			rs.Labels = map[string]string{}
		}
		rs.Labels[labelRemoved] = "true"
		if err := c.Patch(ctx, rs, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
			return n, fmt.Errorf("mark Restore/%s/%s removed on %s: %w", VeleroNamespace, restore, cluster, err)
		}
	}
	return n, nil
}

// removeLeftovers removes the scratch namespaces of earlier checks that
// were interrupted before their removal, and returns how many objects it
// removed: re-running a check is safe.
func removeLeftovers(ctx context.Context, cfg *rest.Config, c client.WithWatch, cluster string, timeout time.Duration) (int, error) {
	var list velerov1.RestoreList
	if err := c.List(ctx, &list, client.InNamespace(VeleroNamespace), client.HasLabels{LabelVerify}); err != nil {
		return 0, fmt.Errorf("list Restores on %s: %w", cluster, err)
	}
	n := 0
	for _, rs := range list.Items {
		if rs.Labels[labelRemoved] == "true" {
			continue
		}
		for _, scratch := range rs.Spec.NamespaceMapping {
			k, err := removeScratch(ctx, cfg, c, cluster, rs.Name, scratch, timeout)
			n += k
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// removeLabelled deletes every object of a namespace that Velero labelled
// as restored by the named restore.
func removeLabelled(ctx context.Context, cfg *rest.Config, cluster, ns, restore string) (int, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return 0, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	lists, err := dc.ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		return 0, fmt.Errorf("%s: discovery: %w", cluster, err)
	}
	sel := velerov1.RestoreNameLabel + "=" + label.GetValidName(restore)
	n := 0
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, res := range l.APIResources {
			if strings.Contains(res.Name, "/") || !slices.Contains(res.Verbs, "list") || !slices.Contains(res.Verbs, "delete") {
				continue
			}
			ri := dyn.Resource(gv.WithResource(res.Name)).Namespace(ns)
			items, err := ri.List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err != nil {
				if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
					continue
				}
				return n, fmt.Errorf("%s: list %s in %s: %w", cluster, res.Name, ns, err)
			}
			for _, it := range items.Items {
				if err := ri.Delete(ctx, it.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					return n, fmt.Errorf("delete %s on %s: %w", ref(&it), cluster, err)
				}
				n++
			}
		}
	}
	return n, nil
}
