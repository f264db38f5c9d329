package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeTyposExample runs the README's example of bad intent — the
// minimal fleet "with two typos introduced" (spec.region misspelt on
// cloud-a, a string for cloud-b's node count) — and compares what
// flotilla prints and its exit code with what the README shows.
func TestReadmeTyposExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "$ flotilla render --repo tests/fleets/minimal     # with two typos introduced\n"
	_, block, ok := strings.Cut(string(readme), cmd)
	if !ok {
		t.Fatalf("the README no longer shows %q", cmd)
	}
	shown, rest, ok := strings.Cut(block, "$ echo $?\n")
	if !ok {
		t.Fatal("the README's example does not end with `echo $?`")
	}
	wantCode := strings.SplitN(rest, "\n", 2)[0]

	root := copyTree(t, minimalFleet)
	edit := func(file, from, to string) {
		t.Helper()
		path := filepath.Join(root, file)
		data, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(data, []byte(from)) {
			t.Fatalf("%s holds no %q: %v", file, from, err)
		}
		if err := os.WriteFile(path, bytes.Replace(data, []byte(from), []byte(to), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("clusters/cloud-a.yaml", "  region: eu-west-1\n", "  regoin: eu-west-1\n")
	edit("clusters/cloud-b.yaml", "    nodes: 10\n", "    nodes: string\n")
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"--repo", root, "render"}, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	if got := out.String() + errOut.String(); got != shown {
		t.Errorf("flotilla printed:\n%s\nthe README shows:\n%s", got, shown)
	}
	if wantCode != "2" || code != 2 {
		t.Errorf("exit %d; the README shows %s", code, wantCode)
	}
}

// TestIntentCommentsNameRenderedFilesThatExist: the example fleet's intent
// comments point readers at rendered files; each must exist (fleet.yaml
// once named rendered/argocd/appproject.yaml, rendered as
// appproject-fleet.yaml).
func TestIntentCommentsNameRenderedFilesThatExist(t *testing.T) {
	repo := "../.."
	var files []string
	for _, pattern := range []string{"fleet.yaml", "apps/*/app.yaml", "clusters/*.yaml", "edge/*.yaml", "backup/*/*.yaml", "README.md", "docs/*.md"} {
		m, err := filepath.Glob(filepath.Join(repo, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	named := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range renderedPathRE.FindAllString(string(data), -1) {
			named++
			if _, err := os.Stat(filepath.Join(repo, p)); err != nil {
				t.Errorf("%s names %s, which is not rendered", f, p)
			}
		}
	}
	if named == 0 {
		t.Error("no comment names a rendered file: the test checks nothing")
	}
}

var renderedPathRE = regexp.MustCompile(`rendered/[A-Za-z0-9_./-]+\.(?:yaml|json|md)`)

// TestReadmeDemoTable: the placement table the README shows for `make
// demo` is what `flotilla place` prints for the repository, down to the
// cluster legend.
func TestReadmeDemoTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```\nAPP                    OBJECT")
	if !ok {
		t.Fatal("the README no longer shows the placement table")
	}
	shown, _, _ := strings.Cut("APP                    OBJECT"+block, "\nleft out:\n")
	code, out, errOut := run(t, "--repo", "../..", "place")
	if code != 0 {
		t.Fatalf("place: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, shown+"\nleft out:\n") {
		t.Errorf("flotilla place prints:\n%s\nthe README shows:\n%s", out, shown)
	}
}
