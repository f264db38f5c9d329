package renderfs

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestWriteReplacesTreeAndCompareSeesEdits(t *testing.T) {
	root := t.TempDir()
	first := map[string][]byte{"rendered/a/x.yaml": []byte("x\n"), "rendered/b.yaml": []byte("b\n")}
	if err := Write(root, "rendered", first); err != nil {
		t.Fatal(err)
	}
	if ch, err := Compare(root, "rendered", first); err != nil || len(ch) != 0 {
		t.Fatalf("fresh tree differs: %v %v", ch, err)
	}
	second := map[string][]byte{"rendered/a/x.yaml": []byte("x2\n"), "rendered/c.yaml": []byte("c\n")}
	if err := Write(root, "rendered", second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "rendered", "b.yaml")); !os.IsNotExist(err) {
		t.Errorf("stale file b.yaml survived a rewrite")
	}
	// A hand edit and a stray file are both caught.
	os.WriteFile(filepath.Join(root, "rendered", "a", "x.yaml"), []byte("edited\n"), 0o644)
	os.WriteFile(filepath.Join(root, "rendered", "stray.yaml"), []byte("s\n"), 0o644)
	got, err := Compare(root, "rendered", second)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{"rendered/a/x.yaml", Modified}, {"rendered/stray.yaml", Removed}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Compare = %v, want %v", got, want)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("staging folders left behind: %v", entries)
	}
}

func TestWriteRefusesPathsOutsideAndLeavesOldTree(t *testing.T) {
	root := t.TempDir()
	good := map[string][]byte{"rendered/a.yaml": []byte("a\n")}
	if err := Write(root, "rendered", good); err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{"rendered/a.yaml": []byte("new\n"), "apps/evil.yaml": []byte("x")}
	if err := Write(root, "rendered", bad); err == nil {
		t.Fatal("want an error for a path outside rendered/")
	}
	data, _ := os.ReadFile(filepath.Join(root, "rendered", "a.yaml"))
	if string(data) != "a\n" {
		t.Errorf("old tree changed: %q", data)
	}
}

func TestCompareMissingTreeIsAllAdded(t *testing.T) {
	got, err := Compare(t.TempDir(), "rendered", map[string][]byte{"rendered/a.yaml": nil})
	if err != nil || len(got) != 1 || got[0].Kind != Added {
		t.Fatalf("got %v, %v", got, err)
	}
}
