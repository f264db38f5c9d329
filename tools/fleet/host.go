package fleet

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/karmadaspec"
)

// Scheme knows every kind the fleet talks about.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, apiregistrationv1.AddToScheme, clusterv1alpha1.Install, policyv1alpha1.Install,
	} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// RESTConfig returns a client configuration for a cluster of the fleet.
func (f *Fleet) RESTConfig(name string) (*rest.Config, error) {
	c := f.cluster(name)
	if c.URL == "" {
		return nil, fmt.Errorf("no cluster %q in the fleet", name)
	}
	ca, err := os.ReadFile(f.CAFile)
	if err != nil {
		return nil, err
	}
	return &rest.Config{Host: c.URL, BearerToken: f.Token, TLSClientConfig: rest.TLSClientConfig{CAData: ca}, QPS: 200, Burst: 400}, nil
}

// Client returns a controller-runtime client for a cluster of the fleet.
func (f *Fleet) Client(name string) (client.Client, error) {
	cfg, err := f.RESTConfig(name)
	if err != nil {
		return nil, err
	}
	s, err := Scheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// host brings up the Karmada control plane.
func (b *bringUp) host(ctx context.Context) error {
	etcdURL, err := b.etcd(ctx, HostName)
	if err != nil {
		return err
	}
	b.hostEtcd = etcdURL
	info, err := b.apiserver(ctx, HostName, etcdURL, true)
	if err != nil {
		return err
	}
	info.Context = "karmada-apiserver"
	b.f.Clusters = append(b.f.Clusters, info)
	if err := b.writeComponentKubeconfig(info.URL); err != nil {
		return err
	}
	c, err := b.f.Client(HostName)
	if err != nil {
		return err
	}

	b.step("installing the engines' CRDs (Karmada, Velero, KubeEdge, Prometheus, Karpenter, KEDA) into the control plane")
	if err := applyCRDs(ctx, c, b.o.HostCRDs); err != nil {
		return fmt.Errorf("host CRDs: %w", err)
	}
	for _, ns := range []string{KarmadaSystem, ClusterNS} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}

	// karmada-aggregated-apiserver serves cluster.karmada.io (Cluster is
	// not a CRD). The host's aggregator reaches it through an
	// ExternalName Service on localhost, verifying the certificate for the
	// service's DNS name.
	ps, err := ports(4)
	if err != nil {
		return err
	}
	aggPort, hookPort, cmHealth, schedHealth := ps[0], ps[1], ps[2], ps[3]
	agg, err := b.ca.serving("karmada-aggregated-apiserver", "karmada-aggregated-apiserver.karmada-system.svc", "karmada-aggregated-apiserver.karmada-system.svc.cluster.local")
	if err != nil {
		return err
	}
	aggCrt, aggKey, err := agg.write(b.dir("pki"), "karmada-aggregated-apiserver")
	if err != nil {
		return err
	}
	b.step("starting karmada-aggregated-apiserver")
	aggC := &Component{
		Name: "karmada-aggregated-apiserver", Role: RoleAggregated, Cluster: HostName, Binary: b.o.Engines.Path("karmada-aggregated-apiserver"), Port: aggPort,
		Args: []string{
			"--kubeconfig", b.hostKubeconfig, "--authentication-kubeconfig", b.hostKubeconfig, "--authorization-kubeconfig", b.hostKubeconfig,
			"--etcd-servers", etcdURL, "--etcd-prefix", "/registry-karmada",
			"--tls-cert-file", aggCrt, "--tls-private-key-file", aggKey,
			"--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(aggPort),
			"--audit-log-path", "-", "--audit-log-maxage", "0", "--audit-log-maxbackup", "0",
		},
		Health: fmt.Sprintf("https://127.0.0.1:%d/readyz", aggPort), Log: b.dir("logs", "karmada-aggregated-apiserver.log"),
	}
	if err := b.run(ctx, aggC, 60*time.Second); err != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "karmada-aggregated-apiserver", Namespace: KarmadaSystem},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost", Ports: []corev1.ServicePort{{Port: int32(aggPort)}}},
	}
	if err := c.Create(ctx, svc); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	port32 := int32(aggPort)
	apisvc := &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: "v1alpha1.cluster.karmada.io"},
		Spec: apiregistrationv1.APIServiceSpec{
			Group: "cluster.karmada.io", Version: "v1alpha1", GroupPriorityMinimum: 2000, VersionPriority: 10,
			Service:  &apiregistrationv1.ServiceReference{Namespace: KarmadaSystem, Name: "karmada-aggregated-apiserver", Port: &port32},
			CABundle: b.ca.certPEM,
		},
	}
	if err := c.Create(ctx, apisvc); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if err := waitAPIService(ctx, c, apisvc.Name, 60*time.Second); err != nil {
		return err
	}

	// karmada-webhook: its mutating hook stamps the permanent id policies
	// need before they can be scheduled.
	b.step("starting karmada-webhook")
	hook, err := b.ca.serving("karmada-webhook", "karmada-webhook.karmada-system.svc")
	if err != nil {
		return err
	}
	certDir := b.dir("pki", "webhook")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return err
	}
	if _, _, err := hook.write(certDir, "tls"); err != nil {
		return err
	}
	hookC := &Component{
		Name: "karmada-webhook", Role: RoleWebhook, Cluster: HostName, Binary: b.o.Engines.Path("karmada-webhook"), Port: hookPort,
		Args: []string{
			"--kubeconfig", b.hostKubeconfig, "--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(hookPort),
			"--cert-dir", certDir, "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
			"--default-not-ready-toleration-seconds", "300", "--default-unreachable-toleration-seconds", "300",
		},
		Health: fmt.Sprintf("https://127.0.0.1:%d/readyz", hookPort), Log: b.dir("logs", "karmada-webhook.log"),
	}
	// The webhook has no /readyz on its serving port; readiness is its TLS
	// listener answering, checked by applying the configuration below.
	hookC.Health = ""
	if err := b.run(ctx, hookC, 30*time.Second); err != nil {
		return err
	}
	if err := waitTCP(ctx, hookC, 30*time.Second); err != nil {
		return err
	}
	if err := applyYAML(ctx, c, webhookConfig(hookPort, b.ca.certPEM)); err != nil {
		return fmt.Errorf("karmada webhook configuration: %w", err)
	}

	// Controllers.
	b.step("starting karmada-controller-manager, karmada-scheduler and kube-controller-manager")
	freq := b.o.StatusFrequency.String()
	cm := &Component{
		Name: "karmada-controller-manager", Role: RoleController, Cluster: HostName, Binary: b.o.Engines.Path("karmada-controller-manager"), Port: cmHealth,
		Args: []string{
			"--kubeconfig", b.hostKubeconfig, "--leader-elect=false",
			"--metrics-bind-address", "0", "--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", cmHealth),
			"--controllers", "*,hpaScaleTargetMarker,deploymentReplicasSyncer",
			"--feature-gates", "Failover=true",
			"--cluster-status-update-frequency", freq,
			"--cluster-lease-duration", "10s", "--cluster-monitor-period", "2s",
			"--cluster-monitor-grace-period", "8s", "--cluster-startup-grace-period", "20s",
			"--failover-eviction-timeout", "10s",
			// The graceful eviction of a workload moved off a tainted or
			// failed member ends when its new copy is healthy, or after
			// this long. The default is 10 minutes; members without
			// kubelets never report a new copy healthy, so every
			// rehearsed failover (a drill's TaintNoExecute) would hold
			// the source's copies and keep the source out of their
			// bindings for all of it.
			"--graceful-eviction-timeout", "30s",
		},
		Health: fmt.Sprintf("http://127.0.0.1:%d/healthz", cmHealth), Log: b.dir("logs", "karmada-controller-manager.log"),
	}
	sched := &Component{
		Name: "karmada-scheduler", Role: RoleController, Cluster: HostName, Binary: b.o.Engines.Path("karmada-scheduler"), Port: schedHealth,
		Args: []string{
			"--kubeconfig", b.hostKubeconfig, "--leader-elect=false", "--enable-scheduler-estimator=false",
			"--metrics-bind-address", "0", "--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", schedHealth),
		},
		Health: fmt.Sprintf("http://127.0.0.1:%d/healthz", schedHealth), Log: b.dir("logs", "karmada-scheduler.log"),
	}
	kcmPort, err := freePort()
	if err != nil {
		return err
	}
	kcm := &Component{
		Name: "kube-controller-manager", Role: RoleController, Cluster: HostName, Binary: b.o.Engines.Path("kube-controller-manager"), Port: kcmPort,
		Args: []string{
			"--kubeconfig", b.hostKubeconfig, "--authentication-kubeconfig", b.hostKubeconfig, "--authorization-kubeconfig", b.hostKubeconfig,
			"--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(kcmPort),
			// Garbage collection and namespace deletion, which Karmada's
			// control plane relies on; nothing that needs nodes.
			"--controllers", "namespace,garbagecollector",
			"--use-service-account-credentials=false",
		},
		Log: b.dir("logs", "kube-controller-manager.log"),
	}
	for _, comp := range []*Component{cm, sched, kcm} {
		if err := start(comp, nil, b.o.Tie); err != nil {
			return err
		}
		b.f.add(comp)
	}
	if err := b.f.save(); err != nil {
		return err
	}
	for _, comp := range []*Component{cm, sched} {
		if err := waitReady(ctx, comp, b.ca.certPEM, "", 60*time.Second); err != nil {
			return err
		}
	}
	if !alive(kcm.PID) {
		return &CrashError{Component: kcm.Name, Log: kcm.Log, Tail: tail(kcm.Log, 20)}
	}
	return nil
}

// register installs member CRDs and nodes, and joins every member to
// Karmada in Push mode.
func (b *bringUp) register(ctx context.Context) error {
	host, err := b.f.Client(HostName)
	if err != nil {
		return err
	}
	for _, m := range b.o.Members {
		b.step("joining %s to Karmada", m.Name)
		mc, err := b.f.Client(m.Name)
		if err != nil {
			return err
		}
		if err := applyCRDs(ctx, mc, b.o.MemberCRDs); err != nil {
			return fmt.Errorf("%s CRDs: %w", m.Name, err)
		}
		if b.o.Nodes > 0 && !b.o.Living {
			if err := createNodes(ctx, mc, m, b.o.Nodes); err != nil {
				return fmt.Errorf("%s nodes: %w", m.Name, err)
			}
		}
		// Secrets hold the token without a trailing newline (a newline
		// breaks the Authorization header Karmada builds from it).
		for _, name := range []string{m.Name, m.Name + "-impersonator"} {
			sec := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ClusterNS},
				Data:       map[string][]byte{clusterv1alpha1.SecretTokenKey: []byte(b.f.Token), clusterv1alpha1.SecretCADataKey: b.ca.certPEM},
			}
			if err := host.Create(ctx, sec); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
		}
		kc := karmadaspec.Cluster(m)
		kc.Spec.SyncMode = clusterv1alpha1.Push // no agents on a local fleet
		kc.Spec.APIEndpoint = b.f.Member(m.Name).URL
		kc.Spec.SecretRef = &clusterv1alpha1.LocalSecretReference{Namespace: ClusterNS, Name: m.Name}
		kc.Spec.ImpersonatorSecretRef = &clusterv1alpha1.LocalSecretReference{Namespace: ClusterNS, Name: m.Name + "-impersonator"}
		kc.TypeMeta = metav1.TypeMeta{}
		if err := host.Create(ctx, kc); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("register %s: %w", m.Name, err)
		}
	}
	b.step("waiting for every member to be Ready in Karmada")
	return WaitClustersReady(ctx, host, memberNames(b.o.Members), 90*time.Second)
}

func memberNames(ms []*v1alpha1.Cluster) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// WaitClustersReady waits until Karmada reports every named cluster Ready.
func WaitClustersReady(ctx context.Context, c client.Client, names []string, timeout time.Duration) error {
	var notReady []string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		notReady = notReady[:0]
		for _, n := range names {
			kc := &clusterv1alpha1.Cluster{}
			if err := c.Get(ctx, client.ObjectKey{Name: n}, kc); err != nil {
				notReady = append(notReady, n+" ("+err.Error()+")")
				continue
			}
			if !meta.IsStatusConditionTrue(kc.Status.Conditions, clusterv1alpha1.ClusterConditionReady) {
				notReady = append(notReady, n)
			}
		}
		return len(notReady) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("clusters not Ready after %s: %v", timeout, notReady)
	}
	return nil
}

// createNodes adds Node objects sharing the cluster's declared capacity,
// so Karmada's estimator sees allocatable resources. They have no kubelet:
// they exist to be counted.
func createNodes(ctx context.Context, c client.Client, m *v1alpha1.Cluster, n int) error {
	per := func(q resource.Quantity) resource.Quantity {
		v := q.MilliValue() / int64(n)
		return *resource.NewMilliQuantity(v, q.Format)
	}
	pods := int64(v1alpha1.DefaultPodsPerNode)
	for i := 0; i < n; i++ {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-node-%d", m.Name, i), Labels: map[string]string{"kubernetes.io/hostname": fmt.Sprintf("%s-node-%d", m.Name, i)}}}
		if err := c.Create(ctx, node); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		alloc := corev1.ResourceList{
			corev1.ResourceCPU:    per(m.Spec.Capacity.CPU),
			corev1.ResourceMemory: per(m.Spec.Capacity.Memory),
			corev1.ResourcePods:   *resource.NewQuantity(pods, resource.DecimalSI),
		}
		node.Status = corev1.NodeStatus{
			Capacity: alloc, Allocatable: alloc,
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "FlotillaLocalFleet", LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
		}
		if err := c.Status().Update(ctx, node); err != nil {
			return err
		}
	}
	return nil
}

// applyCRDs installs CRDs with server-side apply (fluxcd/pkg/ssa), CRDs
// first, waiting until they are established.
func applyCRDs(ctx context.Context, c client.Client, crds []*apiextensionsv1.CustomResourceDefinition) error {
	var objs []*unstructured.Unstructured
	for _, crd := range crds {
		cp := crd.DeepCopy()
		cp.Status = apiextensionsv1.CustomResourceDefinitionStatus{}
		cp.TypeMeta = metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cp)
		if err != nil {
			return err
		}
		u := &unstructured.Unstructured{Object: m}
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		unstructured.RemoveNestedField(u.Object, "status")
		objs = append(objs, u)
	}
	return ssaApply(ctx, c, objs)
}

// ssaApply server-side applies objects in stages and waits for them.
func ssaApply(ctx context.Context, c client.Client, objs []*unstructured.Unstructured) error {
	if len(objs) == 0 {
		return nil
	}
	m := ssa.NewResourceManager(c, polling.NewStatusPoller(c, c.RESTMapper(), polling.Options{}), ssa.Owner{Field: "flotilla", Group: "flotilla.io"})
	opts := ssa.DefaultApplyOptions()
	opts.WaitTimeout = 90 * time.Second
	opts.WaitInterval = 500 * time.Millisecond
	_, err := m.ApplyAllStaged(ctx, objs, opts)
	return err
}

// applyYAML applies every document of a YAML stream.
func applyYAML(ctx context.Context, c client.Client, stream string) error {
	var objs []*unstructured.Unstructured
	for _, doc := range splitYAML(stream) {
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			return err
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return ssaApply(ctx, c, objs)
}

func waitAPIService(ctx context.Context, c client.Client, name string, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		a := &apiregistrationv1.APIService{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, a); err != nil {
			last = err.Error()
			return false, nil
		}
		for _, cond := range a.Status.Conditions {
			if cond.Type == apiregistrationv1.Available {
				last = cond.Message
				return cond.Status == apiregistrationv1.ConditionTrue, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("APIService %s not Available after %s: %s", name, timeout, last)
	}
	return nil
}

// writeComponentKubeconfig writes the kubeconfig the Karmada components
// use to reach the control plane.
func (b *bringUp) writeComponentKubeconfig(url string) error {
	b.hostKubeconfig = b.dir("pki", "karmada-components.kubeconfig")
	return b.writeKubeconfigFor(b.hostKubeconfig, url)
}

// writeKubeconfigFor writes a one-cluster kubeconfig for components
// (the fleet's admin token, the fleet's CA).
func (b *bringUp) writeKubeconfigFor(path, url string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["cluster"] = &clientcmdapi.Cluster{Server: url, CertificateAuthorityData: b.ca.certPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: b.f.Token}
	cfg.Contexts["cluster"] = &clientcmdapi.Context{Cluster: "cluster", AuthInfo: "admin"}
	cfg.CurrentContext = "cluster"
	return clientcmd.WriteToFile(*cfg, path)
}

// kubeconfig writes the user's kubeconfig: one context per cluster.
func (b *bringUp) kubeconfig() error {
	cfg := clientcmdapi.NewConfig()
	cfg.AuthInfos["flotilla-admin"] = &clientcmdapi.AuthInfo{Token: b.f.Token}
	for _, c := range b.f.Clusters {
		cfg.Clusters[c.Name] = &clientcmdapi.Cluster{Server: c.URL, CertificateAuthorityData: b.ca.certPEM}
		cfg.Contexts[c.Context] = &clientcmdapi.Context{Cluster: c.Name, AuthInfo: "flotilla-admin"}
	}
	cfg.CurrentContext = "karmada-apiserver"
	b.f.Kubeconfig = b.dir(kubeconfigF)
	return clientcmd.WriteToFile(*cfg, b.f.Kubeconfig)
}
