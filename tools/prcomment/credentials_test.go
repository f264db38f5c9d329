package prcomment

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

// testToken is every fake service's token. It has no known token shape,
// so only the named-secret redaction can take it out of a message, and it
// is long enough to be found wherever it is printed.
const testToken = "tok-0f9b6c1e-never-printed"

// testPassword is the password of API URLs with userinfo.
const testPassword = "pw-7d1c-never-printed"

// TestMain runs the package's tests with stdout and stderr captured, and
// fails the run if anything they printed — logs, failures, the summary —
// holds the token or the password.
func TestMain(m *testing.M) {
	os.Exit(runScanned(m, testToken, testPassword))
}

func runScanned(m *testing.M, secrets ...string) int {
	stdout, stderr := os.Stdout, os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var seen bytes.Buffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(io.MultiWriter(stdout, &seen), r)
	}()
	os.Stdout, os.Stderr = w, w
	code := m.Run()
	os.Stdout, os.Stderr = stdout, stderr
	_ = w.Close()
	<-copied
	for _, s := range secrets {
		if bytes.Contains(seen.Bytes(), []byte(s)) {
			fmt.Fprintf(stderr, "FAIL: the tests' output holds the secret %q\n", s)
			code = 1
		}
	}
	return code
}

// shown is what a test does with every message it gets: log it (so the
// scan in TestMain sees it with -v) and check it holds no credential.
func shown(t *testing.T, what, msg string) {
	t.Helper()
	t.Logf("%s: %s", what, msg)
	for _, s := range []string{testToken, testPassword} {
		if strings.Contains(msg, s) {
			t.Errorf("%s shows the secret %q: %s", what, s, msg)
		}
	}
}

// recorder is a server that should never be reached: it records the
// requests it gets and their credential headers.
type recorder struct {
	mu   sync.Mutex
	hits []string
	srv  *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.hits = append(rec.hits, fmt.Sprintf("%s %s Authorization=%q PRIVATE-TOKEN=%q", r.Method, r.URL, r.Header.Get("Authorization"), r.Header.Get("PRIVATE-TOKEN")))
		_, _ = w.Write([]byte(`[]`))
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.hits...)
}

// A Link rel="next" that points at another origin (here: another port of
// the same host, which Go's redirect rules would treat as the same host)
// is refused, naming it; the other server is never asked.
func TestPaginationStaysOnTheAPIHost(t *testing.T) {
	elsewhere := newRecorder(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", fmt.Sprintf(`<%s/repos/o/r/issues/7/comments?page=2>; rel="next"`, elsewhere.srv.URL))
		_, _ = w.Write([]byte(`[{"id":1,"body":"hi"}]`))
	}))
	defer api.Close()
	g := &GitHub{APIURL: api.URL, Repo: "o/r", Number: 7, Token: testToken}
	_, err := g.Comments(context.Background())
	if err == nil {
		t.Fatal("a next link to another origin was followed")
	}
	shown(t, "error", err.Error())
	if !strings.Contains(err.Error(), "points at "+elsewhere.srv.URL) || !strings.Contains(err.Error(), "not the API host "+api.URL) {
		t.Errorf("the error should name the foreign origin and the API host: %v", err)
	}
	if hits := elsewhere.requests(); len(hits) != 0 {
		t.Errorf("the foreign server was asked: %q", hits)
	}

	// A relative link, and an absolute one on the API's own origin, are
	// followed.
	n := 0
	same := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if r.URL.Query().Get("page") == "" {
			w.Header().Add("Link", `</repos/o/r/issues/7/comments?page=2>; rel="next"`)
		}
		_, _ = fmt.Fprintf(w, `[{"id":%d,"body":"c"}]`, n)
	}))
	defer same.Close()
	g = &GitHub{APIURL: same.URL, Repo: "o/r", Number: 7, Token: testToken}
	if cs, err := g.Comments(context.Background()); err != nil || len(cs) != 2 {
		t.Errorf("a relative next link on the API host: %v, %v", cs, err)
	}
}

// A redirect to another origin is refused for both services: Go's client
// would keep the Authorization header on another port of the same host,
// and GitLab's PRIVATE-TOKEN on any host.
func TestRedirectStaysOnTheAPIHost(t *testing.T) {
	elsewhere := newRecorder(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.srv.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	for _, th := range []Thread{
		&GitHub{APIURL: api.URL, Repo: "o/r", Number: 7, Token: testToken},
		&GitLab{APIURL: api.URL + "/api/v4", Project: "g/p", MR: 7, Token: testToken},
	} {
		_, err := Sync(context.Background(), th, "flotilla-plan", []string{part(1, 1, "x")})
		if err == nil {
			t.Fatalf("%s: a redirect to another origin was followed", th)
		}
		shown(t, "error", err.Error())
		if !strings.Contains(err.Error(), "redirect points at "+elsewhere.srv.URL) {
			t.Errorf("%s: the error should name the foreign origin: %v", th, err)
		}
	}
	if hits := elsewhere.requests(); len(hits) != 0 {
		t.Errorf("the foreign server was asked: %q", hits)
	}
}

// An API URL with userinfo, a service that echoes the token back, and a
// service that cannot be reached: no message shows the password or the
// token.
func TestMessagesHoldNoCredentials(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, `{"message":"Bad credentials: %s%s"}`, r.Header.Get("Authorization"), r.Header.Get("PRIVATE-TOKEN"))
	}))
	defer echo.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	withUser := func(u string) string { return strings.Replace(u, "http://", "http://flotilla:"+testPassword+"@", 1) }
	for _, base := range []string{echo.URL, closed.URL} {
		for _, th := range []Thread{
			&GitHub{APIURL: withUser(base), Repo: "o/r", Number: 7, Token: testToken},
			&GitLab{APIURL: withUser(base) + "/api/v4", Project: "g/p", MR: 7, Token: testToken},
		} {
			shown(t, "thread", th.String())
			_, err := Sync(context.Background(), th, "flotilla-plan", []string{part(1, 1, "x")})
			if err == nil {
				t.Fatalf("%s: no error", th)
			}
			shown(t, "error", err.Error())
			if !strings.Contains(err.Error(), "http://***@127.0.0.1") {
				t.Errorf("the URL should still be named, its userinfo masked: %v", err)
			}
		}
	}
	// The pagination refusal names the foreign origin without its userinfo.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", `<http://x:`+testPassword+`@elsewhere.invalid/p?access_token=`+testToken+`>; rel="next"`)
		_, _ = w.Write([]byte(`[]`))
	}))
	defer api.Close()
	_, err := (&GitHub{APIURL: api.URL, Repo: "o/r", Number: 7, Token: testToken}).Comments(context.Background())
	if err == nil {
		t.Fatal("a next link to another origin was followed")
	}
	shown(t, "error", err.Error())
}
