package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/apply"
	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/place"
)

// karmadaClient can read bindings.
func karmadaClient(t *testing.T) client.Client {
	t.Helper()
	return livingClient(t, env.fleet, fleet.HostName)
}

// bindingOf reads the (Cluster)ResourceBinding Karmada made for an object.
func bindingOf(ctx context.Context, c client.Client, kind, namespace, name string) (*workv1alpha2.ResourceBindingSpec, []workv1alpha2.TargetCluster, *bool, error) {
	bname := names.GenerateBindingName(kind, name)
	if namespace == "" {
		crb := &workv1alpha2.ClusterResourceBinding{}
		if err := c.Get(ctx, client.ObjectKey{Name: bname}, crb); err != nil {
			return nil, nil, nil, err
		}
		return &crb.Spec, crb.Spec.Clusters, scheduled(crb.Status.Conditions), nil
	}
	rb := &workv1alpha2.ResourceBinding{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: bname}, rb); err != nil {
		return nil, nil, nil, err
	}
	return &rb.Spec, rb.Spec.Clusters, scheduled(rb.Status.Conditions), nil
}

// scheduled is the binding's Scheduled condition: nil while unknown.
func scheduled(conds []metav1.Condition) *bool {
	c := meta.FindStatusCondition(conds, workv1alpha2.Scheduled)
	if c == nil {
		return nil
	}
	v := c.Status == "True"
	return &v
}

// targetsString formats targets for comparison: cluster=replicas, sorted.
func targetsString(ts []place.Target, replicas bool) string {
	var s []string
	for _, t := range ts {
		if replicas {
			s = append(s, fmt.Sprintf("%s=%d", t.Cluster, t.Replicas))
		} else {
			s = append(s, t.Cluster)
		}
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

func fromBinding(tcs []workv1alpha2.TargetCluster) []place.Target {
	out := make([]place.Target, len(tcs))
	for i, tc := range tcs {
		out[i] = place.Target{Cluster: tc.Name, Replicas: tc.Replicas}
	}
	return out
}

// waitScheduled waits until the binding of an object has a scheduling
// outcome (clusters chosen, or Scheduled=False).
func waitScheduled(ctx context.Context, c client.Client, kind, namespace, name string) ([]workv1alpha2.TargetCluster, bool, error) {
	var targets []workv1alpha2.TargetCluster
	var ok bool
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, tcs, sched, err := bindingOf(ctx, c, kind, namespace, name)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if sched == nil {
			return false, nil
		}
		targets, ok = tcs, *sched
		return true, nil
	})
	return targets, ok, err
}

// TestApplyMatchesPlacePreview applies the example fleet to the real
// Karmada control plane and compares, for every object its policies select,
// the clusters and replicas of the real binding with flotilla place.
func TestApplyMatchesPlacePreview(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	host, err := env.fleet.Client(fleet.HostName)
	if err != nil {
		t.Fatal(err)
	}
	plane := env.rendered.Repo.Fleet.Spec.ControlPlanes[0].Name
	res, err := apply.Run(ctx, apply.Options{Client: host, Objects: cli.PlaneObjects(env.rendered, plane), Yes: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res.Count("created")+res.Count("configured")+res.Count("unchanged") != len(res.Entries) {
		t.Fatalf("apply entries: %+v", res.Entries)
	}
	// Re-running is safe: nothing changes the second time.
	again, err := apply.Run(ctx, apply.Options{Client: host, Objects: cli.PlaneObjects(env.rendered, plane)})
	if err != nil {
		t.Fatal(err)
	}
	if n := again.Count("unchanged"); n != len(again.Entries) {
		t.Errorf("preview after apply: %d of %d unchanged: %+v", n, len(again.Entries), again.Entries)
	}

	preview, _, err := env.engine.Place(ctx, env.rendered, "", place.Options{Alternatives: true})
	if err != nil {
		t.Fatal(err)
	}
	c := karmadaClient(t)
	compared := 0
	for _, p := range preview {
		ns, name := objectNamespaceName(p.Object)
		got, ok, err := waitScheduled(ctx, c, p.Kind, ns, name)
		if err != nil {
			t.Errorf("%s: no scheduling outcome: %v", p.Object, err)
			continue
		}
		if !ok {
			if p.Error == "" {
				t.Errorf("%s: Karmada could not schedule it; the preview put it on %s", p.Object, targetsString(p.Targets, true))
			}
			continue
		}
		divided := p.Replicas > 0
		if !p.Agrees(fromBinding(got)) {
			t.Errorf("%s: preview %s (alternatives %v), Karmada %s", p.Object, targetsString(p.Targets, divided), p.Alternatives, targetsString(fromBinding(got), divided))
		}
		compared++
	}
	if compared < 30 {
		t.Fatalf("only %d objects compared", compared)
	}
	t.Logf("%d objects: placement preview equals Karmada's bindings", compared)
}
