package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/internal/golden"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// spotNow is inside the example signals' traces (2025-03-01 to 03-05).
const spotNow = "2025-03-04T12:00:00Z"

// isolateGit gives git a fixed identity and no user or system
// configuration, so that commits are the same on any machine.
func isolateGit(t *testing.T) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(cfg, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", cfg)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "Flotilla Bot")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "bot@example.com")
	}
	t.Setenv("GIT_AUTHOR_DATE", "2025-03-01T00:00:00Z")
	t.Setenv("GIT_COMMITTER_DATE", "2025-03-01T00:00:00Z")
}

// spotFleet copies the example fleet (what the repository checks in
// under fleet.yaml, clusters/, apps/, edge/, backup/, policies/, spot/
// and rendered/) into a new Git repository with one commit.
func spotFleet(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	for _, p := range []string{"fleet.yaml", "clusters", "apps", "edge", "backup", "policies", "spot", "rendered"} {
		src := filepath.Join(exampleFleet, p)
		st, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		if st.IsDir() {
			err = os.CopyFS(filepath.Join(dst, p), os.DirFS(src))
		} else {
			var data []byte
			if data, err = os.ReadFile(src); err == nil {
				err = os.WriteFile(filepath.Join(dst, p), data, 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	git(t, dst, "init", "-q", "-b", "main")
	git(t, dst, "add", ".")
	git(t, dst, "commit", "-q", "-m", "the example fleet")
	return dst
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func goldenFile(t *testing.T, name string, got string) {
	t.Helper()
	golden.Check(t, name, []byte(got), *updateGolden)
}

// TestSpotRebalancePreviewGolden is the reviewed plan of the example fleet
// for the example signals: every move with its figures, nothing written,
// and the same output at any parallelism.
func TestSpotRebalancePreviewGolden(t *testing.T) {
	isolateGit(t)
	repo := spotFleet(t)
	before := worktree(t, repo)
	signals := filepath.Join(repo, "spot", "signals.yaml")
	code, out, errOut := run(t, "spot", "rebalance", "--repo", repo, "--signals", signals, "--now", spotNow, "--parallelism", "1")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	goldenFile(t, "spot-rebalance.golden.txt", out)
	for _, want := range []string{"paddle-inference", "preview: nothing written", "spot-only hedge", "unknown spot price: left out"} {
		if !strings.Contains(out, want) {
			t.Errorf("the preview lacks %q", want)
		}
	}
	if after := worktree(t, repo); !maps.Equal(before, after) {
		t.Error("the preview wrote something")
	}
	if _, again, _ := run(t, "spot", "rebalance", "--repo", repo, "--signals", signals, "--now", spotNow, "--parallelism", "4"); again != out {
		t.Errorf("the preview at parallelism 4 differs:\n%s", again)
	}
	code, js, _ := run(t, "spot", "rebalance", "--repo", repo, "--signals", signals, "--now", spotNow, "-o", "json")
	var doc struct {
		Apps []struct {
			App  string `json:"app"`
			Plan struct {
				Changed bool `json:"changed"`
				Moves   []struct {
					Text string `json:"text"`
				} `json:"moves"`
			} `json:"plan"`
		} `json:"apps"`
	}
	if code != ExitOK || json.Unmarshal([]byte(js), &doc) != nil || len(doc.Apps) != 1 || !doc.Apps[0].Plan.Changed || len(doc.Apps[0].Plan.Moves) == 0 {
		t.Errorf("json: exit %d, %+v\n%s", code, doc, js)
	}
	if code, md, _ := run(t, "spot", "rebalance", "--repo", repo, "--signals", signals, "--now", spotNow, "-o", "markdown"); code != ExitOK || !strings.Contains(md, "## Spot rebalance") || !strings.Contains(md, "| paddle-inference |") {
		t.Errorf("markdown: exit %d\n%s", code, md)
	}
}

// worktree reads every file of a work tree but Git's and the render
// lock's own (git status refreshes its index; a render takes the lock).
func worktree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := snapshot(t, dir)
	for p := range m {
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(rel, ".git"+string(filepath.Separator)) || strings.HasPrefix(rel, ".flotilla"+string(filepath.Separator)) {
			delete(m, p)
		}
	}
	return m
}

var commentRE = regexp.MustCompile(`(?m)#.*$`)

// TestSpotRebalanceCommit commits the example's rebalance in two clones:
// the same commit (hash) in both, the reviewed message, only app.yaml and
// rendered/ touched, every comment of app.yaml kept, a tree that
// renders clean; a later run finds nothing to move and commits nothing.
func TestSpotRebalanceCommit(t *testing.T) {
	isolateGit(t)
	first := spotFleet(t)
	second := t.TempDir()
	git(t, second, "clone", "-q", first, ".")
	var hashes []string
	for _, repo := range []string{first, second} {
		code, out, errOut := run(t, "spot", "rebalance", "--repo", repo, "--signals", filepath.Join(repo, "spot", "signals.yaml"), "--now", spotNow, "--commit")
		if code != ExitOK {
			t.Fatalf("--commit in %s: exit %d\n%s%s", repo, code, out, errOut)
		}
		if !strings.Contains(out, "plan of the change") || !strings.Contains(out, "committed ") {
			t.Errorf("--commit output lacks the change's plan or the commit:\n%s", out)
		}
		hashes = append(hashes, git(t, repo, "rev-parse", "HEAD"))
	}
	if hashes[0] != hashes[1] {
		t.Errorf("two clones committed %s and %s", hashes[0], hashes[1])
	}
	goldenFile(t, "spot-rebalance-commit.golden.txt", git(t, first, "log", "-1", "--format=%an <%ae> %aI%n%cn <%ce> %cI%n%n%B")+"\n")
	files := strings.Split(git(t, first, "show", "--name-only", "--format=", "HEAD"), "\n")
	for _, f := range files {
		if f != "apps/paddle-inference/app.yaml" && !strings.HasPrefix(f, "rendered/") {
			t.Errorf("the commit touches %s", f)
		}
	}
	if !slices.Contains(files, "apps/paddle-inference/app.yaml") {
		t.Errorf("the commit does not touch app.yaml: %v", files)
	}
	if st := git(t, first, "status", "--porcelain"); st != "" {
		t.Errorf("the tree is dirty after the commit:\n%s", st)
	}
	was, _ := os.ReadFile(filepath.Join(exampleFleet, "apps", "paddle-inference", "app.yaml"))
	now, _ := os.ReadFile(filepath.Join(first, "apps", "paddle-inference", "app.yaml"))
	for _, c := range commentRE.FindAllString(string(was), -1) {
		if !strings.Contains(string(now), c) {
			t.Errorf("app.yaml lost the comment %q", c)
		}
	}
	if code, out, _ := run(t, "render", "--repo", first, "--check"); code != ExitOK {
		t.Errorf("render --check after the commit: exit %d\n%s", code, out)
	}
	// The commit passes the CI gate: its division renders as the three
	// workloads, which validate and lint clean (DR standby kept, caps and
	// floor judged on the division).
	if code, out, _ := run(t, "check", "--repo", first); code != ExitOK {
		t.Errorf("check after the commit: exit %d\n%s", code, out)
	}
	// Two hours later nothing moves: no commit.
	code, out, errOut := run(t, "spot", "rebalance", "--repo", first, "--signals", filepath.Join(first, "spot", "signals.yaml"), "--now", "2025-03-04T14:00:00Z", "--commit")
	if code != ExitOK || !strings.Contains(out, "no app moves") || git(t, first, "rev-parse", "HEAD") != hashes[0] {
		t.Errorf("a second run: exit %d\n%s%s", code, out, errOut)
	}
}

// TestSpotRebalanceWrite edits and renders without committing: the
// working tree holds the change, rendered/ is fresh, and the change's plan
// names the app's replica moves.
func TestSpotRebalanceWrite(t *testing.T) {
	isolateGit(t)
	repo := spotFleet(t)
	code, out, errOut := run(t, "spot", "rebalance", "--repo", repo, "--signals", filepath.Join(repo, "spot", "signals.yaml"), "--now", spotNow, "--write")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"wrote apps/paddle-inference/app.yaml; rendered/:", "plan of the change (HEAD → working tree)", "Replicas", "Deployment/inference/paddle-inference"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	st := git(t, repo, "status", "--porcelain")
	if !strings.Contains(st, "apps/paddle-inference/app.yaml") || !strings.Contains(st, "rendered/") {
		t.Errorf("status after --write:\n%s", st)
	}
	if code, out, _ := run(t, "render", "--repo", repo, "--check"); code != ExitOK {
		t.Errorf("render --check after --write: exit %d\n%s", code, out)
	}
	// A commit after the write starts from HEAD: the same commit as
	// without the write.
	code, out, errOut = run(t, "spot", "rebalance", "--repo", repo, "--signals", filepath.Join(repo, "spot", "signals.yaml"), "--now", spotNow, "--commit")
	if code != ExitOK || !strings.Contains(out, "committed ") {
		t.Fatalf("--commit after --write: exit %d\n%s%s", code, out, errOut)
	}
	clean := spotFleet(t)
	if code, _, errOut := run(t, "spot", "rebalance", "--repo", clean, "--signals", filepath.Join(clean, "spot", "signals.yaml"), "--now", spotNow, "--commit"); code != ExitOK {
		t.Fatalf("--commit: exit %d\n%s", code, errOut)
	}
	if a, b := git(t, repo, "rev-parse", "HEAD"), git(t, clean, "rev-parse", "HEAD"); a != b {
		t.Errorf("--commit after --write made %s, without it %s", a, b)
	}
}

// TestSpotRebalanceRefusesAndWritesNothing: a dirty tree for --commit, bad
// signals, an objective the clusters cannot hold — each a clear error,
// and the repository as it was.
func TestSpotRebalanceRefusesAndWritesNothing(t *testing.T) {
	isolateGit(t)
	cases := []struct {
		name  string
		edit  func(t *testing.T, repo string)
		flags []string
		code  int
		want  []string
	}{
		{"dirty tree", func(t *testing.T, repo string) {
			appendTo(t, filepath.Join(repo, "clusters", "cloud-eu-west-1.yaml"), "# a local edit\n")
		}, []string{"--commit"}, ExitInput, []string{"refusing to commit", "clusters/cloud-eu-west-1.yaml"}},
		{"bad signals", func(t *testing.T, repo string) {
			replaceIn(t, filepath.Join(repo, "spot", "signals.yaml"), "  os: Linux\n", "  os: Linux\n  currency: EUR\n")
			appendTo(t, filepath.Join(repo, "spot", "signals.yaml"), `    - {cluster: cloud-us-east-1-spot, zone: us-east-1b, instanceType: c6i.4xlarge, time: "2025-03-04T09:00:00Z"}
`)
		}, []string{"--write"}, ExitInput, []string{
			"spot/signals.yaml:15:3: SpotSignals: spec.currency: unknown field",
		}},
		{"signals of another fleet", func(t *testing.T, repo string) {
			replaceIn(t, filepath.Join(repo, "spot", "signals.yaml"), "    - cluster: cloud-eu-central-1\n      region: eu-central-1\n      zone: eu-central-1c\n",
				"    - cluster: cloud-eu-central-1\n      region: eu-central-1\n      zone: eu-central-1d\n")
			replaceIn(t, filepath.Join(repo, "spot", "signals.yaml"), "{cluster: dr-us-east-2,", "{cluster: dr-us-east-3,")
		}, []string{"--write"}, ExitInput, []string{
			"spot/signals.yaml:81:7: SpotSignals/example-fleet: spec.pools[8]: cluster cloud-eu-central-1 has no spot pool with c6i.4xlarge in eu-central-1d",
			"spot/signals.yaml:31:7: SpotSignals/example-fleet: spec.onDemandClusters[1].cluster: cluster \"dr-us-east-3\" is not in the repository",
			"apps/paddle-inference/app.yaml:11:3: App/paddle-inference: spec.placement: cluster dr-us-east-2, which the placement admits, has no on-demand price",
		}},
		{"impossible objective", func(t *testing.T, repo string) {
			// 13 ready at most 30 % per cluster: 3 in each of the 3
			// clusters planned (the DR site's standby is not).
			replaceIn(t, filepath.Join(repo, "apps", "paddle-inference", "app.yaml"), "      minReady: 12\n", "      minReady: 13\n")
			replaceIn(t, filepath.Join(repo, "apps", "paddle-inference", "app.yaml"), "      maxClusterPercent: 60\n", "      maxClusterPercent: 30\n")
		}, []string{"--write"}, ExitFindings, []string{
			"apps/paddle-inference/app.yaml:76:5: App/paddle-inference: spec.spot.objective: the objective cannot be met: 13 replicas, but its 3 known clusters hold at most 9 under the caps",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo := spotFleet(t)
			c.edit(t, repo)
			before := worktree(t, repo)
			args := append([]string{"spot", "rebalance", "--repo", repo, "--signals", filepath.Join(repo, "spot", "signals.yaml"), "--now", spotNow}, c.flags...)
			code, out, errOut := run(t, args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if after := worktree(t, repo); !maps.Equal(before, after) {
				for p := range after {
					if before[p] != after[p] {
						t.Errorf("%s changed", p)
					}
				}
			}
		})
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, text...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not hold %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSpotRebalanceUsage(t *testing.T) {
	for _, args := range [][]string{
		{"spot", "rebalance"},
		{"spot", "rebalance", "--signals", "x.yaml", "--write", "--commit"},
		{"spot", "rebalance", "--signals", "x.yaml", "--now", "yesterday"},
		{"spot", "rebalance", "--signals", "x.yaml", "-o", "html"},
		{"spot", "simulate"},
		{"spot", "simulate", "--signals", "x.yaml", "--from", "2025-03-03T00:00:00Z", "--to", "2025-03-02T00:00:00Z"},
	} {
		if code, _, errOut := run(t, args...); code != ExitInput {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errOut)
		}
	}
}

// TestSpotSimulateExampleFleet replays the example signals against the
// example fleet: all seven policies, Markdown and JSON, and the report
// files.
func TestSpotSimulateExampleFleet(t *testing.T) {
	dir := t.TempDir()
	signals := filepath.Join(exampleFleet, "spot", "signals.yaml")
	code, out, errOut := run(t, "spot", "simulate", "--repo", exampleFleet, "--signals", signals, "--report-dir", dir)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, p := range []string{"on-demand", "static-weights", "karpenter", "karmada-dynamic", "spothedge", "flotilla", "oracle"} {
		if !strings.Contains(out, "| "+p+" |") {
			t.Errorf("the table lacks %s:\n%s", p, out)
		}
	}
	for _, want := range []string{"spot simulate: replay", "replayed as on-demand"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	for _, f := range []string{"report.md", "report.json", "report.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	code, js, _ := run(t, "spot", "simulate", "--repo", exampleFleet, "--signals", signals, "-o", "json", "--from", "2025-03-02T00:00:00Z", "--to", "2025-03-04T00:00:00Z")
	var res struct {
		Days     float64 `json:"days"`
		Policies []struct {
			Policy string `json:"policy"`
		} `json:"policies"`
	}
	if code != ExitOK || json.Unmarshal([]byte(js), &res) != nil || len(res.Policies) != 7 || res.Days != 2 {
		t.Errorf("json: exit %d, %+v", code, res)
	}
}
