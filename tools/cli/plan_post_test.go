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
	if r.Header.Get("Authorization") != "Bearer "+postToken {
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

// postToken is the fake API's token: long, and of no known token shape,
// so only flotilla's own redaction of the tokens it is given can take it
// out of a message.
const postToken = "tok-51c0ffee-never-printed"

// postPassword is the password of an API URL with userinfo.
const postPassword = "pw-8e2a-never-printed"

// noSecrets fails the test if the output of a run holds the token or the
// password.
func noSecrets(t *testing.T, output string) {
	t.Helper()
	for _, s := range []string{postToken, postPassword} {
		if strings.Contains(output, s) {
			t.Errorf("flotilla printed the secret %q:\n%s", s, output)
		}
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
	env := map[string]string{"GITHUB_API_URL": srv.URL, "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": postToken}
	post := func() (int, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), []string{"--repo", root, "plan", "--base", "main", "--lint=false", "--post", "github", "--pr", "3"},
			IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(k string) string { return env[k] }})
		noSecrets(t, out.String()+errOut.String())
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

// The API URL carries userinfo and the API's Link sends the next page to
// another port: the post fails naming the foreign origin, the other
// server is never asked, and nothing flotilla prints holds the password
// or the token.
func TestPlanPostKeepsCredentials(t *testing.T) {
	root := copyTree(t, minimalFleet)
	gitIn(t, root, "init", "-q", "-b", "main")
	gitIn(t, root, "add", ".")
	gitIn(t, root, "commit", "-q", "-m", "base")
	manifest := filepath.Join(root, "apps", "web", "manifests", "deployment.yaml")
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, bytes.Replace(data, []byte("web:1.2.3"), []byte("web:1.2.4"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var leaked []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		leaked = append(leaked, r.Method+" "+r.URL.String()+" Authorization="+r.Header.Get("Authorization"))
		_, _ = w.Write([]byte("[]"))
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "<"+elsewhere.URL+"/repos/o/r/issues/3/comments?page=2>; rel=\"next\"")
		_, _ = w.Write([]byte("[]"))
	}))
	defer api.Close()
	// A service that answers 401 and echoes the credentials it was sent.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Bad credentials: ` + r.Header.Get("Authorization") + `"}`))
	}))
	defer echo.Close()
	post := func(apiURL string) (int, string) {
		env := map[string]string{"GITHUB_API_URL": strings.Replace(apiURL, "http://", "http://x:"+postPassword+"@", 1), "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": postToken}
		var out, errOut bytes.Buffer
		code := Run(context.Background(), []string{"--repo", root, "plan", "--base", "main", "--lint=false", "--post", "github", "--pr", "3"},
			IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(k string) string { return env[k] }})
		noSecrets(t, out.String()+errOut.String())
		return code, errOut.String()
	}
	if code, errOut := post(api.URL); code == 0 || !strings.Contains(errOut, "points at "+elsewhere.URL) {
		t.Errorf("exit %d; want a refusal naming %s:\n%s", code, elsewhere.URL, errOut)
	}
	if code, errOut := post(echo.URL); code == 0 || !strings.Contains(errOut, "GET http://***@127.0.0.1") || !strings.Contains(errOut, "Bad credentials: Bearer ***") {
		t.Errorf("exit %d; want the API's refusal with the URL's userinfo and the token masked:\n%s", code, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) > 0 {
		t.Errorf("the other server was asked: %q", leaked)
	}
}
