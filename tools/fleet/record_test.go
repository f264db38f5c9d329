package fleet

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recordedFleet writes a fleet's state folder as Up leaves it (state.json
// and kubeconfig) and records it, with the records in a folder of the
// test's own.
func recordedFleet(t *testing.T) *Fleet {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := filepath.Join(t.TempDir(), ".fleet")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f := &Fleet{Dir: dir, Token: token(), Kubeconfig: filepath.Join(dir, kubeconfigF)}
	if err := os.WriteFile(f.Kubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.save(); err != nil {
		t.Fatal(err)
	}
	if err := f.Record(); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRecordedKubeconfigAndStateAreTrusted(t *testing.T) {
	f := recordedFleet(t)
	data, err := os.ReadFile(f.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckKubeconfig(f.Kubeconfig, data); err != nil {
		t.Errorf("the kubeconfig fleet up wrote: %v", err)
	}
	if got, err := Load(f.Dir); err != nil || got.Token != f.Token {
		t.Errorf("the state fleet up wrote: %v", err)
	}
	rec, err := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "flotilla", "fleets", "*.json"))
	if err != nil || len(rec) != 1 || strings.HasPrefix(rec[0], f.Dir) {
		t.Fatalf("records: %v %v", rec, err)
	}
	if err := f.Down(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rec[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Down left the record: %v", err)
	}
}

// What a repository can commit into .fleet/ is refused: a kubeconfig or
// state.json where no fleet was recorded, and, over a recorded fleet, a
// changed kubeconfig and a state.json with another token (a checkout
// writes over the ignored files).
func TestUnrecordedKubeconfigAndStateAreRefused(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := filepath.Join(t.TempDir(), ".fleet")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(dir, kubeconfigF)
	var nr *NotRecordedError
	if err := CheckKubeconfig(kc, []byte("apiVersion: v1\n")); !errors.As(err, &nr) || !strings.Contains(err.Error(), "not written by `flotilla fleet up`") {
		t.Errorf("committed kubeconfig: %v", err)
	}
	victim := t.TempDir()
	planted, _ := json.Marshal(&Fleet{Dir: victim, Token: "guess", Components: []*Component{{Name: "x", Binary: "/bin/sh", Args: []string{"-c", "touch " + filepath.Join(victim, "ran")}, PID: os.Getpid()}}})
	if err := os.WriteFile(filepath.Join(dir, stateFile), planted, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.As(err, &nr) {
		t.Errorf("committed state.json loaded: %v", err)
	}
	if Running(dir) {
		t.Error("a committed state.json naming a live PID counts as a running fleet")
	}
	if _, err := Up(t.Context(), Options{StateDir: dir}); !errors.As(err, &nr) || !strings.Contains(err.Error(), "remove "+dir+" yourself") {
		t.Errorf("fleet up over a committed state.json: %v", err)
	}

	f := recordedFleet(t)
	if err := CheckKubeconfig(f.Kubeconfig, []byte("apiVersion: v1\nkind: Config\nusers: []\n")); !errors.As(err, &nr) || !strings.Contains(err.Error(), "changed since") {
		t.Errorf("changed kubeconfig: %v", err)
	}
	// The same state under another token (a map: Fleet holds a mutex).
	var other map[string]any
	data, _ := json.Marshal(f)
	if err := json.Unmarshal(data, &other); err != nil {
		t.Fatal(err)
	}
	other["token"] = token()
	data, _ = json.Marshal(other)
	if err := os.WriteFile(filepath.Join(f.Dir, stateFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(f.Dir); !errors.As(err, &nr) {
		t.Errorf("state.json with another token: %v", err)
	}
	// A kubeconfig elsewhere is not the recorded one, whatever its bytes.
	data, err := os.ReadFile(f.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckKubeconfig(filepath.Join(t.TempDir(), kubeconfigF), data); !errors.As(err, &nr) {
		t.Errorf("a copy elsewhere: %v", err)
	}
}
