package gitsnap

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/repofs"
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

// TestTreeAndChangedInAMonorepo keeps the control repository in a
// subfolder, as a monorepo does: Tree must hold that folder's tree at the
// base commit, Changed must list working-tree edits relative to it, and
// neither may touch the checkout.
func TestTreeAndChangedInAMonorepo(t *testing.T) {
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
	tree, err := r.Tree(ctx, base, 0)
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

// TestTreeJailsSymlinks: a committed tree keeps its links and resolves
// them in memory — inside the tree they work, out of it (directly or by
// the chain the review found, which a lexical check lets through) they
// are refused when read; a file over the size bound is refused only when
// read.
func TestTreeJailsSymlinks(t *testing.T) {
	top := t.TempDir()
	run(t, top, "init", "-q", "-b", "main")
	write(t, filepath.Join(top, "fleet.yaml"), "kind: Fleet\n")
	write(t, filepath.Join(top, "shared", "base.yaml"), "a: 1\n")
	write(t, filepath.Join(top, "big.json"), strings.Repeat("x", 100))
	for link, target := range map[string]string{
		"apps":                    "shared",
		"s":                       ".",
		"e":                       "s/s/../..",
		"shared/leak.yaml":        "../e/etc/hostname",
		"shared/passwd.yaml":      "/etc/passwd",
		"shared/loop.yaml":        "loop.yaml",
		"shared/through-s/x.yaml": "../../s/shared/base.yaml",
	} {
		p := filepath.Join(top, link)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	run(t, top, "add", ".")
	run(t, top, "commit", "-q", "-m", "base")
	ctx := context.Background()
	r, err := Open(ctx, top)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := r.Tree(ctx, "HEAD", 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"apps/base.yaml", "shared/through-s/x.yaml"} {
		if got, err := fs.ReadFile(tree, p); err != nil || string(got) != "a: 1\n" {
			t.Errorf("%s = %q, %v; want the linked file", p, got, err)
		}
	}
	for p, want := range map[string]error{
		"shared/leak.yaml":   repofs.ErrOutside,
		"apps/leak.yaml":     repofs.ErrOutside,
		"shared/passwd.yaml": repofs.ErrOutside,
		"shared/loop.yaml":   repofs.ErrLinkLoop,
		"big.json":           repofs.ErrTooLarge,
	} {
		if got, err := fs.ReadFile(tree, p); !errors.Is(err, want) || got != nil {
			t.Errorf("%s = %q, %v; want %v", p, got, err, want)
		}
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
