package render

import (
	"fmt"
	"path"
	"slices"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	configv1alpha1 "github.com/karmada-io/karmada/pkg/apis/config/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// VeleroNamespace is where Velero runs on every member.
const VeleroNamespace = "velero"

// appBuild is an app with its manifests read and normalized.
type appBuild struct {
	app     *intent.App
	objects []sourceObject
	errs    diag.List
}

// buildApp reads the app's manifests and puts every namespaced object into
// the app's namespace.
func (r *renderer) buildApp(app *intent.App) appBuild {
	b := appBuild{app: app}
	objs, errs := buildSource(r.repo, r.opts, r.budget, app)
	if len(errs) > 0 {
		b.errs = errs
		return b
	}
	ns := app.Spec.Namespace
	for _, so := range objs {
		u := so.obj
		ref := diag.ObjectRef(u.GetKind(), u.GetNamespace(), u.GetName())
		objErr := func(field, format string, args ...any) {
			e := &diag.Error{File: so.origin.File, Line: so.origin.Line, Object: ref, Field: field, Msg: fmt.Sprintf(format, args...)}
			if so.origin.Doc != nil {
				e = so.origin.Doc.Err(field, format, args...)
				e.Object = ref
			}
			b.errs = append(b.errs, e)
		}
		if u.GetName() == "" {
			objErr("metadata.name", "required")
			continue
		}
		if u.GetKind() == "Namespace" {
			objErr("kind", "apps do not declare their Namespace: flotilla renders %q from spec.namespace", ns)
			continue
		}
		namespaced, known := r.opts.Scopes.Namespaced(u.GroupVersionKind())
		if !known {
			objErr("kind", "unknown kind %s: no schema for it among the built-in kinds and the CRDs flotilla knows", u.GroupVersionKind())
			continue
		}
		switch {
		case namespaced && u.GetNamespace() == "":
			u.SetNamespace(ns)
		case namespaced && u.GetNamespace() != ns:
			objErr("metadata.namespace", "%q is not the app's namespace %q (spec.namespace in %s)", u.GetNamespace(), ns, app.File())
			continue
		case !namespaced && u.GetNamespace() != "":
			objErr("metadata.namespace", "%s is cluster-scoped and takes no namespace", u.GetKind())
			continue
		}
		stamp(u, so.origin.File, app.Name, &app.Spec.Rollout.Wave)
		b.objects = append(b.objects, so)
	}
	slices.SortStableFunc(b.objects, func(a, c sourceObject) int { return compareObjects(a.obj, c.obj) })
	applySpotToWorkloads(b)
	divide(&b)
	for i := 1; i < len(b.objects); i++ {
		if compareObjects(b.objects[i-1].obj, b.objects[i].obj) == 0 {
			o := b.objects[i]
			b.errs = append(b.errs, &diag.Error{File: o.origin.File, Line: o.origin.Line,
				Object: diag.ObjectRef(o.obj.GetKind(), o.obj.GetNamespace(), o.obj.GetName()),
				Msg:    "declared twice in the app's manifests", Related: fmt.Sprintf("%s:%d", b.objects[i-1].origin.File, b.objects[i-1].origin.Line)})
		}
	}
	return b
}

// namespaceOwners picks, for every namespace, the app that renders its
// Namespace object: the first by name, so two apps sharing a namespace do
// not both deliver it.
func (r *renderer) namespaceOwners(built []appBuild) {
	r.nsOwner = map[string]string{}
	for _, b := range built {
		if _, ok := r.nsOwner[b.app.Spec.Namespace]; !ok {
			r.nsOwner[b.app.Spec.Namespace] = b.app.Name
		}
	}
}

// planeClusters returns the Karmada Cluster objects of one control plane, in
// name order. They are built once per render: every app's placement is
// matched against them.
func (r *renderer) planeClusters(plane string) []*clusterv1alpha1.Cluster {
	if r.byPlane == nil {
		r.byPlane = map[string][]*clusterv1alpha1.Cluster{}
		for _, c := range r.repo.Clusters {
			p := r.repo.ControlPlaneOf(c)
			r.byPlane[p] = append(r.byPlane[p], karmadaspec.Cluster(&c.Cluster))
		}
	}
	return r.byPlane[plane]
}

// candidates are the clusters of a plane that the app's placement can use
// (affinity, or any affinity group, and taints), as karmada-scheduler's
// filters would allow them.
func candidates(kcs []*clusterv1alpha1.Cluster, p policyv1alpha1.Placement) []*clusterv1alpha1.Cluster {
	if len(p.ClusterAffinities) == 0 {
		return karmadaspec.Candidates(kcs, p.ClusterAffinity, p.ClusterTolerations)
	}
	var out []*clusterv1alpha1.Cluster
	for _, kc := range kcs {
		for i := range p.ClusterAffinities {
			if karmadaspec.Matches(kc, &p.ClusterAffinities[i].ClusterAffinity) {
				if ok, _ := karmadaspec.Tolerates(kc, p.ClusterTolerations); ok {
					out = append(out, kc)
				}
				break
			}
		}
	}
	return out
}

func (r *renderer) planes() []string {
	var out []string
	for _, p := range r.repo.Fleet.Spec.ControlPlanes {
		out = append(out, p.Name)
	}
	return out
}

// app renders one app into every control plane it reaches.
func (r *renderer) app(b appBuild) diag.List {
	app := b.app
	placement := karmadaspec.Placement(&app.App)
	var errs diag.List
	errs = append(errs, r.checkOverrideContainers(b)...)
	for _, plane := range r.planes() {
		kcs := r.planeClusters(plane)
		cands := candidates(kcs, placement)
		if len(cands) == 0 {
			continue
		}
		dir := path.Join(RenderedDir, plane, appsDir, app.Name)
		appOrigin := func(field string, fields yamldoc.FieldMap) Origin {
			return Origin{File: app.File(), Line: app.Line(field), Doc: app.Doc, Fields: fields}
		}
		if r.nsOwner[app.Spec.Namespace] == app.Name {
			ns := newObject("v1", "Namespace", "", app.Spec.Namespace)
			stamp(ns, app.File(), app.Name, &app.Spec.Rollout.Wave)
			r.add(dir, ns, appOrigin("spec.namespace", pointAt("spec.namespace")), app.Name, plane)
		}
		// With failover, only objects whose health Karmada can interpret go
		// under the failover policy (failover waits for "Unhealthy", which
		// other kinds never report); the rest get the same placement
		// without failover. Karmada's own interpreter decides.
		var namespaced, support, clusterScoped []policyv1alpha1.ResourceSelector
		failover := karmadaspec.Failover(&app.App)
		objects := r.planeObjects(b, plane)
		var variants []sourceObject
		var divided *dividedPart
		for _, so := range objects {
			r.add(dir, so.obj, so.origin, app.Name, plane)
			if r.skipped.GroupVersionKindDisabled(so.obj.GroupVersionKind()) || r.skipped.GroupDisabled(so.obj.GroupVersionKind().Group) ||
				r.skipped.GroupVersionDisabled(so.obj.GroupVersionKind().GroupVersion()) {
				// Karmada's own APIs (and events, leases) stay in the control
				// plane: its detector never propagates them.
				continue
			}
			sel := policyv1alpha1.ResourceSelector{APIVersion: so.obj.GetAPIVersion(), Kind: so.obj.GetKind(), Name: so.obj.GetName()}
			switch {
			case so.divided != nil && so.divided.capacity != "":
				// A variant of the divided Deployment: its own policy.
				variants = append(variants, so)
				continue
			case so.divided != nil:
				divided = so.divided
			}
			switch {
			case so.obj.GetNamespace() == "":
				clusterScoped = append(clusterScoped, sel)
			case failover != nil && !r.interpreter.HookEnabled(so.obj.GroupVersionKind(), configv1alpha1.InterpreterOperationInterpretHealth):
				support = append(support, sel)
			default:
				namespaced = append(namespaced, sel)
			}
		}
		spec := policyv1alpha1.PropagationSpec{Placement: placement, Failover: failover}
		// Karmada requires dependencies to follow a workload that fails
		// over (its webhook rejects failover without propagateDeps).
		spec.PropagateDeps = failover != nil
		if len(namespaced) > 0 {
			pp := &policyv1alpha1.PropagationPolicy{
				TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindPropagationPolicy},
				ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Spec.Namespace},
				Spec:       *spec.DeepCopy(),
			}
			pp.Spec.ResourceSelectors = namespaced
			fields := placementFields()
			if divided != nil {
				// The divided Deployment's spot replicas and hedges, per
				// cluster: the weights the division replaces. The app's
				// other objects have no replicas, which Karmada sends to
				// every cluster the placement allows whatever the weights
				// (as they do a Deployment of 0 replicas: with no spot
				// replica in the plane it stays, empty, keeping its
				// immutable selector for the divisions to come).
				pp.Spec.Placement.ReplicaScheduling = staticWeights(divided.counts)
				fields = divisionFields(fields, divided.counts)
			}
			o := r.add(dir, r.typed(pp, app), appOrigin("spec.placement", fields), app.Name, plane)
			r.out.Placements[app.Name] = o
		}
		for _, v := range variants {
			pp := variantPolicy(app, v, placement, failover)
			r.add(dir, r.typed(pp, app), appOrigin("spec.spot.division", divisionFields(pointAt("spec.spot.division"), v.divided.counts)), app.Name, plane)
		}
		if len(support) > 0 {
			pp := &policyv1alpha1.PropagationPolicy{
				TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindPropagationPolicy},
				ObjectMeta: metav1.ObjectMeta{Name: app.Name + "-support", Namespace: app.Spec.Namespace},
				Spec:       policyv1alpha1.PropagationSpec{Placement: placement, ResourceSelectors: support},
			}
			r.add(dir, r.typed(pp, app), appOrigin("spec.placement", placementFields()), app.Name, plane)
		}
		if len(clusterScoped) > 0 {
			cpp := &policyv1alpha1.ClusterPropagationPolicy{
				TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindClusterPropagationPolicy},
				ObjectMeta: metav1.ObjectMeta{Name: app.Name},
				Spec:       spec,
			}
			cpp.Spec.ResourceSelectors = clusterScoped
			// Failover applies to workloads; cluster-scoped objects follow.
			cpp.Spec.Failover = nil
			o := r.add(dir, r.typed(cpp, app), appOrigin("spec.placement", placementFields()), app.Name, plane)
			if _, ok := r.out.Placements[app.Name]; !ok {
				r.out.Placements[app.Name] = o
			}
		}
		ops, opErrs := r.overridePolicies(b.app, objects, cands)
		errs = append(errs, opErrs...)
		for _, op := range ops {
			field := "spec.overrides"
			if len(app.Spec.Overrides) == 0 {
				field = "spec.edge"
			}
			r.add(dir, r.typed(op, app), appOrigin(field, pointAt(field)), app.Name, plane)
		}
		errs = append(errs, r.appScaling(b, dir, plane, placement)...)
		if app.Spec.Backup != nil {
			sched, sp := r.schedule(b, placement)
			r.add(dir, sched, appOrigin("spec.backup", scheduleFields()), app.Name, plane)
			r.add(dir, sp, appOrigin("spec.backup", placementFields()), app.Name, plane)
		}
	}
	return errs
}

// typed converts an engine API object to unstructured, stamped.
func (r *renderer) typed(obj runtime.Object, app *intent.App) *unstructured.Unstructured {
	u := toUnstructuredObject(obj)
	var wave *int32
	if app != nil {
		wave = &app.Spec.Rollout.Wave
		stamp(u, app.File(), app.Name, wave)
	}
	return u
}

func toUnstructuredObject(obj runtime.Object) *unstructured.Unstructured {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		// Only engine types with JSON tags reach here; a failure is a bug.
		panic(fmt.Sprintf("convert %T: %v", obj, err))
	}
	u := &unstructured.Unstructured{Object: m}
	cleanMeta(u)
	tidy(u)
	return u
}

// cleanMeta removes what the converter adds for zero values and an API
// server would never show in a manifest.
func cleanMeta(u *unstructured.Unstructured) {
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	if md, ok := u.Object["metadata"].(map[string]any); ok && len(md) == 0 {
		delete(u.Object, "metadata")
	}
}

func newObject(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetName(name)
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	return u
}

// schedule renders the app's Velero Schedule and the policy that sends it
// to every cluster the app may run on (Duplicated: each member backs up its
// own copy of the namespace).
func (r *renderer) schedule(b appBuild, placement policyv1alpha1.Placement) (*unstructured.Unstructured, *unstructured.Unstructured) {
	app := b.app
	bk := app.Spec.Backup
	loc := bk.Location
	if loc == "" {
		loc = r.repo.DefaultLocation().Name
	}
	s := &velerov1.Schedule{
		TypeMeta:   metav1.TypeMeta{APIVersion: velerov1.SchemeGroupVersion.String(), Kind: "Schedule"},
		ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: VeleroNamespace},
		Spec: velerov1.ScheduleSpec{
			Schedule:                   bk.Schedule,
			UseOwnerReferencesInBackup: ptr.To(false),
			// Velero's schedule controller writes the server's default
			// into an unset skipImmediately, and Karmada takes it out
			// again when it applies the template: stated here, the two
			// stop rewriting the Schedule several times a second for as
			// long as Velero runs.
			SkipImmediately: ptr.To(false),
			Template: velerov1.BackupSpec{
				IncludedNamespaces: []string{app.Spec.Namespace},
				TTL:                bk.TTL,
				StorageLocation:    loc,
			},
		},
	}
	if hasVolumes(b.objects) {
		// Persistent data must leave the region to be restorable there:
		// file-system backup (kopia) uploads it to the object store, where
		// provider snapshots would stay in the source region.
		s.Spec.Template.DefaultVolumesToFsBackup = ptr.To(true)
	}
	sp := placement.DeepCopy()
	// Backups run where the app runs, except on DR sites that hold standby
	// copies and have nowhere to recover to (intent.Repo.BackupSkips).
	var skip []string
	for _, c := range r.repo.Clusters {
		if r.repo.BackupSkips(app, c.Name) {
			skip = append(skip, c.Name)
		}
	}
	if len(skip) > 0 {
		excludeAll(sp, skip)
	}
	sp.ReplicaScheduling = &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated}
	sp.SpreadConstraints = nil
	pp := &policyv1alpha1.PropagationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindPropagationPolicy},
		ObjectMeta: metav1.ObjectMeta{Name: app.Name + "-schedule", Namespace: VeleroNamespace},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: velerov1.SchemeGroupVersion.String(), Kind: "Schedule", Name: app.Name}},
			Placement:         *sp,
		},
	}
	return r.typed(s, app), r.typed(pp, app)
}

// excludeAll adds clusters to the exclusions of every affinity of a placement.
func excludeAll(p *policyv1alpha1.Placement, clusters []string) {
	if len(p.ClusterAffinities) > 0 {
		for i := range p.ClusterAffinities {
			p.ClusterAffinities[i].ExcludeClusters = append(p.ClusterAffinities[i].ExcludeClusters, clusters...)
		}
		return
	}
	if p.ClusterAffinity == nil {
		p.ClusterAffinity = &policyv1alpha1.ClusterAffinity{}
	}
	p.ClusterAffinity.ExcludeClusters = append(p.ClusterAffinity.ExcludeClusters, clusters...)
}

func hasVolumes(objs []sourceObject) bool {
	for _, so := range objs {
		switch so.obj.GetKind() {
		case "PersistentVolumeClaim":
			return true
		case "StatefulSet":
			if v, ok, _ := unstructured.NestedSlice(so.obj.Object, "spec", "volumeClaimTemplates"); ok && len(v) > 0 {
				return true
			}
		}
	}
	return false
}

// tolerateAll returns Exists tolerations for every NoSchedule/NoExecute
// taint key of the clusters, so platform objects reach tainted members.
func tolerateAll(kcs []*clusterv1alpha1.Cluster) []corev1.Toleration {
	seen := map[string]bool{}
	var out []corev1.Toleration
	for _, kc := range kcs {
		for _, t := range kc.Spec.Taints {
			if t.Effect == corev1.TaintEffectPreferNoSchedule {
				continue
			}
			key := t.Key + "|" + string(t.Effect)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpExists, Effect: t.Effect})
		}
	}
	slices.SortFunc(out, func(a, b corev1.Toleration) int {
		if a.Key != b.Key {
			if a.Key < b.Key {
				return -1
			}
			return 1
		}
		if a.Effect < b.Effect {
			return -1
		}
		if a.Effect > b.Effect {
			return 1
		}
		return 0
	})
	return out
}

func clusterNames(kcs []*clusterv1alpha1.Cluster) []string {
	out := make([]string, len(kcs))
	for i, kc := range kcs {
		out[i] = kc.Name
	}
	return out
}
