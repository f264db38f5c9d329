package drill

import (
	"slices"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCheckChain(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 20, 0, 0, time.UTC)
	schedule := func(cron string, created time.Time) *velerov1.Schedule {
		s := &velerov1.Schedule{}
		s.Name, s.Spec.Schedule, s.CreationTimestamp = "web", cron, metav1.NewTime(created)
		s.Spec.Template.TTL = metav1.Duration{Duration: 72 * time.Hour}
		return s
	}
	backup := func(name string, created time.Time, phase velerov1.BackupPhase) velerov1.Backup {
		b := velerov1.Backup{}
		b.Name, b.CreationTimestamp, b.Status.Phase = name, metav1.NewTime(created), phase
		return b
	}
	hour := func(h int) time.Time { return time.Date(2026, 11, 22, h, 0, 0, 0, time.UTC) }
	// Velero looks once a minute: a scheduled backup is created up to a
	// minute after its fire.
	hourly := func(phases map[int]velerov1.BackupPhase) []velerov1.Backup {
		var out []velerov1.Backup
		for h := 6; h <= 12; h++ {
			p, ok := phases[h]
			if !ok {
				p = velerov1.BackupPhaseCompleted
			}
			if p == "" {
				continue // missed
			}
			out = append(out, backup("web-"+hour(h).Format("20060102150405"), hour(h).Add(37*time.Second), p))
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		s        *velerov1.Schedule
		backups  []velerov1.Backup
		now      time.Time
		opts     ChainOptions
		links    int
		latest   string
		problems []string
	}{
		{name: "unbroken", s: schedule("0 * * * *", hour(1)), backups: hourly(nil), links: 3, latest: "web-20261122120000"},
		{name: "a missed fire", s: schedule("0 * * * *", hour(1)), backups: hourly(map[int]velerov1.BackupPhase{11: ""}), links: 3,
			latest: "web-20261122120000", problems: []string{"no backup for the fire due 2026-11-22T11:00:00Z"}},
		{name: "a partially failed link", s: schedule("0 * * * *", hour(1)), backups: hourly(map[int]velerov1.BackupPhase{10: velerov1.BackupPhasePartiallyFailed}), links: 3,
			latest: "web-20261122120000", problems: []string{"Backup web-20261122100000 (created 2026-11-22T10:00:37Z) is PartiallyFailed"}},
		{name: "a failure beyond the links checked", s: schedule("0 * * * *", hour(1)), backups: hourly(map[int]velerov1.BackupPhase{8: velerov1.BackupPhaseFailed}), links: 3,
			latest: "web-20261122120000"},
		{name: "more links", s: schedule("0 * * * *", hour(1)), backups: hourly(map[int]velerov1.BackupPhase{8: velerov1.BackupPhaseFailed}), opts: ChainOptions{Links: 5}, links: 5,
			latest: "web-20261122120000", problems: []string{"Backup web-20261122080000 (created 2026-11-22T08:00:37Z) is Failed"}},
		{name: "the newest fire within the grace", s: schedule("0 * * * *", hour(1)), backups: hourly(map[int]velerov1.BackupPhase{12: ""}), now: hour(12).Add(5 * time.Minute), links: 3,
			latest: "web-20261122110000"},
		{name: "the newest fire past the grace", s: schedule("0 * * * *", hour(1)), backups: hourly(map[int]velerov1.BackupPhase{12: velerov1.BackupPhaseInProgress}), links: 3,
			latest: "web-20261122110000", problems: []string{"Backup web-20261122120000 (created 2026-11-22T12:00:37Z) is InProgress"}},
		{name: "the newest backup still running within the grace", s: schedule("0 * * * *", hour(1)), backups: hourly(map[int]velerov1.BackupPhase{12: velerov1.BackupPhaseInProgress}), now: hour(12).Add(5 * time.Minute), links: 3,
			latest: "web-20261122110000"},
		{name: "a failed backup made from the schedule by hand", s: schedule("0 */6 * * *", hour(12).Add(5*time.Minute)),
			backups: []velerov1.Backup{backup("web-manual", hour(12).Add(8*time.Minute), velerov1.BackupPhaseCompleted), backup("web-manual-2", hour(12).Add(9*time.Minute), velerov1.BackupPhaseFailedValidation)},
			links:   0, latest: "web-manual", problems: []string{"Backup web-manual-2 (created 2026-11-22T12:09:00Z) is FailedValidation"}},
		{name: "a young schedule, nothing due yet", s: schedule("0 */6 * * *", hour(12).Add(5*time.Minute)), links: 0,
			problems: []string{"no Completed backup: nothing to restore"}},
		{name: "a young schedule with a backup made from it", s: schedule("0 */6 * * *", hour(12).Add(5*time.Minute)),
			backups: []velerov1.Backup{backup("web-manual", hour(12).Add(8*time.Minute), velerov1.BackupPhaseCompleted)}, links: 0, latest: "web-manual"},
		{name: "only the fires since the schedule existed", s: schedule("0 * * * *", hour(11).Add(30*time.Minute)), backups: hourly(map[int]velerov1.BackupPhase{10: "", 9: ""}), links: 1,
			latest: "web-20261122120000"},
		{name: "only the fires within the TTL", s: func() *velerov1.Schedule {
			s := schedule("0 * * * *", hour(1))
			s.Spec.Template.TTL = metav1.Duration{Duration: 90 * time.Minute}
			return s
		}(), backups: hourly(map[int]velerov1.BackupPhase{10: ""}), opts: ChainOptions{Links: 5}, links: 2, latest: "web-20261122120000"},
		{name: "paused", s: func() *velerov1.Schedule { s := schedule("0 * * * *", hour(1)); s.Spec.Paused = true; return s }(), backups: hourly(nil), links: 3,
			latest: "web-20261122120000", problems: []string{"the Schedule is paused: Velero takes no backups"}},
		{name: "a cron Velero cannot parse", s: schedule("0 * * *", hour(1)), links: 0, problems: []string{`cron "0 * * *": expected exactly 5 fields, found 4: [0 * * *]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.now
			if at.IsZero() {
				at = now
			}
			ch := CheckChain(tc.s, tc.backups, at, tc.opts)
			if len(ch.Links) != tc.links || ch.Latest != tc.latest || !slices.Equal(ch.Problems, tc.problems) {
				t.Errorf("links %d (want %d), latest %q (want %q), problems:\n  %s\nwant:\n  %s", len(ch.Links), tc.links, ch.Latest, tc.latest,
					strings.Join(ch.Problems, "\n  "), strings.Join(tc.problems, "\n  "))
			}
			if ch.OK() != (len(tc.problems) == 0) {
				t.Errorf("OK %v with problems %v", ch.OK(), ch.Problems)
			}
			for i := 1; i < len(ch.Links); i++ {
				if !ch.Links[i].Due.Before(ch.Links[i-1].Due) {
					t.Errorf("links not newest first: %v", ch.Links)
				}
			}
		})
	}
}
