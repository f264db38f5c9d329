package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-logr/logr"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/redact"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/resultcache"
	"github.com/flotilla-gitops/flotilla/tools/validate"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitInput    = 2
)

// ExitError carries an exit code out of a command.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// findings is the error a command returns when it ran fine and found
// problems: exit 1, and the report has already been printed.
func findings(format string, args ...any) error {
	return &ExitError{Code: ExitFindings, Err: fmt.Errorf(format, args...)}
}

// inputErrors is the error of a command that printed its report and
// found input errors in it: exit 2.
func inputErrors() error { return &ExitError{Code: ExitInput} }

// reportExit is the exit of a command that printed rep: 2 when it holds
// input errors, 1 when it fails at failOn, 0 otherwise.
func reportExit(rep *report.Report, failOn report.Severity) error {
	switch {
	case rep.InputErrors() > 0:
		return inputErrors()
	case rep.Failed(failOn):
		return &ExitError{Code: ExitFindings}
	}
	return nil
}

// validateExit is the exit of a command that printed validation findings
// fs: 2 when one is an input error, 1 when there are any.
func validateExit(fs []validate.Finding) error {
	for _, f := range fs {
		if f.InputError() {
			return inputErrors()
		}
	}
	if len(fs) > 0 {
		return &ExitError{Code: ExitFindings}
	}
	return nil
}

// IO is where a command reads and writes.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Getenv reads the environment (CI's variables for plan --post); nil
	// means os.Getenv.
	Getenv func(string) string
}

func (s IO) getenv(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	repo        string
	output      string
	parallelism int
	// bounds are the input bounds (--max-*).
	bounds bounds.Input
	// color is --color: auto (a terminal, unless NO_COLOR is set),
	// always or never.
	color string
	// cacheDir and noCache are --cache-dir and --no-cache: where stage
	// results are kept between runs, or not at all.
	cacheDir string
	noCache  bool
	// store is the run's result cache, opened by the first engine the
	// command builds and shared by every other (storeOpened), saved when
	// the command ends.
	store       *resultcache.Store
	storeOpened bool
}

// resultStore is the run's result cache, opened once (nil: none —
// --no-cache, or no binary identity or writable folder, which costs time,
// never answers).
func (g *globalOptions) resultStore() *resultcache.Store {
	if !g.storeOpened {
		g.store, g.storeOpened = g.openResultStore(), true
	}
	return g.store
}

func (g *globalOptions) openResultStore() *resultcache.Store {
	if g.noCache {
		return nil
	}
	dir := g.cacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(base, "flotilla")
	}
	id, err := resultcache.ExecutableIdentity()
	if err != nil {
		return nil
	}
	s, err := resultcache.Open(dir, id)
	if err != nil {
		return nil
	}
	return s
}

// saveResults writes the stage results the run used or added; a cache
// that cannot be written is said, and changes no exit code.
func (g *globalOptions) saveResults(streams IO) {
	if err := g.store.Save(); err != nil {
		fmt.Fprintf(streams.ErrOut, "warning: %v (the next run will not reuse this one's results)\n", err)
	}
}

// colorFor says whether output written to w is coloured: --color, then
// the NO_COLOR convention (no-color.org), then whether w is a terminal.
func (g *globalOptions) colorFor(streams IO, w io.Writer) bool {
	switch g.color {
	case "always":
		return true
	case "never":
		return false
	}
	return streams.getenv("NO_COLOR") == "" && isTerminal(w)
}

// newEngine prepares the pipeline with the global options.
func (g *globalOptions) newEngine() (*pipeline.Engine, error) {
	eng, err := pipeline.NewEngine(g.parallelism)
	if err != nil {
		return nil, err
	}
	eng.Bounds = g.bounds
	eng.Results = g.resultStore()
	return eng, nil
}

func (g *globalOptions) root() (string, error) {
	if g.repo != "" {
		return intent.FindRoot(g.repo)
	}
	return intent.FindRoot(".")
}

// renderRepo renders the repository at root ("": --repo, else the one the
// user stands in) with a new engine: how every command that works on a
// repository's output begins. A repository that cannot be found or whose
// intent is bad is an input error.
func (g *globalOptions) renderRepo(ctx context.Context, root string) (*pipeline.Engine, *pipeline.Rendered, error) {
	if root == "" {
		var err error
		if root, err = g.root(); err != nil {
			return nil, nil, inputError(err)
		}
	}
	eng, err := g.newEngine()
	if err != nil {
		return nil, nil, err
	}
	r, err := eng.Render(ctx, root)
	if err != nil {
		return nil, nil, inputError(err)
	}
	return eng, r, nil
}

// renderRevision renders the repository as it is at a Git revision and
// returns the commit it resolved to; like renderRepo, a revision that cannot
// be found or rendered is an input error, prefixed with flag when given
// (the option that named the revision).
func (g *globalOptions) renderRevision(ctx context.Context, rev, flag string) (*pipeline.Rendered, string, error) {
	root, err := g.root()
	if err != nil {
		return nil, "", inputError(err)
	}
	eng, err := g.newEngine()
	if err != nil {
		return nil, "", err
	}
	r, commit, err := eng.RenderRevision(ctx, root, rev)
	if err != nil {
		if flag != "" {
			err = fmt.Errorf("%s: %w", flag, err)
		}
		return nil, "", inputError(err)
	}
	return r, commit, nil
}

// QuietLibraryLoggers discards what the engines' libraries log: Karmada's
// and Argo CD's log through klog and controller-runtime at info level, Argo
// CD's generators through logrus' standard logger; flotilla reports their
// errors itself. Those loggers are the process's, so the process's owner
// calls this once, before any Run (main, a TestMain) — Run setting them on
// every call raced with the clients of commands run side by side.
func QuietLibraryLoggers() {
	klog.SetLogger(logr.Discard())
	ctrllog.SetLogger(logr.Discard())
	logrus.SetOutput(io.Discard)
}

// Run executes the command line and returns the exit code. See
// QuietLibraryLoggers.
func Run(ctx context.Context, args []string, streams IO) int {
	cmd, g := newRootCommand(streams)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	g.saveResults(streams)
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Code != ExitFindings && ee.Err != nil {
			printError(streams, ee.Err)
		}
		return ee.Code
	}
	printError(streams, err)
	return ExitInput
}

// secretEnv are the environment variables that hold the tokens flotilla
// is given (plan --post): their values never appear in a message.
var secretEnv = []string{"GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN"}

// printError prints an error as flotilla's last word: every line with URL
// userinfo, token parameters and the tokens of secretEnv masked (messages
// go to CI logs that strangers read, and an error may quote a URL or a
// service's answer).
func printError(streams IO, err error) {
	var secrets []string
	for _, k := range secretEnv {
		if v := streams.getenv(k); v != "" {
			secrets = append(secrets, v)
		}
	}
	w := streams.ErrOut
	var list diag.List
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, redact.String(e.Error(), secrets...))
			printSnippet(w, e, secrets)
		}
		fmt.Fprintln(w, report.Plural(len(list), "error"))
		return
	}
	fmt.Fprintln(w, "error:", redact.String(err.Error(), secrets...))
	if e := (*diag.Error)(nil); errors.As(err, &e) {
		printSnippet(w, e, secrets)
	}
}

// printSnippet shows, under an error, the line it points at with a caret
// under the column (syntax errors carry one), indented.
func printSnippet(w io.Writer, e *diag.Error, secrets []string) {
	if e.Snippet == "" {
		return
	}
	for _, l := range strings.Split(e.Snippet, "\n") {
		fmt.Fprintln(w, "    "+redact.String(l, secrets...))
	}
}

// NewRootCommand builds the command tree.
func NewRootCommand(streams IO) *cobra.Command {
	root, _ := newRootCommand(streams)
	return root
}

// newRootCommand builds the command tree and the global options its
// commands share.
func newRootCommand(streams IO) (*cobra.Command, *globalOptions) {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "flotilla",
		Short: "Render, check and drive a multi-cluster GitOps fleet (Karmada, Argo CD, Velero, KubeEdge)",
		Long: `flotilla turns a control repository's intent (clusters/, apps/, edge/, backup/)
into the exact resources Karmada, Argo CD, Velero and KubeEdge consume, and
proves them right before merge.

Exit codes: 0 ok; 1 findings (or the command's own "no": plan changes with
--detailed-exitcode, a blocked rollout, a failed drill); 2 input errors (YAML
syntax, unknown or duplicate fields, wrong types — in manifests and intent
alike — and any intent error), usage errors, or trouble reaching a cluster.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetIn(streams.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &ExitError{Code: ExitInput, Err: fmt.Errorf("%w\nsee '%s --help'", err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.repo, "repo", "", "control repository folder (default: the repository you stand in: the nearest parent with fleet.yaml)")
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json, and more where a command says so (plan: markdown, html; lint and check: sarif, junit, github)")
	pf.StringVar(&g.color, "color", "auto", "colour output: auto (on a terminal, unless NO_COLOR is set), always or never")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if !slices.Contains([]string{"auto", "always", "never"}, g.color) {
			return &ExitError{Code: ExitInput, Err: fmt.Errorf("--color %q: use auto, always or never", g.color)}
		}
		return nil
	}
	root.Version = version
	root.SetVersionTemplate("flotilla {{.Version}}\n")
	pf.IntVar(&g.parallelism, "parallelism", 0, "work done in parallel (default: one per CPU)")
	pf.StringVar(&g.cacheDir, "cache-dir", "", "where results of unchanged inputs are kept between runs (default: the user cache folder's flotilla, e.g. ~/.cache/flotilla)")
	pf.BoolVar(&g.noCache, "no-cache", false, "compute every result; read and write no cache")
	addBoundFlags(pf, &g.bounds)
	root.AddCommand(
		newRenderCommand(g, streams),
		newValidateCommand(g, streams),
		newPlaceCommand(g, streams),
		newPlanCommand(g, streams),
		newLintCommand(g, streams),
		newPolicyCommand(g, streams),
		newCheckCommand(g, streams),
		newFleetCommand(g, streams),
		newApplyCommand(g, streams),
		newRolloutCommand(g, streams),
		newDrillCommand(g, streams),
		newVersionCommand(g, streams),
		newDevCommand(g, streams),
		newSpotCommand(g, streams),
	)
	addCompletions(root, g)
	return root, g
}

// addBoundFlags binds the input bounds to their flags, with their
// defaults. Sizes take plain bytes or Kubernetes quantities (16Mi, 512Ki).
func addBoundFlags(pf *pflag.FlagSet, b *bounds.Input) {
	*b = bounds.Default()
	pf.Var((*byteSize)(&b.FileBytes), bounds.FlagFileBytes, "input bound: size of any file read from the repository")
	pf.Var((*byteSize)(&b.DocumentBytes), bounds.FlagDocumentBytes, "input bound: size of one YAML document")
	pf.IntVar(&b.DocumentsPerFile, bounds.FlagDocumentsPerFile, b.DocumentsPerFile, "input bound: documents in one YAML file")
	pf.IntVar(&b.Objects, bounds.FlagObjects, b.Objects, "input bound: objects one render reads (intent documents and manifest objects)")
	pf.IntVar(&b.Aliases, bounds.FlagAliases, b.Aliases, "input bound: YAML aliases expanded in one document")
	pf.Var((*byteSize)(&b.AliasBytes), bounds.FlagAliasBytes, "input bound: bytes YAML aliases add to one document")
	pf.IntVar(&b.Depth, bounds.FlagDepth, b.Depth, "input bound: nesting depth of one YAML document")
}

// byteSize is a size flag: bytes, or a Kubernetes quantity.
type byteSize int64

func (s *byteSize) String() string {
	return resource.NewQuantity(int64(*s), resource.BinarySI).String()
}

func (s *byteSize) Set(v string) error {
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return fmt.Errorf("want a size such as 8Mi or 1048576: %w", err)
	}
	n, ok := q.AsInt64()
	if !ok || n <= 0 {
		return fmt.Errorf("want a positive whole number of bytes, got %s", v)
	}
	*s = byteSize(n)
	return nil
}

func (s *byteSize) Type() string { return "size" }

// checkFormat rejects an output format the command does not offer (its
// formats: formatsOf, which shell completion offers too).
func checkFormat(cmd *cobra.Command, format string) error {
	allowed := formatsOf(cmd)
	if slices.Contains(allowed, format) {
		return nil
	}
	return &ExitError{Code: ExitInput, Err: fmt.Errorf("unknown output format %q (use one of: %s)", format, strings.Join(allowed, ", "))}
}

// inputError marks an error as exit code 2.
func inputError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: ExitInput, Err: err}
}
