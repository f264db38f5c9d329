package drill

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/semdiff"
)

const secretValue = "hunter2-never-on-disk"

func secret(value string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Secret")
	u.SetNamespace("shop")
	u.SetName("db")
	enc := base64.StdEncoding.EncodeToString([]byte(value))
	u.Object["data"] = map[string]any{"password": enc, "user": base64.StdEncoding.EncodeToString([]byte("app"))}
	applied, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Secret", "stringData": map[string]any{"password": value}})
	u.SetAnnotations(map[string]string{lastApplied: string(applied), "team": "payments"})
	return u
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// The snapshot on disk holds no Secret value, in clear or base64, and no
// last-applied copy of one; it and the state are 0600 in a 0700 folder;
// and verification still tells an equal Secret from a changed one.
func TestSnapshotHoldsNoSecretValues(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".flotilla", "drills")
	state := filepath.Join(dir, "d.json")
	st := recorded()
	cm := &unstructured.Unstructured{}
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	cm.SetNamespace("shop")
	cm.SetName("routes")
	cm.Object["data"] = map[string]any{"route": "a"}
	if err := st.setSnapshot([]*unstructured.Unstructured{secret(secretValue), cm}); err != nil {
		t.Fatal(err)
	}
	if err := st.save(state); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{state, snapshotPath(state)} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{secretValue, base64.StdEncoding.EncodeToString([]byte(secretValue))} {
			if strings.Contains(string(data), leak) {
				t.Errorf("%s holds the Secret value %q", filepath.Base(p), leak)
			}
		}
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s is %v, want 0600", filepath.Base(p), m)
		}
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("the drills folder is %v, want 0700", m)
	}

	back, err := LoadState(state)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := back.sealer()
	if err != nil {
		t.Fatal(err)
	}
	want := back.Snapshot[0]
	if want.GetKind() != "Secret" || !strings.HasPrefix(want.Object["data"].(map[string]any)["password"].(string), sealedPrefix) {
		t.Fatalf("snapshot Secret: %v", want.Object)
	}
	if got := back.Snapshot[1].Object["data"].(map[string]any)["route"]; got != "a" {
		t.Errorf("a ConfigMap's data was sealed: %v", got)
	}
	opts := semdiff.Options{Ignore: ignoredFields}
	// The restored copy comes from the API server with its values.
	if d := compareRestored(want, secret(secretValue), sl, opts); len(d) != 0 {
		t.Errorf("an equal restored Secret differs: %v", d)
	}
	d := compareRestored(want, secret("another-value"), sl, opts)
	if len(d) != 1 || !strings.Contains(d[0].String(), "data") {
		t.Errorf("a restored Secret with another password: %v", d)
	}
	for _, ch := range d {
		if strings.Contains(ch.String(), "another-value") || strings.Contains(ch.String(), secretValue) {
			t.Errorf("a change shows a value: %s", ch)
		}
	}
	// Another run's key gives other digests: the snapshot's are useless
	// outside its run.
	if newSealer().digest("x") == sl.digest("x") {
		t.Error("two runs share a digest key")
	}
}

// A state written before snapshots were sealed (0644, values in clear)
// is sealed when loaded, and rewritten sealed and private on the next
// save.
func TestOldSnapshotSealedOnLoad(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "d.json")
	st := recorded()
	data, _ := json.Marshal(st)
	if err := os.WriteFile(state, data, 0o644); err != nil {
		t.Fatal(err)
	}
	snap, _ := json.Marshal([]*unstructured.Unstructured{secret(secretValue)})
	if err := os.WriteFile(snapshotPath(state), snap, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := LoadState(state)
	if err != nil {
		t.Fatal(err)
	}
	if back.SecretDigestKey == "" || strings.Contains(back.Snapshot[0].Object["data"].(map[string]any)["password"].(string), base64.StdEncoding.EncodeToString([]byte(secretValue))) {
		t.Fatalf("loaded snapshot not sealed: %v", back.Snapshot[0].Object)
	}
	if err := back.save(state); err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(snapshotPath(state))
	if err != nil || strings.Contains(string(written), base64.StdEncoding.EncodeToString([]byte(secretValue))) || strings.Contains(string(written), secretValue) {
		t.Errorf("the snapshot was not rewritten sealed: %v", err)
	}
	if m := mode(t, snapshotPath(state)); m != 0o600 {
		t.Errorf("rewritten snapshot is %v, want 0600", m)
	}
}
