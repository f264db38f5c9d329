package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/fleet"
)

// liveOptions say how to reach a live control plane.
type liveOptions struct {
	kubeconfig string
	context    string
}

func (o *liveOptions) addFlags(cmd *cobra.Command, contextHelp string) {
	cmd.Flags().StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else the local fleet's when `flotilla fleet up` wrote it, else ~/.kube/config)")
	cmd.Flags().StringVar(&o.context, "context", "", contextHelp)
}

// restConfig resolves the kubeconfig (kubeconfigs) and the context.
func (o *liveOptions) restConfig(g *globalOptions, streams IO) (*rest.Config, error) {
	k, err := chooseKubeconfig(g, o.kubeconfig, streams)
	if err != nil {
		return nil, err
	}
	return k.restConfig(o.context)
}

func (o *liveOptions) client(g *globalOptions, streams IO) (client.Client, error) {
	cfg, err := o.restConfig(g, streams)
	if err != nil {
		return nil, err
	}
	s, err := fleet.Scheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// kubeconfig is the kubeconfig a live command uses. Credentials come from
// the user, never from the repository under review: a kubeconfig's
// users[].exec and auth-provider run programs, and its server, token file
// and proxy decide where credentials go. In order:
//
//  1. --kubeconfig FILE: the user named it;
//  2. $KUBECONFIG (a list, merged as kubectl does): the user named it;
//  3. <repo>/.fleet/kubeconfig, only if `flotilla fleet up` wrote it on
//     this machine (its record, kept outside the repository, names the
//     file and its SHA-256: package fleet) and it runs no plugin (no
//     exec, no auth-provider) — read once, checked, and used from
//     memory, so it cannot change in between; otherwise it is ignored,
//     and said so;
//  4. ~/.kube/config (in a pod without one: its service account, as
//     client-go does).
//
// Which one is used is said on stderr.
type kubeconfig struct {
	// rules load the user's kubeconfig (1, 2, 4); local is the local
	// fleet's, read and checked (3).
	rules *clientcmd.ClientConfigLoadingRules
	local *clientcmdapi.Config
}

// localKubeconfig is where `flotilla fleet up` writes its kubeconfig in
// a repository.
func localKubeconfig(root string) string { return filepath.Join(root, ".fleet", "kubeconfig") }

func chooseKubeconfig(g *globalOptions, explicit string, streams IO) (*kubeconfig, error) {
	say := func(format string, args ...any) { fmt.Fprintf(streams.ErrOut, format+"\n", args...) }
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	switch env := streams.getenv(clientcmd.RecommendedConfigPathEnvVar); {
	case explicit != "":
		rules.ExplicitPath = explicit
		say("using kubeconfig %s (--kubeconfig)", explicit)
		return &kubeconfig{rules: rules}, nil
	case env != "":
		rules.Precedence = filepath.SplitList(env)
		say("using kubeconfig %s ($KUBECONFIG)", env)
		return &kubeconfig{rules: rules}, nil
	}
	// No user choice: clientcmd's default rules read $KUBECONFIG from the
	// process; the user's home kubeconfig is the only fallback.
	rules.Precedence = []string{clientcmd.RecommendedHomeFile}
	if root, err := g.root(); err == nil {
		path := localKubeconfig(root)
		local, err := fleetKubeconfig(path)
		switch {
		case err == nil:
			say("using kubeconfig %s (written by flotilla fleet up)", path)
			return &kubeconfig{local: local}, nil
		case !errors.Is(err, fs.ErrNotExist):
			say("ignoring %v; a kubeconfig in the repository is used only when named with --kubeconfig or $KUBECONFIG", err)
		}
	}
	_, err := os.Stat(clientcmd.RecommendedHomeFile)
	switch {
	case err == nil:
		say("using kubeconfig %s", clientcmd.RecommendedHomeFile)
	case streams.getenv("KUBERNETES_SERVICE_HOST") != "":
		// client-go falls back to the pod's service account.
		say("using the in-cluster service account (no --kubeconfig, $KUBECONFIG or %s)", clientcmd.RecommendedHomeFile)
	default:
		return nil, fmt.Errorf("no kubeconfig: %s (%s: %w)", kubeconfigHint, clientcmd.RecommendedHomeFile, err)
	}
	return &kubeconfig{rules: rules}, nil
}

// kubeconfigHint says how to give flotilla a cluster to talk to.
const kubeconfigHint = "name a kubeconfig with --kubeconfig or $KUBECONFIG, or start the local fleet with `flotilla fleet up`"

// fleetKubeconfig reads the local fleet's kubeconfig and returns it if
// `flotilla fleet up` wrote it, unchanged, and it runs no plugin. A
// missing file is fs.ErrNotExist.
func fleetKubeconfig(path string) (*clientcmdapi.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := fleet.CheckKubeconfig(path, data); err != nil {
		return nil, err
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if plugins := pluginUsers(cfg); len(plugins) > 0 {
		return nil, fmt.Errorf("%s: users %s run a credential plugin (exec or auth-provider)", path, strings.Join(plugins, ", "))
	}
	for _, c := range cfg.Clusters {
		c.LocationOfOrigin = path
	}
	for _, a := range cfg.AuthInfos {
		a.LocationOfOrigin = path
	}
	if err := clientcmd.ResolveLocalPaths(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// pluginUsers are the users of a kubeconfig that run a program or an
// auth-provider plugin to get credentials, sorted.
func pluginUsers(cfg *clientcmdapi.Config) []string {
	var out []string
	for name, a := range cfg.AuthInfos {
		if a != nil && (a.Exec != nil || a.AuthProvider != nil) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// restConfig is the REST config of a context ("": the current one).
func (k *kubeconfig) restConfig(context string) (*rest.Config, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	var cc clientcmd.ClientConfig
	if k.local != nil {
		cc = clientcmd.NewNonInteractiveClientConfig(*k.local, context, overrides, nil)
	} else {
		cc = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(k.rules, overrides)
	}
	cfg, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		// client-go's own text suggests KUBERNETES_MASTER, which no
		// one sets any more.
		return nil, fmt.Errorf("the kubeconfig holds no cluster to talk to: %s", kubeconfigHint)
	}
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg, nil
}

// lazyKubeconfig chooses the kubeconfig on first use, once (a drill asks
// for one context per cluster).
func lazyKubeconfig(g *globalOptions, explicit string, streams IO) func() (*kubeconfig, error) {
	return sync.OnceValues(func() (*kubeconfig, error) { return chooseKubeconfig(g, explicit, streams) })
}

// liveClusters reads the Karmada Cluster objects of a control plane.
func liveClusters(ctx context.Context, c client.Client) ([]*clusterv1alpha1.Cluster, error) {
	list := &clusterv1alpha1.ClusterList{}
	if err := c.List(ctx, list); err != nil {
		return nil, fmt.Errorf("list Karmada clusters: %w", err)
	}
	out := make([]*clusterv1alpha1.Cluster, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}
