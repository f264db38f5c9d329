package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestReadmeCIJobsRunAndTheirCacheServes runs the README's GitHub Actions
// and GitLab CI jobs as their YAML says, on a copy of this repository: every
// `./bin/flotilla` command of the job (the binary is this code, in
// process; shell redirections are the job's, not flotilla's) must succeed
// on the example fleet. Then, as a new runner would, it starts from a
// fresh copy and a fresh home holding only the folders the job's cache
// step keeps, and holds a check there to reuse every result: the cache
// paths the README tells users to keep are where flotilla writes.
func TestReadmeCIJobsRunAndTheirCacheServes(t *testing.T) {
	if testing.Short() {
		t.Skip("checks the example fleet four times per job")
	}
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(src, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, job := range []struct {
		file string
		// commands and cached paths of the parsed YAML
		read func(doc map[string]any) (commands, paths []string)
	}{
		{".github/workflows/flotilla.yaml", githubJob},
		{".gitlab-ci.yml", gitlabJob},
	} {
		t.Run(job.file, func(t *testing.T) {
			block := yamlBlock(t, string(readme), "# "+job.file+"\n")
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(block), &doc); err != nil {
				t.Fatalf("the README's %s: %v", job.file, err)
			}
			commands, paths := job.read(doc)
			if len(commands) == 0 || len(paths) == 0 {
				t.Fatalf("the README's %s runs %d flotilla commands and caches %v", job.file, len(commands), paths)
			}

			// The first runner: the job as written.
			home := t.TempDir()
			repo := cloneTracked(t, src)
			t.Setenv("HOME", home)
			t.Setenv("XDG_CACHE_HOME", "") // the user cache folder is ~/.cache, as on a CI runner
			t.Chdir(repo)
			var cacheDir string
			for _, c := range commands {
				args := flotillaArgs(c)
				if i := slices.Index(args, "--cache-dir"); i >= 0 && i+1 < len(args) {
					cacheDir = args[i+1]
				}
				var out, errOut bytes.Buffer
				if code := Run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != 0 {
					t.Fatalf("%s: exit %d\n%s%s", c, code, out.String(), errOut.String())
				}
			}

			// The next runner: a fresh checkout and home, with the cached
			// paths restored.
			home2 := t.TempDir()
			repo2 := cloneTracked(t, src)
			for _, p := range paths {
				from, to := filepath.Join(repo, p), filepath.Join(repo2, p)
				if rest, ok := strings.CutPrefix(p, "~/"); ok {
					from, to = filepath.Join(home, rest), filepath.Join(home2, rest)
				}
				if _, err := os.Stat(from); err != nil {
					t.Fatalf("the job caches %s, which flotilla did not write: %v", p, err)
				}
				if err := os.CopyFS(to, os.DirFS(from)); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("HOME", home2)
			t.Chdir(repo2)
			args := []string{"check", "--progress"}
			if cacheDir != "" {
				args = append(args, "--cache-dir", cacheDir)
			}
			var out, errOut bytes.Buffer
			if code := Run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != 0 {
				t.Fatalf("check on the next runner: exit %d\n%s", code, errOut.String())
			}
			m := regexp.MustCompile(`(?m)^cache +(\d+) of (\d+) ApplicationSet expansions reused, (\d+) of (\d+) validations reused, (\d+) of (\d+) policy evaluations reused, (\d+) of (\d+) policy test runs reused`).FindStringSubmatch(errOut.String())
			if m == nil || m[1] != m[2] || m[3] != m[4] || m[3] == "0" || m[5] != m[6] || m[5] == "0" || m[7] != m[8] || m[7] == "0" {
				t.Errorf("the next runner reused less than everything from the cached %v:\n%s", paths, errOut.String())
			}
		})
	}
}

// yamlBlock is the README's ```yaml block that starts with first.
func yamlBlock(t *testing.T, readme, first string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "```yaml\n"+first)
	if !ok {
		t.Fatalf("the README has no yaml block starting %q", first)
	}
	block, _, _ := strings.Cut(rest, "```\n")
	return block
}

// githubJob reads a workflow's run steps and actions/cache paths.
func githubJob(doc map[string]any) (commands, paths []string) {
	jobs, _ := doc["jobs"].(map[string]any)
	for _, j := range jobs {
		steps, _ := j.(map[string]any)["steps"].([]any)
		for _, s := range steps {
			step, _ := s.(map[string]any)
			if run, ok := step["run"].(string); ok {
				commands = append(commands, flotillaCommands(run)...)
			}
			if uses, _ := step["uses"].(string); strings.HasPrefix(uses, "actions/cache@") {
				with, _ := step["with"].(map[string]any)
				p, _ := with["path"].(string)
				paths = append(paths, strings.Fields(p)...)
			}
		}
	}
	return commands, paths
}

// gitlabJob reads a pipeline's script lines and cache paths.
func gitlabJob(doc map[string]any) (commands, paths []string) {
	for _, j := range doc {
		job, ok := j.(map[string]any)
		if !ok {
			continue
		}
		script, _ := job["script"].([]any)
		for _, line := range script {
			s, _ := line.(string)
			commands = append(commands, flotillaCommands(s)...)
		}
		cache, _ := job["cache"].(map[string]any)
		list, _ := cache["paths"].([]any)
		for _, p := range list {
			s, _ := p.(string)
			paths = append(paths, strings.TrimSuffix(s, "/"))
		}
	}
	return commands, paths
}

// flotillaCommands are the lines of a shell script that run ./bin/flotilla.
func flotillaCommands(script string) []string {
	var out []string
	for _, l := range strings.Split(script, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "./bin/flotilla ") {
			out = append(out, l)
		}
	}
	return out
}

// flotillaArgs are a command line's arguments to flotilla: up to the first
// shell operator or comment.
func flotillaArgs(line string) []string {
	var args []string
	for _, f := range strings.Fields(line)[1:] {
		if f == ">" || f == "|" || f == "||" || f == "&&" || f == "#" || f == "2>&1" {
			break
		}
		args = append(args, f)
	}
	return args
}
