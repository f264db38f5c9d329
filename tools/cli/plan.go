package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/mdsplit"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/plan"
	"github.com/flotilla-gitops/flotilla/tools/prcomment"
)

type planOptions struct {
	// color is whether the text plan is coloured (--color, NO_COLOR).
	color            bool
	base, head       string
	lint             bool
	policies         []string
	full             bool
	detailedExitCode bool
	maxNames         int
	limit            int
	partsDir         string
	post             string
	pr               int
}

// planMarker identifies flotilla's plan comments, so a poster can find and
// update its previous ones.
const planMarker = "flotilla-plan"

func newPlanCommand(g *globalOptions, streams IO) *cobra.Command {
	o := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan --base REF [--head REF]",
		Short: "Show what a change does to which cluster, wave by wave (offline, from Git)",
		Long: `Plan renders the base revision and the head (default: the working tree) from
Git without touching your checkout, resolves Karmada placement and overrides
on both with the code of 'flotilla place', and reports per cluster what is
added, changed and removed (a semantic diff; Secret values are never shown),
replica moves, clusters newly targeted or left, the rollout waves the change
goes out in, images that change, policy findings introduced and fixed, and
risks: deletions of Namespaces, PVCs or CRDs, replicas below a
PodDisruptionBudget, fleet-wide changes, edge clusters touched, DR standbys
lost, spot-only singletons.

When the change only touches some apps' folders, only those apps (and the
platform objects their intent feeds) are placed and compared; --full
compares everything.

Formats: text, markdown (a pull-request comment; --parts-dir writes it split
under --limit bytes per comment), json (apiVersion flotilla.io/plan/v1,
docs/plan-json.md), html (a self-contained report page).

--post github|gitlab also posts the Markdown report, split under --limit,
as comments on the pull request (merge request) the CI job runs for, and on
every later run updates those comments in place — deleting parts the new
report no longer has — instead of adding new ones. Comments are found by
their hidden "<!-- flotilla-plan part i/n -->" marker; no other comment is
touched. GitHub Actions: GITHUB_REPOSITORY, GITHUB_EVENT_PATH (the pull
request number) and GITHUB_TOKEN (or GH_TOKEN) with pull-requests: write.
GitLab CI: CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and
GITLAB_TOKEN (api scope; CI_JOB_TOKEN cannot write notes). --pr sets the
number when the environment does not.

Exit codes: 0 no change (or any change without --detailed-exitcode),
1 change with --detailed-exitcode, 2 error.`,
		Example: `  flotilla plan --base origin/main
  flotilla plan --base HEAD~1 -o markdown --parts-dir /tmp/plan
  flotilla plan --base origin/main --post github
  flotilla plan --base v1.4.0 --head main -o html > plan.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			var thread prcomment.Thread
			switch o.post {
			case "":
			case "github":
				gh, err := prcomment.GitHubFromEnv(streams.getenv, o.pr)
				if err != nil {
					return inputError(err)
				}
				thread = gh
			case "gitlab":
				gl, err := prcomment.GitLabFromEnv(streams.getenv, o.pr)
				if err != nil {
					return inputError(err)
				}
				thread = gl
			default:
				return inputError(fmt.Errorf("--post %q: want github or gitlab", o.post))
			}
			if o.base == "" {
				return inputError(fmt.Errorf("--base is required (the revision the change is made against, e.g. origin/main)"))
			}
			root, err := g.root()
			if err != nil {
				return inputError(err)
			}
			eng, err := g.newEngine()
			if err != nil {
				return err
			}
			po := pipeline.PlanOptions{Root: root, Base: o.base, Head: o.head, Full: o.full}
			if o.lint {
				if po.Lint, err = lint.LoadPack(pipeline.PolicySources(root, o.policies)...); err != nil {
					return inputError(err)
				}
			}
			if isTerminal(streams.ErrOut) {
				po.Progress = func(step string) { fmt.Fprintf(streams.ErrOut, "plan: %s…\n", step) }
			}
			p, err := eng.Plan(cmd.Context(), po)
			if err != nil {
				return inputError(err)
			}
			o.color = g.colorFor(streams, streams.Out)
			if err := writePlan(streams, g.output, p, o); err != nil {
				return err
			}
			if thread != nil {
				if err := postPlan(cmd.Context(), streams, thread, p, o); err != nil {
					return err
				}
			}
			if o.detailedExitCode && p.Summary.Changed {
				return &ExitError{Code: ExitFindings}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.base, "base", "", "revision the change is made against (branch, tag, commit, HEAD~1)")
	f.StringVar(&o.head, "head", "", "revision with the change (default: the working tree, uncommitted edits included)")
	f.BoolVar(&o.lint, "lint", true, "diff the policy findings of both sides")
	f.StringSliceVar(&o.policies, "policy", nil, "extra policy folder (repeatable)")
	f.BoolVar(&o.full, "full", false, "compare every app even when the change touches only some")
	f.BoolVar(&o.detailedExitCode, "detailed-exitcode", false, "exit 1 when the plan has changes")
	f.IntVar(&o.maxNames, "max-names", 8, "cluster names listed per line before 'and N more' (0: all)")
	f.IntVar(&o.limit, "limit", 65000, "markdown: bytes per comment part")
	f.StringVar(&o.partsDir, "parts-dir", "", "markdown: write the comment parts as part-001.md... into this folder (stdout gets the list)")
	f.StringVar(&o.post, "post", "", "also post the Markdown report on the CI job's pull request, updating earlier plan comments in place: github or gitlab")
	f.IntVar(&o.pr, "pr", 0, "with --post: the pull request (GitHub) or merge request IID (GitLab) when the CI environment does not say")
	return cmd
}

// postPlan posts the Markdown report, split, to the thread.
func postPlan(ctx context.Context, streams IO, th prcomment.Thread, p *plan.Plan, o *planOptions) error {
	var b strings.Builder
	if err := plan.WriteMarkdown(&b, p, plan.MarkdownOptions{MaxNames: o.maxNames}); err != nil {
		return err
	}
	parts, err := mdsplit.Split(b.String(), mdsplit.Options{Limit: o.limit, Marker: planMarker})
	if err != nil {
		return inputError(err)
	}
	texts := make([]string, len(parts))
	for i, part := range parts {
		texts[i] = part.Text()
	}
	res, err := prcomment.Sync(ctx, th, planMarker, texts)
	if err != nil {
		return err
	}
	fmt.Fprintf(streams.ErrOut, "plan: posted to %s: %s\n", th, res)
	return nil
}

func writePlan(streams IO, format string, p *plan.Plan, o *planOptions) error {
	switch format {
	case "json":
		return writeJSON(streams.Out, p)
	case "html":
		return plan.WriteHTML(streams.Out, p)
	case "markdown":
		var b strings.Builder
		if err := plan.WriteMarkdown(&b, p, plan.MarkdownOptions{MaxNames: o.maxNames}); err != nil {
			return err
		}
		if o.partsDir == "" {
			_, err := fmt.Fprint(streams.Out, b.String())
			return err
		}
		parts, err := mdsplit.Split(b.String(), mdsplit.Options{Limit: o.limit, Marker: planMarker})
		if err != nil {
			return inputError(err)
		}
		return writeParts(streams, o.partsDir, parts)
	}
	return plan.WriteText(streams.Out, p, plan.TextOptions{Color: o.color, MaxNames: o.maxNames})
}

// writeParts writes each comment part to its own file, replacing the
// parts of an earlier run, and lists them in order.
func writeParts(streams IO, dir string, parts []mdsplit.Part) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "part-*.md"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	for i, p := range parts {
		name := filepath.Join(dir, fmt.Sprintf("part-%03d.md", i+1))
		if err := os.WriteFile(name, []byte(p.Text()), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(streams.Out, name)
	}
	return nil
}
