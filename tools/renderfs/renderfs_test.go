package renderfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockNow takes the lock without waiting, failing the test otherwise.
func lockNow(t *testing.T, root string) *Tree {
	t.Helper()
	tr, err := Lock(context.Background(), root, "rendered", LockOptions{Holder: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func write(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	if err := Write(context.Background(), root, "rendered", files, LockOptions{Holder: "test"}); err != nil {
		t.Fatal(err)
	}
}

// leftovers lists what StateDir holds besides the lock and its .gitignore,
// and what stands beside rendered/ at the root.
func leftovers(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	state, err := os.ReadDir(filepath.Join(root, StateDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range state {
		if e.Name() != lockName && e.Name() != ".gitignore" {
			out = append(out, StateDir+"/"+e.Name())
		}
	}
	top, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range top {
		if e.Name() != "rendered" && e.Name() != ".flotilla" {
			out = append(out, e.Name())
		}
	}
	return out
}

// treeHash digests every path and byte under rendered/; "missing" when
// there is none.
func treeHash(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	base := filepath.Join(root, "rendered")
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		fmt.Fprintf(h, "%s %v\n", filepath.ToSlash(rel), d.Type())
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return "missing"
	}
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestWriteReplacesTreeAndCompareSeesEdits(t *testing.T) {
	root := t.TempDir()
	first := map[string][]byte{"rendered/a/x.yaml": []byte("x\n"), "rendered/b.yaml": []byte("b\n")}
	write(t, root, first)
	if ch, err := Compare(context.Background(), root, "rendered", first, LockOptions{}); err != nil || len(ch) != 0 {
		t.Fatalf("fresh tree differs: %v %v", ch, err)
	}
	second := map[string][]byte{"rendered/a/x.yaml": []byte("x2\n"), "rendered/c.yaml": []byte("c\n")}
	write(t, root, second)
	if _, err := os.Stat(filepath.Join(root, "rendered", "b.yaml")); !os.IsNotExist(err) {
		t.Errorf("stale file b.yaml survived a rewrite")
	}
	// A hand edit, a stray file and an edit of the same size are all caught.
	os.WriteFile(filepath.Join(root, "rendered", "a", "x.yaml"), []byte("edited\n"), 0o644)
	os.WriteFile(filepath.Join(root, "rendered", "c.yaml"), []byte("C\n"), 0o644)
	os.WriteFile(filepath.Join(root, "rendered", "stray.yaml"), []byte("s\n"), 0o644)
	got, err := Compare(context.Background(), root, "rendered", second, LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{"rendered/a/x.yaml", Modified}, {"rendered/c.yaml", Modified}, {"rendered/stray.yaml", Removed}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Compare = %v, want %v", got, want)
	}
	if l := leftovers(t, root); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
	ignore, err := os.ReadFile(filepath.Join(root, StateDir, ".gitignore"))
	if err != nil || !strings.HasSuffix(string(ignore), "\n*\n") {
		t.Errorf("%s/.gitignore = %q, %v; want it to ignore everything", StateDir, ignore, err)
	}
}

func TestWriteRefusesPathsOutsideAndLeavesOldTree(t *testing.T) {
	root := t.TempDir()
	good := map[string][]byte{"rendered/a.yaml": []byte("a\n")}
	write(t, root, good)
	before := treeHash(t, root)
	for _, bad := range []string{"apps/evil.yaml", "rendered/../apps/evil.yaml", "rendered/a/../../evil.yaml", "rendered//a.yaml", "rendered/./a.yaml", "renderedx/a.yaml", "/rendered/a.yaml", "rendered/a\x00.yaml"} {
		err := Write(context.Background(), root, "rendered", map[string][]byte{"rendered/a.yaml": []byte("new\n"), bad: []byte("x")}, LockOptions{})
		want := fmt.Sprintf("refusing to write %q: not a clean path inside rendered/", bad)
		if err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", bad, err, want)
		}
	}
	if after := treeHash(t, root); after != before {
		t.Errorf("old tree changed")
	}
	if _, err := os.Stat(filepath.Join(root, "apps")); !os.IsNotExist(err) {
		t.Errorf("something was written outside rendered/")
	}
}

func TestCompareMissingTreeIsAllAdded(t *testing.T) {
	got, err := Compare(context.Background(), t.TempDir(), "rendered", map[string][]byte{"rendered/a.yaml": nil}, LockOptions{})
	if err != nil || len(got) != 1 || got[0].Kind != Added {
		t.Fatalf("got %v, %v", got, err)
	}
}

// TestCompareNeverOpensIrregularFiles: a committed symbolic link to
// /dev/zero or a FIFO in rendered/ differs from the render; opening it
// would hang or exhaust memory.
func TestCompareNeverOpensIrregularFiles(t *testing.T) {
	root := t.TempDir()
	files := map[string][]byte{"rendered/zero.yaml": []byte("a\n"), "rendered/fifo.yaml": []byte("b\n"), "rendered/ok.yaml": []byte("c\n")}
	write(t, root, files)
	os.Remove(filepath.Join(root, "rendered", "zero.yaml"))
	os.Remove(filepath.Join(root, "rendered", "fifo.yaml"))
	if err := os.Symlink("/dev/zero", filepath.Join(root, "rendered", "zero.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "rendered", "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "rendered", "stray"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Compare(context.Background(), root, "rendered", files, LockOptions{})
	want := []Change{{"rendered/fifo.yaml", Modified}, {"rendered/stray", Removed}, {"rendered/zero.yaml", Modified}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Compare = %v, %v; want %v", got, err, want)
	}
}

// TestWriteHonoursCancel: a context cancelled between two files (SIGINT in
// the CLI) stops the write, removes the staging folder and leaves the old
// tree.
func TestWriteHonoursCancel(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string][]byte{"rendered/a.yaml": []byte("old\n")})
	before := treeHash(t, root)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := lockNow(t, root)
	defer tr.Unlock()
	n := 0
	tr.step = func(name string) {
		if name == "file" {
			if n++; n == 3 {
				cancel()
			}
		}
	}
	next := map[string][]byte{}
	for i := range 10 {
		next[fmt.Sprintf("rendered/f%d.yaml", i)] = []byte("new\n")
	}
	err := tr.Write(ctx, next)
	if !errors.Is(err, context.Canceled) || err.Error() != "interrupted: rendered/ left as it was: context canceled" {
		t.Fatalf("Write = %v, want the interruption", err)
	}
	if n != 3 {
		t.Errorf("%d files written after the cancel, want none", n-3)
	}
	if treeHash(t, root) != before {
		t.Errorf("rendered/ changed")
	}
	if l := leftovers(t, root); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
}

// TestLockWaitsAndNamesTheHolder: a second Lock fails at once with the
// holder's line when told not to wait, is told who holds the lock when it
// waits, and gets the lock when the holder lets go.
func TestLockWaitsAndNamesTheHolder(t *testing.T) {
	root := t.TempDir()
	first, err := Lock(context.Background(), root, "rendered", LockOptions{Holder: "flotilla render (first)"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(context.Background(), root, "rendered", LockOptions{})
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second Lock = %v, want a LockedError", err)
	}
	wantHolder := fmt.Sprintf("pid %d: flotilla render (first), since ", os.Getpid())
	if !strings.HasPrefix(locked.Holder, wantHolder) {
		t.Errorf("holder %q, want %q...", locked.Holder, wantHolder)
	}
	want := fmt.Sprintf("rendered/ is locked by another render (%s); gave up after 0s (lock file %s)", locked.Holder, filepath.Join(root, StateDir, lockName))
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}

	var told string
	second, err := Lock(context.Background(), root, "rendered", LockOptions{Wait: time.Hour, Waiting: func(holder string) {
		told = holder
		first.Unlock() // the holder ends: the waiter gets the lock
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Unlock()
	if !strings.HasPrefix(told, wantHolder) {
		t.Errorf("waiting told %q, want %q...", told, wantHolder)
	}
}

func TestLockWaitEndsWithTheContext(t *testing.T) {
	root := t.TempDir()
	first := lockNow(t, root)
	defer first.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Lock(ctx, root, "rendered", LockOptions{Wait: time.Hour, Waiting: func(string) { cancel() }})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "interrupted while waiting for the render lock (held by pid ") {
		t.Fatalf("Lock = %v, want an interruption", err)
	}
}

func TestLockRefusesASymlinkedStateFolder(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(root, ".flotilla")); err != nil {
		t.Fatal(err)
	}
	_, err := Lock(context.Background(), root, "rendered", LockOptions{})
	want := fmt.Sprintf("refusing to keep the render state in %s: it is not a folder (L---------)", filepath.Join(root, ".flotilla"))
	if err == nil || err.Error() != want {
		t.Fatalf("Lock = %v, want %q", err, want)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("state written through the link: %v", entries)
	}
}

// TestLockRecoversWhatOlderRendersLeft: flotilla before the lock left
// .rendered.new-N and .rendered.new-N.old beside a missing rendered/
// (killed between its renames); the next Lock restores the old tree and
// removes the rest.
func TestLockRecoversWhatOlderRendersLeft(t *testing.T) {
	root := t.TempDir()
	for name, content := range map[string]string{".rendered.new-1.old/a.yaml": "old\n", ".rendered.new-1/a.yaml": "new\n", ".rendered.new-2/b.yaml": "stale\n"} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	os.WriteFile(filepath.Join(root, ".rendered.new-3"), []byte("a file, not ours"), 0o644)
	tr := lockNow(t, root)
	defer tr.Unlock()
	want := []string{
		"restored rendered/ from .rendered.new-1.old, left by a render killed during its swap",
		"removed .rendered.new-1, left by an interrupted render",
		"removed .rendered.new-2, left by an interrupted render",
	}
	if !slices.Equal(tr.Recovered(), want) {
		t.Errorf("Recovered = %q, want %q", tr.Recovered(), want)
	}
	if data, err := os.ReadFile(filepath.Join(root, "rendered", "a.yaml")); string(data) != "old\n" {
		t.Errorf("rendered/a.yaml = %q, %v; want the old tree", data, err)
	}
	if l := leftovers(t, root); !slices.Equal(l, []string{".rendered.new-3"}) {
		t.Errorf("left: %v, want only the file that is not a staging folder", l)
	}
}

// TestConcurrentWritesSerialize: renders writing at once each swap in a
// whole tree; the result is one of them, exactly, with nothing left over.
func TestConcurrentWritesSerialize(t *testing.T) {
	root := t.TempDir()
	const writers = 6
	trees := make([]map[string][]byte, writers)
	for w := range trees {
		trees[w] = map[string][]byte{}
		for i := range 30 + w {
			trees[w][fmt.Sprintf("rendered/d%d/f%d.yaml", i%4, i)] = fmt.Appendf(nil, "writer %d file %d\n", w, i)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			errs[w] = Write(context.Background(), root, "rendered", trees[w], LockOptions{Wait: time.Hour})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	matched := -1
	for w := range trees {
		ch, err := Compare(context.Background(), root, "rendered", trees[w], LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ch) == 0 {
			matched = w
		}
	}
	if matched < 0 {
		t.Errorf("rendered/ is none of the written trees")
	}
	if l := leftovers(t, root); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
}

// killEnv tells TestKilledWriteHelper where to write and at which step to
// kill itself.
const killEnv = "RENDERFS_KILL_AT"

// killTree is the tree the helper writes: the old one is oldTree.
func killTree(prefix string) map[string][]byte {
	files := map[string][]byte{}
	for i := range 12 {
		files[fmt.Sprintf("rendered/d%d/f%d.yaml", i%3, i)] = fmt.Appendf(nil, "%s %d\n", prefix, i)
	}
	return files
}

// TestWriteKilledAtEveryStep kills a writing process (SIGKILL, nothing of
// it runs after) at every point of Write where it could die — after each
// file, before the swap, between the two renames of a swap without
// exchange, after the swap — with the atomic exchange and with the two
// renames. Right after the kill rendered/ is the old tree or the new one
// (with the exchange) or recoverable (the renames); after the next Lock it
// is the old or the new tree, and nothing is left over.
func TestWriteKilledAtEveryStep(t *testing.T) {
	for _, scheme := range []string{"exchange", "renames"} {
		t.Run(scheme, func(t *testing.T) {
			steps := len(killTree("")) + 2 // every file, "staged", and the swap's first step
			if scheme == "renames" {
				steps++ // "moved-aside" and "swapped"
			}
			for at := 1; at <= steps; at++ {
				root := t.TempDir()
				write(t, root, killTree("old"))
				oldHash := treeHash(t, root)
				newRoot := t.TempDir()
				write(t, newRoot, killTree("new"))
				newHash := treeHash(t, newRoot)

				cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriteHelper$")
				cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d:%s", killEnv, scheme, at, root))
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("step %d: helper was not killed: %v\n%s", at, err, out)
				}
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				step := lines[len(lines)-1]
				now := treeHash(t, root)
				switch {
				case now == oldHash || now == newHash:
				case scheme == "renames" && now == "missing" && strings.HasSuffix(step, "moved-aside"):
					// the window the next Lock recovers
				default:
					t.Errorf("killed at %s: rendered/ is neither the old nor the new tree (%s)", step, now)
				}
				tr := lockNow(t, root)
				recovered := tr.Recovered()
				tr.Unlock()
				if now = treeHash(t, root); now != oldHash && now != newHash {
					t.Errorf("killed at %s, then locked: rendered/ is neither the old nor the new tree (%s)", step, now)
				}
				if l := leftovers(t, root); len(l) != 0 {
					t.Errorf("killed at %s, then locked: left behind %v", step, l)
				}
				if len(recovered) == 0 && now != newHash {
					t.Errorf("killed at %s: the next Lock recovered nothing, yet the tree is old", step)
				}
			}
		})
	}
}

// TestKilledWriteHelper is the process TestWriteKilledAtEveryStep kills:
// it prints each step's name and kills itself at the chosen one.
func TestKilledWriteHelper(t *testing.T) {
	spec := os.Getenv(killEnv)
	if spec == "" {
		t.Skip("the process TestWriteKilledAtEveryStep starts and kills")
	}
	scheme, rest, _ := strings.Cut(spec, ":")
	atText, root, _ := strings.Cut(rest, ":")
	at, err := strconv.Atoi(atText)
	if err != nil {
		t.Fatal(err)
	}
	tr := lockNow(t, root)
	tr.noExchange = scheme == "renames"
	n := 0
	tr.step = func(name string) {
		n++
		fmt.Printf("%d %s\n", n, name)
		if n == at {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
	if err := tr.Write(context.Background(), killTree("new")); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("not killed: only %d steps", n)
}
