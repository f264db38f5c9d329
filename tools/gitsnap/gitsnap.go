package gitsnap

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"path"
	"slices"
	"strings"
	// fstest.MapFS is the standard library's complete read-only
	// in-memory file system (directories synthesized, fs.ReadDirFS,
	// fs.ReadFileFS and fs.ReadLinkFS implemented); it is not test-only
	// code.
	"testing/fstest"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
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

// Tree reads the control repository's tree at commit into memory, jailed
// as a working tree is (package repofs): symbolic links stay links, and
// are resolved — and refused when they leave the tree, through any chain —
// when a file is read, never by writing the tree to disk. Files over
// maxFileBytes (0: the default bound) are held by size only: reading them
// is refused, and a revision that never reads them does not pay for them.
func (r *Repo) Tree(ctx context.Context, commit string, maxFileBytes int64) (*repofs.FS, error) {
	tree := fstest.MapFS{}
	limit := maxFileBytes
	if limit <= 0 {
		limit = bounds.DefaultFileBytes
	}
	err := r.archive(ctx, commit, func(tr *tar.Reader) error {
		return eachEntry(tr, func(h *tar.Header, name string) error {
			switch h.Typeflag {
			case tar.TypeDir:
				tree[name] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
			case tar.TypeReg:
				mode := fs.FileMode(h.Mode) & 0o777
				if h.Size > limit {
					tree[name] = &fstest.MapFile{Mode: mode, Sys: repofs.Omitted{Size: h.Size}}
					return nil
				}
				data, err := io.ReadAll(io.LimitReader(tr, h.Size))
				if err != nil {
					return err
				}
				tree[name] = &fstest.MapFile{Data: data, Mode: mode}
			case tar.TypeSymlink:
				tree[name] = &fstest.MapFile{Data: []byte(h.Linkname), Mode: fs.ModeSymlink | 0o777}
			default:
				// git archive records the commit id in a global header;
				// submodules appear as nothing; other types do not occur.
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return repofs.Tree(tree, maxFileBytes), nil
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
