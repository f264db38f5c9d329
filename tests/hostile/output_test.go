package hostile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The output side of the review: a render killed, interrupted or run twice
// at once leaves rendered/ whole (the old tree or the new one) and nothing
// behind; names and strings that cannot be written are input errors.

// renderState is where render keeps its lock and staging folders.
const renderState = ".flotilla/render"

// manyConfigMaps is a manifest of n ConfigMaps whose data say version: it
// makes the write phase of a render long enough to be killed in.
func manyConfigMaps(n int, version string) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many-%03d\ndata:\n  version: %q\n", i, version)
	}
	return b.Bytes()
}

// changedFleet is the minimal fleet plus 300 ConfigMaps, committed and
// rendered (the old tree), with the ConfigMaps then changed in the work
// tree: a render rewrites 300 files (the new tree). It returns the hashes
// of both trees, and leaves the old one in place.
func changedFleet(t *testing.T) (f *fleet, oldHash, newHash string) {
	t.Helper()
	f = newFleet(t, minimalFleet)
	f.write("apps/web/manifests/many.yaml", manyConfigMaps(300, "v1"))
	if r := f.run("render"); r.Code != 0 {
		t.Fatalf("render: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	f.commit("many ConfigMaps")
	oldHash = f.renderedHash()
	f.write("apps/web/manifests/many.yaml", manyConfigMaps(300, "v2"))
	if r := f.run("render"); r.Code != 0 {
		t.Fatalf("render: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	newHash = f.renderedHash()
	f.restoreRendered()
	if h := f.renderedHash(); h != oldHash {
		t.Fatalf("rendered/ not restored from Git")
	}
	return f, oldHash, newHash
}

// restoreRendered puts the committed rendered/ back (the old tree).
func (f *fleet) restoreRendered() {
	f.t.Helper()
	f.git("checkout", "-q", "--", "rendered")
	f.git("clean", "-fdq", "--", "rendered")
}

// leftovers lists what the render state folder holds besides the lock and
// its .gitignore: staging folders and old trees.
func (f *fleet) leftovers() []string {
	f.t.Helper()
	entries, err := os.ReadDir(f.path(renderState))
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != "lock" && e.Name() != ".gitignore" {
			out = append(out, renderState+"/"+e.Name())
		}
	}
	return out
}

// untracked lists what git shows as untracked.
func (f *fleet) untracked() []string {
	f.t.Helper()
	var out []string
	for line := range strings.Lines(f.git("status", "--porcelain", "--untracked-files=all")) {
		if p, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "?? "); ok {
			out = append(out, p)
		}
	}
	return out
}

// process is a flotilla run the test signals while it runs.
type process struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

// start starts argv (flotilla's path is filled in for "flotilla") in the
// repository as run does, without waiting. onStderr, when set, sees each
// line of stderr as it comes.
func (f *fleet) start(onStderr func(line string), argv ...string) *process {
	f.t.Helper()
	if argv[0] == "flotilla" {
		argv = append([]string{flotillaBin}, argv[1:]...)
	}
	p := &process{cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	p.cmd.Dir = f.Dir
	p.cmd.Env = f.env()
	p.cmd.Stdout = &p.stdout
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	go func() { // owned by the process: ends when its stderr closes
		defer close(p.done)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			p.stderr.WriteString(sc.Text() + "\n")
			if onStderr != nil {
				onStderr(sc.Text())
			}
		}
		io.Copy(io.Discard, errPipe)
		p.err = p.cmd.Wait()
	}()
	return p
}

// exited says whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the end (within the hang guard) and returns the result.
func (p *process) wait(t *testing.T) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(hangGuard):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s: still running after %s, killed", p.cmd.Args, hangGuard)
	}
	r := result{Stdout: p.stdout.String(), Stderr: p.stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(p.err, &ee):
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Code = -int(ws.Signal())
		}
	case p.err != nil:
		t.Fatalf("%s: %v", p.cmd.Args, p.err)
	}
	return r
}

// holdLock takes render's lock as another render would, writing holder
// into the lock file; release lets it go.
func (f *fleet) holdLock(holder string) (release func()) {
	f.t.Helper()
	lf, err := os.OpenFile(f.path(renderState+"/lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.t.Fatal(err)
	}
	if err := lf.Truncate(0); err != nil {
		f.t.Fatal(err)
	}
	if _, err := lf.WriteAt([]byte(holder+"\n"), 0); err != nil {
		f.t.Fatal(err)
	}
	return func() { lf.Close() }
}

// TestRenderKilledAtRandomMoments SIGKILLs `flotilla render` at random
// moments, half of them anywhere in the run and half in its write phase
// (once a staging folder appears), and asserts rendered/ is the old tree
// or the new one right after the kill, never partial or missing; the next
// render cleans up what the killed one left (git shows nothing untracked)
// and writes the new tree. The seed is logged (FLOTILLA_HOSTILE_SEED
// repeats it, as far as the machine's timing does).
func TestRenderKilledAtRandomMoments(t *testing.T) {
	f, oldHash, newHash := changedFleet(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FLOTILLA_HOSTILE_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	// One run uninterrupted, to know how long a run and its write take.
	var whole, write time.Duration
	{
		start := time.Now()
		p := f.start(nil, "flotilla", "render")
		var staged time.Time
		for !p.exited() {
			if staged.IsZero() && len(f.leftovers()) > 0 {
				staged = time.Now()
			}
			time.Sleep(time.Millisecond)
		}
		if r := p.wait(t); r.Code != 0 {
			t.Fatalf("render: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		whole = time.Since(start)
		write = whole / 10
		if !staged.IsZero() {
			write = time.Since(staged)
		}
		t.Logf("a whole render: %s, its write phase: %s", whole.Round(time.Millisecond), write.Round(time.Millisecond))
		f.restoreRendered()
	}

	const kills = 10
	outcomes := map[string]int{}
	for i := range kills {
		p := f.start(nil, "flotilla", "render")
		var delay time.Duration
		if i%2 == 0 {
			delay = time.Duration(rng.Int64N(int64(whole)))
			time.Sleep(delay)
		} else {
			for !p.exited() && len(f.leftovers()) == 0 {
				time.Sleep(200 * time.Microsecond)
			}
			delay = time.Duration(rng.Int64N(int64(write) * 2))
			time.Sleep(delay)
		}
		p.cmd.Process.Kill()
		r := p.wait(t)
		now := f.renderedHash()
		switch {
		case now == oldHash:
			outcomes["old"]++
		case now == newHash:
			outcomes["new"]++
		default:
			t.Fatalf("kill %d (after %s, exit %d): rendered/ is neither the old nor the new tree (%s)\n%s%s", i, delay, r.Code, now, r.Stdout, r.Stderr)
		}
		left := f.leftovers()
		if u := f.untracked(); len(u) != 0 {
			t.Errorf("kill %d: git shows untracked files %v", i, u)
		}
		next := f.run("render")
		if next.Code != 0 {
			t.Fatalf("render after kill %d: exit %d\n%s%s", i, next.Code, next.Stdout, next.Stderr)
		}
		for _, l := range left {
			if want := "note: removed " + l + ", left by an interrupted render\n"; !strings.Contains(next.Stderr, want) {
				t.Errorf("render after kill %d does not say %q:\n%s", i, want, next.Stderr)
			}
		}
		if l := f.leftovers(); len(l) != 0 {
			t.Errorf("render after kill %d left %v", i, l)
		}
		if now := f.renderedHash(); now != newHash {
			t.Errorf("render after kill %d: rendered/ is not the new tree", i)
		}
		f.restoreRendered()
	}
	t.Logf("after %d kills rendered/ was the old tree %d times, the new one %d times", kills, outcomes["old"], outcomes["new"])
}

// straceRender runs `flotilla render` under strace with the given
// injections, as the review did; it skips the test where strace or ptrace
// is not available.
func (f *fleet) straceRender(injections ...string) result {
	f.t.Helper()
	if _, err := exec.LookPath("strace"); err != nil {
		if os.Getenv("FLOTILLA_REQUIRE_STRACE") != "" {
			f.t.Fatal("strace not installed (make testtools installs it)")
		}
		f.t.Skip("strace not installed")
	}
	if err := exec.Command("strace", "-o", "/dev/null", "true").Run(); err != nil {
		f.t.Skipf("strace cannot trace here: %v", err)
	}
	argv := []string{"strace", "-f", "-qq", "-o", "/dev/null"}
	for _, in := range injections {
		argv = append(argv, "-e", "inject="+in)
	}
	return f.start(nil, append(argv, flotillaBin, "render")...).wait(f.t)
}

// TestRenderKilledInItsSwap kills render at the system calls of its swap,
// with strace (the review's reproducer was a kill between the two renames):
// on entering the exchange (the old tree stays), right after it (the new
// tree is in place), and — with the exchange refused, as on a file system
// without it — between the two renames of the fallback, where rendered/ is
// missing until the next render restores it. In every case the next
// render says what it cleaned up and ends with the new tree.
func TestRenderKilledInItsSwap(t *testing.T) {
	for _, tc := range []struct {
		name       string
		injections []string
		after      string // "old", "new", or "missing"
		restored   bool
	}{
		{"before the exchange", []string{"renameat2:signal=KILL:when=1"}, "old", false},
		{"after the exchange", []string{"unlinkat:signal=KILL:when=1"}, "new", false},
		{"between the fallback's renames", []string{"renameat2:error=EINVAL", "renameat:signal=KILL:when=2"}, "missing", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, oldHash, newHash := changedFleet(t)
			r := f.straceRender(tc.injections...)
			if r.Code != -int(syscall.SIGKILL) {
				t.Fatalf("not killed: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
			}
			want := map[string]string{"old": oldHash, "new": newHash, "missing": "no rendered/"}[tc.after]
			if now := f.renderedHash(); now != want {
				t.Fatalf("after the kill rendered/ is %s, want the %s tree", now, tc.after)
			}
			left := f.leftovers()
			if len(left) == 0 {
				t.Fatalf("the kill left nothing to clean up: the injection missed the swap")
			}
			if u := f.untracked(); len(u) != 0 {
				t.Errorf("git shows untracked files %v", u)
			}
			// The next reader restores or cleans before it reads: --check
			// sees the old tree (stale: the input changed), never a missing
			// one ("300 added").
			check := f.run("render", "--check")
			wantCheck := "rendered/ is stale: 300 file(s) differ from a fresh render"
			if tc.after == "new" {
				wantCheck = "rendered/ is up to date"
			}
			if !strings.Contains(check.Stdout, wantCheck) {
				t.Errorf("render --check after the kill:\n%s%s\nwant %q", check.Stdout, check.Stderr, wantCheck)
			}
			for _, l := range left {
				note := "note: removed " + l + ", left by an interrupted render"
				if tc.restored && strings.Contains(l, "/old-") {
					note = "note: restored rendered/ from " + l + ", left by a render killed during its swap"
				}
				if !strings.Contains(check.Stderr, note+"\n") {
					t.Errorf("render --check does not say %q:\n%s", note, check.Stderr)
				}
			}
			if l := f.leftovers(); len(l) != 0 {
				t.Errorf("left after the next render: %v", l)
			}
			if r := f.run("render"); r.Code != 0 || f.renderedHash() != newHash {
				t.Errorf("render after recovery: exit %d, rendered/ new: %v\n%s%s", r.Code, f.renderedHash() == newHash, r.Stdout, r.Stderr)
			}
		})
	}
}

// TestTwoRendersAtOnce: two renders of a changed fleet started together
// both succeed; one writes the new tree, the other waits for the lock and
// then finds rendered/ up to date — neither sees a missing tree ("N
// added") nor fails on the other's swap.
func TestTwoRendersAtOnce(t *testing.T) {
	f, _, newHash := changedFleet(t)
	a := f.start(nil, "flotilla", "render")
	b := f.start(nil, "flotilla", "render")
	ra, rb := a.wait(t), b.wait(t)
	for _, r := range []result{ra, rb} {
		if r.Code != 0 {
			t.Fatalf("a render failed: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	}
	const wrote, upToDate = "wrote rendered/: 0 added, 300 modified, 0 removed\n", "rendered/ is up to date\n"
	got := []string{lastLine(ra.Stdout), lastLine(rb.Stdout)}
	slices.Sort(got)
	if want := []string{upToDate, wrote}; !slices.Equal(got, want) {
		t.Errorf("the two renders said %q, want %q", got, want)
	}
	if f.renderedHash() != newHash {
		t.Errorf("rendered/ is not the new tree")
	}
	if l := f.leftovers(); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
	waited := strings.Contains(ra.Stderr+rb.Stderr, "waiting up to 1m0s for rendered/, locked by another render (pid ")
	t.Logf("one render waited for the other's lock: %v", waited)
}

func lastLine(s string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	return strings.TrimSuffix(lines[len(lines)-1], "\n") + "\n"
}

// TestRenderLockedFailsNamingTheHolder: with the lock held, a render told
// not to wait fails at once naming the holder, and writes nothing.
func TestRenderLockedFailsNamingTheHolder(t *testing.T) {
	f, oldHash, _ := changedFleet(t)
	release := f.holdLock("pid 4242: flotilla render, since 2025-01-01T00:00:00Z")
	defer release()
	r := f.run("render", "--lock-wait=0")
	f.expectRefused(r, 2, oldHash,
		"error: rendered/ is locked by another render (pid 4242: flotilla render, since 2025-01-01T00:00:00Z); gave up after 0s (lock file "+f.path(renderState+"/lock")+")\n")
	if l := f.leftovers(); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
}

// TestRenderInterruptedWhileWaiting: SIGINT ends a render waiting for the
// lock at once (it used to be ignored until the write ended), with the
// holder named and nothing written.
func TestRenderInterruptedWhileWaiting(t *testing.T) {
	f, oldHash, _ := changedFleet(t)
	release := f.holdLock("pid 4242: flotilla render, since 2025-01-01T00:00:00Z")
	defer release()
	waiting := make(chan struct{})
	p := f.start(func(line string) {
		if line == "waiting up to 1m0s for rendered/, locked by another render (pid 4242: flotilla render, since 2025-01-01T00:00:00Z)" {
			close(waiting)
		}
	}, "flotilla", "render")
	select {
	case <-waiting:
	case <-p.done:
		t.Fatalf("render ended without waiting:\n%s%s", p.stdout.String(), p.stderr.String())
	}
	p.cmd.Process.Signal(os.Interrupt)
	r := p.wait(t)
	f.expectRefused(r, 2, oldHash,
		"error: interrupted while waiting for the render lock (held by pid 4242: flotilla render, since 2025-01-01T00:00:00Z): context canceled\n")
}

// TestRenderInterruptedWhileWriting: SIGINT at random moments of a render
// ends it with rendered/ the old tree or the new one, and — unlike a kill —
// nothing left behind, without another run to clean up.
func TestRenderInterruptedWhileWriting(t *testing.T) {
	f, oldHash, newHash := changedFleet(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	interrupted := 0
	for i := range 6 {
		p := f.start(nil, "flotilla", "render")
		for !p.exited() && len(f.leftovers()) == 0 {
			time.Sleep(200 * time.Microsecond)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(20 * time.Millisecond))))
		p.cmd.Process.Signal(os.Interrupt)
		r := p.wait(t)
		now := f.renderedHash()
		switch {
		case r.Code == 0 && now == newHash:
		case r.Code == 2 && now == oldHash:
			interrupted++
			if want := "error: interrupted: rendered/ left as it was: context canceled\n"; r.Stderr != want {
				t.Errorf("interrupted render %d said %q, want %q", i, r.Stderr, want)
			}
		default:
			t.Fatalf("render %d: exit %d, rendered/ old %v, new %v\n%s%s", i, r.Code, now == oldHash, now == newHash, r.Stdout, r.Stderr)
		}
		if l := f.leftovers(); len(l) != 0 {
			t.Errorf("render %d left %v", i, l)
		}
		f.restoreRendered()
	}
	t.Logf("%d of 6 renders were interrupted in their write, the others had finished", interrupted)
}

// TestRenderCleansStaleStaging: staging folders and old trees left by
// killed renders — in the state folder, and beside rendered/ where flotilla
// before the lock left them — are removed (and said so) by the next
// render; with rendered/ missing, the old tree comes back first.
func TestRenderCleansStaleStaging(t *testing.T) {
	f := newFleet(t, minimalFleet)
	before := f.renderedHash()
	for _, p := range []string{renderState + "/new-123/apps/x.yaml", renderState + "/old-456/apps/x.yaml", ".rendered.new-789/apps/x.yaml"} {
		f.write(p, []byte("stale\n"))
	}
	r := f.run("render")
	if r.Code != 0 {
		t.Fatalf("render: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	want := "note: removed .flotilla/render/new-123, left by an interrupted render\n" +
		"note: removed .flotilla/render/old-456, left by an interrupted render\n" +
		"note: removed .rendered.new-789, left by an interrupted render\n"
	if r.Stderr != want {
		t.Errorf("stderr\n%s\nwant\n%s", r.Stderr, want)
	}
	if after := f.renderedHash(); after != before {
		t.Errorf("rendered/ changed")
	}
	if l, u := f.leftovers(), f.untracked(); len(l)+len(u) != 0 {
		t.Errorf("left: %v, untracked: %v", l, u)
	}

	// The state: a render of flotilla before the lock killed
	// between its renames left no rendered/, the old tree in
	// .rendered.new-N.old and the new one in .rendered.new-N.
	if err := os.Rename(f.path("rendered"), f.path(".rendered.new-1.old")); err != nil {
		t.Fatal(err)
	}
	f.write(".rendered.new-1/half.yaml", []byte("half\n"))
	check := f.run("render", "--check")
	want = "note: restored rendered/ from .rendered.new-1.old, left by a render killed during its swap\n" +
		"note: removed .rendered.new-1, left by an interrupted render\n"
	if check.Code != 0 || check.Stderr != want || !strings.Contains(check.Stdout, "rendered/ is up to date") {
		t.Errorf("render --check: exit %d\n%s%s\nwant stderr\n%s", check.Code, check.Stdout, check.Stderr, want)
	}
	if after := f.renderedHash(); after != before {
		t.Errorf("rendered/ not restored")
	}
}

// TestLongObjectNameRenders: a ConfigMap named with 250 characters (within
// Kubernetes' 253) renders into a file of 128 bytes — its start, and a hash
// of the whole — instead of failing with "file name too long", and
// render --check then finds the tree up to date.
func TestLongObjectNameRenders(t *testing.T) {
	f := newFleet(t, minimalFleet)
	name := strings.Repeat("long-name-", 24) + "long-name1" // a DNS subdomain of 250 characters
	f.write("apps/web/manifests/long.yaml", fmt.Appendf(nil, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  k: v\n", name))
	r := f.probe("long-name", "render")
	if r.Code != 0 {
		t.Fatalf("render: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	stem := "configmap-" + name
	sum := sha256.Sum256([]byte(stem))
	file := stem[:128-len(".yaml")-13] + "-" + hex.EncodeToString(sum[:6]) + ".yaml"
	matches, err := filepath.Glob(f.path("rendered/*/apps/web/" + file))
	if err != nil || len(matches) != 1 {
		t.Fatalf("no rendered/*/apps/web/%s (%v)", file, err)
	}
	data, err := os.ReadFile(matches[0])
	if err != nil || !strings.Contains(string(data), "name: "+name+"\n") {
		t.Errorf("%s does not hold the object: %v\n%s", matches[0], err, data)
	}
	if r := f.run("render", "--check"); r.Code != 0 || !strings.Contains(r.Stdout, "rendered/ is up to date") {
		t.Errorf("render --check: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// TestDotDotNameIsRefusedWithoutValidation: an object named
// ../../../model-registry/injected was written into another app's folder
// with --no-validate. Its name is refused as input, at its line, with and
// without schema validation, and nothing is written.
func TestDotDotNameIsRefusedWithoutValidation(t *testing.T) {
	f := newFleet(t, minimalFleet)
	before := f.renderedHash()
	f.write("apps/web/manifests/evil.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ../../../model-registry/injected\ndata:\n  k: v\n"))
	const want = `apps/web/manifests/evil.yaml:4:3: ConfigMap/web/../../../model-registry/injected: metadata.name: "../../../model-registry/injected" cannot name an object, nor its file in rendered/: may not contain '/'` + "\n1 error\n"
	for _, args := range [][]string{{"render", "--no-validate"}, {"render"}} {
		r := f.probe("dotdot-name", args...)
		f.expectRefused(r, 2, before, want)
		if r.Stderr != want {
			t.Errorf("%s: stderr\n%s\nwant\n%s", args, r.Stderr, want)
		}
	}
	if m, _ := filepath.Glob(f.path("*/injected*")); len(m) != 0 {
		t.Errorf("written outside rendered/: %v", m)
	}
}

// TestControlCharacterStringIsRefused: a string holding U+0080 was written
// as "\x80", which sigs.k8s.io/yaml (what Argo CD and kubectl write YAML
// with) refuses; render and check now refuse it as input at its field.
func TestControlCharacterStringIsRefused(t *testing.T) {
	f := newFleet(t, minimalFleet)
	before := f.renderedHash()
	f.write("apps/web/manifests/c1.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\ndata:\n  k8: \"\\u0080\"\n"))
	const want = "apps/web/manifests/c1.yaml:6:3: ConfigMap/web/c1: data.k8: cannot be written to rendered/ as YAML: yaml: control characters are not allowed\n1 error\n"
	for _, args := range [][]string{{"render"}, {"render", "--check"}, {"check"}, {"validate"}} {
		r := f.probe("u0080-string", args...)
		f.expectRefused(r, 2, before, want)
	}
}
