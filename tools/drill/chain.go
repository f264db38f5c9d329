package drill

import (
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
)

// Chain is a Velero Schedule's recent backups measured against its cron:
// each of the last fires it was due must have produced a backup, and the
// latest backups must be Completed.
type Chain struct {
	// Cron is the live Schedule's expression; Paused whether Velero skips
	// it.
	Cron   string `json:"cron"`
	Paused bool   `json:"paused,omitempty"`
	// Links are the last fires due, newest first, each with the backup
	// that covers it (none: the fire was missed).
	Links []Link `json:"links"`
	// Latest is the newest Completed backup of the schedule (what a
	// restore would use), empty when there is none.
	Latest string `json:"latest,omitempty"`
	// Problems say what breaks the chain, one line each.
	Problems []string `json:"problems,omitempty"`
}

// Link is one fire of the schedule and the backup it produced.
type Link struct {
	Due    time.Time `json:"due"`
	Backup string    `json:"backup,omitempty"`
	Phase  string    `json:"phase,omitempty"`
}

// summary says what an unbroken chain holds.
func (c *Chain) summary() string {
	if len(c.Links) == 0 {
		return fmt.Sprintf("no fire of `%s` due yet; latest backups Completed", c.Cron)
	}
	return fmt.Sprintf("last %d fire(s) of `%s` each made a backup; latest backups Completed", len(c.Links), c.Cron)
}

// OK says whether the chain is unbroken.
func (c *Chain) OK() bool { return c != nil && len(c.Problems) == 0 }

// ChainOptions say how much of a chain is checked.
type ChainOptions struct {
	// Links is how many of the latest fires must each have a backup, and
	// how many of the latest backups must be Completed (default 3).
	Links int
	// Grace is how long after a fire its backup may still be missing or
	// running without counting against the chain (default 10m): Velero
	// looks at schedules once a minute, and a backup takes its time.
	Grace time.Duration
}

func (o ChainOptions) withDefaults() ChainOptions {
	if o.Links <= 0 {
		o.Links = 3
	}
	if o.Grace <= 0 {
		o.Grace = 10 * time.Minute
	}
	return o
}

// maxFires bounds the walk over a cron's fires (a minutely schedule kept
// for a month has 43,200).
const maxFires = 200_000

// CheckChain measures a Schedule's backups (those labelled with its name)
// against its cron, as of now. Fires are those of the cron (robfig/cron,
// as Velero's schedule controller parses it) after the schedule was
// created and within the backups' TTL (older backups are gone by design);
// the backup covering a fire is the first one created from that fire
// until the next.
func CheckChain(s *velerov1.Schedule, backups []velerov1.Backup, now time.Time, o ChainOptions) *Chain {
	o = o.withDefaults()
	ch := &Chain{Cron: s.Spec.Schedule, Paused: s.Spec.Paused}
	sched, err := cron.ParseStandard(s.Spec.Schedule)
	if err != nil {
		ch.Problems = append(ch.Problems, fmt.Sprintf("cron %q: %v", s.Spec.Schedule, err))
		return ch
	}
	if s.Spec.Paused {
		ch.Problems = append(ch.Problems, "the Schedule is paused: Velero takes no backups")
	}
	mine := slices.Clone(backups)
	slices.SortFunc(mine, func(a, b velerov1.Backup) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	for i := len(mine) - 1; i >= 0; i-- {
		if mine[i].Status.Phase == velerov1.BackupPhaseCompleted {
			ch.Latest = mine[i].Name
			break
		}
	}

	// The fires due: after the schedule existed, within the TTL, and
	// at least Grace ago; the last o.Links of them.
	from := s.CreationTimestamp.Time
	ttl := s.Spec.Template.TTL.Duration
	if ttl <= 0 {
		ttl = 30 * 24 * time.Hour // Velero's default TTL
	}
	if keep := now.Add(-ttl); keep.After(from) {
		from = keep
	}
	var fires []time.Time
	for t, n := sched.Next(from.Add(-time.Second)), 0; !t.IsZero() && !t.After(now) && n < maxFires; t, n = sched.Next(t), n+1 {
		fires = append(fires, t)
	}
	due := 0
	for due < len(fires) && !fires[due].After(now.Add(-o.Grace)) {
		due++
	}
	first := max(0, due-o.Links)
	for i := due - 1; i >= first; i-- {
		end := now
		if i+1 < len(fires) {
			end = fires[i+1]
		}
		l := Link{Due: fires[i].UTC()}
		for _, b := range mine {
			t := b.CreationTimestamp.Time
			// Velero stamps the backup with the minute it looked: allow
			// for timestamps that have whole seconds.
			if !t.Before(fires[i].Truncate(time.Second)) && t.Before(end) {
				l.Backup, l.Phase = b.Name, string(b.Status.Phase)
				break
			}
		}
		if l.Backup == "" {
			ch.Problems = append(ch.Problems, fmt.Sprintf("no backup for the fire due %s", l.Due.Format(time.RFC3339)))
		}
		ch.Links = append(ch.Links, l)
	}
	// The latest backups, whatever made them (a fire, or a backup created
	// from the schedule by hand), must be Completed; one still running
	// within the grace is not judged yet.
	checked := 0
	for i := len(mine) - 1; i >= 0 && checked < o.Links; i-- {
		b := mine[i]
		done := b.Status.Phase == velerov1.BackupPhaseCompleted || backupFailed(b.Status.Phase)
		if !done && b.CreationTimestamp.Time.After(now.Add(-o.Grace)) {
			continue
		}
		checked++
		if b.Status.Phase != velerov1.BackupPhaseCompleted {
			ch.Problems = append(ch.Problems, fmt.Sprintf("Backup %s (created %s) is %s", b.Name, b.CreationTimestamp.UTC().Format(time.RFC3339), orDefault(string(b.Status.Phase), "New")))
		}
	}
	if ch.Latest == "" {
		ch.Problems = append(ch.Problems, "no Completed backup: nothing to restore")
	}
	return ch
}
