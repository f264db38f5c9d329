package rebalance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/gitsnap"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/place"
	"github.com/flotilla-gitops/flotilla/tools/plan"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/renderfs"
	"github.com/flotilla-gitops/flotilla/tools/spot/intentedit"
	"github.com/flotilla-gitops/flotilla/tools/spot/intentmap"
	"github.com/flotilla-gitops/flotilla/tools/spot/optimize"
	"github.com/flotilla-gitops/flotilla/tools/spot/signals"
	"github.com/flotilla-gitops/flotilla/tools/validate"
)

// TrailerKey is the commit trailer that marks a rebalance commit, one
// line per app it moves: its times are the apps' earlier moves, which
// the rebalancing limits count.
const TrailerKey = "Flotilla-Spot-Rebalance"

// Trailers beside TrailerKey: what the commit was computed from.
const (
	SignalsTrailer = "Flotilla-Spot-Signals"
	NowTrailer     = "Flotilla-Spot-Now"
)

// Mode says what Run does with a plan.
type Mode int

// The modes.
const (
	// Preview computes and reports; nothing is written.
	Preview Mode = iota
	// Write edits the apps' intent files, renders rendered/ and plans the
	// change against HEAD.
	Write
	// Commit does what Write does from HEAD and makes one commit.
	Commit
)

// Options configure Run.
type Options struct {
	// Root is the control repository.
	Root string
	// Signals is the SpotSignals file.
	Signals string
	// Now is the time of the decision, and with Commit the commit's date.
	Now  time.Time
	Mode Mode
	// Engine renders, places and plans.
	Engine *pipeline.Engine
	// LockWait bounds the wait for another render holding rendered/.
	LockWait time.Duration
	// Progress, when set, is told each step as it starts; Waiting when
	// another render holds rendered/.
	Progress func(step string)
	Waiting  func(holder string)
	// Model is the estimates' model; zero means intentmap.DefaultModel.
	Model intentmap.Model
}

// Result is what Run found and did.
type Result struct {
	Now time.Time `json:"now"`
	// Signals names the signals file (relative to the repository when
	// inside it) and Digest the SHA-256 of every file it read.
	Signals string `json:"signals"`
	Digest  string `json:"signalsDigest"`
	// Base is the commit the intent was read from (Commit mode), or "".
	Base     string          `json:"base,omitempty"`
	Clusters []ClusterReport `json:"clusters"`
	Apps     []AppReport     `json:"apps"`
	// Notes are things the user should know that are not errors.
	Notes []string `json:"notes,omitempty"`
	// Files are the intent files rebalance edits (written unless
	// Preview), sorted.
	Files []string `json:"files,omitempty"`
	// Rendered lists rendered/'s changes when written.
	Rendered []renderfs.Change `json:"rendered,omitempty"`
	Written  bool              `json:"written"`
	// Plan is the change's plan (base HEAD, head the working tree), when
	// written.
	Plan *plan.Plan `json:"plan,omitempty"`
	// Message is the commit message of the change (also in Preview and
	// Write: what --commit would say), and Commit the commit made.
	Message string `json:"message,omitempty"`
	Commit  string `json:"commit,omitempty"`
}

// Changed says some app moves.
func (r *Result) Changed() bool {
	for _, a := range r.Apps {
		if a.Plan.Changed {
			return true
		}
	}
	return false
}

// Missing lists the apps whose plan misses their objective.
func (r *Result) Missing() []string {
	var out []string
	for _, a := range r.Apps {
		if !a.Plan.MeetsObjective {
			out = append(out, a.Name)
		}
	}
	return out
}

// ClusterReport is a cluster's figures as the plan used them.
type ClusterReport struct {
	*intentmap.Cluster
}

// AppReport is one app's plan.
type AppReport struct {
	Name string `json:"app"`
	// File is the app's intent file; Objective its objective's position
	// (file:line:col).
	File      string `json:"file"`
	Objective string `json:"objective"`
	Workload  string `json:"workload"`
	// CurrentFrom says where the current division came from.
	CurrentFrom string `json:"currentFrom"`
	// PodCPU is the replica's CPU request.
	PodCPU float64 `json:"podCPU"`
	// Target is the availability target (0.999).
	Target   float64 `json:"target"`
	Replicas int     `json:"minReady"`
	// Current is the division the plan starts from.
	Current []optimize.Assignment `json:"current"`
	Plan    optimize.Plan         `json:"plan"`
	// Standby are the replicas kept on DR sites as they are (not planned,
	// not counted toward the objective), by cluster.
	Standby map[string]int `json:"standby,omitempty"`
	// Division is the division written (when the plan changed).
	Division []v1alpha1.SpotShare `json:"-"`
}

// ObjectiveError says apps cannot meet their objective: the clusters
// their placement admits cannot hold N under the caps (Errors), or the
// best plan misses the availability target (Missing). Nothing is written.
type ObjectiveError struct {
	Errors  diag.List
	Missing []string
}

func (e *ObjectiveError) Error() string {
	var parts []string
	if len(e.Errors) > 0 {
		parts = append(parts, e.Errors.Error())
	}
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("%s cannot meet the objective with the clusters and signals given: nothing written", strings.Join(e.Missing, ", ")))
	}
	return strings.Join(parts, "\n")
}

// DirtyError refuses a commit over changes rebalance does not make.
type DirtyError struct{ Paths []string }

func (e *DirtyError) Error() string {
	return fmt.Sprintf("refusing to commit: the work tree has changes that spot rebalance does not make (commit or stash them first): %s", strings.Join(e.Paths, ", "))
}

// Run plans every app with a spot objective and, by the mode, writes and
// commits the change. Nothing is written on any error; an error is a
// diag.List for bad input (every problem with its position), an
// *ObjectiveError when an app cannot meet its objective, a *DirtyError
// when Commit meets a dirty tree.
func Run(ctx context.Context, o Options) (*Result, error) {
	say := func(s string) {
		if o.Progress != nil {
			o.Progress(s)
		}
	}
	eng := o.Engine
	res := &Result{Now: o.Now.UTC()}
	repo, gitErr := gitsnap.Open(ctx, o.Root)
	if gitErr != nil && o.Mode != Preview {
		return nil, fmt.Errorf("--write and --commit plan the change against HEAD: %w", gitErr)
	}

	// The intent: HEAD's for a commit (so that the same HEAD and signals
	// make the same commit, whatever an earlier --write left), else the
	// working tree's.
	say("render the repository")
	var r *pipeline.Rendered
	var err error
	if o.Mode == Commit {
		if r, res.Base, err = eng.RenderRevision(ctx, o.Root, "HEAD"); err != nil {
			return nil, err
		}
	} else if r, err = eng.Render(ctx, o.Root); err != nil {
		return nil, err
	}
	var dirtyOwn []string
	if o.Mode == Commit {
		if dirtyOwn, err = checkDirty(ctx, repo, r.Repo); err != nil {
			return nil, err
		}
	}

	say("read the signals")
	sig, digest, err := loadSignals(o.Signals)
	if err != nil {
		return nil, err
	}
	res.Signals, res.Digest = displayPath(o.Root, o.Signals), digest

	moves := map[string][]time.Time{}
	if gitErr == nil {
		commits, err := repo.Trailers(ctx, "HEAD", TrailerKey)
		if err != nil {
			return nil, err
		}
		for _, c := range commits {
			for _, app := range c.Values {
				moves[app] = append(moves[app], c.Time)
			}
		}
	} else {
		res.Notes = append(res.Notes, fmt.Sprintf("not a Git work tree: no earlier rebalance commits counted (%v)", gitErr))
	}

	var placed []place.Result
	if apps := intentmap.NeedsPlacement(r.Repo); len(apps) > 0 {
		say("place " + strings.Join(apps, ", ") + " with Karmada's scheduler")
		placed, _, err = eng.PlaceWith(ctx, r, pipeline.PlaceRequest{Apps: apps, Options: place.Options{Alternatives: true}})
		if err != nil {
			return nil, err
		}
		for i := range placed {
			placed[i].Canonical()
		}
	}
	fleet, err := intentmap.Map(intentmap.Input{Repo: r.Repo, Output: r.Output, Signals: sig, Placed: placed, Moves: moves, Now: o.Now, Model: o.Model})
	if err != nil {
		return nil, err
	}
	// The clusters some app may use.
	used := map[string]bool{}
	for _, a := range fleet.Apps {
		for _, c := range a.Optimize.Clusters {
			used[c] = true
		}
	}
	for _, c := range fleet.Clusters {
		if used[c.Name] {
			res.Clusters = append(res.Clusters, ClusterReport{c})
		}
	}
	if len(fleet.Apps) == 0 {
		res.Notes = append(res.Notes, "no app has a spot objective (spec.spot.objective): nothing to rebalance")
		return res, nil
	}

	say("plan")
	model := o.Model
	if model == (intentmap.Model{}) {
		model = intentmap.DefaultModel()
	}
	if err := planApps(ctx, fleet, model, o, res); err != nil {
		return nil, err
	}
	res.Message = Message(res)
	if missing := res.Missing(); len(missing) > 0 {
		return res, &ObjectiveError{Missing: missing}
	}
	if o.Mode == Preview || (!res.Changed() && len(dirtyOwn) == 0) {
		return res, nil
	}
	if !res.Changed() && o.Mode == Commit {
		// Only an earlier --write's leftovers: nothing to commit.
		res.Notes = append(res.Notes, "no app moves: nothing to commit (the files an earlier --write left are untouched)")
		return res, nil
	}

	// The edits, rendered and validated in memory before anything is
	// written.
	edits := map[string][]byte{}
	for i := range res.Apps {
		a := &res.Apps[i]
		if !a.Plan.Changed {
			continue
		}
		app := r.Repo.App(a.Name)
		data, err := fs.ReadFile(r.Repo.FS, app.File())
		if err != nil {
			return nil, err
		}
		out, err := intentedit.Division(intentedit.Target{File: app.File(), Data: data, Line: app.Source.Doc.Line, Object: intent.KindRef(v1alpha1.KindApp, "", app.Name)}, a.Division)
		if err != nil {
			return nil, err
		}
		edits[app.File()] = out
	}
	for _, f := range dirtyOwn {
		if _, ok := edits[f]; !ok {
			// An earlier --write's edit of an app that does not move now:
			// back to HEAD's.
			data, err := fs.ReadFile(r.Repo.FS, f)
			if err != nil {
				return nil, err
			}
			edits[f] = data
		}
	}
	for f := range edits {
		res.Files = append(res.Files, f)
	}
	sort.Strings(res.Files)
	say("render the change")
	r2, err := eng.RenderEdited(ctx, o.Root, edits)
	if err != nil {
		return nil, err
	}
	findings, err := eng.Validate(ctx, r2)
	if err != nil {
		return nil, err
	}
	if len(findings) > 0 {
		return nil, findingsError(findings)
	}
	files, err := r2.Output.Files()
	if err != nil {
		return nil, err
	}

	say("write")
	if err := write(ctx, o, edits, files, res); err != nil {
		return nil, err
	}
	say("plan the change against HEAD")
	if res.Plan, err = eng.Plan(ctx, pipeline.PlanOptions{Root: o.Root, Base: "HEAD"}); err != nil {
		return nil, err
	}
	if o.Mode == Commit {
		say("commit")
		paths := append(slices.Clone(res.Files), render.RenderedDir)
		if res.Commit, err = repo.Commit(ctx, gitsnap.CommitOptions{Paths: paths, Message: res.Message, When: o.Now}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// checkDirty refuses a commit over anything but the files rebalance
// writes (an app with an objective's intent file, rendered/), and returns
// the intent files among them.
func checkDirty(ctx context.Context, repo *gitsnap.Repo, ir *intent.Repo) ([]string, error) {
	dirty, err := repo.Dirty(ctx)
	if err != nil {
		return nil, err
	}
	own := map[string]bool{}
	for _, a := range ir.Apps {
		if a.Spec.Spot.Objective != nil {
			own[a.File()] = true
		}
	}
	var others, mine []string
	for _, p := range dirty {
		switch {
		case own[p]:
			mine = append(mine, p)
		case strings.HasPrefix(p, render.RenderedDir+"/"):
		default:
			others = append(others, p)
		}
	}
	if len(others) > 0 {
		return nil, &DirtyError{Paths: others}
	}
	return mine, nil
}

// loadSignals reads the signals file and everything it names, hashing
// every file read (by its path relative to the signals file's folder) so
// that the commit can say what it was computed from.
func loadSignals(file string) (*signals.Signals, string, error) {
	dir := filepath.Dir(file)
	sums := map[string]string{}
	read := func(name string) ([]byte, error) {
		data, err := os.ReadFile(name)
		if err == nil {
			rel, rerr := filepath.Rel(dir, name)
			if rerr != nil {
				rel = name
			}
			sum := sha256.Sum256(data)
			sums[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		}
		return data, err
	}
	sig, err := signals.Load(file, signals.Options{ReadFile: read})
	if err != nil {
		return nil, "", err
	}
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s %s\n", sums[n], n)
	}
	return sig, "sha256:" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// displayPath names a file relative to the repository when it is inside
// it, so that messages do not depend on where the clone is.
func displayPath(root, file string) string {
	absRoot, err1 := filepath.Abs(root)
	abs, err2 := filepath.Abs(file)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(absRoot, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.Base(file)
}

// planApps runs the optimizer, once per replica size (apps of one size share
// their clusters' prices), and fills res.Apps. An objective the clusters
// cannot meet is an *ObjectiveError at its position.
func planApps(ctx context.Context, fleet *intentmap.Fleet, model intentmap.Model, o Options, res *Result) error {
	groups := map[float64][]*intentmap.App{}
	var sizes []float64
	for _, a := range fleet.Apps {
		if _, ok := groups[a.PodCPU]; !ok {
			sizes = append(sizes, a.PodCPU)
		}
		groups[a.PodCPU] = append(groups[a.PodCPU], a)
	}
	sort.Float64s(sizes)
	opts := optimize.Options{Now: o.Now, RecoveryMinutes: model.RecoveryMinutes, OutageRecoveryMinutes: model.OutageRecoveryMinutes, Parallelism: o.Engine.Parallelism}
	plans := map[string]optimize.Plan{}
	var objErrs diag.List
	for _, size := range sizes {
		apps := groups[size]
		byName := map[string]optimize.Cluster{}
		var in []optimize.App
		for _, a := range apps {
			for _, c := range a.Clusters {
				byName[c.Name] = c
			}
			in = append(in, a.Optimize)
		}
		clusters := make([]optimize.Cluster, 0, len(byName))
		for _, c := range byName {
			clusters = append(clusters, c)
		}
		sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
		out, err := optimize.Optimize(ctx, clusters, in, opts)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Name the apps at fault: plan each alone.
			for i, a := range apps {
				p, err := optimize.Optimize(ctx, clusters, []optimize.App{a.Optimize}, opts)
				if err != nil {
					e := a.Intent.Source.Err("spec.spot.objective", "%s", strings.TrimPrefix(err.Error(), "app "+a.Name+": ")).(*diag.Error)
					e.Object = intent.KindRef(v1alpha1.KindApp, "", a.Name)
					objErrs = append(objErrs, e)
					continue
				}
				out[i] = p[0]
			}
		}
		for i, a := range apps {
			plans[a.Name] = out[i]
		}
	}
	if len(objErrs) > 0 {
		return &ObjectiveError{Errors: objErrs.Sort()}
	}
	for _, a := range fleet.Apps {
		p := plans[a.Name]
		line, col := a.Intent.Source.Doc.Locate("spec.spot.objective")
		ar := AppReport{Name: a.Name, File: a.Intent.File(), Objective: a.Intent.File() + ":" + strconv.Itoa(line) + ":" + strconv.Itoa(col),
			Workload: a.Workload, CurrentFrom: a.CurrentFrom, PodCPU: a.PodCPU,
			Target: a.Optimize.Objective.Availability, Replicas: a.Optimize.Objective.Replicas, Plan: p, Current: a.Optimize.Current, Standby: a.Standby}
		if p.Changed {
			for _, as := range p.Assignments {
				ar.Division = append(ar.Division, v1alpha1.SpotShare{Cluster: as.Cluster, OnDemand: int32(as.OnDemand), Spot: int32(as.Spot), Hedge: int32(as.Hedge), HedgeSpotOnly: int32(as.HedgeSpotOnly)})
			}
			// DR standby replicas stay as they are, on-demand.
			for _, c := range slices.Sorted(maps.Keys(a.Standby)) {
				if n := a.Standby[c]; n > 0 {
					ar.Division = append(ar.Division, v1alpha1.SpotShare{Cluster: c, OnDemand: int32(n)})
				}
			}
			slices.SortFunc(ar.Division, func(x, y v1alpha1.SpotShare) int { return strings.Compare(x.Cluster, y.Cluster) })
		}
		res.Apps = append(res.Apps, ar)
	}
	return nil
}

// findingsError reports schema findings of the rendered change.
func findingsError(findings []validate.Finding) error {
	var l diag.List
	for _, f := range findings {
		e := f.Source
		e.Msg = fmt.Sprintf("the rendered change does not validate (%s): %s", f.Rendered, e.Msg)
		l = append(l, &e)
	}
	return l.Sort()
}
