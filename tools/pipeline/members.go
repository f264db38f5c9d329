package pipeline

import (
	"context"
	"fmt"
	"path"
	"slices"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/plan"
	"github.com/flotilla-gitops/flotilla/tools/render"
)

// memberObjects returns render's Members hook for a repository: for each
// control plane delivered per cluster, every object as it lands on each
// member — placed by Karmada's scheduler, with the cluster's override
// policies applied and a divided workload's replicas revised to the
// cluster's share, namespaces copied as Karmada's namespace sync would —
// under rendered/<plane>/members/<cluster>/<app> (platform objects under
// .../platform). It is the very computation `flotilla plan` shows, with
// ties settled canonically so the committed output is stable.
func (e *Engine) memberObjects(repo *intent.Repo) func(ctx context.Context, out *render.Output) ([]*render.Object, error) {
	return func(ctx context.Context, out *render.Output) ([]*render.Object, error) {
		perCluster := map[string]bool{}
		for _, p := range repo.Fleet.Spec.ControlPlanes {
			perCluster[p.Name] = p.Delivery == v1alpha1.DeliveryPerCluster
		}
		side, _, err := e.PlanSide(ctx, &Rendered{Repo: repo, Output: out}, SideOptions{Canonical: true})
		if err != nil {
			return nil, fmt.Errorf("per-cluster delivery: %w", err)
		}
		var objs []*render.Object
		for _, tmpl := range out.Objects {
			if !tmpl.Template() || !perCluster[tmpl.Plane] {
				continue
			}
			po := side.Objects[plan.Key(tmpl.Plane, tmpl.Ref())]
			if po == nil {
				continue
			}
			folder := tmpl.App
			if folder == "" {
				folder = render.MemberPlatformDir
			}
			for _, m := range po.Members {
				objs = append(objs, &render.Object{
					Object: m.Object.DeepCopy(),
					Path:   path.Join(render.RenderedDir, tmpl.Plane, render.MembersDir, m.Cluster, folder),
					Origin: tmpl.Origin,
					App:    tmpl.App,
					Plane:  tmpl.Plane,
					Member: m.Cluster,
				})
			}
		}
		slices.SortStableFunc(objs, func(a, b *render.Object) int { return cmpString(a.Path, b.Path) })
		return objs, nil
	}
}
