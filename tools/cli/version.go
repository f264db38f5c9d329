package cli

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at link time (-ldflags -X); "dev" for go run / go test.
var version = "dev"

// engineModules are the engines whose code flotilla runs, in report order.
var engineModules = []string{
	"github.com/karmada-io/karmada",
	"github.com/argoproj/argo-cd/v2",
	"github.com/vmware-tanzu/velero",
	"github.com/kubeedge/api",
	"github.com/open-policy-agent/opa",
	"github.com/fluxcd/pkg/ssa",
	"github.com/fluxcd/pkg/kustomize",
	"k8s.io/kubernetes",
	"k8s.io/client-go",
	"sigs.k8s.io/controller-runtime",
}

type versionInfo struct {
	Version string            `json:"version"`
	Go      string            `json:"go"`
	Engines map[string]string `json:"engines"`
}

func newVersionCommand(g *globalOptions, streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print flotilla's version and the engine versions it is built with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(cmd, g.output); err != nil {
				return err
			}
			info := versionInfo{Version: version, Engines: map[string]string{}}
			if bi, ok := debug.ReadBuildInfo(); ok {
				info.Go = bi.GoVersion
				for _, d := range bi.Deps {
					mod := d
					if d.Replace != nil {
						mod = d.Replace
					}
					info.Engines[d.Path] = mod.Version
				}
			}
			if g.output == "json" {
				eng := map[string]string{}
				for _, m := range engineModules {
					if v, ok := info.Engines[m]; ok {
						eng[m] = v
					}
				}
				info.Engines = eng
				return writeJSON(streams.Out, info)
			}
			fmt.Fprintf(streams.Out, "flotilla %s (%s)\n", info.Version, info.Go)
			for _, m := range engineModules {
				if v, ok := info.Engines[m]; ok {
					fmt.Fprintf(streams.Out, "  %-36s %s\n", strings.TrimPrefix(m, "github.com/"), v)
				}
			}
			return nil
		},
	}
}
