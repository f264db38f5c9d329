package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/renderfs"
	"github.com/flotilla-gitops/flotilla/tools/validate"
)

type renderOptions struct {
	check      bool
	noValidate bool
	lockWait   time.Duration
}

func newRenderCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &renderOptions{}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Render the repository's intent into rendered/ (all of it or none)",
		Long: `Render loads and cross-checks the repository's intent, renders the Karmada,
Argo CD, Velero and KubeEdge resources, validates them offline against the
engines' schemas, and replaces rendered/ with the result — all of it, or
nothing when anything is wrong.

One render at a time reads or writes rendered/: a second one waits for the
lock (.flotilla/render/lock) up to --lock-wait, then fails naming the
holder. A render killed or interrupted (Ctrl-C) leaves rendered/ as it
was or wholly new; the next render cleans up after it.

With --check nothing is written: the command exits 1 when the committed
rendered/ differs from a fresh render (CI uses this).`,
		Example: `  # render the repository you stand in
  flotilla render

  # fail when rendered/ is stale (CI)
  flotilla render --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			return runRender(cmd, g, o, streams)
		},
	}
	cmd.Flags().BoolVar(&o.check, "check", false, "do not write: exit 1 when rendered/ differs from a fresh render")
	cmd.Flags().BoolVar(&o.noValidate, "no-validate", false, "skip schema validation of the rendered objects")
	cmd.Flags().DurationVar(&o.lockWait, "lock-wait", renderfs.DefaultLockWait, "how long to wait for another render holding rendered/ (0: fail at once)")
	return cmd
}

// renderReport is the JSON output of render.
type renderReport struct {
	Root     string             `json:"root"`
	Objects  int                `json:"objects"`
	Files    int                `json:"files"`
	Apps     int                `json:"apps"`
	Clusters int                `json:"clusters"`
	Planes   []string           `json:"controlPlanes"`
	Preview  int                `json:"previewApplications"`
	Changes  []renderfs.Change  `json:"changes"`
	Findings []validate.Finding `json:"findings,omitempty"`
	Written  bool               `json:"written"`
	Check    bool               `json:"check"`
}

func runRender(cmd *cobra.Command, g *globalOptions, o *renderOptions, streams IO) error {
	out := streams.Out
	ctx := cmd.Context()
	eng, r, err := g.renderRepo(ctx, "")
	if err != nil {
		return err
	}
	root := r.Repo.Root
	files, err := r.Output.Files()
	if err != nil {
		return err
	}
	rep := renderReport{Root: root, Objects: len(r.Output.Objects), Files: len(files), Apps: len(r.Repo.Apps), Clusters: len(r.Repo.Clusters), Check: o.check}
	for _, p := range r.Repo.Fleet.Spec.ControlPlanes {
		rep.Planes = append(rep.Planes, p.Name)
	}
	for _, obj := range r.Output.Objects {
		if obj.Preview {
			rep.Preview++
		}
	}
	if !o.noValidate {
		rep.Findings, err = eng.Validate(ctx, r)
		if err != nil {
			return err
		}
	}
	// The lock is held from the comparison to the write: the counts are
	// of the tree this render replaces, never of one another render is
	// swapping.
	holder := "flotilla render"
	if o.check {
		holder += " --check"
	}
	tree, err := renderfs.Lock(ctx, root, render.RenderedDir, renderfs.LockOptions{Wait: o.lockWait, Holder: holder,
		Waiting: func(h string) {
			fmt.Fprintf(streams.ErrOut, "waiting up to %s for rendered/, locked by another render (%s)\n", o.lockWait, h)
		}})
	if err != nil {
		return err
	}
	defer tree.Unlock()
	for _, note := range tree.Recovered() {
		fmt.Fprintf(streams.ErrOut, "note: %s\n", note)
	}
	rep.Changes, err = tree.Compare(files)
	if err != nil {
		return err
	}
	if len(rep.Findings) == 0 && !o.check && len(rep.Changes) > 0 {
		if err := tree.Write(ctx, files); err != nil {
			return err
		}
		rep.Written = true
	}
	if g.output == "json" {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		printRender(out, rep)
	}
	switch {
	case len(rep.Findings) > 0:
		return validateExit(rep.Findings)
	case o.check && len(rep.Changes) > 0:
		return findings("rendered/ is stale")
	}
	return nil
}

func printRender(w io.Writer, rep renderReport) {
	if len(rep.Findings) > 0 {
		printFindings(w, rep.Findings)
		fmt.Fprintf(w, "\n%s: rendered/ left untouched\n", findingsSummary(rep.Findings))
		return
	}
	fmt.Fprintf(w, "rendered %d objects for %d apps on %d clusters (control planes: %v); Argo CD will generate %d Applications\n",
		rep.Objects, rep.Apps, rep.Clusters, rep.Planes, rep.Preview)
	counts := map[renderfs.ChangeKind]int{}
	for _, c := range rep.Changes {
		counts[c.Kind]++
	}
	switch {
	case len(rep.Changes) == 0:
		fmt.Fprintln(w, "rendered/ is up to date")
	case rep.Check:
		fmt.Fprintf(w, "rendered/ is stale: %d file(s) differ from a fresh render — run `flotilla render` and commit the result\n", len(rep.Changes))
		for _, c := range rep.Changes {
			fmt.Fprintf(w, "  %-8s %s\n", c.Kind, c.Path)
		}
	default:
		fmt.Fprintf(w, "wrote rendered/: %d added, %d modified, %d removed\n", counts[renderfs.Added], counts[renderfs.Modified], counts[renderfs.Removed])
	}
}

func printFindings(w io.Writer, fs []validate.Finding) {
	byFile := map[string][]validate.Finding{}
	for _, f := range fs {
		byFile[f.Source.File] = append(byFile[f.Source.File], f)
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, file := range files {
		fs := byFile[file]
		slices.SortStableFunc(fs, func(a, b validate.Finding) int {
			return cmp.Or(cmp.Compare(a.Source.Line, b.Source.Line), cmp.Compare(a.Source.Column, b.Source.Column))
		})
		for _, f := range fs {
			fmt.Fprintln(w, f.Error())
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
