package drill

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	workv1alpha1 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/semdiff"
)

// A member's copy of a Karmada resource template is not the template: the
// scheduler divides a workload's replicas between clusters, and override
// policies adapt it per cluster. The Work Karmada writes for a member holds
// the copy exactly as Karmada renders it for that member, so the fields
// where the Work's manifest differs from the template are the ones Karmada
// sets per member — judged against Karmada, never against another member's
// copy (the source's, which the backup holds).

// placedObject is one object Karmada placed on a member: its template on
// the control plane and its Work's manifest for the member.
type placedObject struct {
	ref      string
	template *unstructured.Unstructured
	member   *unstructured.Unstructured
}

// memberFields are the field paths (semdiff notation, list selectors
// included) where Karmada's copy for a member differs from the template,
// sorted.
func (p placedObject) memberFields() []string {
	var out []string
	for _, ch := range semdiff.Diff(normalized(p.template), normalized(p.member), semdiff.Options{Ignore: ignoredFields}) {
		out = append(out, ch.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// underAny says whether a field path is one of paths or inside one.
func underAny(path string, paths []string) bool {
	for _, p := range paths {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

// bindingRef names the object a binding is for, as Kind/ns/name.
func bindingRef(rb *workv1alpha2.ResourceBinding) string {
	r := rb.Spec.Resource
	return diag.ObjectRef(r.Kind, r.Namespace, r.Name)
}

// notScheduled says why a binding's latest generation has no schedule:
// with the scheduler's own verdict when it tried and failed (all clusters
// in graceful eviction, none matching), which no wait would change.
func notScheduled(rb *workv1alpha2.ResourceBinding) string {
	s := fmt.Sprintf("not scheduled yet (binding generation %d, scheduled %d)", rb.Generation, rb.Status.SchedulerObservedGeneration)
	if c := meta.FindStatusCondition(rb.Status.Conditions, workv1alpha2.Scheduled); c != nil && c.Status == metav1.ConditionFalse && c.Message != "" {
		s += "; Karmada's scheduler: " + c.Reason + ": " + c.Message
	}
	return s
}

// targets says whether a binding schedules its object to cluster.
func targets(rb *workv1alpha2.ResourceBinding, cluster string) bool {
	return slices.ContainsFunc(rb.Spec.Clusters, func(tc workv1alpha2.TargetCluster) bool { return tc.Name == cluster })
}

// placement is what Karmada has placed of some namespaces on a member, as
// far as it has got: the objects whose copy there is up to date, and what
// keeps the others from it.
type placement struct {
	objects []placedObject
	// pending says, per object, why its copy on the member is not (yet)
	// what the template says; empty when everything is placed.
	pending []string
	// empty are the namespaces of which the control plane holds no
	// binding at all: nothing of them was ever applied there.
	empty []string
}

// placedOn reads, from the control plane kc, every object of the
// namespaces Karmada schedules to cluster, and checks that its copy there
// is current: the binding scheduled at its latest generation, the Work
// for the cluster rendered from the template's current generation and
// applied, and the object present on the member (mc).
func placedOn(ctx context.Context, kc, mc client.Client, cluster string, namespaces []string) (placement, error) {
	var pl placement
	for _, ns := range namespaces {
		var rbs workv1alpha2.ResourceBindingList
		if err := kc.List(ctx, &rbs, client.InNamespace(ns)); err != nil {
			return pl, fmt.Errorf("list ResourceBindings in %s on the control plane: %w", ns, err)
		}
		if len(rbs.Items) == 0 {
			pl.empty = append(pl.empty, ns)
		}
		slices.SortFunc(rbs.Items, func(a, b workv1alpha2.ResourceBinding) int { return strings.Compare(bindingRef(&a), bindingRef(&b)) })
		for i := range rbs.Items {
			rb := &rbs.Items[i]
			if !targets(rb, cluster) {
				switch {
				case rb.Status.SchedulerObservedGeneration != rb.Generation:
					pl.pending = append(pl.pending, bindingRef(rb)+": "+notScheduled(rb))
				case slices.ContainsFunc(rb.Spec.GracefulEvictionTasks, func(t workv1alpha2.GracefulEvictionTask) bool { return t.FromCluster == cluster }):
					// Moved off the source and still leaving it: a backup
					// now would hold a copy on its way out.
					pl.pending = append(pl.pending, fmt.Sprintf("%s: Karmada is still evicting it from %s (graceful eviction)", bindingRef(rb), cluster))
				}
				continue
			}
			po, why, err := placedCopy(ctx, kc, mc, rb, cluster)
			if err != nil {
				return pl, err
			}
			if why != "" {
				pl.pending = append(pl.pending, bindingRef(rb)+": "+why)
				continue
			}
			pl.objects = append(pl.objects, po)
		}
	}
	return pl, nil
}

// placedCopy reads the template and the member's Work of one binding, and
// says why the copy on the member is not current ("" when it is); with mc
// nil, the member itself is not asked.
func placedCopy(ctx context.Context, kc, mc client.Client, rb *workv1alpha2.ResourceBinding, cluster string) (placedObject, string, error) {
	r := rb.Spec.Resource
	po := placedObject{ref: bindingRef(rb)}
	if rb.Status.SchedulerObservedGeneration != rb.Generation {
		return po, notScheduled(rb), nil
	}
	if n := len(rb.Spec.GracefulEvictionTasks); n > 0 {
		// A failover is still moving it (a taint, an unhealthy copy): the
		// placement is not settled, and a backup now would hold a copy
		// on its way out.
		return po, fmt.Sprintf("Karmada is still evicting it from %s (graceful eviction)", rb.Spec.GracefulEvictionTasks[0].FromCluster), nil
	}
	tmpl := &unstructured.Unstructured{}
	tmpl.SetAPIVersion(r.APIVersion)
	tmpl.SetKind(r.Kind)
	if err := kc.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: r.Name}, tmpl); err != nil {
		if apierrors.IsNotFound(err) {
			return po, "its template is gone from the control plane", nil
		}
		return po, "", fmt.Errorf("get the template of %s: %w", po.ref, err)
	}
	po.template = tmpl
	w := &workv1alpha1.Work{}
	key := client.ObjectKey{Namespace: names.GenerateExecutionSpaceName(cluster), Name: names.GenerateWorkName(r.Kind, r.Name, r.Namespace)}
	if err := kc.Get(ctx, key, w); err != nil {
		if apierrors.IsNotFound(err) {
			return po, "no Work for " + cluster + " yet", nil
		}
		return po, "", fmt.Errorf("get Work/%s/%s: %w", key.Namespace, key.Name, err)
	}
	if len(w.Spec.Workload.Manifests) == 0 {
		return po, "its Work for " + cluster + " holds no manifest", nil
	}
	member := &unstructured.Unstructured{}
	if err := json.Unmarshal(w.Spec.Workload.Manifests[0].Raw, &member.Object); err != nil {
		return po, "", fmt.Errorf("decode the manifest of Work/%s/%s: %w", key.Namespace, key.Name, err)
	}
	po.member = member
	if g, err := strconv.ParseInt(member.GetAnnotations()[workv1alpha2.ResourceTemplateGenerationAnnotationKey], 10, 64); err == nil && g != tmpl.GetGeneration() {
		return po, fmt.Sprintf("its Work for %s is rendered from template generation %d, the template is at %d", cluster, g, tmpl.GetGeneration()), nil
	}
	if !meta.IsStatusConditionTrue(w.Status.Conditions, workv1alpha1.WorkApplied) {
		msg := "not applied on " + cluster + " yet"
		if c := meta.FindStatusCondition(w.Status.Conditions, workv1alpha1.WorkApplied); c != nil && c.Message != "" {
			msg += ": " + c.Message
		}
		return po, msg, nil
	}
	if mc == nil {
		return po, "", nil
	}
	got := &unstructured.Unstructured{}
	got.SetAPIVersion(r.APIVersion)
	got.SetKind(r.Kind)
	if err := mc.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: r.Name}, got); err != nil {
		if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
			return po, "applied, but not on " + cluster + " yet", nil
		}
		return po, "", fmt.Errorf("get %s on %s: %w", po.ref, cluster, err)
	}
	return po, "", nil
}

// workCopy reads Karmada's copy of an object for a member — its Work's
// manifest — and the object's template; ok is false when Karmada keeps no
// Work for the object there (it did not place it).
func workCopy(ctx context.Context, kc client.Client, obj *unstructured.Unstructured, cluster string) (placedObject, bool, error) {
	po := placedObject{ref: ref(obj)}
	w := &workv1alpha1.Work{}
	key := client.ObjectKey{Namespace: names.GenerateExecutionSpaceName(cluster), Name: names.GenerateWorkName(obj.GetKind(), obj.GetName(), obj.GetNamespace())}
	if err := kc.Get(ctx, key, w); err != nil {
		if apierrors.IsNotFound(err) {
			return po, false, nil
		}
		return po, false, fmt.Errorf("get Work/%s/%s on the control plane: %w", key.Namespace, key.Name, err)
	}
	if len(w.Spec.Workload.Manifests) == 0 {
		return po, false, nil
	}
	member := &unstructured.Unstructured{}
	if err := json.Unmarshal(w.Spec.Workload.Manifests[0].Raw, &member.Object); err != nil {
		return po, false, fmt.Errorf("decode the manifest of Work/%s/%s: %w", key.Namespace, key.Name, err)
	}
	tmpl := &unstructured.Unstructured{}
	tmpl.SetGroupVersionKind(obj.GroupVersionKind())
	if err := kc.Get(ctx, client.ObjectKeyFromObject(obj), tmpl); err != nil {
		if apierrors.IsNotFound(err) {
			return po, false, nil
		}
		return po, false, fmt.Errorf("get the template of %s: %w", po.ref, err)
	}
	po.template, po.member = tmpl, member
	return po, true, nil
}

// awaitPlaced waits, before the backup, until the source holds every
// object of the drill's namespaces as Karmada placed it (bounded by the
// phase timeout), so a backup never starts on a half-propagated
// namespace; it records what the backup must hold. A namespace of which
// the control plane holds nothing was never applied: that ends the wait at
// once, naming the command that applies it.
func (r *runner) awaitPlaced(ctx context.Context) (string, error) {
	st := r.st
	if r.o.ControlPlane == "" {
		return "not checked (no Karmada control plane to ask; give --context)", nil
	}
	kc, err := r.client(r.o.ControlPlane)
	if err != nil {
		return "", err
	}
	mc, err := r.client(st.Source)
	if err != nil {
		return "", err
	}
	var pl placement
	err = r.poll(ctx, fmt.Sprintf("the apps' objects on %s as Karmada placed them", st.Source), func(ctx context.Context) (bool, error) {
		var err error
		if pl, err = placedOn(ctx, kc, mc, st.Source, st.Namespaces); err != nil {
			return false, err
		}
		if len(pl.empty) > 0 {
			return false, stop("nothing of namespace(s) %s is on the Karmada control plane %s: run `flotilla apply --yes` first", strings.Join(pl.empty, ", "), r.o.ControlPlane)
		}
		return len(pl.pending) == 0, nil
	})
	if err != nil {
		if len(pl.pending) > 0 {
			err = fmt.Errorf("%w; not placed on %s yet: %s", err, st.Source, strings.Join(pl.pending, "; "))
		}
		return "", err
	}
	st.Expected, st.SourceKarmadaFields = nil, map[string][]string{}
	for _, po := range pl.objects {
		gvk := po.template.GroupVersionKind()
		st.Expected = append(st.Expected, ObjectKey{Group: gvk.Group, Kind: gvk.Kind, Namespace: po.template.GetNamespace(), Name: po.template.GetName()})
		if f := po.memberFields(); len(f) > 0 {
			st.SourceKarmadaFields[po.ref] = f
		}
	}
	return fmt.Sprintf("%d objects of %s on %s as Karmada placed them", len(pl.objects), strings.Join(st.Namespaces, ", "), st.Source), nil
}

// absentFromControlPlane says whether a template is missing from the
// Karmada control plane ("" when it is there, or when no control plane
// can be asked): then a member will never get it, and a wait for it there
// must end at once rather than run out its time.
func (r *runner) absentFromControlPlane(ctx context.Context, obj client.Object, what string) string {
	if r.o.ControlPlane == "" {
		return ""
	}
	kc, err := r.client(r.o.ControlPlane)
	if err != nil {
		return ""
	}
	if err := kc.Get(ctx, client.ObjectKeyFromObject(obj), obj); apierrors.IsNotFound(err) {
		return fmt.Sprintf("%s is not on the Karmada control plane %s either, so no member will get it: run `flotilla apply --yes` first", what, r.o.ControlPlane)
	}
	return ""
}

// backedUpAll checks that Velero's list of what it backed up holds every
// object preflight saw Karmada place on the source, and returns the ones
// it lacks.
func backedUpAll(ctx context.Context, c client.WithWatch, backup string, expected []ObjectKey) ([]string, error) {
	data, err := download(ctx, c, velerov1.DownloadTargetKindBackupResourceList, backup)
	if err != nil {
		return nil, err
	}
	missing, err := missingFromResourceList(data, expected)
	if err != nil {
		return nil, fmt.Errorf("backup %s resource list: %w", backup, err)
	}
	return missing, nil
}

// missingFromResourceList reads Velero's backup resource list (gzipped
// JSON: "apiVersion/Kind" → ["ns/name" or "name"], as `velero backup
// describe --details` shows it) and returns the expected objects it does
// not name. Objects are matched by group and kind, not version: Velero
// backs up each resource in its preferred version.
func missingFromResourceList(data []byte, expected []ObjectKey) ([]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var list map[string][]string
	if err := json.NewDecoder(zr).Decode(&list); err != nil {
		return nil, err
	}
	held := map[ObjectKey]bool{}
	for key, items := range list {
		i := strings.LastIndex(key, "/")
		if i < 0 {
			continue
		}
		gv, kind := key[:i], key[i+1:]
		group := ""
		if g, _, ok := strings.Cut(gv, "/"); ok {
			group = g
		}
		for _, it := range items {
			k := ObjectKey{Group: group, Kind: kind, Name: it}
			if ns, name, ok := strings.Cut(it, "/"); ok {
				k.Namespace, k.Name = ns, name
			}
			held[k] = true
		}
	}
	var missing []string
	for _, k := range expected {
		if !held[k] {
			missing = append(missing, k.String())
		}
	}
	return missing, nil
}
