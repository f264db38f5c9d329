package hostile

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// Defect 3: code from the repository runs. A committed .fleet/kubeconfig
// whose user runs an exec plugin; before, live commands preferred it to
// the user's own and the plugin ran on the first request.
func TestRepositoryKubeconfigPluginNeverRuns(t *testing.T) {
	f := newFleet(t, minimalFleet)
	marker := filepath.Join(t.TempDir(), "plugin-ran")
	f.write(".fleet/kubeconfig", []byte(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: /bin/sh
      args: ["-c", "touch `+marker+`; echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}'"]
contexts:
- name: karmada-apiserver
  context: {cluster: c, user: u}
- name: x
  context: {cluster: c, user: u}
current-context: karmada-apiserver
`))
	f.commit("a kubeconfig that runs a program")
	before := f.renderedHash()
	ignored := ".fleet/kubeconfig: not written by `flotilla fleet up` on this machine"
	named := "a kubeconfig in the repository is used only when named with --kubeconfig or $KUBECONFIG"
	for _, args := range [][]string{
		{"rollout", "status"},
		{"apply", "--yes"},
		{"place", "--context", "x"},
	} {
		r := f.probe("repo-kubeconfig-"+args[0], args...)
		f.expectRefused(r, 2, before, ignored, named, "no kubeconfig: name a kubeconfig with --kubeconfig or $KUBECONFIG, or start the local fleet with `flotilla fleet up`")
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("flotilla %s ran the repository kubeconfig's exec plugin", strings.Join(args, " "))
		}
	}

	// With a kubeconfig of the user's own, that one is used, and said so.
	own := filepath.Join(f.Home, ".kube", "config")
	if err := os.MkdirAll(filepath.Dir(own), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(own, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: mine}}]
contexts: [{name: karmada-apiserver, context: {cluster: c, user: u}}]
current-context: karmada-apiserver
`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := f.probe("repo-kubeconfig-own", "rollout", "status")
	f.expectRefused(r, 2, before, ignored, "using kubeconfig "+own+"\n", "127.0.0.1:1")
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("rollout status ran the repository kubeconfig's exec plugin")
	}
}

// Defect 3, the fleet's state: a committed .fleet/state.json named a
// process for `fleet down` to kill and a folder for it to remove, and
// `fleet env` printed its paths into a line the user evals.
func TestRepositoryFleetStateIsRefused(t *testing.T) {
	f := newFleet(t, minimalFleet)
	victim := t.TempDir()
	canary := filepath.Join(victim, "keep")
	if err := os.WriteFile(canary, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A process group of its own, as the fleet's components have: what
	// fleet down signals.
	sleeper := exec.Command("sleep", "300")
	sleeper.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	marker := filepath.Join(t.TempDir(), "eval-ran")
	f.write(".fleet/state.json", []byte(`{"dir": "`+victim+`", "token": "guess",
  "kubeconfig": "$(touch `+marker+`)",
  "components": [{"name": "etcd-x", "role": "etcd", "binary": "/bin/sh", "args": ["-c", "touch `+marker+`"], "pid": `+strconv.Itoa(sleeper.Process.Pid)+`}]}`))
	f.commit("a fleet state that is not flotilla's")
	before := f.renderedHash()
	for _, cmd := range []string{"down", "env", "status"} {
		r := f.probe("repo-fleet-state-"+cmd, "fleet", cmd)
		f.expectRefused(r, 2, before, ".fleet/state.json: not written by `flotilla fleet up` on this machine")
		if strings.Contains(r.Stdout, "export") {
			t.Errorf("fleet %s printed export lines from a committed state:\n%s", cmd, r.Stdout)
		}
	}
	if err := sleeper.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("fleet down killed a process a committed state.json named: %v", err)
	}
	if _, err := os.Stat(canary); err != nil {
		t.Errorf("fleet down removed a folder a committed state.json named: %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a program a committed state.json named ran")
	}
}

// httpListener counts the connections made to a socket on 127.0.0.1 and
// answers each with an empty JSON object.
func httpListener(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &atomic.Int32{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"))
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String(), n
}

// leakRule is a rule of the pack's conventions whose body calls http.send
// for every object; leakTest a policy test that does.
func leakRule(addr string) string {
	return `package flotilla.leak

# METADATA
# title: Leak
# custom:
#   id: LEAK-001
#   severity: error
#   scope: object
leak contains v if {
	resp := http.send({"method": "POST", "url": "http://` + addr + `/x", "body": input.review.object})
	resp.status_code == 999
	v := {"msg": "never"}
}
`
}

func leakTest(addr string) string {
	return `package flotilla.leak_test

test_reaches_out if {
	r := http.send({"method": "GET", "url": "http://` + addr + `/t"})
	r.status_code == 200
}
`
}

// Defect 4: the policy pack reaches the network. A Rego file calling
// http.send to a listening socket, in policies/ and in a --policy folder:
// policy test, lint and check refuse it at its file:line:col, and no
// connection is made.
func TestPolicyHTTPSendIsRefused(t *testing.T) {
	addr, accepted := httpListener(t)
	f := newFleet(t, minimalFleet)
	f.write("policies/leak.rego", []byte(leakRule(addr)))
	f.write("policies/leak_test.rego", []byte(leakTest(addr)))
	f.write("team-policies/leak.rego", []byte(strings.ReplaceAll(leakRule(addr), "LEAK-001", "LEAK-002")))
	f.write("team-policies/leak_test.rego", []byte(leakTest(addr)))
	f.commit("policies that reach out")
	before := f.renderedHash()
	rule := "policies/leak.rego:10:10: calls built-in http.send, which flotilla refuses"
	test := "policies/leak_test.rego:4:7: calls built-in http.send, which flotilla refuses"
	for _, args := range [][]string{
		{"policy", "test"},
		{"lint"},
		{"check"},
	} {
		r := f.probe("policy-http-send-"+args[0], args...)
		f.expectRefused(r, 2, before, rule, test)
	}
	// A --policy folder, with the built-in pack (policies/ moved away).
	if err := os.Rename(f.path("policies"), f.path("moved")); err != nil {
		t.Fatal(err)
	}
	before = f.renderedHash() // the repository's top lists policies/ no more
	for _, args := range [][]string{
		{"policy", "test", "--policy", "team-policies"},
		{"lint", "--policy", "team-policies"},
		{"check", "--policy", "team-policies"},
	} {
		r := f.probe("policy-http-send-flag-"+args[0], args...)
		f.expectRefused(r, 2, before, "team-"+rule, "team-"+test)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connection(s) made to the policies' socket", n)
	}
}

const (
	hostileToken    = "tok-5eed-never-printed-0123"
	hostilePassword = "pw-5eed-never-printed"
)

// Defect 5: credentials go where they should not. The GitHub API's Link
// rel="next" points at another port, which recorded the Bearer token;
// and an API URL with userinfo was printed with its password.
func TestPlanPostKeepsTheToken(t *testing.T) {
	f := newFleet(t, minimalFleet)
	data, err := os.ReadFile(f.path("apps/web/manifests/deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.write("apps/web/manifests/deployment.yaml", []byte(strings.Replace(string(data), "web:1.2.3", "web:1.2.4", 1)))
	var mu sync.Mutex
	var received []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		received = append(received, r.Method+" "+r.URL.String()+" Authorization: "+r.Header.Get("Authorization"))
		_, _ = w.Write([]byte("[]"))
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+hostileToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Add("Link", "<"+elsewhere.URL+"/repos/o/r/issues/3/comments?page=2>; rel=\"next\"")
		_, _ = w.Write([]byte(`[{"id":1,"body":"hi"}]`))
	}))
	defer api.Close()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Bad credentials: ` + r.Header.Get("Authorization") + `"}`))
	}))
	defer echo.Close()
	before := f.renderedHash()
	post := func(name, apiURL string) result {
		r := f.runEnv([]string{"GITHUB_API_URL=" + apiURL, "GITHUB_REPOSITORY=o/r", "GITHUB_TOKEN=" + hostileToken},
			"plan", "--base", "main", "--lint=false", "--post", "github", "--pr", "3")
		figures.add(name, "plan --post github", r)
		for _, s := range []string{hostileToken, hostilePassword} {
			if strings.Contains(r.Output(), s) {
				t.Errorf("%s: flotilla printed %q:\n%s", name, s, r.Output())
			}
		}
		return r
	}
	r := post("post-foreign-next-link", api.URL)
	f.expectRefused(r, 2, before, "pagination link (Link rel=\"next\") points at "+elsewhere.URL+", not the API host "+api.URL)
	withUser := strings.Replace(echo.URL, "http://", "http://x:"+hostilePassword+"@", 1)
	r = post("post-userinfo", withUser)
	f.expectRefused(r, 2, before, "GET http://***@"+strings.TrimPrefix(echo.URL, "http://")+"/repos/o/r/issues/3/comments", "401 Unauthorized", "Bearer ***")
	mu.Lock()
	defer mu.Unlock()
	if len(received) > 0 {
		t.Errorf("the server the next link named was asked: %q", received)
	}
}
