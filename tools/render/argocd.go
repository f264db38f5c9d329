package render

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"

	argov1alpha1 "github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/appset"
	"github.com/flotilla-gitops/flotilla/tools/diag"
)

// LabelControlPlane is carried by every generated Application.
const LabelControlPlane = "flotilla.io/control-plane"

// argocd renders the AppProject, one ApplicationSet per control plane, and
// the preview of the Applications they expand to.
func (r *renderer) argocd(ctx context.Context) error {
	f := r.repo.Fleet
	origin := Origin{File: f.File(), Line: f.Line("spec"), Doc: f.Doc, Fields: pointAt("spec")}
	dir := path.Join(RenderedDir, argoDir)

	// The project allows exactly what rendered/ holds: this repository,
	// the control planes, and the cluster-scoped kinds actually rendered.
	proj := &argov1alpha1.AppProject{
		TypeMeta:   metav1.TypeMeta{APIVersion: argov1alpha1.SchemeGroupVersion.String(), Kind: "AppProject"},
		ObjectMeta: metav1.ObjectMeta{Name: f.Spec.ArgoCD.Project, Namespace: f.Spec.ArgoCD.Namespace},
		Spec: argov1alpha1.AppProjectSpec{
			Description: "Fleet delivered by flotilla from " + f.Spec.RepoURL,
			SourceRepos: []string{f.Spec.RepoURL},
		},
	}
	for _, p := range f.Spec.ControlPlanes {
		if p.Delivery != v1alpha1.DeliveryPerCluster {
			proj.Spec.Destinations = append(proj.Spec.Destinations, argov1alpha1.ApplicationDestination{Name: p.DestinationName(), Namespace: "*"})
			continue
		}
		for _, c := range r.waves(p.Name) {
			proj.Spec.Destinations = append(proj.Spec.Destinations, argov1alpha1.ApplicationDestination{Name: c.name, Namespace: "*"})
		}
	}
	seenGK := map[schema.GroupKind]bool{}
	for _, o := range r.out.Objects {
		if o.Plane == "" || path.Base(path.Dir(o.Path)) == clustersDir || o.Path == path.Join(RenderedDir, o.Plane, clustersDir) {
			continue
		}
		if o.Object.GetNamespace() == "" {
			seenGK[o.Object.GroupVersionKind().GroupKind()] = true
		}
	}
	gks := make([]schema.GroupKind, 0, len(seenGK))
	for gk := range seenGK {
		gks = append(gks, gk)
	}
	slices.SortFunc(gks, func(a, b schema.GroupKind) int {
		if a.Group != b.Group {
			if a.Group < b.Group {
				return -1
			}
			return 1
		}
		if a.Kind < b.Kind {
			return -1
		} else if a.Kind > b.Kind {
			return 1
		}
		return 0
	})
	for _, gk := range gks {
		proj.Spec.ClusterResourceWhitelist = append(proj.Spec.ClusterResourceWhitelist, metav1.GroupKind{Group: gk.Group, Kind: gk.Kind})
	}
	pu := toUnstructuredObject(proj)
	stamp(pu, f.File(), "", nil)
	r.add(dir, pu, origin, "", "")

	// The tree the git generator will list: every rendered folder.
	var dirs []string
	for _, o := range r.out.Objects {
		if o.Plane != "" {
			dirs = append(dirs, o.Path)
		}
	}
	tree := &appset.Tree{RepoURL: f.Spec.RepoURL, Dirs: appset.WithParents(dirs)}

	var err error
	for _, p := range f.Spec.ControlPlanes {
		as := r.applicationSet(p.Name, p.DestinationName())
		if p.Delivery == v1alpha1.DeliveryPerCluster {
			if as, err = r.perClusterApplicationSet(p.Name); err != nil {
				return err
			}
		}
		u := toUnstructuredObject(as)
		stamp(u, f.File(), "", nil)
		r.add(dir, u, origin, "", "")
		if r.opts.SkipPreviews {
			continue
		}
		apps, err := expand(ctx, as, proj, tree, r.opts.Previews)
		if err != nil {
			return diag.List{&diag.Error{File: f.File(), Line: f.Line("spec.controlPlanes"), Object: fmt.Sprintf("ApplicationSet/%s/%s", as.Namespace, as.Name), Msg: err.Error(), Err: err}}
		}
		for i := range apps {
			a := &apps[i]
			a.TypeMeta = metav1.TypeMeta{APIVersion: argov1alpha1.SchemeGroupVersion.String(), Kind: "Application"}
			pv := toUnstructuredObject(a)
			o := r.add(path.Join(dir, previewDir, p.Name), pv, origin, "", "")
			o.Preview = true
		}
	}
	return nil
}

// memberWave is a member cluster of a plane and its rollout wave.
type memberWave struct {
	name string
	wave int32
}

// waves lists a plane's clusters with their waves, by name.
func (r *renderer) waves(plane string) []memberWave {
	var out []memberWave
	for _, c := range r.repo.Clusters {
		if r.repo.ControlPlaneOf(c) == plane {
			out = append(out, memberWave{name: c.Name, wave: c.Spec.Wave})
		}
	}
	return out
}

// LabelCluster and LabelWave are carried by the Applications of a plane
// delivered per cluster: the member and its rollout wave, which the
// RollingSync steps select on.
const (
	LabelCluster = "flotilla.io/cluster"
	LabelWave    = "flotilla.io/wave"
)

// perClusterApplicationSet delivers rendered/<plane>/members/<cluster>/*
// straight to each member: a matrix of the plane's clusters (with their
// waves) and the git directories of each cluster's folder, one Application
// per app and cluster. Its RollingSync strategy has one step per wave,
// lowest first, so Argo CD's progressive sync releases a change to the
// clusters of wave n only once every Application of the earlier waves is
// Healthy — the order `flotilla rollout` follows on Karmada planes.
func (r *renderer) perClusterApplicationSet(plane string) (*argov1alpha1.ApplicationSet, error) {
	f := r.repo.Fleet
	members := r.waves(plane)
	var elements []apiextensionsv1.JSON
	var waves []int32
	for _, m := range members {
		raw, err := json.Marshal(map[string]string{"cluster": m.name, "wave": strconv.Itoa(int(m.wave))})
		if err != nil {
			return nil, err
		}
		elements = append(elements, apiextensionsv1.JSON{Raw: raw})
		if !slices.Contains(waves, m.wave) {
			waves = append(waves, m.wave)
		}
	}
	slices.Sort(waves)
	var steps []argov1alpha1.ApplicationSetRolloutStep
	for _, w := range waves {
		steps = append(steps, argov1alpha1.ApplicationSetRolloutStep{
			MatchExpressions: []argov1alpha1.ApplicationMatchExpression{{Key: LabelWave, Operator: "In", Values: []string{strconv.Itoa(int(w))}}},
		})
	}
	as := r.applicationSet(plane, "{{.cluster}}")
	as.Spec.Generators = []argov1alpha1.ApplicationSetGenerator{{
		Matrix: &argov1alpha1.MatrixGenerator{Generators: []argov1alpha1.ApplicationSetNestedGenerator{
			{List: &argov1alpha1.ListGenerator{Elements: elements}},
			{Git: &argov1alpha1.GitGenerator{
				RepoURL:  f.Spec.RepoURL,
				Revision: f.Spec.TargetRevision,
				Directories: []argov1alpha1.GitDirectoryGeneratorItem{
					{Path: path.Join(RenderedDir, plane, MembersDir, "{{.cluster}}", "*")},
				},
			}},
		}},
	}}
	as.Spec.Strategy = &argov1alpha1.ApplicationSetStrategy{
		Type:        "RollingSync",
		RollingSync: &argov1alpha1.ApplicationSetRolloutStrategy{Steps: steps},
	}
	as.Spec.Template.Name = plane + "-{{.cluster}}-{{.path.basename}}"
	as.Spec.Template.Labels[LabelCluster] = "{{.cluster}}"
	as.Spec.Template.Labels[LabelWave] = "{{.wave}}"
	return as, nil
}

// applicationSet delivers rendered/<plane>/apps/* and rendered/<plane>/platform
// to the plane's Karmada API server: one Application per folder.
func (r *renderer) applicationSet(plane, destination string) *argov1alpha1.ApplicationSet {
	f := r.repo.Fleet
	base := path.Join(RenderedDir, plane)
	return &argov1alpha1.ApplicationSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: argov1alpha1.SchemeGroupVersion.String(), Kind: "ApplicationSet"},
		ObjectMeta: metav1.ObjectMeta{Name: plane, Namespace: f.Spec.ArgoCD.Namespace},
		Spec: argov1alpha1.ApplicationSetSpec{
			GoTemplate: true,
			// A typo in a template key must fail, not render "<no value>".
			GoTemplateOptions: []string{"missingkey=error"},
			Generators: []argov1alpha1.ApplicationSetGenerator{{
				Git: &argov1alpha1.GitGenerator{
					RepoURL:  f.Spec.RepoURL,
					Revision: f.Spec.TargetRevision,
					Directories: []argov1alpha1.GitDirectoryGeneratorItem{
						{Path: path.Join(base, appsDir, "*")},
						{Path: path.Join(base, platformDir)},
					},
				},
			}},
			Template: argov1alpha1.ApplicationSetTemplate{
				ApplicationSetTemplateMeta: argov1alpha1.ApplicationSetTemplateMeta{
					Name:   plane + "-{{.path.basename}}",
					Labels: map[string]string{LabelControlPlane: plane, LabelApp: "{{.path.basename}}"},
				},
				Spec: argov1alpha1.ApplicationSpec{
					Project: f.Spec.ArgoCD.Project,
					Source: &argov1alpha1.ApplicationSource{
						RepoURL:        f.Spec.RepoURL,
						TargetRevision: f.Spec.TargetRevision,
						Path:           "{{.path.path}}",
					},
					Destination: argov1alpha1.ApplicationDestination{Name: destination},
					SyncPolicy: &argov1alpha1.SyncPolicy{
						Automated: &argov1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true},
						// Server-side apply: Karmada's webhooks and controllers own
						// fields of these objects too; namespaces are rendered.
						SyncOptions: argov1alpha1.SyncOptions{"ServerSideApply=true", "CreateNamespace=false", "PruneLast=true"},
					},
				},
			},
		},
	}
}
