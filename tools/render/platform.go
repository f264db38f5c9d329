package render

import (
	"encoding/json"
	"path"
	"slices"
	"strings"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	configv1alpha1 "github.com/karmada-io/karmada/pkg/apis/config/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	nodegroupv1alpha1 "github.com/kubeedge/api/apis/apps/v1alpha1"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
)

// AnnotationArgoSyncOptions carries Argo CD per-resource sync options.
const AnnotationArgoSyncOptions = "argocd.argoproj.io/sync-options"

// RecoveryLocationName names the read-only copy of a storage location that
// a recovery cluster uses to read a source cluster's backups.
func RecoveryLocationName(location, source string) string {
	return location + "-from-" + source
}

// platform renders the fleet-wide objects of every control plane.
func (r *renderer) platform() diag.List {
	for _, plane := range r.planes() {
		kcs := r.planeClusters(plane)
		if len(kcs) == 0 {
			continue
		}
		// Member registrations: applied when a cluster is joined (flotilla
		// apply, karmadactl join), not by Argo CD, because Karmada's
		// cluster controller writes taints of its own into spec.taints and
		// a self-healing sync would fight it.
		for _, c := range r.repo.Clusters {
			if r.repo.ControlPlaneOf(c) != plane {
				continue
			}
			u := toUnstructuredObject(karmadaspec.Cluster(&c.Cluster))
			stamp(u, c.File(), "", nil)
			r.add(path.Join(RenderedDir, plane, clustersDir), u, Origin{File: c.File(), Line: c.Line(""), Doc: c.Doc, Fields: clusterFields()}, "", plane)
		}
		r.edgeGroups(plane, kcs)
		r.spotCapacity(plane)
	}
	r.storageLocations()
	return nil
}

// edgeGroups renders a KubeEdge NodeGroup per EdgeGroup and the policy that
// places it in the group's edge clusters.
func (r *renderer) edgeGroups(plane string, kcs []*clusterv1alpha1.Cluster) {
	dir := path.Join(RenderedDir, plane, platformDir)
	for _, g := range r.repo.EdgeGroups {
		var targets []*clusterv1alpha1.Cluster
		for _, kc := range kcs {
			if slices.Contains(g.Spec.Clusters, kc.Name) {
				targets = append(targets, kc)
			}
		}
		if len(targets) == 0 {
			continue
		}
		ng := &nodegroupv1alpha1.NodeGroup{
			TypeMeta:   metav1.TypeMeta{APIVersion: nodegroupv1alpha1.SchemeGroupVersion.String(), Kind: "NodeGroup"},
			ObjectMeta: metav1.ObjectMeta{Name: g.Name},
			Spec:       nodegroupv1alpha1.NodeGroupSpec{Nodes: slices.Clone(g.Spec.Nodes), MatchLabels: g.Spec.MatchLabels},
		}
		origin := Origin{File: g.File(), Line: g.Line(""), Doc: g.Doc, Fields: edgeGroupFields()}
		cppOrigin := Origin{File: g.File(), Line: g.Line("spec.clusters"), Doc: g.Doc, Fields: pointAt("spec.clusters")}
		u := toUnstructuredObject(ng)
		stamp(u, g.File(), "", nil)
		r.add(dir, u, origin, "", plane)
		cpp := &policyv1alpha1.ClusterPropagationPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindClusterPropagationPolicy},
			ObjectMeta: metav1.ObjectMeta{Name: "nodegroup-" + g.Name},
			Spec: policyv1alpha1.PropagationSpec{
				ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: ng.APIVersion, Kind: ng.Kind, Name: ng.Name}},
				Placement: policyv1alpha1.Placement{
					ClusterAffinity:    &policyv1alpha1.ClusterAffinity{ClusterNames: clusterNames(targets)},
					ClusterTolerations: tolerateAll(targets),
					ReplicaScheduling:  &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
				},
			},
		}
		u = toUnstructuredObject(cpp)
		stamp(u, g.File(), "", nil)
		r.add(dir, u, cppOrigin, "", plane)
	}
}

// backupSite is one source cluster of a storage location and where it
// recovers.
type backupSite struct {
	source     *intent.Cluster
	recoveries []string
}

// storageLocations renders, per storage location in use: the location on
// every member that backs up to it, with a per-cluster prefix (an
// OverridePolicy) so that members never overwrite each other's backups; and
// on every recovery cluster a read-only copy per source it recovers, which
// reads that source's prefix.
func (r *renderer) storageLocations() {
	// sites[plane][location][source cluster]
	type key struct{ plane, location string }
	sites := map[key]map[string]*backupSite{}
	planeOf := map[string]string{}
	for _, c := range r.repo.Clusters {
		planeOf[c.Name] = r.repo.ControlPlaneOf(c)
	}
	for _, app := range r.repo.Apps {
		bk := app.Spec.Backup
		if bk == nil {
			continue
		}
		loc := bk.Location
		if loc == "" {
			loc = r.repo.DefaultLocation().Name
		}
		placement := karmadaspec.Placement(&app.App)
		for _, plane := range r.planes() {
			for _, kc := range candidates(r.planeClusters(plane), placement) {
				if r.repo.BackupSkips(app, kc.Name) {
					continue
				}
				k := key{plane, loc}
				if sites[k] == nil {
					sites[k] = map[string]*backupSite{}
				}
				s := sites[k][kc.Name]
				if s == nil {
					s = &backupSite{source: r.repo.Cluster(kc.Name)}
					sites[k][kc.Name] = s
				}
				rc := bk.RecoveryCluster
				if rc == "" {
					rc = s.source.Spec.DRPartner
				}
				if rc != "" && !slices.Contains(s.recoveries, rc) {
					s.recoveries = append(s.recoveries, rc)
				}
			}
		}
	}
	keys := make([]key, 0, len(sites))
	for k := range sites {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.plane, b.plane); c != 0 {
			return c
		}
		return strings.Compare(a.location, b.location)
	})
	needsNamespace := map[string]Origin{}
	for _, k := range keys {
		l := r.repo.Location(k.location)
		// The location is rendered as written: its fields are the file's.
		origin := Origin{File: l.File(), Line: l.Line(""), Doc: l.Doc}
		policyOrigin := Origin{File: l.File(), Line: l.Line(""), Doc: l.Doc, Fields: pointAt("metadata.name")}
		dir := path.Join(RenderedDir, k.plane, platformDir)
		needsNamespace[k.plane] = origin
		var sources []*clusterv1alpha1.Cluster
		for _, name := range sortedKeys(sites[k]) {
			sources = append(sources, karmadaspec.Cluster(&sites[k][name].source.Cluster))
		}
		bsl := l.BackupStorageLocation.DeepCopy()
		bsl.TypeMeta = metav1.TypeMeta{APIVersion: velerov1.SchemeGroupVersion.String(), Kind: "BackupStorageLocation"}
		bsl.Namespace = VeleroNamespace
		u := toUnstructuredObject(bsl)
		stamp(u, l.File(), "", nil)
		r.add(dir, u, origin, "", k.plane)
		r.add(dir, r.locationPolicy(bsl.Name, sources, l.File()), policyOrigin, "", k.plane)

		prefix := &policyv1alpha1.OverridePolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindOverridePolicy},
			ObjectMeta: metav1.ObjectMeta{Name: bsl.Name + "-prefix", Namespace: VeleroNamespace},
			Spec: policyv1alpha1.OverrideSpec{
				ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: bsl.APIVersion, Kind: bsl.Kind, Name: bsl.Name}},
			},
		}
		for _, src := range sources {
			prefix.Spec.OverrideRules = append(prefix.Spec.OverrideRules, policyv1alpha1.RuleWithCluster{
				TargetCluster: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{src.Name}},
				Overriders: policyv1alpha1.Overriders{Plaintext: []policyv1alpha1.PlaintextOverrider{{
					Path: "/spec/objectStorage/prefix", Operator: policyv1alpha1.OverriderOpAdd,
					Value: jsonString(clusterPrefix(bsl, src.Name)),
				}}},
			})
		}
		u = toUnstructuredObject(prefix)
		stamp(u, l.File(), "", nil)
		r.add(dir, u, policyOrigin, "", k.plane)

		// Read-only copies on recovery clusters: one copy per source, in
		// each plane that federates some of its recovery clusters,
		// propagated to all of them there.
		for _, src := range sources {
			byPlane := map[string][]*clusterv1alpha1.Cluster{}
			for _, rc := range sites[k][src.Name].recoveries {
				rplane := planeOf[rc]
				if rplane == "" {
					continue // unknown recovery cluster: cross-check reports it
				}
				byPlane[rplane] = append(byPlane[rplane], karmadaspec.Cluster(&r.repo.Cluster(rc).Cluster))
			}
			for _, rplane := range sortedKeys(byPlane) {
				targets := byPlane[rplane]
				slices.SortFunc(targets, func(a, b *clusterv1alpha1.Cluster) int { return strings.Compare(a.Name, b.Name) })
				cp := bsl.DeepCopy()
				cp.Name = RecoveryLocationName(bsl.Name, src.Name)
				cp.Spec.Default = false
				cp.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
				if cp.Spec.ObjectStorage != nil {
					cp.Spec.ObjectStorage.Prefix = clusterPrefix(bsl, src.Name)
				}
				rdir := path.Join(RenderedDir, rplane, platformDir)
				needsNamespace[rplane] = origin
				u := toUnstructuredObject(cp)
				stamp(u, l.File(), "", nil)
				r.add(rdir, u, origin, "", rplane)
				r.add(rdir, r.locationPolicy(cp.Name, targets, l.File()), policyOrigin, "", rplane)
			}
		}
	}
	for _, plane := range sortedKeys(needsNamespace) {
		r.veleroRetention(plane, needsNamespace[plane])
		if _, owned := r.nsOwner[VeleroNamespace]; owned {
			continue // an app in namespace velero renders it
		}
		ns := newObject("v1", "Namespace", "", VeleroNamespace)
		stamp(ns, needsNamespace[plane].File, "", nil)
		o := needsNamespace[plane]
		o.Fields = pointAt("metadata.namespace")
		r.add(path.Join(RenderedDir, plane, platformDir), ns, o, "", plane)
	}
}

// veleroStatusKinds are the Velero kinds Karmada propagates whose status
// Velero writes in the member — in the object itself: their CRDs have no
// status subresource.
var veleroStatusKinds = []string{"BackupStorageLocation", "Schedule"}

// retainStatus keeps the member's status when Karmada updates the object.
const retainStatus = `function Retain(desiredObj, observedObj)
  if observedObj.status ~= nil then
    desiredObj.status = observedObj.status
  end
  return desiredObj
end
`

// veleroRetention renders, per control plane with storage locations, a
// Karmada ResourceInterpreterCustomization per Velero kind that keeps the
// status Velero writes in members. Without it, each status write (a
// location marked Available, a schedule's last backup) is an update
// Karmada's work controller undoes by applying the template again, status
// and all: the location flips back to no phase and Velero never backs up
// to it (seen on the local fleet).
func (r *renderer) veleroRetention(plane string, origin Origin) {
	for _, kind := range veleroStatusKinds {
		ric := &configv1alpha1.ResourceInterpreterCustomization{
			TypeMeta:   metav1.TypeMeta{APIVersion: configv1alpha1.SchemeGroupVersion.String(), Kind: "ResourceInterpreterCustomization"},
			ObjectMeta: metav1.ObjectMeta{Name: "velero-" + strings.ToLower(kind) + "-status"},
			Spec: configv1alpha1.ResourceInterpreterCustomizationSpec{
				Target:         configv1alpha1.CustomizationTarget{APIVersion: velerov1.SchemeGroupVersion.String(), Kind: kind},
				Customizations: configv1alpha1.CustomizationRules{Retention: &configv1alpha1.LocalValueRetention{LuaScript: retainStatus}},
			},
		}
		u := toUnstructuredObject(ric)
		stamp(u, origin.File, "", nil)
		o := origin
		o.Fields = pointAt("metadata.name")
		r.add(path.Join(RenderedDir, plane, platformDir), u, o, "", plane)
	}
}

// clusterPrefix is where one cluster's backups live in the bucket.
func clusterPrefix(bsl *velerov1.BackupStorageLocation, cluster string) string {
	if bsl.Spec.ObjectStorage != nil && bsl.Spec.ObjectStorage.Prefix != "" {
		return strings.TrimSuffix(bsl.Spec.ObjectStorage.Prefix, "/") + "/" + cluster
	}
	return cluster
}

func (r *renderer) locationPolicy(name string, targets []*clusterv1alpha1.Cluster, file string) *unstructured.Unstructured {
	pp := &policyv1alpha1.PropagationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: policyv1alpha1.SchemeGroupVersion.String(), Kind: policyv1alpha1.ResourceKindPropagationPolicy},
		ObjectMeta: metav1.ObjectMeta{Name: "location-" + name, Namespace: VeleroNamespace},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: velerov1.SchemeGroupVersion.String(), Kind: "BackupStorageLocation", Name: name}},
			Placement: policyv1alpha1.Placement{
				ClusterAffinity:    &policyv1alpha1.ClusterAffinity{ClusterNames: clusterNames(targets)},
				ClusterTolerations: tolerateAll(targets),
				ReplicaScheduling:  &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
			},
		},
	}
	u := toUnstructuredObject(pp)
	stamp(u, file, "", nil)
	return u
}

func jsonString(s string) apiextensionsv1.JSON {
	raw, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always marshals
	}
	return apiextensionsv1.JSON{Raw: raw}
}
