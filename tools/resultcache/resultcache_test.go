package resultcache

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoundTripKeepsTheRunsWorkingSet(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root, "go:test")
	if err != nil {
		t.Fatal(err)
	}
	b := s.Bundle("stage")
	a, c := NewKey([]byte("a")), NewKey([]byte("c"))
	if _, ok := b.Get(a); ok {
		t.Fatal("empty bundle hit")
	}
	b.Put(a, []byte("result a"))
	b.Put(c, []byte(""))
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}

	b2 := reopen(t, s).Bundle("stage") // the next run
	if b2.Ignored != "" {
		t.Fatalf("ignored: %s", b2.Ignored)
	}
	if v, ok := b2.Get(a); !ok || string(v) != "result a" {
		t.Fatalf("Get(a) = %q, %v", v, ok)
	}
	if h, m := b2.Stats(); h != 1 || m != 0 {
		t.Fatalf("stats %d/%d", h, m)
	}
	// Only what this run used is saved: c is dropped.
	if err := b2.Save(); err != nil {
		t.Fatal(err)
	}
	b3 := reopen(t, s).Bundle("stage")
	if _, ok := b3.Get(c); ok {
		t.Error("an entry the last run did not use was kept")
	}
	if _, ok := b3.Get(a); !ok {
		t.Error("an entry the last run used was dropped")
	}
}

// reopen is the store of the next run of the same binary.
func reopen(t *testing.T, s *Store) *Store {
	t.Helper()
	next, err := Open(s.root, s.identity)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// TestOneRunSharesEachStagesBundle: two parts of one run (a rollout renders
// two revisions) read and add to one bundle, and Save writes it once with
// both parts' entries.
func TestOneRunSharesEachStagesBundle(t *testing.T) {
	s, err := Open(t.TempDir(), "go:run")
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewKey([]byte("a")), NewKey([]byte("b"))
	s.Bundle("stage").Put(a, []byte("A"))
	s.Bundle("stage").Put(b, []byte("B"))
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	next := reopen(t, s).Bundle("stage")
	for _, k := range []Key{a, b} {
		if _, ok := next.Get(k); !ok {
			t.Errorf("an entry one part of the run added was not saved")
		}
	}
	if st := s.Stats(); len(st) != 1 {
		t.Errorf("stats of %d stages, want 1", len(st))
	}
}

func TestKeyPartsAreDelimited(t *testing.T) {
	if NewKey([]byte("ab"), []byte("c")) == NewKey([]byte("a"), []byte("bc")) {
		t.Error("keys of differently split parts collide")
	}
}

// TestBadBundlesAreIgnored: truncated, altered, foreign and oversized
// bundles give no entry, and say why.
func TestBadBundlesAreIgnored(t *testing.T) {
	k := NewKey([]byte("k"))
	write := func(t *testing.T, identity, stage string) (*Store, string) {
		s, err := Open(t.TempDir(), identity)
		if err != nil {
			t.Fatal(err)
		}
		b := s.Bundle(stage)
		b.Put(k, []byte(strings.Repeat("value ", 20)))
		if err := b.Save(); err != nil {
			t.Fatal(err)
		}
		return s, filepath.Join(s.Dir(), stage+".bundle")
	}
	for _, c := range []struct {
		name   string
		change func(path string, data []byte) []byte
		want   string
	}{
		{"truncated", func(_ string, d []byte) []byte { return d[:len(d)-7] }, "checksum"},
		{"a flipped byte", func(_ string, d []byte) []byte { d[len(d)-3] ^= 1; return d }, "checksum"},
		{"another format", func(_ string, d []byte) []byte { return append([]byte("x"), d...) }, "format"},
		{"another binary", func(_ string, d []byte) []byte {
			return []byte(strings.Replace(string(d), "go:one", "go:two", 1))
		}, "another stage or binary"},
		{"another stage", func(_ string, d []byte) []byte {
			return []byte(strings.Replace(string(d), "\nstage\n", "\nother\n", 1))
		}, "another stage or binary"},
		{"a bad length", func(_ string, d []byte) []byte {
			// A consistent checksum over a body whose length field lies.
			i := strings.LastIndex(string(d[:len(d)-100]), "\n") + 1
			body := append([]byte{}, d[i:]...)
			body[32] = 0x7f
			return fmt.Appendf(nil, "%sstage\ngo:one\n%x\n%s", magic, sha256.Sum256(body), body)
		}, "bad entry length"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, path := write(t, "go:one", "stage")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, c.change(path, data), 0o600); err != nil {
				t.Fatal(err)
			}
			b := reopen(t, s).Bundle("stage")
			if !strings.Contains(b.Ignored, c.want) {
				t.Errorf("Ignored = %q, want it to say %q", b.Ignored, c.want)
			}
			if _, ok := b.Get(k); ok {
				t.Error("an entry of a bad bundle was used")
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	s, err := Open(t.TempDir(), "go:c")
	if err != nil {
		t.Fatal(err)
	}
	b := s.Bundle("stage")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				k := NewKey(fmt.Appendf(nil, "%d", j%10))
				if _, ok := b.Get(k); !ok {
					b.Put(k, fmt.Appendf(nil, "%d", i))
				}
			}
		}()
	}
	wg.Wait()
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}
	if got := len(reopen(t, s).Bundle("stage").old); got != 10 {
		t.Errorf("saved %d entries, want 10", got)
	}
}

func TestNilStoreCachesNothing(t *testing.T) {
	var s *Store
	b := s.Bundle("x")
	b.Put(NewKey(), []byte("v"))
	if _, ok := b.Get(NewKey()); ok {
		t.Error("a nil bundle hit")
	}
	if err := b.Save(); err != nil {
		t.Error(err)
	}
}

func TestExecutableIdentity(t *testing.T) {
	id, err := ExecutableIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "go:") || len(id) < 20 {
		t.Errorf("identity %q, want the test binary's Go build ID", id)
	}
	again, _ := ExecutableIdentity()
	if again != id {
		t.Errorf("identity changed: %q then %q", id, again)
	}
}

func TestFoldersOfBinariesNotRunAreTrimmed(t *testing.T) {
	root := t.TempDir()
	old, err := Open(root, "go:old")
	if err != nil {
		t.Fatal(err)
	}
	recent, err := Open(root, "go:recent")
	if err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-Unused - time.Hour)
	if err := os.Chtimes(old.Dir(), long, long); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(root, "go:new"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old.Dir()); !os.IsNotExist(err) {
		t.Errorf("the folder of a binary unused for %s is still there (%v)", Unused, err)
	}
	if _, err := os.Stat(recent.Dir()); err != nil {
		t.Errorf("the folder of a recent binary was removed: %v", err)
	}
}

func TestSaveSkipsAnUnchangedWorkingSet(t *testing.T) {
	s, err := Open(t.TempDir(), "go:s")
	if err != nil {
		t.Fatal(err)
	}
	b := s.Bundle("st")
	k := NewKey([]byte("k"))
	b.Put(k, []byte("v"))
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(), "st.bundle")
	past := time.Now().Add(-time.Hour)
	os.Chtimes(path, past, past)
	b2 := reopen(t, s).Bundle("st")
	b2.Get(k)
	if err := b2.Save(); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); !info.ModTime().Equal(past) {
		t.Error("an unchanged working set was written again")
	}
}
