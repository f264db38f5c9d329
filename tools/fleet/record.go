package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A fleet's state folder usually sits in the repository (.fleet/), and a
// repository can commit anything there: a kubeconfig whose exec plugin
// runs a program on the next `rollout status`, a state.json whose
// components name a program to start or a folder for `fleet down` to
// delete. So what `fleet up` writes is trusted only through a record it
// leaves outside the repository, in the user's state folder
// ($XDG_STATE_HOME/flotilla/fleets, default ~/.local/state/...), keyed by
// the state folder's absolute path: the kubeconfig's absolute path and
// SHA-256, and the SHA-256 of the fleet's token. A repository cannot
// write there, and cannot know the token (random per fleet) to forge a
// state.json that matches; a file changed since (a checkout of a branch
// that commits .fleet/, which Git writes over an ignored file) no longer
// matches its hash.
//
// Checking instead that the file is not tracked by Git would not do: a
// checkout without .git (a downloaded archive, a CI cache) tracks
// nothing, and an ignored file is overwritten by a branch that tracks it.

// record is what `fleet up` leaves about a fleet outside its folder.
type record struct {
	// Dir is the state folder, absolute.
	Dir string `json:"dir"`
	// Kubeconfig is the kubeconfig fleet up wrote, absolute, and the
	// SHA-256 of its bytes.
	Kubeconfig       string `json:"kubeconfig"`
	KubeconfigSHA256 string `json:"kubeconfigSHA256"`
	// TokenSHA256 is the SHA-256 of the fleet's token: a state.json is
	// the fleet's own when its token hashes to this.
	TokenSHA256 string `json:"tokenSHA256"`
}

// RecordsDir is where fleet up records the fleets it started:
// $XDG_STATE_HOME/flotilla/fleets, else ~/.local/state/flotilla/fleets.
func RecordsDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "flotilla", "fleets"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home folder to record the local fleet in (set XDG_STATE_HOME): %w", err)
	}
	return filepath.Join(home, ".local", "state", "flotilla", "fleets"), nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// recordPath is the record of the state folder dir (absolute).
func recordPath(dir string) (string, error) {
	root, err := RecordsDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, sha256Hex([]byte(dir))[:32]+".json"), nil
}

// Record records f as started by `flotilla fleet up` on this machine, its
// kubeconfig as written now: what makes CheckKubeconfig and Load trust
// them. Up calls it once the kubeconfig is written; Down forgets it.
// Records of fleets whose folder is gone (a test killed before Down) are
// pruned.
func (f *Fleet) Record() error {
	kc, err := os.ReadFile(f.Kubeconfig)
	if err != nil {
		return err
	}
	rec := record{Dir: f.Dir, Kubeconfig: f.Kubeconfig, KubeconfigSHA256: sha256Hex(kc), TokenSHA256: sha256Hex([]byte(f.Token))}
	path, err := recordPath(f.Dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("record the local fleet: %w", err)
	}
	pruneRecords(filepath.Dir(path))
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".record-*")
	if err != nil {
		return fmt.Errorf("record the local fleet: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("record the local fleet: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("record the local fleet: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("record the local fleet: %w", err)
	}
	return nil
}

// pruneRecords removes records of state folders that no longer exist.
func pruneRecords(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var rec record
		if json.Unmarshal(data, &rec) != nil || rec.Dir == "" {
			continue
		}
		if _, err := os.Stat(rec.Dir); errors.Is(err, fs.ErrNotExist) {
			os.Remove(p)
		}
	}
}

// forgetRecord removes the record of a fleet that is down.
func forgetRecord(dir string) {
	if path, err := recordPath(dir); err == nil {
		os.Remove(path)
	}
}

// readRecord reads the record of the state folder dir.
func readRecord(dir string) (*record, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	path, err := recordPath(abs)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NotRecordedError{Path: abs, Why: "no record of it in " + filepath.Dir(path)}
	}
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if rec.Dir != abs {
		return nil, &NotRecordedError{Path: abs, Why: "the record names " + rec.Dir}
	}
	return &rec, nil
}

// NotRecordedError says that a file or folder was not written by
// `flotilla fleet up` on this machine, or was changed since.
type NotRecordedError struct {
	Path string
	Why  string
}

func (e *NotRecordedError) Error() string {
	return fmt.Sprintf("%s: not written by `flotilla fleet up` on this machine (%s)", e.Path, e.Why)
}

// CheckKubeconfig says whether data, read from path, is the kubeconfig
// `flotilla fleet up` wrote there: nil when the record of path's folder
// names path with data's SHA-256, a *NotRecordedError otherwise.
func CheckKubeconfig(path string, data []byte) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	rec, err := readRecord(filepath.Dir(abs))
	if err != nil {
		var nr *NotRecordedError
		if errors.As(err, &nr) {
			nr.Path = abs
		}
		return err
	}
	switch {
	case rec.Kubeconfig != abs:
		return &NotRecordedError{Path: abs, Why: "its fleet's kubeconfig is " + rec.Kubeconfig}
	case rec.KubeconfigSHA256 != sha256Hex(data):
		return &NotRecordedError{Path: abs, Why: "changed since: its SHA-256 is not the one recorded"}
	}
	return nil
}

// checkState says whether f, read from the state folder dir, is the
// fleet `flotilla fleet up` started there.
func checkState(dir string, f *Fleet) error {
	rec, err := readRecord(dir)
	if err != nil {
		var nr *NotRecordedError
		if errors.As(err, &nr) {
			nr.Path = filepath.Join(nr.Path, stateFile)
		}
		return err
	}
	if f.Dir != rec.Dir || sha256Hex([]byte(f.Token)) != rec.TokenSHA256 {
		return &NotRecordedError{Path: filepath.Join(rec.Dir, stateFile), Why: "it is not the state of the fleet recorded for this folder"}
	}
	return nil
}
