package renderfs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Prefixes of the folders Write makes in StateDir.
const (
	stagingPrefix = "new-"
	oldPrefix     = "old-"
)

// errExchangeUnsupported says the platform cannot exchange two folders in
// one step.
var errExchangeUnsupported = errors.New("atomic exchange not supported")

// Write locks dir (relative to root) as Lock does, replaces it with
// exactly files, and unlocks.
func Write(ctx context.Context, root, dir string, files map[string][]byte, o LockOptions) error {
	t, err := Lock(ctx, root, dir, o)
	if err != nil {
		return err
	}
	defer t.Unlock()
	return t.Write(ctx, files)
}

// Write replaces the tree with exactly files (paths relative to the root,
// all under the tree's folder, clean). The new tree is written into a
// staging folder and swapped in whole (see the package documentation): a
// failure, a cancelled ctx or a kill at any point leaves the old tree or
// the new one, never a mix or none.
func (t *Tree) Write(ctx context.Context, files map[string][]byte) (err error) {
	if t.lock == nil {
		return fmt.Errorf("write %s/: the tree is not locked", t.dir)
	}
	for p := range files {
		if err := t.checkPath(p); err != nil {
			return err
		}
	}
	state := filepath.Join(t.root, StateDir)
	staging, err := os.MkdirTemp(state, stagingPrefix)
	if err != nil {
		return fmt.Errorf("create a staging folder: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(staging)
		}
	}()
	interrupted := func(cause error) error {
		return fmt.Errorf("interrupted: %s/ left as it was: %w", t.dir, cause)
	}
	for _, p := range sortedPaths(files) {
		if err := ctx.Err(); err != nil {
			return interrupted(err)
		}
		dst := filepath.Join(staging, filepath.FromSlash(strings.TrimPrefix(p, t.dir+"/")))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.WriteFile(dst, files[p], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		t.hook("file")
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		return err
	}
	// The last point where an interruption leaves the old tree: the swap
	// below is not abandoned half way.
	if err := ctx.Err(); err != nil {
		return interrupted(err)
	}
	t.hook("staged")
	return t.swap(staging)
}

// swap puts the complete tree at staging in place of the tree.
func (t *Tree) swap(staging string) error {
	target := filepath.Join(t.root, t.dir)
	if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(staging, target); err != nil {
			return fmt.Errorf("move the new %s/ in: %w", t.dir, err)
		}
		t.hook("swapped")
		return nil
	}
	if !t.noExchange {
		err := exchange(staging, target)
		if err == nil {
			// staging now holds the old tree.
			t.hook("swapped")
			if err := os.RemoveAll(staging); err != nil {
				return fmt.Errorf("remove the old %s/ at %s: %w", t.dir, staging, err)
			}
			return nil
		}
		if !errors.Is(err, errExchangeUnsupported) {
			return fmt.Errorf("swap in the new %s/: %w", t.dir, err)
		}
	}
	// Two renames. Between them the old tree is only at old: the next
	// Lock restores it from there.
	old := filepath.Join(filepath.Dir(staging), oldPrefix+strings.TrimPrefix(filepath.Base(staging), stagingPrefix))
	if err := os.Rename(target, old); err != nil {
		return fmt.Errorf("move the old %s/ aside: %w", t.dir, err)
	}
	t.hook("moved-aside")
	if err := os.Rename(staging, target); err != nil {
		if rerr := os.Rename(old, target); rerr != nil {
			return fmt.Errorf("swap in the new %s/: %w (and restoring the old tree failed: %v; the next render restores it from %s)", t.dir, err, rerr, old)
		}
		return fmt.Errorf("swap in the new %s/: %w", t.dir, err)
	}
	t.hook("swapped")
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("remove the old %s/ at %s: %w", t.dir, old, err)
	}
	return nil
}

// checkPath refuses a path that is not clean or not inside the tree's
// folder: nothing is ever written elsewhere, whatever names the render
// produced.
func (t *Tree) checkPath(p string) error {
	if !strings.HasPrefix(p, t.dir+"/") || path.Clean(p) != p || strings.ContainsRune(p, 0) {
		return fmt.Errorf("refusing to write %q: not a clean path inside %s/", p, t.dir)
	}
	return nil
}

func (t *Tree) hook(name string) {
	if t.step != nil {
		t.step(name)
	}
}

// recover finishes what interrupted renders left: a tree moved aside by a
// swap cut between its renames is moved back when the tree is missing,
// and every other staging or old folder is removed — in StateDir, and
// beside the tree where flotilla before the lock left them
// (.rendered.new-*, .rendered.new-*.old). Only called with the lock held.
func (t *Tree) recover() error {
	type leftover struct {
		path  string
		old   bool
		mtime time.Time
	}
	var left []leftover
	scan := func(dir string, match func(name string) (ok, old bool)) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("look for interrupted renders: %w", err)
		}
		for _, e := range entries {
			ok, old := match(e.Name())
			if !ok || !e.IsDir() { // IsDir is false for a symbolic link
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			left = append(left, leftover{filepath.Join(dir, e.Name()), old, info.ModTime()})
		}
		return nil
	}
	err := scan(filepath.Join(t.root, StateDir), func(name string) (bool, bool) {
		return strings.HasPrefix(name, stagingPrefix) || strings.HasPrefix(name, oldPrefix), strings.HasPrefix(name, oldPrefix)
	})
	if err != nil {
		return err
	}
	legacy := "." + t.dir + ".new-"
	if err := scan(t.root, func(name string) (bool, bool) {
		return strings.HasPrefix(name, legacy), strings.HasSuffix(name, ".old")
	}); err != nil {
		return err
	}
	target := filepath.Join(t.root, t.dir)
	if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
		// One render swaps at a time, so there is one old tree; the newest
		// of several (left by flotilla before the lock) is the last render's.
		var newest *leftover
		for i := range left {
			if left[i].old && (newest == nil || left[i].mtime.After(newest.mtime)) {
				newest = &left[i]
			}
		}
		if newest != nil {
			if err := os.Rename(newest.path, target); err != nil {
				return fmt.Errorf("restore %s/ from %s, left by a render killed during its swap: %w", t.dir, newest.path, err)
			}
			t.recovered = append(t.recovered, fmt.Sprintf("restored %s/ from %s, left by a render killed during its swap", t.dir, t.rel(newest.path)))
			left = slices.DeleteFunc(left, func(l leftover) bool { return l.path == newest.path })
		}
	}
	slices.SortFunc(left, func(a, b leftover) int { return cmp.Compare(a.path, b.path) })
	for _, l := range left {
		if err := os.RemoveAll(l.path); err != nil {
			return fmt.Errorf("remove %s, left by an interrupted render: %w", l.path, err)
		}
		t.recovered = append(t.recovered, fmt.Sprintf("removed %s, left by an interrupted render", t.rel(l.path)))
	}
	return nil
}

// rel is a path relative to the repository root, for messages.
func (t *Tree) rel(p string) string {
	if r, err := filepath.Rel(t.root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

func sortedPaths(files map[string][]byte) []string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}
