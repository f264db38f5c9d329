package gitsnap

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// isolate gives git a fixed identity and no user or system configuration
// (a signing or hook setting there would change the commits).
func isolate(t *testing.T) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "gitconfig")
	write(t, empty, "")
	t.Setenv("GIT_CONFIG_GLOBAL", empty)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "Flotilla Bot")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "bot@example.com")
	}
}

func TestDirtyInsideAndOutsideTheControlRepository(t *testing.T) {
	isolate(t)
	top := t.TempDir()
	run(t, top, "init", "-q", "-b", "main")
	fleet := filepath.Join(top, "fleet")
	write(t, filepath.Join(fleet, "apps", "a", "app.yaml"), "a: 1\n")
	write(t, filepath.Join(fleet, "old.yaml"), "old\n")
	write(t, filepath.Join(top, "other.txt"), "x\n")
	run(t, top, "add", ".")
	run(t, top, "commit", "-q", "-m", "base")
	ctx := context.Background()
	r, err := Open(ctx, fleet)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Dirty(ctx); err != nil || len(got) != 0 {
		t.Fatalf("clean tree: %v %v", got, err)
	}
	write(t, filepath.Join(fleet, "apps", "a", "app.yaml"), "a: 2\n")
	write(t, filepath.Join(fleet, "rendered", "new file.yaml"), "n\n")
	write(t, filepath.Join(top, "other.txt"), "y\n")
	run(t, fleet, "mv", "old.yaml", "renamed.yaml")
	got, err := r.Dirty(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/other.txt", "apps/a/app.yaml", "old.yaml", "renamed.yaml", "rendered/new file.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("Dirty = %q, want %q", got, want)
	}
}

func TestTrailersAndCommit(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	r, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Trailers(ctx, "HEAD", "Flotilla-Spot-Rebalance"); err != nil || got != nil {
		t.Fatalf("unborn branch: %v %v", got, err)
	}
	write(t, filepath.Join(dir, "a.yaml"), "a: 1\n")
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	first, err := r.Commit(ctx, CommitOptions{Paths: []string{"a.yaml"}, Message: "spot: move\n\nFlotilla-Spot-Rebalance: web\nflotilla-spot-rebalance: api\n", When: at})
	if err != nil {
		t.Fatal(err)
	}
	// A mention in the body is not a trailer; nor is a commit without one.
	write(t, filepath.Join(dir, "a.yaml"), "a: 2\n")
	if _, err := r.Commit(ctx, CommitOptions{Paths: []string{"."}, Message: "docs\n\nFlotilla-Spot-Rebalance: web is how the trailer looks\nin a paragraph.\n\nSigned-off-by: x <x@example.com>\n", When: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "b.yaml"), "b: 1\n")
	third, err := r.Commit(ctx, CommitOptions{Paths: []string{"b.yaml"}, Message: "spot: again\n\nFlotilla-Spot-Rebalance: web\n", When: at.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Trailers(ctx, "HEAD", "Flotilla-Spot-Rebalance")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Commit != third || got[1].Commit != first ||
		!got[0].Time.Equal(at.Add(2*time.Hour)) || !slices.Equal(got[1].Values, []string{"web", "api"}) {
		t.Errorf("Trailers = %+v", got)
	}
	if _, err := r.Trailers(ctx, "HEAD", "bad key:"); err == nil {
		t.Error("a key with a colon was accepted")
	}

	// The same change on the same parent at the same time is the same
	// commit in another clone.
	clone := t.TempDir()
	run(t, clone, "clone", "-q", dir, ".")
	rc, err := Open(ctx, clone)
	if err != nil {
		t.Fatal(err)
	}
	again := func(r *Repo, d string) string {
		write(t, filepath.Join(d, "c", "c.yaml"), "c: 1\n")
		if err := os.Remove(filepath.Join(d, "b.yaml")); err != nil {
			t.Fatal(err)
		}
		h, err := r.Commit(ctx, CommitOptions{Paths: []string{"c", "b.yaml"}, Message: "same\n", When: at.Add(3 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if a, b := again(r, dir), again(rc, clone); a != b {
		t.Errorf("two clones committed %s and %s", a, b)
	}
	if got, _ := r.Dirty(ctx); len(got) != 0 {
		t.Errorf("after the commit: dirty %v", got)
	}
}
