package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/fleet"
)

// liveOptions say how to reach a live control plane.
type liveOptions struct {
	kubeconfig string
	context    string
}

func (o *liveOptions) addFlags(cmd *cobra.Command, contextHelp string) {
	cmd.Flags().StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else the local fleet's, else ~/.kube/config)")
	cmd.Flags().StringVar(&o.context, "context", "", contextHelp)
}

// restConfig resolves the kubeconfig and context.
func (o *liveOptions) restConfig(g *globalOptions) (*rest.Config, error) {
	path := o.kubeconfig
	if path == "" {
		path = os.Getenv("KUBECONFIG")
	}
	if path == "" {
		if root, err := g.root(); err == nil {
			if p := filepath.Join(root, ".fleet", "kubeconfig"); fileExists(p) {
				path = p
			}
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if path != "" {
		rules.ExplicitPath = path
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg, nil
}

func (o *liveOptions) client(g *globalOptions) (client.Client, error) {
	cfg, err := o.restConfig(g)
	if err != nil {
		return nil, err
	}
	s, err := fleet.Scheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
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
