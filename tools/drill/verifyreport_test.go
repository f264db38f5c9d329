package drill

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func TestBackupsReport(t *testing.T) {
	rep := &BackupsReport{APIVersion: APIVersion, Checked: *at(0), Schedules: []ScheduleReport{
		{App: "web", Cluster: "a", Recovery: "b", Chain: &Chain{Cron: "0 * * * *", Links: []Link{{Due: *at(0), Backup: "web-1", Phase: "Completed"}}, Latest: "web-1"},
			DryRun: &DryRun{Backup: "web-1", Scratch: "shop-20261122", Took: 3 * time.Second, Verification: &Verification{Objects: 12, Verified: 12}}, Passed: true},
		{App: "db", Cluster: "a", Recovery: "b", Chain: &Chain{Cron: "0 * * * *", Problems: []string{"no backup for the fire due 2026-11-22T07:00:00Z"}, Latest: "db-0"},
			DryRun: &DryRun{Backup: "db-0", Error: "velero: Restore/velero/db-0-x on b PartiallyFailed: 1 error(s): db: boom"}},
		{App: "cache", Cluster: "c", Error: "no Schedule/velero/cache on c: Karmada has not propagated it there"},
	}}
	var md, junit bytes.Buffer
	if err := WriteBackupsMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Backups: ❌ failed", "| web | a | ✅ last 1 fire(s) of `0 * * * *` each made a backup; latest backups Completed | `web-1` | ✅ 12/12 objects equal in `shop-20261122` on b (3s); removed |",
		"| db | a | ❌ no backup for the fire due 2026-11-22T07:00:00Z | `db-0` | ❌ velero: Restore/velero/db-0-x on b PartiallyFailed: 1 error(s): db: boom |",
		"| cache | c | ❌ no Schedule/velero/cache on c"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if err := WriteBackupsJUnit(&junit, rep); err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
	}
	// web: 2 passed; db: chain and dry-run failed; cache: chain failed,
	// dry-run skipped (nothing to restore).
	if err := xml.Unmarshal(junit.Bytes(), &suite); err != nil || suite.Tests != 6 || suite.Failures != 3 || suite.Skipped != 1 {
		t.Errorf("junit: %+v %v\n%s", suite, err, junit.String())
	}
}
