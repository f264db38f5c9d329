package gitsnap

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Dirty lists what `git status` reports for the whole work tree: files
// changed in the index or the working tree, and untracked files (not the
// ignored ones), sorted. A path inside the control repository is relative
// to Dir (slash-separated); a path outside it starts with "/" and is
// relative to the Git top level. A rename lists both paths.
func (r *Repo) Dirty(ctx context.Context) ([]string, error) {
	out, err := git(ctx, r.top, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none")
	if err != nil {
		return nil, err
	}
	var paths []string
	fields := splitZ(out)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) < 4 {
			return nil, fmt.Errorf("git status: unexpected entry %q", f)
		}
		paths = append(paths, r.relative(f[3:]))
		if f[0] == 'R' || f[0] == 'C' {
			// The original path follows as its own field.
			if i+1 < len(fields) {
				i++
				paths = append(paths, r.relative(fields[i]))
			}
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths), nil
}

// relative maps a path relative to the Git top level to one relative to
// Dir, or "/"+path when it lies outside Dir.
func (r *Repo) relative(top string) string {
	if rest, ok := strings.CutPrefix(top, r.prefix); ok {
		return rest
	}
	return "/" + top
}

// TrailerCommit is a commit that carries a trailer.
type TrailerCommit struct {
	Commit string
	// Time is the committer date.
	Time time.Time
	// Values are the trailer's values in the commit's message, in order.
	Values []string
}

var trailerKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)

// Trailers returns the commits reachable from rev whose message ends with
// a trailer block holding key (`Key: value` lines, as git
// interpret-trailers reads them; the key matched without regard to case),
// newest first. A repository without commits has none. Messages that only
// mention the key in their body are not counted: git's own trailer parser
// decides.
func (r *Repo) Trailers(ctx context.Context, rev, key string) ([]TrailerCommit, error) {
	if !trailerKeyRE.MatchString(key) {
		return nil, fmt.Errorf("trailer key %q: want letters, digits and dashes", key)
	}
	if strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("revision %q: must not start with '-'", rev)
	}
	if rev == "HEAD" {
		if _, err := git(ctx, r.Dir, "rev-parse", "--verify", "--quiet", "HEAD"); err != nil {
			return nil, nil // an unborn branch: no history yet
		}
	}
	if _, err := r.Resolve(ctx, rev); err != nil {
		return nil, err
	}
	// Records end with NUL (-z); fields are split by RS, values by US.
	format := "--format=%H%x1e%ct%x1e%(trailers:key=" + key + ",valueonly,unfold,separator=%x1f)"
	out, err := git(ctx, r.Dir, "log", "-z", "--regexp-ignore-case", "--extended-regexp", "--grep=^"+key+":", format, rev, "--")
	if err != nil {
		return nil, err
	}
	var commits []TrailerCommit
	for _, rec := range splitZ(out) {
		parts := strings.Split(strings.TrimLeft(rec, "\n"), "\x1e")
		if len(parts) != 3 {
			return nil, fmt.Errorf("git log: unexpected record %q", rec)
		}
		secs, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git log: commit %s: time %q: %w", parts[0], parts[1], err)
		}
		var values []string
		for _, v := range strings.Split(strings.TrimRight(parts[2], "\n"), "\x1f") {
			if v = strings.TrimSpace(v); v != "" {
				values = append(values, v)
			}
		}
		if len(values) == 0 {
			continue // the key in the body, not in the trailer block
		}
		commits = append(commits, TrailerCommit{Commit: parts[0], Time: time.Unix(secs, 0).UTC(), Values: values})
	}
	return commits, nil
}

// CommitOptions configure Commit.
type CommitOptions struct {
	// Paths are the files and folders to commit, relative to Dir: every
	// change under them (additions, edits, deletions) is staged.
	Paths []string
	// Message is the commit message, used verbatim but for trailing
	// whitespace.
	Message string
	// When is the author and committer date: the same tree, parent,
	// identity, message and time make the same commit.
	When time.Time
}

// Commit stages everything under o.Paths and commits the index, with
// author and committer dates set to o.When; the author and committer are
// Git's configured identity. It returns the new commit.
func (r *Repo) Commit(ctx context.Context, o CommitOptions) (string, error) {
	if len(o.Paths) == 0 {
		return "", fmt.Errorf("commit: no paths")
	}
	for _, p := range o.Paths {
		if strings.HasPrefix(p, "-") || strings.HasPrefix(p, ":") {
			return "", fmt.Errorf("commit: path %q must not start with '-' or ':'", p)
		}
	}
	if _, err := git(ctx, r.Dir, append([]string{"add", "--all", "--"}, o.Paths...)...); err != nil {
		return "", err
	}
	date := fmt.Sprintf("%d +0000", o.When.Unix())
	cmd := exec.CommandContext(ctx, "git", "-C", r.Dir, "commit", "--quiet", "--cleanup=whitespace", "--file=-")
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	cmd.Stdin = strings.NewReader(o.Message)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git commit: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	out, err := git(ctx, r.Dir, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
