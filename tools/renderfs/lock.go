package renderfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// StateDir is where renders keep their lock and staging folders, relative
// to the repository root.
const StateDir = ".flotilla/render"

// lockName is the lock file inside StateDir.
const lockName = "lock"

// DefaultLockWait is how long a render waits for another one by default:
// a render of a large fleet takes seconds, so a minute is another render
// that is stuck, not one that is busy.
const DefaultLockWait = time.Minute

// lockPoll is how often a waiting render tries the lock again. flock
// cannot be waited on with a context, and a blocked flock call would need a
// goroutine nobody can stop.
const lockPoll = 50 * time.Millisecond

// holderMax bounds what is read of the holder's line.
const holderMax = 256

// LockOptions say how to take the lock.
type LockOptions struct {
	// Wait bounds the wait for another holder; 0 means fail at once.
	Wait time.Duration
	// Holder describes this process to whoever waits for it (e.g.
	// "flotilla render"); the pid and the time are added.
	Holder string
	// Waiting, when set, is told once that the lock is held and by whom,
	// before the wait begins.
	Waiting func(holder string)
}

// LockedError says the lock stayed held for the whole wait.
type LockedError struct {
	// Lock is the lock file's path.
	Lock string
	// Dir is the folder the lock guards (e.g. "rendered").
	Dir string
	// Holder is what the holder wrote into the lock file.
	Holder string
	// Waited is how long this process waited.
	Waited time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s/ is locked by another render (%s); gave up after %s (lock file %s)", e.Dir, e.Holder, e.Waited, e.Lock)
}

// Tree is rendered/ (or another folder) of one repository, locked for
// this process until Unlock.
type Tree struct {
	root, dir string
	lock      *os.File
	recovered []string
	// step, when set (tests), is called at each point of Write where a
	// kill could strike, with its name.
	step func(name string)
	// noExchange makes Write swap with two renames, as where the file
	// system has no exchange (tests).
	noExchange bool
}

// Lock takes the lock on dir (relative to root), waiting as o says, then
// finishes what an interrupted render left: it restores dir from an old
// tree when a swap was cut between its renames, and removes stale staging
// folders. Recovered says what it did. A cancelled ctx ends the wait.
func Lock(ctx context.Context, root, dir string, o LockOptions) (*Tree, error) {
	if err := ensureStateDir(root); err != nil {
		return nil, err
	}
	lockPath := filepath.Join(root, StateDir, lockName)
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open the render lock: %w", err)
	}
	start := time.Now()
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lockPath, err)
		}
		holder := readHolder(f)
		if !told && o.Waiting != nil {
			o.Waiting(holder)
		}
		told = true
		waited := time.Since(start)
		if waited >= o.Wait {
			f.Close()
			return nil, &LockedError{Lock: lockPath, Dir: dir, Holder: holder, Waited: o.Wait}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("interrupted while waiting for the render lock (held by %s): %w", holder, ctx.Err())
		case <-time.After(min(lockPoll, o.Wait-waited)):
		}
	}
	t := &Tree{root: root, dir: dir, lock: f}
	if err := t.writeHolder(o.Holder, start); err != nil {
		t.Unlock()
		return nil, err
	}
	if err := t.recover(); err != nil {
		t.Unlock()
		return nil, err
	}
	return t, nil
}

// Recovered lists what Lock did to finish interrupted renders, one
// sentence each.
func (t *Tree) Recovered() []string { return t.recovered }

// Unlock releases the lock. The lock file stays.
func (t *Tree) Unlock() error {
	if t.lock == nil {
		return nil
	}
	err := t.lock.Close() // closing the only descriptor releases the flock
	t.lock = nil
	return err
}

// ensureStateDir makes StateDir, refusing symbolic links on the way (a
// link committed in a pull request must not send the state elsewhere),
// and puts the .gitignore that keeps git from ever listing its contents.
func ensureStateDir(root string) error {
	cur := root
	for _, part := range strings.Split(StateDir, "/") {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(cur, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("create %s: %w", cur, err)
			}
			continue
		case err != nil:
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
			return fmt.Errorf("refusing to keep the render state in %s: it is not a folder (%s)", cur, fi.Mode().Type())
		}
	}
	ignore := filepath.Join(root, StateDir, ".gitignore")
	if _, err := os.Lstat(ignore); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(ignore, []byte("# flotilla render's lock and staging folders: never committed\n*\n"), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", ignore, err)
		}
	}
	return nil
}

// writeHolder replaces the lock file's contents with who holds it.
func (t *Tree) writeHolder(holder string, start time.Time) error {
	if holder == "" {
		holder = "flotilla"
	}
	line := fmt.Sprintf("pid %d: %s, since %s\n", os.Getpid(), holder, start.UTC().Format(time.RFC3339))
	if err := t.lock.Truncate(0); err != nil {
		return fmt.Errorf("write the render lock: %w", err)
	}
	if _, err := t.lock.WriteAt([]byte(line), 0); err != nil {
		return fmt.Errorf("write the render lock: %w", err)
	}
	return nil
}

// readHolder reads the holder's line from the lock file, made printable.
func readHolder(f *os.File) string {
	buf := make([]byte, holderMax)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "holder unknown: " + err.Error()
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	line = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return '?'
	}, strings.TrimSpace(line))
	if line == "" {
		return "holder unknown"
	}
	return line
}
