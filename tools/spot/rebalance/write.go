package rebalance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/renderfs"
)

// write puts the edited intent files and the new rendered/ in place,
// under the render lock so that no `flotilla render` runs in between:
// each intent file by rename (never half a file), rendered/ swapped whole
// by package renderfs. Should rendered/ fail, the intent files are put
// back as they were.
func write(ctx context.Context, o Options, edits map[string][]byte, files map[string][]byte, res *Result) error {
	tree, err := renderfs.Lock(ctx, o.Root, render.RenderedDir, renderfs.LockOptions{Wait: o.LockWait, Holder: "flotilla spot rebalance", Waiting: o.Waiting})
	if err != nil {
		return err
	}
	defer tree.Unlock()
	changes, err := tree.Compare(files)
	if err != nil {
		return err
	}
	old := map[string][]byte{}
	restore := func() {
		for name, data := range old {
			_ = replaceFile(filepath.Join(o.Root, filepath.FromSlash(name)), data)
		}
	}
	for _, name := range res.Files {
		path := filepath.Join(o.Root, filepath.FromSlash(name))
		data, err := os.ReadFile(path)
		if err != nil {
			restore()
			return err
		}
		if err := replaceFile(path, edits[name]); err != nil {
			restore()
			return fmt.Errorf("write %s: %w", name, err)
		}
		old[name] = data
	}
	if len(changes) > 0 {
		if err := tree.Write(ctx, files); err != nil {
			restore()
			return err
		}
	}
	res.Rendered, res.Written = changes, true
	return nil
}

// replaceFile writes data to a temporary file beside path and renames it
// over path, keeping path's permissions: a reader sees the old file or
// the new one.
func replaceFile(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Lstat(path); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
