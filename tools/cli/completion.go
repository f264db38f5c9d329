package cli

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// formatsOf is the -o values of a command: what it accepts (checkFormat)
// and what shell completion offers.
func formatsOf(cmd *cobra.Command) []string {
	switch strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ") {
	case "lint", "check":
		return report.Formats()
	case "plan":
		return []string{"text", "markdown", "json", "html"}
	case "spot rebalance":
		return []string{"text", "json", "markdown"}
	case "spot simulate":
		return []string{"markdown", "json"}
	case "drill verify-backups":
		return []string{"text", "json", "junit"}
	}
	return []string{"text", "json"}
}

// addCompletions teaches shell completion (`flotilla completion bash|zsh|
// fish|powershell`) the values flotilla's flags and arguments take: each
// command's -o formats, the repository's apps, clusters and drills, the
// policy pack's rules and families, and the kubeconfig's contexts.
func addCompletions(root *cobra.Command, g *globalOptions) {
	_ = root.RegisterFlagCompletionFunc("output", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return formatsOf(cmd), cobra.ShellCompDirectiveNoFileComp
	})
	names := func(list func(root string) []string) cobra.CompletionFunc {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			r, err := g.root()
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return list(r), cobra.ShellCompDirectiveNoFileComp
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for flag, complete := range map[string]cobra.CompletionFunc{
			"app":       names(appNamesIn),
			"cluster":   names(func(r string) []string { return objectNamesIn(r, intent.ClustersDir) }),
			"rule":      names(ruleNames),
			"skip-rule": names(ruleNames),
			"context":   contextNames(g),
		} {
			if c.LocalNonPersistentFlags().Lookup(flag) != nil {
				_ = c.RegisterFlagCompletionFunc(flag, complete)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if rc, _, err := root.Find([]string{"fleet", "reclaim"}); err == nil && rc.Name() == "reclaim" {
		rc.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			r, err := g.root()
			if err != nil || len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return objectNamesIn(r, intent.ClustersDir), cobra.ShellCompDirectiveNoFileComp
		}
	}
	if run, _, err := root.Find([]string{"drill", "run"}); err == nil && run.Name() == "run" {
		run.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			r, err := g.root()
			if err != nil || len(args) > 0 {
				return nil, cobra.ShellCompDirectiveDefault
			}
			// A drill's file is as good as its name: files stay offered.
			return objectNamesIn(r, intent.DrillsDir), cobra.ShellCompDirectiveDefault
		}
	}
}

// appNamesIn lists the apps of the repository at root: the folders of
// apps/ that hold app.yaml (an app's name is its folder's). Like every
// repository read, through the repository jail: completion runs in
// checkouts of pull requests too.
func appNamesIn(root string) []string {
	fsys, err := repofs.Dir(root, 0)
	if err != nil {
		return nil
	}
	entries, _ := fsys.ReadDir(intent.AppsDir)
	var out []string
	for _, e := range entries {
		if _, err := fsys.Stat(path.Join(intent.AppsDir, e.Name(), intent.AppFile)); err == nil && e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// objectNamesIn lists metadata.name of the documents of the YAML files
// in the repository folder dir, sorted; files that do not parse are
// passed over (completion offers what it can).
func objectNamesIn(root, dir string) []string {
	fsys, err := repofs.Dir(root, 0)
	if err != nil {
		return nil
	}
	files, _ := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	var out []string
	for _, f := range files {
		data, err := fsys.ReadFile(f)
		if err != nil {
			continue
		}
		docs, _ := yamldoc.Parse(f, data)
		for _, d := range docs {
			var h struct {
				Metadata struct{ Name string } `json:"metadata"`
			}
			if json.Unmarshal(d.JSON, &h) == nil && h.Metadata.Name != "" {
				out = append(out, h.Metadata.Name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ruleNames lists the rule ids and families of the repository's pack.
func ruleNames(root string) []string {
	pack, err := lint.LoadPack(pipeline.PolicySources(root, nil)...)
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range pack.Rules {
		out = append(out, r.ID)
		if r.Family != "" {
			out = append(out, r.Family)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// contextNames completes --context from the kubeconfig the command would
// use (its --kubeconfig, $KUBECONFIG, the local fleet's, ~/.kube/config),
// saying nothing about which.
func contextNames(g *globalOptions) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		explicit := ""
		if f := cmd.Flags().Lookup("kubeconfig"); f != nil {
			explicit = f.Value.String()
		}
		k, err := chooseKubeconfig(g, explicit, IO{ErrOut: io.Discard, Getenv: os.Getenv})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg := k.local
		if cfg == nil {
			loaded, err := k.rules.Load()
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			cfg = loaded
		}
		var out []string
		for name := range cfg.Contexts {
			out = append(out, name)
		}
		slices.Sort(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
