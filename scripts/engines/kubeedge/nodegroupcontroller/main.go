// Command nodegroupcontroller runs KubeEdge's NodeGroup controller
// (cloud/pkg/controllermanager/nodegroup: node membership labels
// apps.kubeedge.io/belonging-to and the group's status) against one edge
// member of the local fleet.
//
// KubeEdge's own controller-manager command builds its manager with
// controller-runtime's defaults, which serve metrics on :8080 on every
// interface and cannot be changed by a flag: a second edge member's
// controller could not start, and the fleet would listen beyond
// 127.0.0.1. This command runs the same controller in a manager with the
// metrics server off. KubeEdge's EdgeApplication controller is left out:
// flotilla renders no EdgeApplications (its per-group overrides are
// Karmada OverridePolicies).
package main

import (
	"flag"
	"fmt"
	"os"

	appsv1alpha1 "github.com/kubeedge/api/apis/apps/v1alpha1"
	"github.com/kubeedge/kubeedge/cloud/pkg/controllermanager/nodegroup"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "nodegroupcontroller:", err)
		os.Exit(1)
	}
}

func run() error {
	// Its own flag set: controller-runtime registers --kubeconfig in the
	// global one.
	fs := flag.NewFlagSet("nodegroupcontroller", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the edge cluster")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if *kubeconfig == "" {
		return fmt.Errorf("--kubeconfig is required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := appsv1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return fmt.Errorf("manager: %w", err)
	}
	ctx := ctrl.SetupSignalHandler()
	if err := (&nodegroup.Controller{Client: mgr.GetClient()}).SetupWithManager(ctx, mgr); err != nil {
		return fmt.Errorf("NodeGroup controller: %w", err)
	}
	return mgr.Start(ctx)
}
