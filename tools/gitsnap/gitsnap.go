package gitsnap

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	// fstest.MapFS is the standard library's complete read-only
	// in-memory file system (directories synthesized, fs.ReadDirFS and
	// fs.ReadFileFS implemented); it is not test-only code.
	"testing/fstest"
)

// Repo is a folder inside a Git work tree: the control repository's root,
// which may sit below the Git top level (a monorepo).
type Repo struct {
	// Dir is the control repository's folder.
	Dir string
	// prefix is Dir relative to the Git top level, with a trailing slash
	// ("" at the top level), as `git rev-parse --show-prefix` prints it.
	prefix string
	// top is the Git top level.
	top string
}

// Open finds the Git work tree that holds dir.
func Open(ctx context.Context, dir string) (*Repo, error) {
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel", "--show-prefix")
	if err != nil {
		return nil, fmt.Errorf("%s is not inside a Git work tree: %w", dir, err)
	}
	lines := strings.SplitN(strings.TrimRight(string(out), "\n"), "\n", 2)
	r := &Repo{Dir: dir, top: lines[0]}
	if len(lines) == 2 {
		r.prefix = lines[1]
	}
	return r, nil
}

// Short abbreviates a commit for people: its first 12 hex digits.
func Short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// Resolve returns the commit a revision names (a branch, tag, HEAD~1, a
// hash...).
func (r *Repo) Resolve(ctx context.Context, rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("revision %q: must not start with '-'", rev)
	}
	out, err := git(ctx, r.Dir, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("revision %q: not a commit in this repository", rev)
	}
	return strings.TrimSpace(string(out)), nil
}

// Export writes the control repository's tree at commit into a new
// temporary folder and returns it with a function that removes it. Only
// the control repository's folder is exported, not the rest of a monorepo.
func (r *Repo) Export(ctx context.Context, commit string) (dir string, cleanup func() error, err error) {
	tmp, err := os.MkdirTemp("", "flotilla-rev-")
	if err != nil {
		return "", nil, err
	}
	remove := func() error { return os.RemoveAll(tmp) }
	defer func() {
		if err != nil {
			_ = remove()
		}
	}()
	if err := r.archive(ctx, commit, func(tr *tar.Reader) error { return extract(tr, tmp) }); err != nil {
		return "", nil, err
	}
	return tmp, remove, nil
}

// archive streams the control repository's tree at commit through read,
// as `git archive` writes it.
func (r *Repo) archive(ctx context.Context, commit string, read func(*tar.Reader) error) error {
	treeish := commit
	if r.prefix != "" {
		treeish = commit + ":" + strings.TrimSuffix(r.prefix, "/")
	}
	cmd := exec.CommandContext(ctx, "git", "-C", r.top, "archive", "--format=tar", treeish)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	xerr := read(tar.NewReader(stdout))
	// Drain what read left so git is not blocked writing, then wait.
	_, _ = io.Copy(io.Discard, stdout)
	if werr := cmd.Wait(); werr != nil {
		return fmt.Errorf("git archive %s: %w: %s", treeish, werr, strings.TrimSpace(stderr.String()))
	}
	if xerr != nil {
		return fmt.Errorf("git archive %s: %w", treeish, xerr)
	}
	return nil
}

// ErrSymlink is returned by Tree for a tree holding a symbolic link, which
// an in-memory tree does not follow: use Export then.
var ErrSymlink = errors.New("the tree holds a symbolic link")

// Tree reads the control repository's tree at commit into memory: for
// reading a revision whole (a plan renders two), it saves writing and
// removing every file. Trees with symbolic links fail with ErrSymlink.
func (r *Repo) Tree(ctx context.Context, commit string) (fs.FS, error) {
	tree := fstest.MapFS{}
	err := r.archive(ctx, commit, func(tr *tar.Reader) error {
		return eachEntry(tr, func(h *tar.Header, name string) error {
			switch h.Typeflag {
			case tar.TypeDir:
				tree[name] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
			case tar.TypeReg:
				data, err := io.ReadAll(tr)
				if err != nil {
					return err
				}
				tree[name] = &fstest.MapFile{Data: data, Mode: fs.FileMode(h.Mode) & 0o777}
			case tar.TypeSymlink:
				return fmt.Errorf("%s: %w", name, ErrSymlink)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return tree, nil
}

// eachEntry calls fn for every entry of a tar stream but the root, with
// its cleaned name; a name that would leave the tree is an error.
func eachEntry(tr *tar.Reader, fn func(h *tar.Header, name string) error) error {
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name, err := entryName(h.Name)
		if err != nil {
			return err
		}
		if name == "." {
			continue
		}
		if err := fn(h, name); err != nil {
			return err
		}
	}
}

// entryName is an archive entry's path, refused when it would leave the
// tree.
func entryName(raw string) (string, error) {
	name := path.Clean(raw)
	if name == ".." || strings.HasPrefix(name, "../") || path.IsAbs(name) {
		return "", fmt.Errorf("archive entry %q leaves the repository", raw)
	}
	return name, nil
}

// extract unpacks a tar stream below dst, refusing entries that would land
// outside it.
func extract(tr *tar.Reader, dst string) error {
	return eachEntry(tr, func(h *tar.Header, name string) error {
		target := filepath.Join(dst, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, cerr := io.Copy(f, tr)
			if err := errors.Join(cerr, f.Close()); err != nil {
				return err
			}
		case tar.TypeSymlink:
			// A link may point anywhere inside the tree, never out of it.
			resolved := path.Join(path.Dir(name), h.Linkname)
			if path.IsAbs(h.Linkname) || resolved == ".." || strings.HasPrefix(resolved, "../") {
				return fmt.Errorf("symbolic link %s -> %s leaves the repository", h.Name, h.Linkname)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		case tar.TypeXGlobalHeader:
			// git archive records the commit id here.
		default:
			// Submodules appear as nothing; other types do not occur.
		}
		return nil
	})
}

// Changed lists the files of the control repository (relative to Dir,
// slash-separated, sorted) that differ between base and head; head ""
// means the working tree, untracked files included.
func (r *Repo) Changed(ctx context.Context, base, head string) ([]string, error) {
	args := []string{"diff", "--name-only", "-z", "--no-renames", "--relative", base}
	if head != "" {
		args = append(args, head)
	}
	out, err := git(ctx, r.Dir, append(args, "--", ".")...)
	if err != nil {
		return nil, err
	}
	files := splitZ(out)
	if head == "" {
		out, err := git(ctx, r.Dir, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
		if err != nil {
			return nil, err
		}
		files = append(files, splitZ(out)...)
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

func splitZ(b []byte) []string {
	var out []string
	for _, f := range bytes.Split(b, []byte{0}) {
		if len(f) > 0 {
			out = append(out, string(f))
		}
	}
	return out
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	return out, nil
}
