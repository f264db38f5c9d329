package fleet

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/fleetnodes"
)

// A living member is a kube-apiserver with what makes pods run on it
// without kubelets or containers: the Nodes its Cluster declares
// (tools/fleetnodes), kwok keeping them Ready and moving every pod bound
// to them to Running and Ready with its default stages, a real
// kube-scheduler binding pods to nodes (affinity, taints, resources), and
// kube-controller-manager's workload controllers turning Deployments,
// StatefulSets, DaemonSets and Jobs into pods and their status into the
// ready counts Karmada's resource interpreter reads.

// memberControllers are the kube-controller-manager controllers a living
// member runs: the workload controllers and the clean-up they rely on.
// Node lifecycle lifts the not-ready taint kube-apiserver puts on every
// new node once kwok reports it Ready (and taints a node kwok stops
// reporting); the volume binder binds claims to the member's volumes.
const memberControllers = "deployment,replicaset,statefulset,daemonset,job,cronjob,garbagecollector,namespace,disruption,podgc,ttl-after-finished,nodelifecycle,persistentvolume-binder"

// volumesPerClass is how many volumes each member holds per storage class
// the repository's workloads claim.
const volumesPerClass = 8

// LivingComponentNames are the names of a living member's components.
func LivingComponentNames(cluster string) (kwok, scheduler, controllers string) {
	return "kwok-" + cluster, "kube-scheduler-" + cluster, "kube-controller-manager-" + cluster
}

// NodeGroupControllerName is the component name of an edge member's
// KubeEdge NodeGroup controller.
func NodeGroupControllerName(cluster string) string {
	return "kubeedge-nodegroup-controller-" + cluster
}

// kwokConfig is the configuration every member's kwok reads (kwok would
// otherwise read ~/.kwok/kwok.yaml, a user's file).
const kwokConfig = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageAllNodes: true
`

// living gives every member its nodes and starts its kwok,
// kube-scheduler and kube-controller-manager, then waits until kwok
// reports every node Ready.
func (b *bringUp) living(ctx context.Context) error {
	cfg := b.dir("pki", "kwok.yaml")
	if err := os.WriteFile(cfg, []byte(kwokConfig), 0o600); err != nil {
		return err
	}
	var started []*Component
	want := map[string]int{}
	for i, m := range b.o.Members {
		nodes, err := fleetnodes.Nodes(m, b.o.EdgeGroups)
		if err != nil {
			return err
		}
		b.step("creating %d nodes in %s", len(nodes), m.Name)
		c, err := b.f.Client(m.Name)
		if err != nil {
			return err
		}
		if err := createNodeObjects(ctx, c, nodes); err != nil {
			return fmt.Errorf("%s nodes: %w", m.Name, err)
		}
		want[m.Name] = len(nodes)
		kc := b.dir("pki", m.Name+".kubeconfig")
		if err := b.writeKubeconfigFor(kc, b.f.Member(m.Name).URL); err != nil {
			return err
		}
		kwokName, schedName, kcmName := LivingComponentNames(m.Name)
		comps := []*Component{
			{
				Name: kwokName, Role: RoleController, Cluster: m.Name, Binary: b.o.Engines.Path("kwok"),
				Args: []string{
					"--kubeconfig", kc, "--config", cfg,
					// Pod IPs: a /16 per member, distinct across the fleet.
					"--cidr", fmt.Sprintf("10.%d.0.1/16", 100+i),
					"--node-ip", "127.0.0.1",
					// Heartbeats by Lease, as kubelets send them: the node
					// lifecycle controller reads a node's health from its
					// renewals (without a Lease it reads the Ready
					// condition's heartbeat, which kwok writes too rarely
					// on a busy machine: every pod was marked not ready
					// 40 s after start).
					"--node-lease-duration-seconds", "40",
					"--v", "WARN",
				},
				Log: b.dir("logs", kwokName+".log"),
			},
			{
				Name: schedName, Role: RoleController, Cluster: m.Name, Binary: b.o.Engines.Path("kube-scheduler"),
				Args: []string{"--kubeconfig", kc, "--leader-elect=false", "--secure-port", "0"},
				Log:  b.dir("logs", schedName+".log"),
			},
			{
				Name: kcmName, Role: RoleController, Cluster: m.Name, Binary: b.o.Engines.Path("kube-controller-manager"),
				Args: []string{
					"--kubeconfig", kc, "--leader-elect=false", "--secure-port", "0",
					"--controllers", memberControllers,
					"--use-service-account-credentials=false",
				},
				Log: b.dir("logs", kcmName+".log"),
			},
		}
		if err := createVolumes(ctx, c, m.Name, b.o.StorageClasses); err != nil {
			return fmt.Errorf("%s volumes: %w", m.Name, err)
		}
		if m.Spec.Kind == v1alpha1.ClusterKindEdge {
			name := NodeGroupControllerName(m.Name)
			comps = append(comps, &Component{
				Name: name, Role: RoleController, Cluster: m.Name, Binary: b.o.Engines.Path("kubeedge-nodegroup-controller"),
				Args: []string{"--kubeconfig", kc}, Log: b.dir("logs", name+".log"),
			})
		}
		b.step("starting kwok, kube-scheduler and kube-controller-manager (%s)", m.Name)
		for _, comp := range comps {
			if err := start(comp, nil, b.o.Tie); err != nil {
				return err
			}
			b.f.add(comp)
			started = append(started, comp)
		}
		if err := b.f.save(); err != nil {
			return err
		}
	}
	for _, m := range b.o.Members {
		c, err := b.f.Client(m.Name)
		if err != nil {
			return err
		}
		if err := waitNodesReady(ctx, c, want[m.Name], 90*time.Second); err != nil {
			kwokName, _, _ := LivingComponentNames(m.Name)
			return fmt.Errorf("%s: %w (kwok's log: %s)", m.Name, err, b.dir("logs", kwokName+".log"))
		}
	}
	for _, comp := range started {
		if !alive(comp.PID) {
			return &CrashError{Component: comp.Name, Log: comp.Log, Tail: tail(comp.Log, 20)}
		}
	}
	return nil
}

// createNodeObjects creates nodes with their capacity (kwok writes their
// conditions, addresses and heartbeats once it sees them).
func createNodeObjects(ctx context.Context, c client.Client, nodes []*corev1.Node) error {
	for _, n := range nodes {
		st := n.Status
		obj := n.DeepCopy()
		obj.Status = corev1.NodeStatus{}
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		obj.Status = st
		if err := c.Status().Update(ctx, obj); err != nil {
			return fmt.Errorf("node %s status: %w", n.Name, err)
		}
	}
	return nil
}

// waitNodesReady waits until n nodes of a member are Ready.
func waitNodesReady(ctx context.Context, c client.Client, n int, timeout time.Duration) error {
	ready := 0
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		var nodes corev1.NodeList
		if err := c.List(ctx, &nodes); err != nil {
			return false, nil
		}
		ready = 0
		for _, nd := range nodes.Items {
			for _, cond := range nd.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready >= n, nil
	})
	if err != nil {
		return fmt.Errorf("%d of %d nodes Ready after %s", ready, n, timeout)
	}
	return nil
}

// createVolumes gives a member, for each storage class, the StorageClass
// (no provisioner: no CSI driver runs here) and a pool of volumes bound by
// kube-controller-manager's volume binder, as a cluster with statically
// provisioned storage has. The volumes are never mounted: kwok runs no
// containers.
func createVolumes(ctx context.Context, c client.Client, cluster string, classes []string) error {
	immediate := storagev1.VolumeBindingImmediate
	for _, class := range classes {
		sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: class}, Provisioner: "kubernetes.io/no-provisioner", VolumeBindingMode: &immediate}
		if err := c.Create(ctx, sc); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("StorageClass %s: %w", class, err)
		}
		for i := 0; i < volumesPerClass; i++ {
			name := fmt.Sprintf("%s-%s-%d", cluster, class, i)
			pv := &corev1.PersistentVolume{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: corev1.PersistentVolumeSpec{
					StorageClassName:              class,
					Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Ti")},
					AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
					PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/nonexistent/flotilla-local-fleet/" + name}},
				},
			}
			if err := c.Create(ctx, pv); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("PersistentVolume %s: %w", name, err)
			}
		}
	}
	return nil
}

// StorageClassesOf returns the storage classes the objects' volume claims
// (PersistentVolumeClaims and StatefulSets' claim templates) name, sorted.
func StorageClassesOf(objs []*unstructured.Unstructured) []string {
	seen := map[string]bool{}
	for _, o := range objs {
		switch o.GetKind() {
		case "PersistentVolumeClaim":
			if s, ok, _ := unstructured.NestedString(o.Object, "spec", "storageClassName"); ok && s != "" {
				seen[s] = true
			}
		case "StatefulSet":
			tmpls, _, _ := unstructured.NestedSlice(o.Object, "spec", "volumeClaimTemplates")
			for _, t := range tmpls {
				if m, ok := t.(map[string]any); ok {
					if s, ok, _ := unstructured.NestedString(m, "spec", "storageClassName"); ok && s != "" {
						seen[s] = true
					}
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
