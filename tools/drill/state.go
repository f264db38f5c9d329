package drill

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// APIVersion versions the state file and the JSON report.
const APIVersion = "flotilla.io/drill/v1"

// Phase is one step of a drill.
type Phase string

// The phases, in order.
const (
	PhasePreflight     Phase = "Preflight"
	PhaseBackup        Phase = "Backup"
	PhaseInjectFailure Phase = "InjectFailure"
	PhaseAwaitBackup   Phase = "AwaitBackup"
	PhaseRestore       Phase = "Restore"
	PhaseVerify        Phase = "Verify"
	PhaseCleanup       Phase = "Cleanup"
)

// Phases lists every phase in the order a drill runs them.
var Phases = []Phase{PhasePreflight, PhaseBackup, PhaseInjectFailure, PhaseAwaitBackup, PhaseRestore, PhaseVerify, PhaseCleanup}

// PhaseRecord is what happened in one phase.
type PhaseRecord struct {
	Phase   Phase      `json:"phase"`
	Started time.Time  `json:"started"`
	Ended   *time.Time `json:"ended,omitempty"`
	// Message says what was done; Error why it failed (Velero's message
	// included).
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Duration of the phase (until now while it runs).
func (p PhaseRecord) Duration(now time.Time) time.Duration {
	if p.Ended != nil {
		return p.Ended.Sub(p.Started)
	}
	return now.Sub(p.Started)
}

// VeleroTimes are the start and completion Velero recorded for a Backup or
// Restore, shown beside the drill's own phase times.
type VeleroTimes struct {
	Name      string     `json:"name"`
	Phase     string     `json:"phase,omitempty"`
	Started   *time.Time `json:"started,omitempty"`
	Completed *time.Time `json:"completed,omitempty"`
	Items     int        `json:"items"`
	Warnings  int        `json:"warnings"`
	Errors    int        `json:"errors"`
	Message   string     `json:"message,omitempty"`
	// Requested is when the drill had created the Backup or Restore; Seen
	// when it saw Velero take it up and end it (its status writes,
	// watched), to the millisecond: Velero's own timestamps have whole
	// seconds. From the phase's start to Requested is the drill's own
	// time, from Requested to Seen.Started Velero's queue and validation.
	Requested *time.Time `json:"requested,omitempty"`
	Seen      *Span      `json:"seen,omitempty"`
}

// Span is a stretch of time.
type Span struct {
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
}

// ObjectKey names an object by API group and kind, namespace and name.
type ObjectKey struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is Kind/ns/name, as every message names objects.
func (k ObjectKey) String() string {
	if k.Namespace == "" {
		return k.Kind + "/" + k.Name
	}
	return k.Kind + "/" + k.Namespace + "/" + k.Name
}

// State is a drill run as recorded in its state file.
type State struct {
	APIVersion string `json:"apiVersion"`
	Drill      string `json:"drill"`
	RunID      string `json:"runID"`
	Source     string `json:"source"`
	Recovery   string `json:"recovery"`
	// Namespaces are the source namespaces backed up; NamespaceMapping
	// where each is restored.
	Namespaces       []string          `json:"namespaces"`
	NamespaceMapping map[string]string `json:"namespaceMapping,omitempty"`
	// Location is the storage location the backup goes to in the source;
	// RecoveryLocation the read-only copy the recovery side restores from.
	Location         string        `json:"location"`
	RecoveryLocation string        `json:"recoveryLocation"`
	Started          time.Time     `json:"started"`
	Phases           []PhaseRecord `json:"phases"`
	Backup           *VeleroTimes  `json:"backup,omitempty"`
	Restore          *VeleroTimes  `json:"restore,omitempty"`
	// FailureAt is when the failure was injected (the moment of disaster
	// RTO and RPO are measured from); FailureLifted whether cleanup undid it.
	FailureAt     *time.Time `json:"failureAt,omitempty"`
	FailureLifted bool       `json:"failureLifted,omitempty"`
	// Snapshot are the source objects as they were backed up, what
	// verification compares the restore with, with every Secret value
	// replaced by its keyed digest (sealer). It is kept beside the state
	// file (STATE.snapshot.json), written once: the state is saved as
	// every phase starts and ends, and rewriting thousands of objects each
	// time would be the drill's own time inside the measured phases.
	Snapshot      []*unstructured.Unstructured `json:"-"`
	snapshotSaved bool
	// SecretDigestKey keys the digests of the snapshot's Secret values
	// (base64); the restored copies are digested with it to compare.
	SecretDigestKey string `json:"secretDigestKey,omitempty"`
	// Expected are the objects of the apps' namespaces Karmada had placed
	// on the source when preflight saw every copy there current: what
	// the backup must hold. Nil when no control plane was reachable.
	Expected []ObjectKey `json:"expected,omitempty"`
	// SourceKarmadaFields are, per object (Kind/ns/name), the fields
	// Karmada set on the source's copy (its share of a divided workload,
	// its overrides): the backup holds the source's values, by which the
	// recovery cluster's own copy is not judged.
	SourceKarmadaFields map[string][]string `json:"sourceKarmadaFields,omitempty"`
	// Unreadable are resources the source would not list for the
	// snapshot (verification fails on them).
	Unreadable   []string      `json:"unreadable,omitempty"`
	Verification *Verification `json:"verification,omitempty"`
	// Spot is a SpotReclaim drill's record (its only record: nothing is
	// backed up or restored).
	Spot *SpotRecord `json:"spot,omitempty"`
	// Done is set when cleanup has run.
	Done bool `json:"done,omitempty"`
}

// record returns the record of a phase, or nil.
func (s *State) record(p Phase) *PhaseRecord {
	for i := range s.Phases {
		if s.Phases[i].Phase == p {
			return &s.Phases[i]
		}
	}
	return nil
}

// finished says whether a phase ended without error.
func (s *State) finished(p Phase) bool {
	r := s.record(p)
	return r != nil && r.Ended != nil && r.Error == ""
}

// Failed returns the phase that failed, if any.
func (s *State) Failed() *PhaseRecord {
	for i := range s.Phases {
		if s.Phases[i].Error != "" {
			return &s.Phases[i]
		}
	}
	return nil
}

// LoadState reads a state file; a missing file is (nil, nil).
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := &State{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("drill state %s: %w", path, err)
	}
	if s.APIVersion != APIVersion {
		return nil, fmt.Errorf("drill state %s: apiVersion %q, want %q", path, s.APIVersion, APIVersion)
	}
	data, err = os.ReadFile(snapshotPath(path))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(data, &s.Snapshot); err != nil {
			return nil, fmt.Errorf("drill state %s: %w", snapshotPath(path), err)
		}
		s.snapshotSaved = true
		if s.SecretDigestKey == "" {
			// Written by a flotilla that kept Secret values: sealed
			// now, and rewritten by the next save.
			if err := s.setSnapshot(s.Snapshot); err != nil {
				return nil, fmt.Errorf("drill state %s: %w", path, err)
			}
		}
	}
	return s, nil
}

func snapshotPath(state string) string {
	return strings.TrimSuffix(state, ".json") + ".snapshot.json"
}

// setSnapshot records what the backup holds, Secret values sealed; the
// next save writes it.
func (s *State) setSnapshot(objs []*unstructured.Unstructured) error {
	sl, err := s.sealer()
	if err != nil {
		return err
	}
	sl.sealAll(objs)
	s.Snapshot, s.snapshotSaved = objs, false
	return nil
}

// sealer is the run's Secret sealer, its key made on first use.
func (s *State) sealer() (sealer, error) {
	if s.SecretDigestKey == "" {
		sl := newSealer()
		s.SecretDigestKey = sl.encoded()
		return sl, nil
	}
	return sealerOf(s.SecretDigestKey)
}

// save writes the state atomically (a crash leaves the previous version),
// and the snapshot beside it when it is new. Both are private to the
// user (0600; a folder the drill creates is 0700): they name the
// clusters and namespaces, and the snapshot holds every object backed
// up.
func (s *State) save(path string) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if s.Snapshot != nil && !s.snapshotSaved {
		if err := writeJSON(snapshotPath(path), s.Snapshot, false); err != nil {
			return err
		}
		s.snapshotSaved = true
	}
	return writeJSON(path, s, true)
}

func writeJSON(path string, v any, indent bool) error {
	var data []byte
	var err error
	if indent {
		data, err = json.MarshalIndent(v, "", "  ")
	} else {
		data, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	// A new file (CreateTemp makes it 0600), renamed over the old one:
	// writing into an existing file would keep its mode.
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
