package renderfs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Write replaces the folder dir (relative to root, e.g. "rendered") with
// exactly files (paths relative to root, all under dir). The new tree is
// written beside the old one and swapped in with renames, so a failure at
// any point leaves the old tree in place.
func Write(root, dir string, files map[string][]byte) (err error) {
	target := filepath.Join(root, dir)
	for p := range files {
		if !strings.HasPrefix(p, dir+"/") {
			return fmt.Errorf("refusing to write %s: outside %s/", p, dir)
		}
	}
	staging, err := os.MkdirTemp(root, "."+dir+".new-")
	if err != nil {
		return fmt.Errorf("create staging folder: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(staging)
		}
	}()
	for _, p := range sortedPaths(files) {
		dst := filepath.Join(staging, filepath.FromSlash(strings.TrimPrefix(p, dir+"/")))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.WriteFile(dst, files[p], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		return err
	}
	old := ""
	if _, statErr := os.Stat(target); statErr == nil {
		old = staging + ".old"
		if err := os.Rename(target, old); err != nil {
			return fmt.Errorf("move old %s aside: %w", dir, err)
		}
	}
	if err := os.Rename(staging, target); err != nil {
		if old != "" {
			if rerr := os.Rename(old, target); rerr != nil {
				return fmt.Errorf("swap in new %s: %w (and restoring the old tree failed: %v; it is at %s)", dir, err, rerr, old)
			}
		}
		return fmt.Errorf("swap in new %s: %w", dir, err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("remove old %s at %s: %w", dir, old, err)
		}
	}
	return nil
}

func sortedPaths(files map[string][]byte) []string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// ChangeKind says how a file differs.
type ChangeKind string

// Kinds of difference.
const (
	Added    ChangeKind = "added"    // in the render, not on disk
	Removed  ChangeKind = "removed"  // on disk, not in the render
	Modified ChangeKind = "modified" // both, different bytes
)

// Change is one file that differs between disk and a render.
type Change struct {
	Path string     `json:"path"`
	Kind ChangeKind `json:"change"`
}

// Compare lists the files under dir that differ from files, sorted by path.
func Compare(root, dir string, files map[string][]byte) ([]Change, error) {
	onDisk := map[string]bool{}
	base := filepath.Join(root, dir)
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == base {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		onDisk[filepath.ToSlash(rel)] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	var changes []Change
	for _, p := range sortedPaths(files) {
		if !onDisk[p] {
			changes = append(changes, Change{p, Added})
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(data, files[p]) {
			changes = append(changes, Change{p, Modified})
		}
	}
	for p := range onDisk {
		if _, ok := files[p]; !ok {
			changes = append(changes, Change{p, Removed})
		}
	}
	slices.SortFunc(changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return changes, nil
}
