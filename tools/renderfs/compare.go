package renderfs

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

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

// Compare locks dir (relative to root) as Lock does, compares it with
// files, and unlocks: it never sees a tree another render is swapping.
func Compare(ctx context.Context, root, dir string, files map[string][]byte, o LockOptions) ([]Change, error) {
	t, err := Lock(ctx, root, dir, o)
	if err != nil {
		return nil, err
	}
	defer t.Unlock()
	return t.Compare(files)
}

// Compare lists the files under the tree that differ from files, sorted by
// path. Anything on disk that is not a regular file (a symbolic link, a
// FIFO, a device: a pull request can commit them) differs from any render
// and is never opened.
func (t *Tree) Compare(files map[string][]byte) ([]Change, error) {
	type entry struct {
		size    int64
		regular bool
	}
	onDisk := map[string]entry{}
	base := filepath.Join(t.root, t.dir)
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
		rel, err := filepath.Rel(t.root, p)
		if err != nil {
			return err
		}
		e := entry{regular: d.Type().IsRegular()}
		if e.regular {
			info, err := d.Info()
			if err != nil {
				return err
			}
			e.size = info.Size()
		}
		onDisk[filepath.ToSlash(rel)] = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	var changes []Change
	for _, p := range sortedPaths(files) {
		e, ok := onDisk[p]
		switch {
		case !ok:
			changes = append(changes, Change{p, Added})
			continue
		case !e.regular || e.size != int64(len(files[p])):
			changes = append(changes, Change{p, Modified})
			continue
		}
		data, err := os.ReadFile(filepath.Join(t.root, filepath.FromSlash(p)))
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
