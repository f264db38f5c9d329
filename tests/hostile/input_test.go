package hostile

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// The input side of the review: every file flotilla reads from a control
// repository, and kustomize. Each test plants one hostile input in a
// scratch fleet and runs the real binary.

// memoryCeiling is a generous bound on any refused probe's peak memory:
// the goal is under 300 MB, the review measured 1.3 to 3.5 GB.
const memoryCeiling = 600 << 20

// webManifests is the minimal fleet's web app folder.
const webManifests = "apps/web/manifests"

// kustomize turns an app into a kustomize app whose resources are its
// manifests and extra.
func kustomize(f *fleet, app string, manifests []string, extra ...string) {
	var b strings.Builder
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, e := range append(manifests, extra...) {
		fmt.Fprintf(&b, "  - %s\n", e)
	}
	f.write("apps/"+app+"/manifests/kustomization.yaml", []byte(b.String()))
}

// listener is a TCP socket that counts every connection made to it.
type listener struct {
	addr  string
	conns atomic.Int64
}

func listen(t *testing.T) *listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	ln := &listener{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			ln.conns.Add(1)
			_ = c.Close()
		}
	}()
	return ln
}

// gitTrap is a folder holding a git that records every run and refuses
// the steps of kustomize's clone (init, remote, fetch, checkout,
// submodule, clone); anything else (flotilla's own rev-parse, archive,
// diff) it hands to the real git.
type gitTrap struct {
	dir, log string
}

func newGitTrap(t *testing.T) *gitTrap {
	t.Helper()
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	g := &gitTrap{dir: t.TempDir()}
	g.log = filepath.Join(g.dir, "runs.log")
	script := fmt.Sprintf(`#!/bin/sh
echo "$*" >> %q
case "$1" in
init|remote|fetch|checkout|submodule|clone) exit 1 ;;
esac
exec %q "$@"
`, g.log, real)
	if err := os.WriteFile(filepath.Join(g.dir, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return g
}

// env puts the trap first on PATH.
func (g *gitTrap) env() []string { return []string{"PATH=" + g.dir + ":" + os.Getenv("PATH")} }

// cloneSteps lists the recorded runs that were a step of a clone.
func (g *gitTrap) cloneSteps(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(g.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		switch strings.Fields(l + " x")[0] {
		case "init", "remote", "fetch", "checkout", "submodule", "clone":
			steps = append(steps, l)
		}
	}
	return steps
}

// TestInputNoNetworkFromKustomize (defect 1): kustomizations listing
// http(s) resources on a listening socket (app web) and a git resource
// (app gateway: kustomize would clone it before reaching the others).
// Render, check and plan (the hostile side from the working tree, and from
// Git) refuse them at their lines; nothing connects to the socket and no
// git clone step runs.
func TestInputNoNetworkFromKustomize(t *testing.T) {
	f := newFleet(t, minimalFleet)
	ln := listen(t)
	trap := newGitTrap(t)
	httpRef := "http://" + ln.addr + "/cm.yaml"
	httpsRef := "https://" + ln.addr + "/cm.yaml"
	gitRef := "git::http://" + ln.addr + "/org/repo.git//base?ref=v1"
	kustomize(f, "web", []string{"deployment.yaml", "service.yaml"}, httpRef, httpsRef)
	kustomize(f, "gateway", []string{"daemonset.yaml"}, gitRef)
	f.commit("remote resources")
	before := f.renderedHash()
	const remote = "is a remote reference: flotilla builds only what the repository holds, and never fetches"
	wants := []string{
		fmt.Sprintf("apps/gateway/manifests/kustomization.yaml:5:5: resources[1]: %q %s", gitRef, remote),
		fmt.Sprintf("apps/web/manifests/kustomization.yaml:6:5: resources[2]: %q %s", httpRef, remote),
		fmt.Sprintf("apps/web/manifests/kustomization.yaml:7:5: resources[3]: %q %s", httpsRef, remote),
	}
	// plan --base HEAD~1 reads the head from the working tree; --base HEAD
	// --head HEAD~1 reads the hostile side from Git.
	for _, args := range [][]string{{"render"}, {"check"}, {"plan", "--base", "HEAD~1"}, {"plan", "--base", "HEAD", "--head", "HEAD~1"}} {
		r := f.runEnv(trap.env(), args...)
		f.expectRefused(r, 2, before, wants...)
	}
	if n := ln.conns.Load(); n != 0 {
		t.Errorf("%d connections to the listening socket", n)
	}
	if steps := trap.cloneSteps(t); len(steps) > 0 {
		t.Errorf("git ran clone steps: %q", steps)
	}
}

// outsideFile writes a manifest outside the repository, holding a value
// that must never appear in any output.
func outsideFile(t *testing.T) (path, secret string) {
	t.Helper()
	secret = "s3cr3t-from-outside"
	path = filepath.Join(t.TempDir(), "outside.yaml")
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  token: " + secret + "\n"
	if err := os.WriteFile(path, []byte(cm), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, secret
}

// TestInputSymlinkOutOfTheWorkingTree (defect 2): a manifest linked to a
// file outside the repository is refused by render, check and plan
// (whose Markdown would carry its values into a PR comment).
func TestInputSymlinkOutOfTheWorkingTree(t *testing.T) {
	f := newFleet(t, minimalFleet)
	outside, secret := outsideFile(t)
	f.symlink(outside, webManifests+"/leak.yaml")
	before := f.renderedHash()
	want := fmt.Sprintf("apps/web/manifests/leak.yaml: leaves the repository: symbolic link apps/web/manifests/leak.yaml points to %s", outside)
	for _, args := range [][]string{{"render"}, {"check"}, {"plan", "--base", "HEAD", "-o", "markdown"}} {
		r := f.run(args...)
		f.expectRefused(r, 2, before, want)
		if strings.Contains(r.Output(), secret) {
			t.Errorf("flotilla %s: the outside file's value is in the output", strings.Join(args, " "))
		}
	}
}

// TestInputSymlinkChain (defect 2): the chain that passed gitsnap's
// lexical check — s -> ., e -> s/s/../.. (the root's grandparent),
// leak.yaml -> ../../../e/<path> — is refused in the working tree and in
// a committed revision (plan reads the base from Git).
func TestInputSymlinkChain(t *testing.T) {
	f := newFleet(t, minimalFleet)
	outside, secret := outsideFile(t)
	f.symlink(".", "s")
	f.symlink("s/s/../..", "e")
	// In the working tree, e is the repository's grandparent.
	rel, err := filepath.Rel(filepath.Dir(filepath.Dir(f.Dir)), outside)
	if err != nil {
		t.Fatal(err)
	}
	f.symlink("../../../e/"+rel, webManifests+"/leak.yaml")
	before := f.renderedHash()
	want := "apps/web/manifests/leak.yaml: leaves the repository: symbolic link e points to s/s/../.."
	f.expectRefused(f.run("render"), 2, before, want)
	// In a revision the old code exported to $TMPDIR/flotilla-rev-N,
	// where e is $TMPDIR's parent: with TMPDIR=/tmp, the root.
	if err := os.Remove(f.path(webManifests + "/leak.yaml")); err != nil {
		t.Fatal(err)
	}
	f.symlink("../../../e"+outside, webManifests+"/leak.yaml")
	f.commit("chain")
	before = f.renderedHash()
	// The base is the hostile commit, the head the clean one: only the
	// revision read from Git can be refused.
	r := f.runEnv([]string{"TMPDIR=/tmp"}, "plan", "--base", "HEAD", "--head", "HEAD~1", "-o", "markdown")
	f.expectRefused(r, 2, before, want)
	if strings.Contains(r.Output(), secret) {
		t.Errorf("the outside file's value is in the output")
	}
}

// TestInputSpecialFiles (defect 2): a link to /dev/zero (the review: out
// of memory at 3.5 GB), a device node and a FIFO (the review: a hang) in
// the manifests are refused before any read.
func TestInputSpecialFiles(t *testing.T) {
	t.Run("link to /dev/zero", func(t *testing.T) {
		f := newFleet(t, minimalFleet)
		f.symlink("/dev/zero", webManifests+"/zero.yaml")
		before := f.renderedHash()
		r := f.probe("dev-zero link", "render")
		f.expectRefused(r, 2, before, "apps/web/manifests/zero.yaml: leaves the repository: symbolic link apps/web/manifests/zero.yaml points to /dev/zero")
		underCeiling(t, r)
	})
	t.Run("device node", func(t *testing.T) {
		f := newFleet(t, minimalFleet)
		if err := syscall.Mknod(f.path(webManifests+"/zero.yaml"), syscall.S_IFCHR|0o644, 1<<8|5); err != nil {
			t.Skipf("cannot make a device node here: %v", err)
		}
		before := f.renderedHash()
		r := f.probe("device node", "render")
		f.expectRefused(r, 2, before, "apps/web/manifests/zero.yaml: is not a regular file: it is a character device")
		underCeiling(t, r)
	})
	t.Run("FIFO", func(t *testing.T) {
		f := newFleet(t, minimalFleet)
		if err := syscall.Mkfifo(f.path(webManifests+"/pipe.yaml"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := f.renderedHash()
		r := f.probe("FIFO", "render")
		f.expectRefused(r, 2, before, "apps/web/manifests/pipe.yaml: is not a regular file: it is a named pipe (FIFO)")
	})
}

// Large inputs are streamed to disk, never held whole: on Linux a
// child's peak memory (ru_maxrss) starts from its parent's peak, which
// exec keeps (os/exec starts children with vfork), so a test that once
// held a 50 MB string would report its own peak as flotilla's.

// underCeiling asserts a run's peak memory stayed under the ceiling.
func underCeiling(t *testing.T, r result) {
	t.Helper()
	if r.MaxRSS > memoryCeiling {
		t.Errorf("peak memory %d MB, over the %d MB ceiling", r.MaxRSS>>20, memoryCeiling>>20)
	}
}

// aliasBomb is a ConfigMap whose data.s is a string of size bytes, with
// n aliases of it listed one per line from line 8 on.
func aliasBomb(size, n int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  s: &s ")
	b.WriteString(strings.Repeat("x", size))
	b.WriteString("\n  list:\n")
	for range n {
		b.WriteString("    - *s\n")
	}
	return []byte(b.String())
}

// configMaps writes n small ConfigMaps as one file: document k starts on
// line 5k+1 (four lines and a separator each).
func configMaps(prefix string, n int) []byte {
	var b strings.Builder
	for k := range n {
		if k > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-%d\n", prefix, k)
	}
	return []byte(b.String())
}

// TestInputBounds (defect 6): the review's probes, each refused by its
// bound at the file and line where it crosses, fast and in little
// memory; figures go to the report.
func TestInputBounds(t *testing.T) {
	const aliasWant = "aliases expand to more than 1 MiB by here, over the alias expansion bound (raise it with --max-alias-bytes)"
	for _, tc := range []struct {
		name  string
		plant func(f *fleet)
		want  string
	}{{
		// 100 KiB + 1 per alias: the eleventh alias (line 18) passes 1 MiB.
		name:  "alias 100KB x900",
		plant: func(f *fleet) { f.write(webManifests+"/bomb.yaml", aliasBomb(100<<10, 900)) },
		want:  "apps/web/manifests/bomb.yaml:18:7: " + aliasWant,
	}, {
		// 1 MB + 1 per alias: the second alias (line 9) passes 1 MiB.
		name:  "alias 1MB x900",
		plant: func(f *fleet) { f.write(webManifests+"/bomb.yaml", aliasBomb(1000000, 900)) },
		want:  "apps/web/manifests/bomb.yaml:9:7: " + aliasWant,
	}, {
		name: "50MB of 500k keys",
		plant: func(f *fleet) {
			out, err := os.Create(f.path(webManifests + "/keys.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			w := bufio.NewWriter(out)
			n, _ := w.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\ndata:\n")
			value := strings.Repeat("v", 90)
			for i := range 500000 {
				m, _ := fmt.Fprintf(w, "  k%06d: %s\n", i, value)
				n += m
			}
			// Exactly 50 MiB.
			pad := make([]byte, 50<<20-n)
			for i := range pad {
				pad[i] = '#'
			}
			pad[len(pad)-1] = '\n'
			_, _ = w.Write(pad)
			if err := errors.Join(w.Flush(), out.Close()); err != nil {
				t.Fatal(err)
			}
		},
		want: "apps/web/manifests/keys.yaml: file is 50 MiB, over the file size bound of 8 MiB (raise it with --max-file-size)",
	}, {
		// Document 1000 (from 0) starts on line 5001.
		name:  "100k documents in a file",
		plant: func(f *fleet) { f.write(webManifests+"/many.yaml", configMaps("m", 100000)) },
		want:  "apps/web/manifests/many.yaml:5001: file holds more than 1000 documents, over the documents-per-file bound (raise it with --max-documents-per-file)",
	}, {
		// 100 files of 1,000. The intent holds 8 objects, so the web
		// app may hold 19,992: its object 19,992 (from 0) is over —
		// after deployment.yaml's one and many-000 to many-018, the
		// document 991 of many-019.yaml, on line 5*991+1.
		name: "100k documents in 100 files",
		plant: func(f *fleet) {
			for i := range 100 {
				f.write(fmt.Sprintf("%s/many-%03d.yaml", webManifests, i), configMaps(fmt.Sprintf("m%03d", i), 1000))
			}
		},
		want: "apps/web/manifests/many-019.yaml:4956: more than 20000 objects are read by here, over the objects-per-render bound (raise it with --max-objects)",
	}, {
		// Level 101 is the hundredth "[", on column 103.
		name: "nesting 5000 deep",
		plant: func(f *fleet) {
			f.write(webManifests+"/deep.yaml", []byte("a: "+strings.Repeat("[", 5000)+strings.Repeat("]", 5000)+"\n"))
		},
		want: "apps/web/manifests/deep.yaml:1:103: nesting is deeper than 100 levels here, over the nesting depth bound (raise it with --max-depth)",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFleet(t, minimalFleet)
			tc.plant(f)
			before := f.renderedHash()
			r := f.probe(tc.name, "render")
			f.expectRefused(r, 2, before, tc.want)
			underCeiling(t, r)
		})
	}
}

// TestInputBoundsAreFlags: a bound raised by its flag lets the input
// through (here: 1,200 documents in one file).
func TestInputBoundsAreFlags(t *testing.T) {
	f := newFleet(t, minimalFleet)
	f.write(webManifests+"/many.yaml", configMaps("m", 1200))
	before := f.renderedHash()
	r := f.run("render", "--check")
	f.expectRefused(r, 2, before, "apps/web/manifests/many.yaml:5001: file holds more than 1000 documents")
	if r := f.run("render", "--max-documents-per-file", "2000"); r.Code != 0 {
		t.Errorf("with the bound raised: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// TestInputBadBytesAtTheirPosition (defect 9): a NUL byte and invalid
// UTF-8 are reported at their own line and column, not at line 1.
func TestInputBadBytesAtTheirPosition(t *testing.T) {
	f := newFleet(t, minimalFleet)
	f.write(webManifests+"/nul.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nul\ndata:\n  a: x\x00y\n"))
	f.write(webManifests+"/utf8.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: utf8\ndata:\n  a: ok\n  b: \"\xc3\x28\"\n"))
	before := f.renderedHash()
	r := f.run("render")
	f.expectRefused(r, 2, before,
		"apps/web/manifests/nul.yaml:6:7: invalid YAML: a NUL byte: control characters are not allowed",
		"apps/web/manifests/utf8.yaml:7:7: invalid YAML: invalid UTF-8: byte 0xC3")
}

// TestInputSourcePathOutside (defect 9): an app whose source path leaves
// the repository — to a folder that exists there — says so.
func TestInputSourcePathOutside(t *testing.T) {
	f := newFleet(t, minimalFleet)
	outside, _ := outsideFile(t)
	rel, err := filepath.Rel(f.path("apps/web"), filepath.Dir(outside))
	if err != nil {
		t.Fatal(err)
	}
	app, err := os.ReadFile(f.path("apps/web/app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app = []byte(strings.Replace(string(app), "spec:\n", "spec:\n  source:\n    path: "+filepath.ToSlash(rel)+"\n", 1))
	f.write("apps/web/app.yaml", app)
	before := f.renderedHash()
	r := f.run("render")
	lexical := filepath.ToSlash(filepath.Clean(filepath.Join("apps/web", rel)))
	f.expectRefused(r, 2, before, fmt.Sprintf("apps/web/app.yaml:7:5: App/web: spec.source.path: source folder %s is outside the repository", lexical))
}
