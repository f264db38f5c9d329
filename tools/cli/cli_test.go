package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	QuietLibraryLoggers()
	// Results the commands keep between runs go to a folder of this test
	// binary's, not the user's cache: no test depends on what an earlier
	// run left, and none leaves anything behind.
	cache, err := os.MkdirTemp("", "flotilla-cli-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}

const minimalFleet = "../../tests/fleets/minimal"

func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

// snapshot reads every file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			m[p] = string(data)
		}
		return nil
	})
	return m
}

func TestRenderWritesThenCheckIsCleanThenCatchesHandEdit(t *testing.T) {
	repo := copyTree(t, minimalFleet)
	code, out, errOut := run(t, "render", "--repo", repo)
	if code != ExitOK {
		t.Fatalf("render: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, "render", "--repo", repo, "--check"); code != ExitOK || !strings.Contains(out, "up to date") {
		t.Fatalf("render --check right after render: exit %d\n%s", code, out)
	}
	// Twice gives the same bytes.
	before := snapshot(t, filepath.Join(repo, "rendered"))
	run(t, "render", "--repo", repo)
	if after := snapshot(t, filepath.Join(repo, "rendered")); len(after) != len(before) {
		t.Fatalf("second render changed the file set")
	} else {
		for p, data := range before {
			if after[p] != data {
				t.Errorf("second render changed %s", p)
			}
		}
	}
	edited := filepath.Join(repo, "rendered", "cp", "apps", "web", "deployment-web.yaml")
	if err := os.WriteFile(edited, []byte("# hand edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "render", "--repo", repo, "--check")
	if code != ExitFindings || !strings.Contains(out, "modified rendered/cp/apps/web/deployment-web.yaml") {
		t.Fatalf("render --check after a hand edit: exit %d, want 1 naming the file\n%s", code, out)
	}
}

func TestBrokenIntentExitsTwoAndLeavesRenderedUntouched(t *testing.T) {
	repo := copyTree(t, minimalFleet)
	if code, out, errOut := run(t, "render", "--repo", repo); code != ExitOK {
		t.Fatalf("render: exit %d\n%s%s", code, out, errOut)
	}
	before := snapshot(t, filepath.Join(repo, "rendered"))
	// An unknown field in one file and a duplicate cluster in another: both
	// are reported in one run.
	data, _ := os.ReadFile(filepath.Join(repo, "clusters", "cloud-a.yaml"))
	os.WriteFile(filepath.Join(repo, "clusters", "copy.yaml"), bytes.Replace(data, []byte("zone: eu-west-1a\n"), []byte("zone: eu-west-1b\n"), 1), 0o644)
	edge := filepath.Join(repo, "clusters", "edge-x.yaml")
	data, _ = os.ReadFile(edge)
	os.WriteFile(edge, bytes.Replace(data, []byte("  region: site-x\n"), []byte("  region: site-x\n  zonee: typo\n"), 1), 0o644)
	code, _, errOut := run(t, "render", "--repo", repo)
	if code != ExitInput {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	for _, want := range []string{
		`clusters/edge-x.yaml:9:3: Cluster/edge-x: spec.zonee: unknown field "spec.zonee"`,
		`clusters/copy.yaml:4:3: Cluster/cloud-a: metadata.name: duplicate Cluster/cloud-a: names are unique across the repository (see clusters/cloud-a.yaml:4)`,
		"2 errors",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	after := snapshot(t, filepath.Join(repo, "rendered"))
	if len(after) != len(before) {
		t.Fatalf("rendered/ changed: %d files, had %d", len(after), len(before))
	}
	for p, d := range before {
		if after[p] != d {
			t.Errorf("rendered/ changed: %s", p)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"render", "--no-such-flag"},
		{"validate", "-o", "yaml", "--repo", minimalFleet},
		{"render", "--repo", t.TempDir()},
	} {
		if code, _, _ := run(t, args...); code != ExitInput {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestPlaceJSONShowsWeightedSplit(t *testing.T) {
	code, out, errOut := run(t, "place", "--repo", minimalFleet, "--app", "web", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var doc struct {
		Placements []struct {
			Object  string `json:"object"`
			Targets []struct {
				Cluster  string `json:"cluster"`
				Replicas int32  `json:"replicas"`
			} `json:"targets"`
		} `json:"placements"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Placements) != 1 || doc.Placements[0].Object != "Deployment/web/web" {
		t.Fatalf("placements = %+v", doc.Placements)
	}
	got := map[string]int32{}
	for _, tg := range doc.Placements[0].Targets {
		got[tg.Cluster] = tg.Replicas
	}
	// 6 replicas at static weights 2:1.
	if got["cloud-a"] != 4 || got["cloud-b"] != 2 || len(got) != 2 {
		t.Errorf("targets = %v, want cloud-a=4 cloud-b=2", got)
	}
}

func TestVersionNamesEngines(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != ExitOK || !strings.HasPrefix(out, "flotilla ") {
		t.Fatalf("exit %d: %s", code, out)
	}
}
