package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/apply"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/termtable"
)

type applyOptions struct {
	live  liveOptions
	plane string
	yes   bool
	wait  bool
}

func newApplyCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Server-side apply a control plane's rendered objects into its Karmada API server (preview unless --yes)",
		Long: `Apply renders the repository and server-side applies one control plane's
objects (rendered/<plane>/apps and platform) into its Karmada API server,
with fluxcd's ssa: CRDs and namespaces first, then the rest. Without --yes
it only previews, by server-side dry run, what would be created, configured
or left unchanged. It is safe to re-run.

On a rehearsal fleet, Argo CD's job is done by this command; in production
Argo CD syncs rendered/ itself.`,
		Example: `  flotilla apply                      # preview against the local fleet
  flotilla apply --yes --wait`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			_, r, err := g.renderRepo(cmd.Context(), "")
			if err != nil {
				return err
			}
			plane := o.plane
			if plane == "" {
				if len(r.Repo.Fleet.Spec.ControlPlanes) != 1 {
					return inputError(fmt.Errorf("the fleet has %d control planes: choose one with --plane", len(r.Repo.Fleet.Spec.ControlPlanes)))
				}
				plane = r.Repo.Fleet.Spec.ControlPlanes[0].Name
			}
			objs := PlaneObjects(r, plane)
			if len(objs) == 0 {
				return inputError(fmt.Errorf("control plane %q has no rendered objects", plane))
			}
			c, err := o.live.client(g, streams)
			if err != nil {
				return inputError(err)
			}
			res, err := apply.Run(cmd.Context(), apply.Options{Client: c, Objects: objs, Yes: o.yes, Wait: o.wait})
			if res != nil {
				if g.output == "json" {
					if werr := writeJSON(streams.Out, res); werr != nil {
						return werr
					}
				} else {
					printApply(streams.Out, res, o.yes)
				}
			}
			return err
		},
	}
	o.live.addFlags(cmd, "kubeconfig context of the Karmada API server (default: karmada-apiserver on the local fleet)")
	cmd.Flags().StringVar(&o.plane, "plane", "", "control plane to apply (default: the only one)")
	cmd.Flags().BoolVar(&o.yes, "yes", false, "apply (without it: preview only)")
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the applied objects are ready")
	return cmd
}

// PlaneObjects returns what Argo CD would sync to a control plane: its
// apps and platform objects (not the Cluster registrations, not previews).
func PlaneObjects(r *pipeline.Rendered, plane string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.Output.Objects {
		if !o.Template() || o.Plane != plane || o.Object.GetKind() == "Cluster" && o.Object.GroupVersionKind().Group == "cluster.karmada.io" {
			continue
		}
		out = append(out, o.Object)
	}
	return out
}

func printApply(w io.Writer, res *apply.Result, yes bool) {
	t := &termtable.Table{Header: []string{"OBJECT", "ACTION"}}
	for _, e := range res.Entries {
		action := e.Action
		if e.Error != "" {
			action += ": " + e.Error
		}
		t.Rows = append(t.Rows, []string{e.Object, action})
	}
	t.Write(w)
	verb := "would be"
	if yes {
		verb = "were"
	}
	fmt.Fprintf(w, "\n%d objects %s created, %d configured, %d unchanged", res.Count("created"), verb, res.Count("configured"), res.Count("unchanged"))
	if !yes {
		fmt.Fprint(w, " (preview: add --yes to apply)")
	}
	fmt.Fprintln(w)
}
