package repofs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"testing/fstest"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
)

// The reasons a read is refused; errors.Is finds them in an *Error.
var (
	ErrOutside    = errors.New("leaves the repository")
	ErrGitDir     = errors.New("is inside .git, which flotilla never reads")
	ErrNotRegular = errors.New("is not a regular file")
	ErrTooLarge   = errors.New("is over the file size bound")
	ErrLinkLoop   = errors.New("has too many levels of symbolic links")
)

// Error is a refused read.
type Error struct {
	// Path is the repository-relative path that was asked for.
	Path string
	// Msg says why, without the path (for errors that name the file
	// elsewhere, as diag.Error does).
	Msg string
	// Err is one of the Err* reasons.
	Err error
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

// Message is err's text without the path when it is an *Error (the
// caller names the file), else err's text.
func Message(err error) string {
	var re *Error
	if errors.As(err, &re) {
		return re.Msg
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
		return "does not exist"
	}
	return err.Error()
}

// maxLinks bounds the symbolic links followed for one path, as the
// kernel's ELOOP does (40 on Linux).
const maxLinks = 40

// Omitted is the Sys() of a file a Tree holds without its content,
// because it is over the file size bound: reading it is refused, and
// nothing that never reads it pays for it.
type Omitted struct {
	// Size is the file's size in bytes.
	Size int64
}

// backend is where the files are: it answers for paths already resolved
// (no symbolic link in any element but possibly the last).
type backend interface {
	lstat(name string) (fs.FileInfo, error)
	readlink(name string) (string, error)
	readDir(name string) ([]fs.DirEntry, error)
	// open opens a directory or a regular file; it must never block.
	open(name string) (fs.File, error)
}

// FS is a repository's files, read through the jail. It implements
// fs.FS, fs.StatFS, fs.ReadFileFS and fs.ReadDirFS, and is safe for
// concurrent use.
type FS struct {
	b        backend
	maxBytes int64
}

var (
	_ fs.StatFS     = (*FS)(nil)
	_ fs.ReadFileFS = (*FS)(nil)
	_ fs.ReadDirFS  = (*FS)(nil)
)

// Dir is the working tree at dir. maxFileBytes bounds every file read
// (0: bounds.DefaultFileBytes).
func Dir(dir string, maxFileBytes int64) (*FS, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	_ = r.Close()
	return &FS{b: diskBackend{dir: dir}, maxBytes: orDefault(maxFileBytes)}, nil
}

// Tree is a revision held in memory: directories, regular files and
// symbolic links (fs.ModeSymlink, the target as Data), files over the
// bound with Sys set to Omitted.
func Tree(files fstest.MapFS, maxFileBytes int64) *FS {
	return &FS{b: memBackend{files}, maxBytes: orDefault(maxFileBytes)}
}

func orDefault(n int64) int64 {
	if n <= 0 {
		return bounds.DefaultFileBytes
	}
	return n
}

// Open opens a directory or a regular file.
func (f *FS) Open(name string) (fs.File, error) {
	resolved, info, err := f.resolve(name, true)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		if err := f.checkRegular(name, info); err != nil {
			return nil, err
		}
	}
	file, err := f.b.open(resolved)
	if err != nil {
		return nil, renamed(err, name)
	}
	if info.IsDir() {
		return file, nil
	}
	return &boundedFile{File: file, left: f.maxBytes + 1, name: name, max: f.maxBytes}, nil
}

// Stat describes the file or directory name leads to, links followed.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	_, info, err := f.resolve(name, true)
	return info, err
}

// Lstat describes name itself: a symbolic link as the last element is
// not followed (its parents are).
func (f *FS) Lstat(name string) (fs.FileInfo, error) {
	_, info, err := f.resolve(name, false)
	return info, err
}

// ReadFile reads a regular file whole, within the size bound.
func (f *FS) ReadFile(name string) ([]byte, error) {
	resolved, info, err := f.resolve(name, true)
	if err != nil {
		return nil, err
	}
	if err := f.checkRegular(name, info); err != nil {
		return nil, err
	}
	file, err := f.b.open(resolved)
	if err != nil {
		return nil, renamed(err, name)
	}
	defer file.Close()
	buf := make([]byte, 0, min(info.Size(), f.maxBytes)+1)
	data, err := readAll(io.LimitReader(file, f.maxBytes+1), buf)
	if err != nil {
		return nil, renamed(err, name)
	}
	if int64(len(data)) > f.maxBytes {
		return nil, f.tooLarge(name, int64(len(data)), true)
	}
	return data, nil
}

// ReadDir lists a directory, sorted by name, without .git.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	resolved, info, err := f.resolve(name, true)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: syscall.ENOTDIR}
	}
	entries, err := f.b.readDir(resolved)
	if err != nil {
		return nil, renamed(err, name)
	}
	entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.Name() == ".git" })
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// checkRegular refuses anything but a regular file within the bound.
func (f *FS) checkRegular(name string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return &Error{Path: name, Err: ErrNotRegular, Msg: fmt.Sprintf("%s: it is %s", ErrNotRegular, kindOf(info.Mode()))}
	}
	size := info.Size()
	if o, ok := info.Sys().(Omitted); ok {
		size = o.Size
	}
	if size > f.maxBytes {
		return f.tooLarge(name, size, false)
	}
	return nil
}

func (f *FS) tooLarge(name string, size int64, atLeast bool) error {
	what := bounds.Size(size)
	if atLeast {
		what = "more than " + bounds.Size(f.maxBytes)
	}
	return &Error{Path: name, Err: ErrTooLarge, Msg: fmt.Sprintf("file is %s, over the file size bound of %s (raise it with --%s)", what, bounds.Size(f.maxBytes), bounds.FlagFileBytes)}
}

// kindOf names a file type for people.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file (mode " + m.String() + ")"
}

// element is one step of a path being resolved, with the link whose
// target it came from ("" for the path asked for).
type element struct {
	name         string
	link, target string
}

func elements(p, link, target string) []element {
	var out []element
	for _, n := range strings.Split(p, "/") {
		out = append(out, element{name: n, link: link, target: target})
	}
	return out
}

// resolve follows name's symbolic links inside the repository and returns
// the path they lead to, with what is there. With follow false a link as
// the last element is described, not followed.
func (f *FS) resolve(name string, follow bool) (string, fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return "", nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	var done []string
	todo := elements(name, "", "")
	links := 0
	info, err := f.b.lstat(".")
	if err != nil {
		return "", nil, renamed(err, name)
	}
	for len(todo) > 0 {
		e := todo[0]
		todo = todo[1:]
		switch e.name {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", nil, &Error{Path: name, Err: ErrOutside, Msg: fmt.Sprintf("%s: symbolic link %s points to %s", ErrOutside, e.link, e.target)}
			}
			done = done[:len(done)-1]
			if info, err = f.b.lstat(join(done)); err != nil {
				return "", nil, renamed(err, name)
			}
			continue
		case ".git":
			return "", nil, &Error{Path: name, Err: ErrGitDir, Msg: ErrGitDir.Error()}
		}
		cand := join(append(done, e.name))
		if info, err = f.b.lstat(cand); err != nil {
			return "", nil, renamed(err, name)
		}
		if info.Mode()&fs.ModeSymlink != 0 && (follow || len(todo) > 0) {
			if links++; links > maxLinks {
				return "", nil, &Error{Path: name, Err: ErrLinkLoop, Msg: ErrLinkLoop.Error()}
			}
			target, err := f.b.readlink(cand)
			if err != nil {
				return "", nil, renamed(err, name)
			}
			if path.IsAbs(target) {
				return "", nil, &Error{Path: name, Err: ErrOutside, Msg: fmt.Sprintf("%s: symbolic link %s points to %s", ErrOutside, cand, target)}
			}
			todo = append(elements(target, cand, target), todo...)
			if info, err = f.b.lstat(join(done)); err != nil {
				return "", nil, renamed(err, name)
			}
			continue
		}
		if len(todo) > 0 && !info.IsDir() {
			return "", nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOTDIR}
		}
		done = append(done, e.name)
	}
	return join(done), info, nil
}

func join(elems []string) string {
	if len(elems) == 0 {
		return "."
	}
	return strings.Join(elems, "/")
}

// renamed makes a backend's error name the path the caller asked for.
func renamed(err error, name string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}

// readAll is io.ReadAll into a buffer sized ahead.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// boundedFile refuses to read past the size bound of a file that grew
// after its size was checked.
type boundedFile struct {
	fs.File
	left int64
	name string
	max  int64
}

func (b *boundedFile) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, b.tooLarge()
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.File.Read(p)
	b.left -= int64(n)
	if b.left <= 0 {
		// The byte past the bound was read: the file is over it.
		return n - 1, b.tooLarge()
	}
	return n, err
}

func (b *boundedFile) tooLarge() error {
	return &Error{Path: b.name, Err: ErrTooLarge, Msg: fmt.Sprintf("file is more than %s, over the file size bound (raise it with --%s)", bounds.Size(b.max), bounds.FlagFileBytes)}
}

// diskBackend reads a working tree through os.Root: even a path changed
// under it after resolution cannot leave dir.
type diskBackend struct{ dir string }

func (d diskBackend) root() (*os.Root, error) { return os.OpenRoot(d.dir) }

func (d diskBackend) lstat(name string) (fs.FileInfo, error) {
	r, err := d.root()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Lstat(name)
}

func (d diskBackend) readlink(name string) (string, error) {
	r, err := d.root()
	if err != nil {
		return "", err
	}
	defer r.Close()
	return r.Readlink(name)
}

func (d diskBackend) readDir(name string) ([]fs.DirEntry, error) {
	r, err := d.root()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return fs.ReadDir(r.FS(), name)
}

func (d diskBackend) open(name string) (fs.File, error) {
	r, err := d.root()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// O_NONBLOCK: a FIFO put in place after the Lstat opens at once
	// instead of waiting for a writer, and the Stat below refuses it;
	// O_NOFOLLOW: nor can a link put in place be followed.
	f, err := r.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.IsDir() && !st.Mode().IsRegular() {
		err = &Error{Path: name, Err: ErrNotRegular, Msg: fmt.Sprintf("%s: it is %s", ErrNotRegular, kindOf(st.Mode()))}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// memBackend reads a tree held in memory.
type memBackend struct{ m fstest.MapFS }

func (m memBackend) lstat(name string) (fs.FileInfo, error)     { return m.m.Lstat(name) }
func (m memBackend) readlink(name string) (string, error)       { return m.m.ReadLink(name) }
func (m memBackend) readDir(name string) ([]fs.DirEntry, error) { return m.m.ReadDir(name) }
func (m memBackend) open(name string) (fs.File, error)          { return m.m.Open(name) }
