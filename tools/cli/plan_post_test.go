package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeGitHub is an in-memory GitHub issue-comments API (GitHub cannot run
// on this machine); prcomment's own tests cover pagination, GitLab and
// errors in depth. This one holds the CLI's wiring: flags and environment
// in, comments out, updated in place on the next run.
type fakeGitHub struct {
	mu       sync.Mutex
	comments map[int64]string
	order    []int64
	next     int64
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var in struct{ Body string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/repos/o/r/issues/3/comments":
		var out []map[string]any
		for _, id := range f.order {
			out = append(out, map[string]any{"id": id, "body": f.comments[id]})
		}
		_ = json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && r.URL.Path == "/repos/o/r/issues/3/comments":
		f.next++
		f.comments[f.next] = in.Body
		f.order = append(f.order, f.next)
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/repos/o/r/issues/comments/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/repos/o/r/issues/comments/"), 10, 64)
		f.comments[id] = in.Body
	default:
		http.NotFound(w, r)
	}
}

func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestPlanPostsToGitHubAndUpdatesInPlace(t *testing.T) {
	root := copyTree(t, minimalFleet)
	gitIn(t, root, "init", "-q", "-b", "main")
	gitIn(t, root, "add", ".")
	gitIn(t, root, "commit", "-q", "-m", "base")
	manifest := filepath.Join(root, "apps", "web", "manifests", "deployment.yaml")
	edit := func(from, to string) {
		t.Helper()
		data, err := os.ReadFile(manifest)
		if err != nil || !bytes.Contains(data, []byte(from)) {
			t.Fatalf("%s holds no %q: %v", manifest, from, err)
		}
		if err := os.WriteFile(manifest, bytes.Replace(data, []byte(from), []byte(to), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gh := &fakeGitHub{comments: map[int64]string{}}
	srv := httptest.NewServer(gh)
	defer srv.Close()
	env := map[string]string{"GITHUB_API_URL": srv.URL, "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": "tok"}
	post := func() (int, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), []string{"--repo", root, "plan", "--base", "main", "--lint=false", "--post", "github", "--pr", "3"},
			IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(k string) string { return env[k] }})
		return code, errOut.String()
	}

	edit("web:1.2.3", "web:1.2.4")
	if code, errOut := post(); code != 0 || !strings.Contains(errOut, "/o/r#3: 1 created") {
		t.Fatalf("first post: exit %d, %s", code, errOut)
	}
	edit("web:1.2.4", "web:1.2.5")
	if code, errOut := post(); code != 0 || !strings.Contains(errOut, "0 created, 1 updated") {
		t.Fatalf("second post: exit %d, %s", code, errOut)
	}
	if len(gh.order) != 1 {
		t.Fatalf("%d comments; the second run should update the first in place", len(gh.order))
	}
	body := gh.comments[gh.order[0]]
	if !strings.HasPrefix(body, "<!-- flotilla-plan part 1/1 -->") || !strings.Contains(body, "web:1.2.5") || strings.Contains(body, "web:1.2.4") {
		t.Errorf("comment is not the latest plan:\n%s", body)
	}

	delete(env, "GITHUB_TOKEN")
	if code, errOut := post(); code != 2 || !strings.Contains(errOut, "GITHUB_TOKEN") {
		t.Errorf("without a token: exit %d, %s; want 2 naming GITHUB_TOKEN", code, errOut)
	}
}
