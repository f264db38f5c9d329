package hostile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// flotillaBin is the binary TestMain builds once for the package.
var flotillaBin string

// minimalFleet is the smallest complete fleet.
const minimalFleet = "../fleets/minimal"

// hangGuard bounds every run: a probe that hangs (a FIFO, an endless
// download) is killed and fails its test instead of the whole suite.
const hangGuard = 90 * time.Second

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "flotilla-hostile-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	flotillaBin = filepath.Join(dir, "flotilla")
	// With the flags the other tests build with (no -trimpath): other
	// flags are other cache keys, and a machine with no build cache would
	// compile all 2,500 packages of the CLI once more for this binary.
	build := exec.Command("go", "build", "-o", flotillaBin, "../../tools/cmd/flotilla")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build flotilla:", err)
		return 2
	}
	code := m.Run()
	if err := figures.write(os.Getenv("FLOTILLA_HOSTILE_REPORT")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return code
}

// fleet is a scratch control repository in a temporary Git work tree.
type fleet struct {
	t   *testing.T
	Dir string
	// Home is the HOME every run gets: empty, so no user's kubeconfig or
	// Git configuration reaches a probe.
	Home string
}

// newFleet copies src (a fleet folder) into a new Git repository, renders
// it with the real binary, and commits it all.
func newFleet(t *testing.T, src string) *fleet {
	t.Helper()
	f := &fleet{t: t, Dir: t.TempDir(), Home: t.TempDir()}
	if err := os.CopyFS(f.Dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	f.git("init", "-q", "-b", "main")
	if r := f.run("render"); r.Code != 0 {
		t.Fatalf("render of the clean fleet: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	f.commit("clean fleet")
	return f
}

// path is a repository-relative path on disk.
func (f *fleet) path(rel string) string { return filepath.Join(f.Dir, filepath.FromSlash(rel)) }

// write writes a file of the repository, creating its folders.
func (f *fleet) write(rel string, data []byte) {
	f.t.Helper()
	p := f.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// symlink makes rel a symbolic link to target (written as given).
func (f *fleet) symlink(target, rel string) {
	f.t.Helper()
	p := f.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		f.t.Fatal(err)
	}
}

// commit commits everything in the work tree.
func (f *fleet) commit(msg string) {
	f.t.Helper()
	f.git("add", "-A")
	f.git("commit", "-q", "--allow-empty", "-m", msg)
}

func (f *fleet) git(args ...string) string {
	f.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", f.Dir}, args...)...)
	cmd.Env = f.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// env is the environment of every command: a clean HOME and Git identity,
// no kubeconfig, and PATH as the test has it.
func (f *fleet) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + f.Home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=hostile", "GIT_AUTHOR_EMAIL=hostile@example.invalid",
		"GIT_COMMITTER_NAME=hostile", "GIT_COMMITTER_EMAIL=hostile@example.invalid",
		"TMPDIR=" + os.TempDir(),
	}
}

// renderedHash is a digest of every path, mode and byte under rendered/
// and of what else stands beside it at the repository's top (staging
// folders a render leaves behind change it too).
func (f *fleet) renderedHash() string {
	f.t.Helper()
	h := sha256.New()
	top, err := os.ReadDir(f.Dir)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range top {
		fmt.Fprintf(h, "top %s\n", e.Name())
	}
	root := f.path("rendered")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v\n", filepath.ToSlash(rel), info.Mode())
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "no rendered/"
		}
		f.t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// result is one run of the binary.
type result struct {
	Code           int
	Stdout, Stderr string
	Wall           time.Duration
	// MaxRSS is the process' peak resident memory in bytes.
	MaxRSS int64
	// Killed says the hang guard ended the run.
	Killed bool
}

// Output is stdout and stderr together, for assertions that do not care
// which stream a message went to.
func (r result) Output() string { return r.Stdout + r.Stderr }

// run runs flotilla with args in the repository (as `--repo` would find
// it: the working directory is the repository's top).
func (f *fleet) run(args ...string) result {
	f.t.Helper()
	return f.runEnv(nil, args...)
}

// runEnv is run with extra environment variables.
func (f *fleet) runEnv(extra []string, args ...string) result {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, flotillaBin, args...)
	cmd.Dir = f.Dir
	cmd.Env = append(f.env(), extra...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	r := result{Stdout: out.String(), Stderr: errOut.String(), Wall: time.Since(start), Killed: ctx.Err() != nil}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		f.t.Fatalf("flotilla %s: %v", strings.Join(args, " "), err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss * 1024
	}
	if r.Killed {
		f.t.Errorf("flotilla %s: still running after %s, killed\n%s%s", strings.Join(args, " "), hangGuard, r.Stdout, r.Stderr)
	}
	return r
}

// probe runs flotilla as run does and records the run's time and memory
// under name for the report.
func (f *fleet) probe(name string, args ...string) result {
	f.t.Helper()
	r := f.run(args...)
	figures.add(name, strings.Join(args, " "), r)
	return r
}

// expectRefused asserts a run failed with exit code code, said every one
// of wants, and left rendered/ as before.
func (f *fleet) expectRefused(r result, code int, before string, wants ...string) {
	f.t.Helper()
	if r.Code != code {
		f.t.Errorf("exit %d, want %d\n%s%s", r.Code, code, r.Stdout, r.Stderr)
	}
	for _, w := range wants {
		if !strings.Contains(r.Output(), w) {
			f.t.Errorf("output does not say %q:\n%s%s", w, r.Stdout, r.Stderr)
		}
	}
	if after := f.renderedHash(); after != before {
		f.t.Errorf("rendered/ changed (%s → %s)", before, after)
	}
}

// figureTable collects every probe's figures, for the closing report.
type figureTable struct {
	mu   sync.Mutex
	rows []figureRow
}

type figureRow struct {
	name, command string
	r             result
}

var figures figureTable

func (ft *figureTable) add(name, command string, r result) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.rows = append(ft.rows, figureRow{name, command, r})
}

// write writes the figures as a Markdown table to path ("": nowhere).
func (ft *figureTable) write(path string) error {
	if path == "" {
		return nil
	}
	ft.mu.Lock()
	defer ft.mu.Unlock()
	rows := slices.Clone(ft.rows)
	slices.SortFunc(rows, func(a, b figureRow) int { return strings.Compare(a.name, b.name) })
	var b strings.Builder
	b.WriteString("| probe | command | exit | wall | peak RSS |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | `flotilla %s` | %d | %.2f s | %d MB |\n", r.name, r.command, r.r.Code, r.r.Wall.Seconds(), r.r.MaxRSS>>20)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
