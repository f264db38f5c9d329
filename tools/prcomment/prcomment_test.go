package prcomment

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// service is an in-memory stand-in for the GitHub and GitLab comment
// APIs: neither service can run on this machine, so the tests hold the
// clients to the documented endpoints, headers, pagination and error
// bodies instead. Pages hold two comments, so listing must paginate.
type service struct {
	mu       sync.Mutex
	comments []Comment
	nextID   int64
	writes   []string // "POST", "PATCH 3"...
	failWith int      // status for every write, when set
	t        *testing.T
}

func (s *service) seed(bodies ...string) {
	for _, b := range bodies {
		s.nextID++
		s.comments = append(s.comments, Comment{ID: s.nextID, Body: b})
	}
}

func (s *service) bodies() []string {
	var out []string
	for _, c := range s.comments {
		out = append(out, c.Body)
	}
	return out
}

// handle serves list (paged), create, update and delete. list is the
// collection path, item the prefix of one comment's path.
func (s *service) handle(w http.ResponseWriter, r *http.Request, list, item string, authOK bool, paginate func(w http.ResponseWriter, r *http.Request, page, last int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !authOK {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Bad credentials"}`))
		return
	}
	if r.Method != http.MethodGet && s.failWith != 0 {
		w.WriteHeader(s.failWith)
		_, _ = w.Write([]byte(`{"message":"Resource not accessible by integration"}`))
		return
	}
	var in struct{ Body string }
	if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut {
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&in) != nil {
			http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
			return
		}
	}
	switch {
	case r.URL.Path == list && r.Method == http.MethodGet:
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page == 0 {
			page = 1
		}
		last := (len(s.comments) + 1) / 2
		from, to := min((page-1)*2, len(s.comments)), min(page*2, len(s.comments))
		paginate(w, r, page, last)
		_ = json.NewEncoder(w).Encode(s.comments[from:to])
	case r.URL.Path == list && r.Method == http.MethodPost:
		s.nextID++
		s.comments = append(s.comments, Comment{ID: s.nextID, Body: in.Body})
		s.writes = append(s.writes, "POST")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{}`))
	case strings.HasPrefix(r.URL.Path, item):
		id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, item), 10, 64)
		i := slices.IndexFunc(s.comments, func(c Comment) bool { return c.ID == id })
		if err != nil || i < 0 {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		s.writes = append(s.writes, r.Method+" "+strconv.FormatInt(id, 10))
		switch r.Method {
		case http.MethodDelete:
			s.comments = slices.Delete(s.comments, i, i+1)
			w.WriteHeader(http.StatusNoContent)
		default:
			s.comments[i].Body = in.Body
			_, _ = w.Write([]byte(`{}`))
		}
	default:
		s.t.Errorf("unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

func githubFake(t *testing.T) (*service, *GitHub) {
	s := &service{t: t}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := r.Header.Get("Authorization") == "Bearer "+testToken && r.Header.Get("X-GitHub-Api-Version") != ""
		s.handle(w, r, "/repos/o/r/issues/7/comments", "/repos/o/r/issues/comments/", ok, func(w http.ResponseWriter, r *http.Request, page, last int) {
			if page < last {
				w.Header().Add("Link", fmt.Sprintf(`<%s/repos/o/r/issues/7/comments?per_page=100&page=%d>; rel="next", <%s/repos/o/r/issues/7/comments?page=%d>; rel="last"`, srv.URL, page+1, srv.URL, last))
			}
		})
	}))
	t.Cleanup(srv.Close)
	return s, &GitHub{APIURL: srv.URL, Repo: "o/r", Number: 7, Token: testToken, Client: srv.Client()}
}

func gitlabFake(t *testing.T) (*service, *GitLab) {
	s := &service{t: t}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := r.Header.Get("PRIVATE-TOKEN") == testToken
		if r.Method == http.MethodGet && r.URL.Query().Get("sort") != "asc" {
			t.Errorf("notes listed without sort=asc: %s", r.URL)
		}
		s.handle(w, r, "/api/v4/projects/group/app/merge_requests/7/notes", "/api/v4/projects/group/app/merge_requests/7/notes/", ok, func(w http.ResponseWriter, r *http.Request, page, last int) {
			if page < last {
				w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
			} else {
				w.Header().Set("X-Next-Page", "")
			}
		})
	}))
	t.Cleanup(srv.Close)
	return s, &GitLab{APIURL: srv.URL + "/api/v4", Project: "group/app", MR: 7, Token: testToken, Client: srv.Client()}
}

func part(i, n int, text string) string {
	return fmt.Sprintf("<!-- flotilla-plan part %d/%d -->\n%s", i, n, text)
}

func TestSync(t *testing.T) {
	for name, fake := range map[string]func(*testing.T) (*service, Thread){
		"github": func(t *testing.T) (*service, Thread) { s, g := githubFake(t); return s, g },
		"gitlab": func(t *testing.T) (*service, Thread) { s, g := gitlabFake(t); return s, g },
	} {
		t.Run(name, func(t *testing.T) {
			s, th := fake(t)
			ctx := context.Background()
			s.seed("LGTM", "<!-- other-bot part 1/1 -->\nnot ours", "nice")

			first := []string{part(1, 3, "a"), part(2, 3, "b"), part(3, 3, "c")}
			res, err := Sync(ctx, th, "flotilla-plan", first)
			if err != nil {
				t.Fatal(err)
			}
			if res != (Result{Created: 3}) {
				t.Errorf("first post: %v", res)
			}
			s.writes = nil
			if res, err = Sync(ctx, th, "flotilla-plan", first); err != nil || res != (Result{Unchanged: 3}) || len(s.writes) != 0 {
				t.Errorf("same report again: %v, %v, writes %v", res, err, s.writes)
			}

			// A shorter report: part 1 changes, 2 stays, 3 goes; a
			// duplicate of part 2 (two jobs raced) goes too.
			s.seed(part(2, 3, "b"))
			second := []string{part(1, 2, "A"), part(2, 2, "b")}
			s.comments[4].Body = part(2, 2, "b") // the 2/3 → 2/2 header is the only change
			res, err = Sync(ctx, th, "flotilla-plan", second)
			if err != nil {
				t.Fatal(err)
			}
			if res != (Result{Updated: 1, Unchanged: 1, Deleted: 2}) {
				t.Errorf("second post: %v", res)
			}
			want := []string{"LGTM", "<!-- other-bot part 1/1 -->\nnot ours", "nice", part(1, 2, "A"), part(2, 2, "b")}
			if got := s.bodies(); !slices.Equal(got, want) {
				t.Errorf("thread:\n%q\nwant\n%q", got, want)
			}

			s.failWith = http.StatusForbidden
			_, err = Sync(ctx, th, "flotilla-plan", []string{part(1, 1, "new")})
			if err != nil {
				shown(t, "error", err.Error())
			}
			if err == nil || !strings.Contains(err.Error(), "update comment") || !strings.Contains(err.Error(), "403") ||
				!strings.Contains(err.Error(), "Resource not accessible by integration") || !strings.Contains(err.Error(), th.String()) {
				t.Errorf("a refused write: %v", err)
			}
		})
	}
}

func TestSyncRefusesPartsWithoutTheirMarker(t *testing.T) {
	_, g := githubFake(t)
	if _, err := Sync(context.Background(), g, "flotilla-plan", []string{part(2, 2, "x")}); err == nil {
		t.Fatal("a part numbered wrongly should be refused before anything is posted")
	}
}

func TestBadCredentials(t *testing.T) {
	_, g := githubFake(t)
	g.Token = "wrong-token-value"
	_, err := Sync(context.Background(), g, "flotilla-plan", []string{part(1, 1, "x")})
	if err != nil {
		shown(t, "error", err.Error())
	}
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "Bad credentials") || !strings.Contains(err.Error(), "list comments") {
		t.Fatalf("err = %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"action":"synchronize","pull_request":{"number":42}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	g, err := GitHubFromEnv(env(map[string]string{"GITHUB_REPOSITORY": "o/r", "GH_TOKEN": "t", "GITHUB_EVENT_PATH": event}), 0)
	if err != nil || g.Number != 42 || g.APIURL != "https://api.github.com" || g.Token != "t" || g.String() != "github.com/o/r#42" {
		t.Errorf("github from env: %+v, %v", g, err)
	}
	if g, err := GitHubFromEnv(env(map[string]string{"GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": "t"}), 9); err != nil || g.Number != 9 {
		t.Errorf("--pr should give the number: %+v, %v", g, err)
	}
	_, err = GitHubFromEnv(env(map[string]string{}), 0)
	if err == nil || !strings.Contains(err.Error(), "GITHUB_REPOSITORY") || !strings.Contains(err.Error(), "GITHUB_TOKEN") || !strings.Contains(err.Error(), "pull request number") {
		t.Errorf("missing everything: %v", err)
	}
	l, err := GitLabFromEnv(env(map[string]string{"CI_API_V4_URL": "https://gitlab.example.com/api/v4", "CI_PROJECT_ID": "12", "CI_MERGE_REQUEST_IID": "5", "GITLAB_TOKEN": "t"}), 0)
	if err != nil || l.MR != 5 || l.String() != "gitlab.example.com project 12 !5" {
		t.Errorf("gitlab from env: %+v, %v", l, err)
	}
	if _, err := GitLabFromEnv(env(map[string]string{"CI_MERGE_REQUEST_IID": "x"}), 0); err == nil {
		t.Error("a non-numeric IID should be an error")
	}
	_, err = GitLabFromEnv(env(map[string]string{}), 0)
	if err == nil || !strings.Contains(err.Error(), "GITLAB_TOKEN") || !strings.Contains(err.Error(), "CI_PROJECT_ID") {
		t.Errorf("missing everything: %v", err)
	}
}

func TestNextLink(t *testing.T) {
	h := http.Header{}
	h.Add("Link", `<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next"`)
	if got := nextLink(h); got != "https://api.github.com/x?page=3" {
		t.Errorf("nextLink = %q", got)
	}
	if got := nextLink(http.Header{}); got != "" {
		t.Errorf("no Link: %q", got)
	}
}
