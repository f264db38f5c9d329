package drill

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"github.com/vmware-tanzu/velero/pkg/archive"
	"github.com/vmware-tanzu/velero/pkg/util/filesystem"
	"github.com/vmware-tanzu/velero/pkg/util/results"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// veleroStatus is what a Backup's or Restore's status says, in one shape.
type veleroStatus struct {
	name, phase, failure string
	validation           []string
	warnings, errors     int
	started, completed   *metav1.Time
	items                int
	// details are Velero's own error messages (from the results it
	// stored), when they could be fetched.
	details []string
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
		if len(v.details) > 0 {
			parts = append(parts, fmt.Sprintf("%d error(s): %s", v.errors, strings.Join(v.details, "; ")))
		} else {
			parts = append(parts, fmt.Sprintf("%d error(s), see `%s`", v.errors, v.logs))
		}
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

// backupStarted says whether Velero has begun a backup: past the phases
// in which it waits its turn (New, and since Velero 1.17 Queued and
// ReadyToStart), where its own start timestamp is set.
func backupStarted(p velerov1.BackupPhase) bool {
	switch p {
	case "", velerov1.BackupPhaseNew, "Queued", "ReadyToStart":
		return false
	}
	return true
}

// backupFailed and restoreFailed are Velero's terminal phases other than
// Completed.
func backupFailed(p velerov1.BackupPhase) bool {
	return p == velerov1.BackupPhaseFailed || p == velerov1.BackupPhasePartiallyFailed || p == velerov1.BackupPhaseFailedValidation
}

func restoreFailed(p velerov1.RestorePhase) bool {
	return p == velerov1.RestorePhaseFailed || p == velerov1.RestorePhasePartiallyFailed || p == velerov1.RestorePhaseFailedValidation
}

// maxDetails is how many of Velero's error messages a report quotes.
const maxDetails = 3

// downloadTimeout bounds fetching a file Velero stored (its results, a
// backup's contents).
const downloadTimeout = 30 * time.Second

// download asks a cluster's Velero server for a file it stored in the
// object store beside a backup or restore — the DownloadRequest protocol
// the velero CLI uses (`velero backup describe --details`, `velero backup
// download`): Velero answers with a signed URL. Nothing is read from the
// store with the drill's own credentials.
func download(ctx context.Context, c client.WithWatch, kind velerov1.DownloadTargetKind, name string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	dr := &velerov1.DownloadRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-" + rand.String(8), Namespace: VeleroNamespace},
		Spec:       velerov1.DownloadRequestSpec{Target: velerov1.DownloadTarget{Kind: kind, Name: name}},
	}
	if err := c.Create(ctx, dr); err != nil {
		return nil, fmt.Errorf("create DownloadRequest/%s/%s for %s %s: %w", VeleroNamespace, dr.Name, kind, name, err)
	}
	// Velero deletes processed requests once their URL expires; remove it
	// now that it has served (even when the caller's context has ended).
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = c.Delete(dctx, dr)
	}()
	what := fmt.Sprintf("DownloadRequest/%s/%s (%s %s)", VeleroNamespace, dr.Name, kind, name)
	got, err := waitFor(ctx, c, client.ObjectKeyFromObject(dr), &velerov1.DownloadRequestList{}, downloadTimeout, what, func(d *velerov1.DownloadRequest) (bool, error) {
		return d.Status.DownloadURL != "", nil
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, got.Status.DownloadURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{}).Do(req) // bounded by ctx
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: the object store answered %s: %s", what, resp.Status, firstLine(string(body)))
	}
	return body, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// veleroErrors fetches the errors Velero recorded for a backup or restore
// (its results file, as `velero ... describe --details` shows them), at
// most maxDetails of them, the count of the rest noted.
func veleroErrors(ctx context.Context, c client.WithWatch, kind velerov1.DownloadTargetKind, name string) ([]string, error) {
	data, err := download(ctx, c, kind, name)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, name, err)
	}
	var res map[string]results.Result
	if err := json.NewDecoder(zr).Decode(&res); err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, name, err)
	}
	return flatten(res["errors"]), nil
}

// flatten lists a Velero result's messages, scoped, at most maxDetails.
func flatten(r results.Result) []string {
	var all []string
	for _, m := range r.Velero {
		all = append(all, "velero: "+m)
	}
	for _, m := range r.Cluster {
		all = append(all, "cluster: "+m)
	}
	for _, ns := range slices.Sorted(maps.Keys(r.Namespaces)) {
		for _, m := range r.Namespaces[ns] {
			all = append(all, ns+": "+m)
		}
	}
	if len(all) > maxDetails {
		all = append(all[:maxDetails:maxDetails], fmt.Sprintf("and %d more", len(all)-maxDetails))
	}
	return all
}

// withDetails adds Velero's own error messages to a failed backup's or
// restore's status when it reports errors; when they cannot be fetched
// (the store or the API server is down), the status keeps pointing at the
// velero command that shows them.
func withDetails(ctx context.Context, c client.WithWatch, v veleroStatus, kind velerov1.DownloadTargetKind) veleroStatus {
	if v.errors == 0 {
		return v
	}
	if d, err := veleroErrors(ctx, c, kind, v.name); err == nil {
		v.details = d
	}
	return v
}

// backupContents reads the namespaced objects of a backup as Velero stored
// them, through a DownloadRequest and Velero's own archive reader: what a
// restore of it must give back.
func backupContents(ctx context.Context, c client.WithWatch, backup string, namespaces []string) ([]*unstructured.Unstructured, error) {
	data, err := download(ctx, c, velerov1.DownloadTargetKindBackupContents, backup)
	if err != nil {
		return nil, err
	}
	fs := filesystem.NewFileSystem()
	log := logrus.New()
	log.SetOutput(io.Discard)
	dir, err := archive.NewExtractor(log, fs).UnzipAndExtractBackup(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("backup %s contents: %w", backup, err)
	}
	defer fs.RemoveAll(dir)
	resources, err := archive.NewParser(log, fs).Parse(dir)
	if err != nil {
		return nil, fmt.Errorf("backup %s contents: %w", backup, err)
	}
	var out []*unstructured.Unstructured
	for _, gr := range slices.Sorted(maps.Keys(resources)) {
		if skippedResources[gr] {
			continue
		}
		for _, ns := range namespaces {
			for _, name := range resources[gr].ItemsByNamespace[ns] {
				u, err := archive.Unmarshal(fs, archive.GetItemFilePath(dir, gr, ns, name))
				if err != nil {
					return nil, fmt.Errorf("backup %s contents: %s %s/%s: %w", backup, gr, ns, name, err)
				}
				out = append(out, u)
			}
		}
	}
	slices.SortFunc(out, func(a, b *unstructured.Unstructured) int { return strings.Compare(ref(a), ref(b)) })
	return out, nil
}
