package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	ssautils "github.com/fluxcd/pkg/ssa/utils"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager is the field owner of everything flotilla applies.
const FieldManager = "flotilla"

// Options configure Run.
type Options struct {
	Client  client.Client
	Objects []*unstructured.Unstructured
	// Yes acts; without it Run only previews.
	Yes bool
	// Wait waits for the applied objects to become ready: a workload
	// Karmada propagates when every copy is applied and not Unhealthy
	// (wait.go), anything else when kstatus says Current.
	Wait    bool
	Timeout time.Duration
}

// Entry is what happens (or would happen) to one object.
type Entry struct {
	Object string `json:"object"`
	Action string `json:"action"`
	Error  string `json:"error,omitempty"`
}

// Result is the outcome of Run.
type Result struct {
	Entries []Entry `json:"entries"`
	Applied bool    `json:"applied"`
}

// Count returns how many entries have an action.
func (r *Result) Count(action string) int {
	n := 0
	for _, e := range r.Entries {
		if e.Action == action {
			n++
		}
	}
	return n
}

// Run previews or applies the objects.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	m := ssa.NewResourceManager(o.Client, polling.NewStatusPoller(o.Client, o.Client.RESTMapper(), polling.Options{}), ssa.Owner{Field: FieldManager, Group: "flotilla.io"})
	objs := make([]*unstructured.Unstructured, len(o.Objects))
	for i, u := range o.Objects {
		objs[i] = u.DeepCopy()
	}
	if !o.Yes {
		return preview(ctx, m, objs)
	}
	opts := ssa.DefaultApplyOptions()
	opts.WaitTimeout = o.Timeout
	cs, err := m.ApplyAllStaged(ctx, objs, opts)
	res := &Result{Applied: err == nil}
	if cs != nil {
		for _, e := range cs.Entries {
			res.Entries = append(res.Entries, Entry{Object: e.Subject, Action: string(e.Action)})
		}
	}
	if err != nil {
		return res, fmt.Errorf("apply: %w", err)
	}
	if o.Wait {
		if err := waitReady(ctx, o.Client, objs, time.Second, o.Timeout); err != nil {
			return res, fmt.Errorf("wait: %w", err)
		}
	}
	sortEntries(res)
	return res, nil
}

// preview dry-runs each object. An object whose namespace is created by
// the same apply is reported as created.
func preview(ctx context.Context, m *ssa.ResourceManager, objs []*unstructured.Unstructured) (*Result, error) {
	sortObjects(objs)
	newNS := map[string]bool{}
	res := &Result{}
	for _, u := range objs {
		ref := ssautils.FmtUnstructured(u)
		if ns := u.GetNamespace(); ns != "" && newNS[ns] {
			res.Entries = append(res.Entries, Entry{Object: ref, Action: string(ssa.CreatedAction)})
			continue
		}
		entry, _, _, err := m.Diff(ctx, u, ssa.DefaultDiffOptions())
		if err != nil {
			if apierrors.IsNotFound(err) || strings.Contains(err.Error(), "no matches for kind") {
				res.Entries = append(res.Entries, Entry{Object: ref, Action: string(ssa.CreatedAction)})
				continue
			}
			res.Entries = append(res.Entries, Entry{Object: ref, Action: string(ssa.UnknownAction), Error: err.Error()})
			continue
		}
		if entry.Action == ssa.CreatedAction && u.GetKind() == "Namespace" {
			newNS[u.GetName()] = true
		}
		res.Entries = append(res.Entries, Entry{Object: ref, Action: string(entry.Action)})
	}
	sortEntries(res)
	return res, nil
}

// sortObjects puts CRDs and namespaces first, as the staged apply does.
func sortObjects(objs []*unstructured.Unstructured) {
	rank := func(u *unstructured.Unstructured) int {
		switch u.GetKind() {
		case "CustomResourceDefinition":
			return 0
		case "Namespace":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(ssautils.FmtUnstructured(a), ssautils.FmtUnstructured(b))
	})
}

func sortEntries(r *Result) {
	slices.SortStableFunc(r.Entries, func(a, b Entry) int { return strings.Compare(a.Object, b.Object) })
}
