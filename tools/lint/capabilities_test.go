package lint

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/flotilla-gitops/flotilla/tools/diag"
)

// listener is a socket on 127.0.0.1 that counts the connections a
// policy makes to it.
func listener(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = &atomic.Int32{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"))
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String(), accepted
}

// at is the "line:col" of the first occurrence of what in src.
func at(src, what string) string {
	i := strings.Index(src, what)
	line := strings.Count(src[:i], "\n") + 1
	col := i - strings.LastIndex(src[:i], "\n")
	return fmt.Sprintf("%d:%d", line, col)
}

func TestPoliciesCannotReachTheNetworkOrTheEnvironment(t *testing.T) {
	addr, accepted := listener(t)
	leak := strings.Replace(tagRule, `	not contains(c.image, ":")`, `	resp := http.send({"method": "GET", "url": "http://`+addr+`/x"})
	resp.status_code == 200
	not contains(c.image, ":")`, 1)
	env := `package flotilla.env

token := opa.runtime().env.GITHUB_TOKEN

stamp := time.now_ns()
`
	test := `package flotilla.images_test

import data.flotilla.images

test_mocked if {
	count(images.untagged) == 0 with http.send as {"status_code": 200}
}

test_direct if {
	r := http.send({"method": "GET", "url": "http://` + addr + `/t"})
	r.status_code == 200
}
`
	// Pure functions of their arguments stay, net.cidr_* among them.
	pure := `package flotilla.net

inside if net.cidr_contains("10.0.0.0/8", "10.1.2.3")
`
	_, err := pack(t, map[string]string{"images.rego": leak, "env.rego": env, "images_test.rego": test, "net.rego": pure})
	var list diag.List
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want a diag.List", err)
	}
	for _, want := range []string{
		"p/images.rego:" + at(leak, "http.send") + ": calls built-in http.send, which flotilla refuses",
		"p/env.rego:" + at(env, "opa.runtime") + ": calls built-in opa.runtime",
		"p/env.rego:" + at(env, "time.now_ns") + ": calls built-in time.now_ns",
		"p/images_test.rego:" + at(test, "with http.send") + ": replaces built-in http.send",
		"p/images_test.rego:" + at(test, "http.send({") + ": calls built-in http.send",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if len(list) != 5 {
		t.Errorf("%d errors, want 5 (net.cidr_contains is allowed):\n%v", len(list), err)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connection(s) made while loading the pack", n)
	}
	if _, err := pack(t, map[string]string{"images.rego": tagRule, "net.rego": pure}); err != nil {
		t.Errorf("a pack with only pure built-ins: %v", err)
	}
}

// The tester compiles the tests itself: it must get the same
// capabilities, whatever LoadPack checked before.
func TestPolicyTestsRunWithTheSameCapabilities(t *testing.T) {
	addr, accepted := listener(t)
	p, err := pack(t, map[string]string{"images.rego": tagRule})
	if err != nil {
		t.Fatal(err)
	}
	src := `package flotilla.images_test

test_reaches_out if {
	r := http.send({"method": "GET", "url": "http://` + addr + `/t"})
	r.status_code == 200
}
`
	m, err := ast.ParseModuleWithOpts("p/images_test.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	p.TestModules = map[string]*ast.Module{"p/images_test.rego": m}
	rep, err := Test(context.Background(), p)
	if err == nil {
		t.Errorf("a test calling http.send ran: %+v", rep)
	} else if !strings.Contains(err.Error(), "http.send") {
		t.Errorf("error does not name http.send: %v", err)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connection(s) made by policy tests", n)
	}
}

func TestRefusedBuiltinsAreTheIOAndNondeterministicOnes(t *testing.T) {
	got := RefusedBuiltins()
	for _, name := range []string{"http.send", "net.lookup_ip_addr", "opa.runtime", "time.now_ns", "rand.intn", "uuid.rfc4122", "json.verify_schema"} {
		if !slices.Contains(got, name) {
			t.Errorf("%s is not refused (refused: %v)", name, got)
		}
	}
	caps := Capabilities()
	for _, b := range caps.Builtins {
		if slices.Contains(got, b.Name) {
			t.Errorf("capabilities still hold %s", b.Name)
		}
	}
	for _, name := range []string{"net.cidr_contains", "sprintf", "time.parse_rfc3339_ns", "trace"} {
		if !slices.ContainsFunc(caps.Builtins, func(b *ast.Builtin) bool { return b.Name == name }) {
			t.Errorf("pure built-in %s is refused", name)
		}
	}
	if caps.AllowNet == nil || len(caps.AllowNet) != 0 {
		t.Errorf("AllowNet = %v, want empty (no host)", caps.AllowNet)
	}
}
