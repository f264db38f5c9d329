package repofs

import (
	"fmt"
	"io/fs"
	"path"
	"testing/fstest"
)

// With returns the same files with the contents of some regular files
// replaced: name → new bytes, names slash-separated and relative to the
// root. Each must be a regular file already, named as itself (no symbolic
// link in any element), so the jail's rules are unchanged. It lets a
// command render the edits it is about to write before it writes
// anything, and write nothing when the render fails.
func (f *FS) With(files map[string][]byte) (*FS, error) {
	over := fstest.MapFS{}
	for name, data := range files {
		if !fs.ValidPath(name) || name == "." {
			return nil, fmt.Errorf("%s: not a path inside the repository", name)
		}
		resolved, info, err := f.resolve(name, false)
		if err != nil {
			return nil, err
		}
		if resolved != name || !info.Mode().IsRegular() {
			return nil, &Error{Path: name, Err: ErrNotRegular, Msg: fmt.Sprintf("%s: only a regular file reached without a link can be replaced", ErrNotRegular)}
		}
		over[name] = &fstest.MapFile{Data: data, Mode: info.Mode().Perm(), ModTime: info.ModTime()}
	}
	return &FS{b: overlayBackend{base: f.b, over: over}, maxBytes: f.maxBytes}, nil
}

// overlayBackend answers from over for the files it replaces and from
// base for everything else.
type overlayBackend struct {
	base backend
	over fstest.MapFS
}

func (o overlayBackend) lstat(name string) (fs.FileInfo, error) {
	if _, ok := o.over[name]; ok {
		return o.over.Lstat(name)
	}
	return o.base.lstat(name)
}

func (o overlayBackend) readlink(name string) (string, error) { return o.base.readlink(name) }

func (o overlayBackend) readDir(name string) ([]fs.DirEntry, error) {
	entries, err := o.base.readDir(name)
	if err != nil {
		return nil, err
	}
	for i, e := range entries {
		p := path.Join(name, e.Name())
		if _, ok := o.over[p]; ok {
			info, err := o.over.Lstat(p)
			if err != nil {
				return nil, err
			}
			entries[i] = fs.FileInfoToDirEntry(info)
		}
	}
	return entries, nil
}

func (o overlayBackend) open(name string) (fs.File, error) {
	if _, ok := o.over[name]; ok {
		return o.over.Open(name)
	}
	return o.base.open(name)
}
