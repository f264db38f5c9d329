package rollout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/apply"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/gitsnap"
)

// Cluster is a member of the control plane and its rollout wave.
type Cluster struct {
	Name string
	Wave int32
}

// noRollout is what a command that needs a rollout says when none was
// ever started: the state's ConfigMap is created only by a user's start.
const noRollout = "no rollout recorded on this control plane (no ConfigMap " + StateNamespace + "/" + StateName + "): run `flotilla rollout start --yes` first"

// Options are shared by every operation.
type Options struct {
	// Client reaches the Karmada API server.
	Client client.Client
	// Yes acts; without it every operation only says what it would do.
	Yes bool
	// Timeout bounds each wait (default 2 minutes).
	Timeout time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Progress, when set, is told each step as it starts.
	Progress func(string)
}

func (o *Options) defaults() {
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func (o *Options) say(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// Result is what an operation did, or would do.
type Result struct {
	State  *State  `json:"state,omitempty"`
	Status *Status `json:"status,omitempty"`
	// Steps are the actions, in order: taken when Acted, else previewed.
	Steps []string `json:"steps"`
	Acted bool     `json:"acted"`
	// Blocked says why the operation cannot go on now (a promote before
	// the wave is healthy, a start while another rollout runs).
	Blocked string        `json:"blocked,omitempty"`
	Apply   *apply.Result `json:"apply,omitempty"`
}

func (r *Result) step(format string, args ...any) {
	r.Steps = append(r.Steps, fmt.Sprintf(format, args...))
}

// StartOptions describe the revision to roll out.
type StartOptions struct {
	Options
	Plane    string
	Revision string
	Previous string
	Clusters []Cluster
	// Objects are the plane's rendered objects at Revision.
	Objects []*unstructured.Unstructured
	Soak    time.Duration
}

// WavesOf groups clusters by wave, lowest first, names sorted.
func WavesOf(clusters []Cluster) []Wave {
	byWave := map[int32][]string{}
	for _, c := range clusters {
		byWave[c.Wave] = append(byWave[c.Wave], c.Name)
	}
	var out []Wave
	for w, names := range byWave {
		slices.Sort(names)
		out = append(out, Wave{Wave: w, Clusters: names})
	}
	slices.SortFunc(out, func(a, b Wave) int { return cmp.Compare(a.Wave, b.Wave) })
	return out
}

// Start begins rolling a revision out: it records the rollout, holds every
// wave after the first back on the revision's propagation policies, waits
// until Karmada carries that gate into the bindings, and only then applies
// the revision's objects — so only the first wave's clusters receive it.
// Re-running Start for the revision in progress re-asserts the gate and
// re-applies (safe); starting another revision while one is in progress is
// refused.
func Start(ctx context.Context, o StartOptions) (*Result, error) {
	o.defaults()
	store := Store{Client: o.Client}
	rec, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if cur := rec.State; cur != nil && cur.Phase.InProgress() && cur.Revision != o.Revision {
		res.State = cur
		res.Blocked = fmt.Sprintf("the rollout of %s is %s at wave %d: promote it to the end or abort it first", gitsnap.Short(cur.Revision), strings.ToLower(string(cur.Phase)), cur.Current)
		return res, nil
	}
	if len(o.Clusters) == 0 {
		return nil, fmt.Errorf("control plane %s has no member clusters to roll out to", o.Plane)
	}
	st := rec.State
	resumed := st != nil && st.Phase.InProgress() && st.Revision == o.Revision
	now := metav1.NewTime(o.Now())
	if !resumed {
		st = &State{APIVersion: APIVersion, Plane: o.Plane, Revision: o.Revision, Previous: o.Previous, Phase: Progressing,
			Soak: metav1.Duration{Duration: o.Soak}, Waves: WavesOf(o.Clusters), Policies: PoliciesOf(o.Objects), History: []Event{}}
		if rec.State != nil {
			st.History = rec.State.History
		}
		st.Current = st.Waves[0].Wave
		st.Waves[0].ReleasedAt = &now
		st.History = append(st.History, Event{Time: now, Action: "start", Wave: st.Current, Message: fmt.Sprintf("rollout of %s (from %s), soak %s", gitsnap.Short(o.Revision), cmp.Or(gitsnap.Short(o.Previous), "unknown"), o.Soak)})
	}
	res.State = st
	held := st.Held()
	if resumed {
		res.step("resume the rollout of %s in progress at wave %d", gitsnap.Short(st.Revision), st.Current)
	} else {
		res.step("record the rollout of %s in ConfigMap/%s/%s", gitsnap.Short(o.Revision), StateNamespace, StateName)
	}
	res.step("hold back %d cluster(s) of waves after %d on %d propagation policies: %s", len(held), st.Current, len(st.Policies), joinNames(held, 6))
	res.step("wait until Karmada has copied the gate into every binding")
	res.step("apply %d objects of %s; only wave %d (%s) receives them", len(o.Objects), gitsnap.Short(o.Revision), st.Current, joinNames(st.wave(st.Current).Clusters, 6))
	if !o.Yes {
		ar, err := apply.Run(ctx, apply.Options{Client: o.Client, Objects: o.Objects})
		res.Apply = ar
		return res, err
	}
	if !resumed {
		o.say("record the rollout")
		rec.State = st
		if err := store.Save(ctx, rec); err != nil {
			return res, err
		}
	}
	// Existing policies first, so no template change slips through; then
	// the revision's policies themselves (new ones did not exist yet), with
	// their namespaces, and the gate again on all of them.
	o.say("hold back %d cluster(s)", len(held))
	if _, err := gate(ctx, o.Client, st.Policies, held); err != nil {
		return res, err
	}
	var first []*unstructured.Unstructured
	for _, u := range o.Objects {
		switch u.GetKind() {
		case "Namespace", "CustomResourceDefinition", "PropagationPolicy", "ClusterPropagationPolicy":
			first = append(first, u)
		}
	}
	o.say("apply %d namespaces and policies", len(first))
	if _, err := apply.Run(ctx, apply.Options{Client: o.Client, Objects: first, Yes: true, Timeout: o.Timeout}); err != nil {
		return res, err
	}
	if missing, err := gate(ctx, o.Client, st.Policies, held); err != nil {
		return res, err
	} else if len(missing) > 0 {
		return res, fmt.Errorf("%s: not found after apply", missing[0])
	}
	o.say("wait for the gate in every binding")
	if err := waitGated(ctx, o.Client, st.Policies, held, o.Timeout); err != nil {
		return res, err
	}
	o.say("apply %d objects", len(o.Objects))
	ar, err := apply.Run(ctx, apply.Options{Client: o.Client, Objects: o.Objects, Yes: true, Timeout: o.Timeout})
	res.Apply, res.Acted = ar, true
	return res, err
}

// StatusOf reads the recorded rollout and judges each wave from the
// bindings. It changes nothing.
func StatusOf(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	rec, err := Store{Client: o.Client}.Load(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{State: rec.State}
	if rec.State == nil {
		return res, nil // nothing recorded: nothing to judge
	}
	res.Status, err = observe(ctx, o.Client, rec.State)
	return res, err
}

// PromoteOptions add waiting to a promote.
type PromoteOptions struct {
	Options
	// Wait polls until the current wave has been healthy for the soak
	// time (bounded by Timeout) instead of refusing at once.
	Wait bool
}

// Promote releases the next wave once the current one has been healthy,
// on the current template everywhere, for the soak time; after the last
// wave it completes the rollout. It first re-asserts the recorded gate, so
// an interrupted promote is finished by re-running it.
func Promote(ctx context.Context, o PromoteOptions) (*Result, error) {
	o.defaults()
	store := Store{Client: o.Client}
	deadline := o.Now().Add(o.Timeout)
	for first := true; ; first = false {
		// The gate is re-asserted on the first look only: the polls of
		// --wait read, they need not re-patch every policy.
		res, rec, err := promoteOnce(ctx, store, o.Options, first)
		if err != nil || res.Blocked == "" || !o.Wait || rec == nil || !rec.State.Phase.InProgress() || rec.State.Phase == Paused {
			return res, err
		}
		if !o.Now().Before(deadline) {
			res.Blocked += fmt.Sprintf(" (waited %s)", o.Timeout)
			return res, nil
		}
		o.say("%s", res.Blocked)
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// promoteOnce reads the state, judges the current wave and, with Yes,
// writes the state and then the gate, in that order and guarded: the
// state is written with a compare-and-swap on the resourceVersion it was
// read at BEFORE any policy is touched, so of two promotes that read the
// same state one wins and the other fails with ErrConflict having changed
// nothing; and the gate is then written from the state that won (syncGate).
// Even the first look's re-assertion of the gate (which finishes a promote
// interrupted between its two writes) first checks, by writing the state
// back unchanged, that the state it gates from is still the current one.
func promoteOnce(ctx context.Context, store Store, o Options, assertGate bool) (*Result, *Record, error) {
	rec, err := store.Load(ctx)
	if err != nil {
		return nil, nil, err
	}
	st := rec.State
	res := &Result{State: st}
	if st == nil {
		res.Blocked = noRollout
		return res, nil, nil
	}
	switch st.Phase {
	case Paused:
		res.Blocked = fmt.Sprintf("the rollout of %s is paused: resume it first", gitsnap.Short(st.Revision))
		return res, rec, nil
	case Completed, Aborted:
		res.Blocked = fmt.Sprintf("the rollout of %s is %s: nothing to promote", gitsnap.Short(st.Revision), strings.ToLower(string(st.Phase)))
		return res, rec, nil
	}
	if res.Status, err = observe(ctx, o.Client, st); err != nil {
		return res, rec, err
	}
	now := metav1.NewTime(o.Now())
	cur := st.wave(st.Current)
	var ws *WaveStatus
	for i := range res.Status.Waves {
		if res.Status.Waves[i].Wave == st.Current {
			ws = &res.Status.Waves[i]
		}
	}
	changed := false
	if !ws.Ready() {
		if cur.HealthySince != nil {
			cur.HealthySince, changed = nil, true
		}
		p := ws.Problems[0]
		res.Blocked = fmt.Sprintf("wave %d is not healthy: %d problem(s); first: %s on %s: %s", st.Current, len(ws.Problems), p.Object, p.Cluster, p.Reason)
	} else {
		if cur.HealthySince == nil {
			cur.HealthySince, changed = &now, true
		}
		if left := cur.HealthySince.Add(st.Soak.Duration).Sub(now.Time); left > 0 {
			res.Blocked = fmt.Sprintf("wave %d is healthy since %s; its soak ends in %s", st.Current, cur.HealthySince.UTC().Format(time.RFC3339), left.Round(time.Second))
		}
	}
	if res.Blocked != "" {
		if o.Yes && (changed || assertGate) {
			if err := store.Save(ctx, rec); err != nil {
				return lost(ctx, store, res, "promote", err)
			}
			if assertGate {
				if err := syncGate(ctx, store, o, rec); err != nil {
					return res, rec, err
				}
			}
		}
		return res, rec, nil
	}
	next := st.next()
	if next == nil {
		res.step("every wave is released and healthy: complete the rollout of %s", gitsnap.Short(st.Revision))
		st.Phase = Completed
		st.History = append(st.History, Event{Time: now, Action: "complete", Wave: st.Current})
	} else {
		st.Current = next.Wave
		next.ReleasedAt = &now
		st.History = append(st.History, Event{Time: now, Action: "promote", Wave: next.Wave, Message: joinNames(next.Clusters, 0)})
		held := st.Held()
		res.step("release wave %d: %s", next.Wave, joinNames(next.Clusters, 6))
		if len(held) == 0 {
			res.step("lift the gate from %d propagation policies (wave %d is the last)", len(st.Policies), next.Wave)
		} else {
			res.step("keep %d cluster(s) of later waves held back", len(held))
		}
	}
	if !o.Yes {
		return res, rec, nil
	}
	// The state is written first: if the gate then fails, re-running
	// promote re-asserts the recorded gate.
	if err := store.Save(ctx, rec); err != nil {
		return lost(ctx, store, res, "promote", err)
	}
	o.say("release wave %d", st.Current)
	if err := syncGate(ctx, store, o, rec); err != nil {
		return res, rec, err
	}
	res.Acted = true
	return res, rec, nil
}

// lost turns a Save that lost a compare-and-swap into the command's clean
// failure: nothing was changed, and the result shows the state that won
// instead of the steps this command did not take.
func lost(ctx context.Context, store Store, res *Result, command string, err error) (*Result, *Record, error) {
	if !errors.Is(err, ErrConflict) {
		return res, nil, err
	}
	res.Steps, res.Blocked = nil, ""
	now, lerr := store.Load(ctx)
	if lerr != nil || now.State == nil {
		return res, nil, fmt.Errorf("%s changed nothing: %w", command, err)
	}
	res.State = now.State
	return res, now, fmt.Errorf("%s changed nothing: another rollout command changed the rollout first (it is now %s at wave %d): %w",
		command, now.State.Phase, now.State.Current, err)
}

// syncGateTries bounds how often syncGate follows a state that keeps
// changing.
const syncGateTries = 5

// syncGate writes the gate of rec's state, which this command has just
// saved (or checked), and makes sure the last gate written is the newest
// state's: another command may save a newer state, and gate from it,
// between this command's save and its gate, and this command's gate would
// then land last. So after writing, it reads the state again; while
// another command has saved since, it writes the gate of that newer state
// (the one that won) and checks again. It never gates from a rollout
// another command aborted: abort lifts the gate of the previous
// revision's policies itself and has the last word.
func syncGate(ctx context.Context, store Store, o Options, rec *Record) error {
	for try := 1; ; try++ {
		if _, err := gate(ctx, o.Client, rec.State.Policies, rec.State.Held()); err != nil {
			return err
		}
		latest, err := store.Load(ctx)
		if err != nil {
			return err
		}
		if latest.version == rec.version {
			return nil
		}
		if latest.State == nil || !latest.State.Phase.InProgress() && latest.State.Phase != Completed {
			return fmt.Errorf("the rollout was %s by another command while this one wrote the gate; check it with rollout status: %w", phaseWord(latest.State), ErrConflict)
		}
		if try == syncGateTries {
			return fmt.Errorf("the rollout state changed %d times while this command wrote the gate: %w", try, ErrConflict)
		}
		rec = latest
	}
}

func phaseWord(st *State) string {
	if st == nil {
		return "removed"
	}
	return strings.ToLower(string(st.Phase))
}

// SetPaused pauses (true) or resumes (false) a rollout in progress. A
// paused rollout keeps its gate; promote refuses until it is resumed.
func SetPaused(ctx context.Context, o Options, paused bool, reason string) (*Result, error) {
	o.defaults()
	store := Store{Client: o.Client}
	rec, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	st := rec.State
	res := &Result{State: st}
	from, to, action := Progressing, Paused, "pause"
	if !paused {
		from, to, action = Paused, Progressing, "resume"
	}
	switch {
	case st == nil:
		res.Blocked = noRollout
		return res, nil
	case st.Phase == to:
		res.step("the rollout of %s is already %s", gitsnap.Short(st.Revision), strings.ToLower(string(to)))
		return res, nil
	case st.Phase != from:
		res.Blocked = fmt.Sprintf("the rollout of %s is %s: cannot %s it", gitsnap.Short(st.Revision), strings.ToLower(string(st.Phase)), action)
		return res, nil
	}
	res.step("%s the rollout of %s at wave %d", action, gitsnap.Short(st.Revision), st.Current)
	if !o.Yes {
		return res, nil
	}
	st.Phase = to
	st.History = append(st.History, Event{Time: metav1.NewTime(o.Now()), Action: action, Wave: st.Current, Message: reason})
	if err := store.Save(ctx, rec); err != nil {
		return res, err
	}
	res.Acted = true
	return res, nil
}

// AbortOptions name what the fleet returns to.
type AbortOptions struct {
	Options
	// Previous are the plane's rendered objects at the state's Previous
	// revision.
	Previous []*unstructured.Unstructured
}

// Abort returns every cluster to the previous revision: later waves stay
// held while the previous revision's objects are re-applied and the
// objects the aborted revision added are deleted; once Karmada has
// rendered the previous templates into every Work, the gate is lifted (the
// held clusters already run them) and the rollout is recorded Aborted.
// In production, merge the revert in Git too, or Argo CD will sync the
// aborted revision back.
func Abort(ctx context.Context, o AbortOptions) (*Result, error) {
	o.defaults()
	store := Store{Client: o.Client}
	rec, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	st := rec.State
	res := &Result{State: st}
	if st == nil || !st.Phase.InProgress() {
		res.Blocked = "no rollout in progress to abort"
		if st != nil {
			res.Blocked = fmt.Sprintf("the rollout of %s is %s: revert it in Git instead", gitsnap.Short(st.Revision), strings.ToLower(string(st.Phase)))
		}
		return res, nil
	}
	if len(o.Previous) == 0 {
		return nil, fmt.Errorf("no objects of the previous revision %s to return to", cmp.Or(gitsnap.Short(st.Previous), "(unrecorded)"))
	}
	added, err := addedObjects(ctx, o.Client, st, o.Previous)
	if err != nil {
		return res, err
	}
	held := st.Held()
	res.step("keep %d cluster(s) of waves after %d held back", len(held), st.Current)
	res.step("apply %d objects of the previous revision %s", len(o.Previous), gitsnap.Short(st.Previous))
	if len(added) > 0 {
		names := make([]string, len(added))
		for i, u := range added {
			names[i] = ref(u)
		}
		res.step("delete %d object(s) the aborted revision added: %s", len(added), joinNames(names, 6))
	}
	res.step("wait until Karmada has rendered the previous templates into every Work, then lift the gate")
	res.step("record the rollout of %s as Aborted", gitsnap.Short(st.Revision))
	if !o.Yes {
		ar, err := apply.Run(ctx, apply.Options{Client: o.Client, Objects: o.Previous})
		res.Apply = ar
		return res, err
	}
	if _, err := gate(ctx, o.Client, st.Policies, held); err != nil {
		return res, err
	}
	o.say("apply the previous revision")
	ar, err := apply.Run(ctx, apply.Options{Client: o.Client, Objects: o.Previous, Yes: true, Timeout: o.Timeout})
	res.Apply = ar
	if err != nil {
		return res, err
	}
	for _, u := range added {
		o.say("delete %s", ref(u))
		if err := client.IgnoreNotFound(o.Client.Delete(ctx, u)); err != nil {
			return res, fmt.Errorf("delete %s: %w", ref(u), err)
		}
	}
	prevPolicies := PoliciesOf(o.Previous)
	o.say("wait for Karmada to render the previous revision")
	if err := waitWorksCurrent(ctx, o.Client, prevPolicies, o.Timeout); err != nil {
		return res, err
	}
	if _, err := gate(ctx, o.Client, prevPolicies, nil); err != nil {
		return res, err
	}
	st.Phase = Aborted
	st.History = append(st.History, Event{Time: metav1.NewTime(o.Now()), Action: "abort", Wave: st.Current, Message: "returned to " + cmp.Or(gitsnap.Short(st.Previous), "the previous revision")})
	if err := store.Save(ctx, rec); err != nil {
		return res, err
	}
	res.Acted = true
	return res, nil
}

func ref(u *unstructured.Unstructured) string {
	return diag.ObjectRef(u.GetKind(), u.GetNamespace(), u.GetName())
}

// joinNames lists names, the first max of them (0: all) and a count.
func joinNames(names []string, max int) string {
	if len(names) == 0 {
		return "none"
	}
	if max <= 0 || len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}
