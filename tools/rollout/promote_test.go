package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// caller names the command a request comes from, for the fake API server.
type caller struct{}

// gateLog is the fake API server's record of the gate: what each command
// wrote, in order. The fake client has no server-side apply, so gate
// patches are recorded here instead of applied.
type gateLog struct {
	mu     sync.Mutex
	writes []gateWrite
}

type gateWrite struct {
	by   string
	held []string
}

// last is the gate as it stands: the last write.
func (g *gateLog) last() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.writes) == 0 {
		return nil
	}
	return g.writes[len(g.writes)-1].held
}

func (g *gateLog) by(name string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, w := range g.writes {
		if w.by == name {
			n++
		}
	}
	return n
}

// t0 is the fake clock's start: wave 1 was released then.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// promoteFleet is a control plane with a rollout at wave 1 of three (one
// cluster each), healthy since t0 with the given soak, and no bindings:
// every released wave counts as healthy. afterStateGet is called after
// each read of the state, beforeGate before each gate patch (which is
// recorded, not applied); each request says which command made it through
// its context.
func promoteFleet(t *testing.T, soak time.Duration, afterStateGet func(ctx context.Context), beforeGate func(ctx context.Context)) (client.Client, *gateLog) {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, policyv1alpha1.Install, workv1alpha2.Install} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	st := &State{APIVersion: APIVersion, Plane: "p", Revision: "1111111", Previous: "0000000", Phase: Progressing,
		Soak: metav1.Duration{Duration: soak}, Waves: WavesOf([]Cluster{{"a", 1}, {"b", 2}, {"c", 3}}), Current: 1,
		Policies: []PolicyRef{{Kind: "PropagationPolicy", Namespace: "ns", Name: "app"}}, History: []Event{}}
	start := metav1.NewTime(t0)
	st.Waves[0].ReleasedAt, st.Waves[0].HealthySince = &start, &start
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: StateNamespace, Name: StateName}, Data: map[string]string{stateKey: string(data)}}
	pp := &policyv1alpha1.PropagationPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app"}}
	log := &gateLog{}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cm, pp).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			err := c.Get(ctx, key, obj, opts...)
			if _, ok := obj.(*corev1.ConfigMap); ok && key.Name == StateName && afterStateGet != nil {
				afterStateGet(ctx)
			}
			return err
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			u := obj.(*unstructured.Unstructured)
			names, _, err := unstructured.NestedStringSlice(u.Object, "spec", "suspension", "dispatchingOnClusters", "clusterNames")
			if err != nil {
				return err
			}
			if beforeGate != nil {
				beforeGate(ctx)
			}
			by, _ := ctx.Value(caller{}).(string)
			log.mu.Lock()
			log.writes = append(log.writes, gateWrite{by, names})
			log.mu.Unlock()
			return nil
		},
	}).Build()
	return c, log
}

// promoteAs runs promote --yes as the named command, at t0 + at.
func promoteAs(c client.Client, name string, at time.Duration) (*Result, error) {
	ctx := context.WithValue(context.Background(), caller{}, name)
	return Promote(ctx, PromoteOptions{Options: Options{Client: c, Yes: true, Now: func() time.Time { return t0.Add(at) }}})
}

func loadState(t *testing.T, c client.Client) *State {
	t.Helper()
	rec, err := Store{Client: c}.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rec.State
}

// TestTwoPromotesAtOnceOneWins: two promotes read the same state (the
// fake server holds each read until both have read). One releases wave 2;
// the other fails with ErrConflict, says so, and never touches the gate —
// before the fix it first re-applied the gate of the state it had read,
// holding back the wave the winner had just released. The state and the
// gate agree at the end.
func TestTwoPromotesAtOnceOneWins(t *testing.T) {
	var bothRead sync.WaitGroup
	bothRead.Add(2)
	var firstReads sync.Map
	c, gates := promoteFleet(t, 0, func(ctx context.Context) {
		by, _ := ctx.Value(caller{}).(string)
		if _, seen := firstReads.LoadOrStore(by, true); !seen && by != "" {
			bothRead.Done()
			bothRead.Wait()
		}
	}, nil)
	results := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range []string{"first", "second"} {
		wg.Go(func() {
			res, err := promoteAs(c, name, time.Hour)
			mu.Lock()
			defer mu.Unlock()
			if err == nil && !res.Acted {
				err = fmt.Errorf("did not act: %+v", res)
			}
			results[name] = err
		})
	}
	wg.Wait()
	var winner, loser string
	for name, err := range results {
		switch {
		case err == nil:
			winner = name
		case errors.Is(err, ErrConflict):
			loser = name
			want := "promote changed nothing: another rollout command changed the rollout first (it is now Progressing at wave 2): " + ErrConflict.Error()
			if err.Error() != want {
				t.Errorf("loser's error\n%s\nwant\n%s", err, want)
			}
		default:
			t.Errorf("%s: %v", name, err)
		}
	}
	if winner == "" || loser == "" {
		t.Fatalf("want one winner and one loser: %v", results)
	}
	if n := gates.by(loser); n != 0 {
		t.Errorf("the losing promote wrote the gate %d time(s)", n)
	}
	st := loadState(t, c)
	if st.Current != 2 || len(st.History) != 1 {
		t.Errorf("state: wave %d, history %+v; want wave 2 released once", st.Current, st.History)
	}
	if got := gates.last(); !slices.Equal(got, st.Held()) {
		t.Errorf("gate holds %v, the state says %v", got, st.Held())
	}
}

// TestPromoteGatesFromTheStateThatWon: a promote has saved wave 2 and is
// about to write its gate when another promote, reading the saved state,
// releases wave 3 and lifts the gate; the first promote's gate (holding
// wave 3) then lands last. It sees the newer state when it checks and
// writes that state's gate, so the gate agrees with the state.
func TestPromoteGatesFromTheStateThatWon(t *testing.T) {
	var c client.Client
	var once sync.Once
	var secondErr error
	c, gates := promoteFleet(t, 0, nil, func(ctx context.Context) {
		if by, _ := ctx.Value(caller{}).(string); by == "first" {
			once.Do(func() { _, secondErr = promoteAs(c, "second", time.Hour) })
		}
	})
	if _, err := promoteAs(c, "first", time.Hour); err != nil {
		t.Fatal(err)
	}
	if secondErr != nil {
		t.Fatal(secondErr)
	}
	st := loadState(t, c)
	if st.Current != 3 {
		t.Fatalf("state at wave %d, want 3", st.Current)
	}
	gates.mu.Lock()
	order := fmt.Sprint(gates.writes)
	gates.mu.Unlock()
	if got := gates.last(); !slices.Equal(got, st.Held()) {
		t.Errorf("gate holds %v, the state says %v (writes: %s)", got, st.Held(), order)
	}
	if want := "[{second []} {first [c]} {first []}]"; order != want {
		t.Errorf("gate writes %s, want %s", order, want)
	}
}

// TestBlockedPromoteChecksTheStateBeforeReassertingTheGate: a promote
// that finds the wave still soaking re-asserts the recorded gate (which
// finishes a promote cut between its two writes) only after checking, by
// writing the state back, that the state it read is still current. When
// another promote released the next wave meanwhile, it fails cleanly
// without a gate write.
func TestBlockedPromoteChecksTheStateBeforeReassertingTheGate(t *testing.T) {
	var c client.Client
	var fastErr error
	c, gates := promoteFleet(t, time.Hour, func(ctx context.Context) {
		if by, _ := ctx.Value(caller{}).(string); by == "slow" && fastErr == nil {
			// Right after the slow promote's read, a later one (past the
			// soak) releases wave 2.
			_, fastErr = promoteAs(c, "fast", 2*time.Hour)
			if fastErr == nil {
				fastErr = errors.New("done") // once
			}
		}
	}, nil)
	res, err := promoteAs(c, "slow", 30*time.Minute)
	if fastErr.Error() != "done" {
		t.Fatalf("the fast promote: %v", fastErr)
	}
	want := "promote changed nothing: another rollout command changed the rollout first (it is now Progressing at wave 2): " + ErrConflict.Error()
	if err == nil || err.Error() != want {
		t.Fatalf("slow promote: %v (%+v)\nwant %s", err, res, want)
	}
	if n := gates.by("slow"); n != 0 {
		t.Errorf("the slow promote wrote the gate %d time(s)", n)
	}
	st := loadState(t, c)
	if got := gates.last(); st.Current != 2 || !slices.Equal(got, st.Held()) {
		t.Errorf("gate holds %v, the state (wave %d) says %v", got, st.Current, st.Held())
	}
}
