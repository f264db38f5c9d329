package gitsnap

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExportAndChangedInAMonorepo keeps the control repository in a
// subfolder, as a monorepo does: Export must return that folder's tree at
// the base commit, Changed must list working-tree edits relative to it, and
// neither may touch the checkout.
func TestExportAndChangedInAMonorepo(t *testing.T) {
	top := t.TempDir()
	run(t, top, "init", "-q", "-b", "main")
	fleet := filepath.Join(top, "platform", "fleet")
	write(t, filepath.Join(fleet, "fleet.yaml"), "kind: Fleet\n")
	write(t, filepath.Join(fleet, "apps", "a", "app.yaml"), "replicas: 1\n")
	write(t, filepath.Join(top, "other", "x.txt"), "not the fleet\n")
	run(t, top, "add", ".")
	run(t, top, "commit", "-q", "-m", "base")

	write(t, filepath.Join(fleet, "apps", "a", "app.yaml"), "replicas: 2\n")
	write(t, filepath.Join(fleet, "apps", "b", "app.yaml"), "new: true\n")
	statusBefore := run(t, top, "status", "--porcelain")

	ctx := context.Background()
	r, err := Open(ctx, fleet)
	if err != nil {
		t.Fatal(err)
	}
	base, err := r.Resolve(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	dir, cleanup, err := r.Export(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "apps", "a", "app.yaml"))
	if err != nil || string(got) != "replicas: 1\n" {
		t.Errorf("exported app.yaml = %q, %v; want the base revision's", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "apps", "b")); !os.IsNotExist(err) {
		t.Errorf("untracked apps/b exported: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other")); !os.IsNotExist(err) {
		t.Errorf("folder outside the control repository exported: %v", err)
	}
	if err := cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cleanup left %s", dir)
	}

	// Tree holds the same files in memory.
	tree, err := r.Tree(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	if err := fs.WalkDir(tree, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"apps/a/app.yaml", "fleet.yaml"}; !slices.Equal(files, want) {
		t.Errorf("tree files = %v, want %v", files, want)
	}
	if got, err := fs.ReadFile(tree, "apps/a/app.yaml"); err != nil || string(got) != "replicas: 1\n" {
		t.Errorf("tree app.yaml = %q, %v; want the base revision's", got, err)
	}

	changed, err := r.Changed(ctx, base, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"apps/a/app.yaml", "apps/b/app.yaml"}; !slices.Equal(changed, want) {
		t.Errorf("Changed = %v, want %v", changed, want)
	}
	if after := run(t, top, "status", "--porcelain"); after != statusBefore {
		t.Errorf("checkout changed:\nbefore %q\nafter  %q", statusBefore, after)
	}

	run(t, top, "add", ".")
	run(t, top, "commit", "-q", "-m", "head")
	changed, err = r.Changed(ctx, "HEAD~1", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"apps/a/app.yaml", "apps/b/app.yaml"}; !slices.Equal(changed, want) {
		t.Errorf("Changed(HEAD~1, HEAD) = %v, want %v", changed, want)
	}
}

// TestTreeRefusesSymlinks: an in-memory tree does not follow links, so a
// tree holding one must say so (callers export it to disk instead) rather
// than silently miss the files behind it.
func TestTreeRefusesSymlinks(t *testing.T) {
	top := t.TempDir()
	run(t, top, "init", "-q", "-b", "main")
	write(t, filepath.Join(top, "fleet.yaml"), "kind: Fleet\n")
	write(t, filepath.Join(top, "shared", "base.yaml"), "a: 1\n")
	if err := os.Symlink("shared", filepath.Join(top, "apps")); err != nil {
		t.Fatal(err)
	}
	run(t, top, "add", ".")
	run(t, top, "commit", "-q", "-m", "base")
	ctx := context.Background()
	r, err := Open(ctx, top)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Tree(ctx, "HEAD"); !errors.Is(err, ErrSymlink) {
		t.Fatalf("Tree = %v, want ErrSymlink", err)
	}
	dir, cleanup, err := r.Export(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cleanup() }()
	if got, err := os.ReadFile(filepath.Join(dir, "apps", "base.yaml")); err != nil || string(got) != "a: 1\n" {
		t.Errorf("exported link target = %q, %v", got, err)
	}
}

func TestResolveRejectsUnknownAndOptionLikeRevisions(t *testing.T) {
	top := t.TempDir()
	run(t, top, "init", "-q", "-b", "main")
	write(t, filepath.Join(top, "f"), "x")
	run(t, top, "add", ".")
	run(t, top, "commit", "-q", "-m", "one")
	r, err := Open(context.Background(), top)
	if err != nil {
		t.Fatal(err)
	}
	for _, rev := range []string{"no-such-branch", "--output=/tmp/x", "HEAD~5"} {
		if _, err := r.Resolve(context.Background(), rev); err == nil {
			t.Errorf("Resolve(%q) succeeded", rev)
		}
	}
}

func TestOpenOutsideGit(t *testing.T) {
	if _, err := Open(context.Background(), t.TempDir()); err == nil {
		t.Error("Open outside a work tree succeeded")
	}
}
