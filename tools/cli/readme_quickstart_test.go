package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeQuickStart runs the README's quick start as written, in a
// clone of the repository's files: every `$ flotilla …` line through the
// CLI (in-process: `go install` builds this very code), every other
// command in bash, each of which must succeed; and it compares what each
// prints with what the README shows under it, line for line, where "…"
// stands for any number of lines.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("renders, checks and plans the example fleet")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Quick start: your first change\n")
	if !ok {
		t.Fatal("the README has no quick start")
	}
	_, block, ok := strings.Cut(section, "```console\n")
	if !ok {
		t.Fatal("the quick start has no console block")
	}
	block, _, _ = strings.Cut(block, "```\n")

	repo := cloneTracked(t, "../..")
	t.Chdir(repo)
	gitEnv := append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=readme", "GIT_AUTHOR_EMAIL=readme@example.invalid", "GIT_COMMITTER_NAME=readme", "GIT_COMMITTER_EMAIL=readme@example.invalid")
	shell := func(command string) (int, string) {
		cmd := exec.Command("bash", "-c", command)
		cmd.Env = gitEnv
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatalf("%s: %v", command, err)
		}
		return 0, string(out)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-qm", "clone"}} {
		if code, out := shell("git " + strings.Join(args, " ")); code != 0 {
			t.Fatalf("git %v: %s", args, out)
		}
	}

	type step struct {
		command string
		shown   []string
	}
	var steps []step
	for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		if c, ok := strings.CutPrefix(line, "$ "); ok {
			steps = append(steps, step{command: c})
		} else if len(steps) > 0 {
			steps[len(steps)-1].shown = append(steps[len(steps)-1].shown, line)
		}
	}
	if len(steps) < 5 {
		t.Fatalf("the quick start shows %d commands", len(steps))
	}
	for _, s := range steps {
		var code int
		var out string
		switch {
		case strings.HasPrefix(s.command, "go install "):
			continue
		case strings.HasPrefix(s.command, "flotilla "):
			var o, e bytes.Buffer
			code = Run(context.Background(), strings.Fields(s.command)[1:], IO{In: strings.NewReader(""), Out: &o, ErrOut: &e})
			out = o.String() + e.String()
		default:
			code, out = shell(s.command)
		}
		if code != 0 {
			t.Fatalf("$ %s: exit %d\n%s", s.command, code, out)
		}
		if !shownIn(s.shown, strings.Split(strings.TrimRight(out, "\n"), "\n")) {
			t.Errorf("$ %s printed:\n%s\nthe README shows:\n%s", s.command, out, strings.Join(s.shown, "\n"))
		}
	}
}

// shownIn says whether the lines the README shows are the lines printed,
// "…" matching any run of lines (none included).
func shownIn(shown, printed []string) bool {
	if len(shown) == 0 {
		return len(printed) == 0 || (len(printed) == 1 && printed[0] == "")
	}
	if shown[0] == "…" {
		for i := 0; i <= len(printed); i++ {
			if shownIn(shown[1:], printed[i:]) {
				return true
			}
		}
		return false
	}
	return len(printed) > 0 && printed[0] == shown[0] && shownIn(shown[1:], printed[1:])
}

// cloneTracked copies the files Git tracks in dir (a clone of the
// repository, without its history) to a temporary folder.
func cloneTracked(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", dir, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(dir, f)
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the working tree, or a link
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
