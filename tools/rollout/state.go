package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/diag"
)

// APIVersion versions the recorded state.
const APIVersion = "flotilla.io/rollout/v1"

// Where the state is kept in the control plane. The namespace is not
// propagated to members (Karmada's skip-auto-propagation label).
const (
	StateNamespace = "flotilla-system"
	StateName      = "flotilla-rollout"
	stateKey       = "state.json"
)

// Phase is where a rollout stands.
type Phase string

// The phases. Progressing and Paused are "in progress": another rollout
// cannot start until the current one completes or is aborted.
const (
	Progressing Phase = "Progressing"
	Paused      Phase = "Paused"
	Completed   Phase = "Completed"
	Aborted     Phase = "Aborted"
)

// InProgress says whether the phase holds the fleet.
func (p Phase) InProgress() bool { return p == Progressing || p == Paused }

// State is a rollout's record.
type State struct {
	APIVersion string `json:"apiVersion"`
	Plane      string `json:"plane"`
	// Revision is the commit being rolled out; Previous the commit the
	// fleet ran before (what abort returns to).
	Revision string `json:"revision"`
	Previous string `json:"previous,omitempty"`
	Phase    Phase  `json:"phase"`
	// Soak is how long a wave must stay healthy before the next is
	// released.
	Soak metav1.Duration `json:"soak"`
	// Current is the highest wave released.
	Current int32  `json:"currentWave"`
	Waves   []Wave `json:"waves"`
	// Policies are the propagation policies that carry the gate.
	Policies []PolicyRef `json:"policies"`
	History  []Event     `json:"history"`
}

// Wave is one step of the rollout.
type Wave struct {
	Wave     int32    `json:"wave"`
	Clusters []string `json:"clusters"`
	// ReleasedAt is when its clusters were removed from the gate.
	ReleasedAt *metav1.Time `json:"releasedAt,omitempty"`
	// HealthySince is when a promote first saw the wave wholly healthy
	// (reset whenever it sees it unhealthy).
	HealthySince *metav1.Time `json:"healthySince,omitempty"`
}

// PolicyRef names a (Cluster)PropagationPolicy.
type PolicyRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func (p PolicyRef) String() string { return diag.ObjectRef(p.Kind, p.Namespace, p.Name) }

// Event is one line of the rollout's history.
type Event struct {
	Time    metav1.Time `json:"time"`
	Action  string      `json:"action"`
	Wave    int32       `json:"wave,omitempty"`
	Message string      `json:"message,omitempty"`
}

// wave returns the wave with this number, or nil.
func (s *State) wave(n int32) *Wave {
	for i := range s.Waves {
		if s.Waves[i].Wave == n {
			return &s.Waves[i]
		}
	}
	return nil
}

// next returns the wave after the current one, or nil at the last.
func (s *State) next() *Wave {
	for i := range s.Waves {
		if s.Waves[i].Wave > s.Current {
			return &s.Waves[i]
		}
	}
	return nil
}

// Held lists the clusters of every wave after the current one, sorted.
func (s *State) Held() []string {
	var out []string
	for _, w := range s.Waves {
		if w.Wave > s.Current {
			out = append(out, w.Clusters...)
		}
	}
	slices.Sort(out)
	return out
}

// ErrConflict is returned when another command changed the state between
// this command's read and its write.
var ErrConflict = errors.New("the rollout state changed while this command ran (another rollout command?); re-run it")

// Store reads and writes the state ConfigMap. Writes are guarded by the
// resourceVersion of the read, so two commands cannot both act on one
// state.
type Store struct {
	Client client.Client
}

// Record is a loaded state with the version it was read at.
type Record struct {
	State   *State
	version string
}

// Load returns the recorded state; State is nil when no rollout was ever
// recorded.
func (s Store) Load(ctx context.Context) (*Record, error) {
	cm := &corev1.ConfigMap{}
	err := s.Client.Get(ctx, client.ObjectKey{Namespace: StateNamespace, Name: StateName}, cm)
	if apierrors.IsNotFound(err) {
		return &Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ConfigMap/%s/%s: %w", StateNamespace, StateName, err)
	}
	st := &State{}
	if err := json.Unmarshal([]byte(cm.Data[stateKey]), st); err != nil {
		return nil, fmt.Errorf("ConfigMap/%s/%s %s: %w", StateNamespace, StateName, stateKey, err)
	}
	if st.APIVersion != APIVersion {
		return nil, fmt.Errorf("ConfigMap/%s/%s: state apiVersion %q, this flotilla reads %q", StateNamespace, StateName, st.APIVersion, APIVersion)
	}
	return &Record{State: st, version: cm.ResourceVersion}, nil
}

// Save writes the state; it fails with ErrConflict when the ConfigMap
// changed since the record was loaded.
func (s Store) Save(ctx context.Context, r *Record) error {
	data, err := json.MarshalIndent(r.State, "", "  ")
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: StateNamespace, Name: StateName, ResourceVersion: r.version,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "flotilla"}},
		Data: map[string]string{stateKey: string(data)},
	}
	if r.version == "" {
		if err := s.ensureNamespace(ctx); err != nil {
			return err
		}
		err = s.Client.Create(ctx, cm)
	} else {
		err = s.Client.Update(ctx, cm)
	}
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("write ConfigMap/%s/%s: %w", StateNamespace, StateName, err)
	}
	r.version = cm.ResourceVersion
	return nil
}

func (s Store) ensureNamespace(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: StateNamespace,
		Labels: map[string]string{policyv1alpha1.NamespaceSkipAutoPropagationLabel: "true"}}}
	if err := s.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create Namespace/%s: %w", StateNamespace, err)
	}
	return nil
}
