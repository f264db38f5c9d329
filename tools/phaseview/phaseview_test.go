package phaseview

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer the view's redraw goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestPlainLines(t *testing.T) {
	var out syncBuffer
	c := &clock{t: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	v := New(&out, Options{Title: "drill", Now: c.now})
	v.Begin("Backup")
	c.add(2300 * time.Millisecond)
	v.End("Backup", 2300*time.Millisecond, "", "Backup b Completed: 405 items")
	v.Begin("Restore")
	v.End("Restore", 4*time.Second, "velero: Restore r PartiallyFailed\nmore", "")
	v.Close()
	want := "drill: Backup…\n" +
		"drill: Backup done in 2.3s — Backup b Completed: 405 items\n" +
		"drill: Restore…\n" +
		"drill: Restore FAILED in 4s — velero: Restore r PartiallyFailed\n"
	if got := out.String(); got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}

func TestTerminalRedrawsTheCurrentPhase(t *testing.T) {
	var out syncBuffer
	c := &clock{t: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	tick := make(chan time.Time)
	v := New(&out, Options{Title: "drill", TTY: true, Now: c.now, Tick: tick})
	c.add(time.Second)
	v.Begin("AwaitBackup")
	tick <- c.now().Add(1500 * time.Millisecond) // the redraw goroutine takes it...
	tick <- c.now().Add(2500 * time.Millisecond) // ...and has drawn it when it takes the next
	v.End("AwaitBackup", 2500*time.Millisecond, "", "listed on dr")
	v.Close()
	got := out.String()
	for _, want := range []string{
		"\r\033[K… AwaitBackup          0s  (drill 1s)",
		"\r\033[K… AwaitBackup        1.5s  (drill 2.5s)",
		"\r\033[K✓ AwaitBackup        2.5s  listed on dr\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%q", want, got)
		}
	}
	if strings.HasSuffix(got, "drill 3.5s)") {
		t.Errorf("the redrawn line was left behind: %q", got)
	}
	// After the last phase the view draws nothing more.
	n := len(out.String())
	v2 := New(&out, Options{TTY: true, Now: c.now, Tick: tick})
	v2.Close()
	if len(out.String()) != n {
		t.Errorf("an idle view wrote %q", out.String()[n:])
	}
}
