package fleet

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/engines"
)

//go:embed assets/karmada-webhook-configuration.yaml
var webhookConfiguration string

// Names of the host (the Karmada control plane) in state and kubeconfig.
const (
	HostName      = "karmada-host"
	KarmadaSystem = "karmada-system"
	ClusterNS     = "karmada-cluster"
	stateFile     = "state.json"
	kubeconfigF   = "kubeconfig"
)

// Options configure Up.
type Options struct {
	// StateDir holds PKI, logs, PIDs and the kubeconfig. It must not hold a
	// running fleet.
	StateDir string
	Engines  *engines.Set
	// Members are the member clusters (their labels, taints, provider,
	// region and zone are registered with Karmada).
	Members []*v1alpha1.Cluster
	// HostCRDs are installed into the Karmada control plane; MemberCRDs into
	// every member (the kinds Karmada propagates to them).
	HostCRDs, MemberCRDs []*apiextensionsv1.CustomResourceDefinition
	// Living gives every member the nodes its Cluster declares (and the
	// nodes of its EdgeGroups), run by kwok, with a kube-scheduler and
	// kube-controller-manager's workload controllers: pods are scheduled,
	// run and become ready (living.go). Nodes is then ignored.
	Living bool
	// EdgeGroups are the node groups of the edge members (Living).
	EdgeGroups []*v1alpha1.EdgeGroup
	// StorageClasses get a StorageClass and a pool of volumes in every
	// living member (StorageClassesOf the rendered objects).
	StorageClasses []string
	// Nodes creates this many Node objects per member, sharing the
	// cluster's declared capacity as allocatable, so Karmada's estimator
	// sees free capacity (0: no nodes).
	Nodes int
	// StatusFrequency is how often Karmada refreshes cluster status
	// (default 2s: fast failure detection for rehearsals and tests).
	StatusFrequency time.Duration
	// Tie makes every process die with the calling process (tests).
	Tie bool
	// Backup, when set, also starts the object store and prepares the
	// members for Velero (disaster-recovery drills).
	Backup *BackupOptions
	// Progress, when set, is told about each step.
	Progress func(Step)
}

// Step is one step of bring-up.
type Step struct {
	N, Total int
	Msg      string
}

// ClusterInfo is a cluster of the running fleet.
type ClusterInfo struct {
	Name    string `json:"name"`
	Context string `json:"context"`
	URL     string `json:"url"`
	Member  bool   `json:"member"`
}

// Fleet is a running (or recorded) local fleet.
type Fleet struct {
	Dir        string            `json:"dir"`
	Components []*Component      `json:"components"`
	Clusters   []ClusterInfo     `json:"clusters"`
	Token      string            `json:"token"`
	CAFile     string            `json:"caFile"`
	Kubeconfig string            `json:"kubeconfig"`
	Started    time.Time         `json:"started"`
	Startup    float64           `json:"startupSeconds"`
	Versions   map[string]string `json:"versions"`
	// Store is the object store, when started with backup.
	Store *Store `json:"store,omitempty"`

	mu     sync.Mutex // guards Components
	saveMu sync.Mutex // serializes save
}

// Host returns the Karmada control plane's connection.
func (f *Fleet) Host() ClusterInfo { return f.cluster(HostName) }

// Member returns a member cluster's connection.
func (f *Fleet) Member(name string) ClusterInfo { return f.cluster(name) }

func (f *Fleet) cluster(name string) ClusterInfo {
	for _, c := range f.Clusters {
		if c.Name == name {
			return c
		}
	}
	return ClusterInfo{}
}

// Component returns a component by name, or nil.
func (f *Fleet) Component(name string) *Component {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.Components {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (f *Fleet) add(c *Component) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Components = append(f.Components, c)
}

// save writes state.json atomically. Members start in parallel, so saves
// are serialized and each writes its own temporary file.
func (f *Fleet) save() error {
	f.saveMu.Lock()
	defer f.saveMu.Unlock()
	f.mu.Lock()
	data, err := json.MarshalIndent(f, "", "  ")
	f.mu.Unlock()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(f.Dir, stateFile+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(f.Dir, stateFile))
}

// Load reads the fleet recorded in dir — only if `flotilla fleet up` on
// this machine started it (see record): a state.json it did not write
// could name any program to start and any folder to remove.
func Load(dir string) (*Fleet, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no local fleet in %s (start one with `flotilla fleet up`)", dir)
		}
		return nil, err
	}
	f := &Fleet{}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stateFile), err)
	}
	if err := checkState(dir, f); err != nil {
		return nil, err
	}
	return f, nil
}

// Running reports whether dir records a fleet with live processes.
func Running(dir string) bool {
	f, err := Load(dir)
	if err != nil {
		return false
	}
	for _, c := range f.Components {
		if alive(c.PID) {
			return true
		}
	}
	return false
}

// Down stops every component, in order (controllers, webhooks and the
// aggregated apiserver, API servers, etcd), and removes the state folder.
func (f *Fleet) Down() error {
	comps := slices.Clone(f.Components)
	slices.SortStableFunc(comps, func(a, b *Component) int { return stopRank(a.Role) - stopRank(b.Role) })
	var wg sync.WaitGroup
	for rank := 0; rank <= 3; rank++ {
		for _, c := range comps {
			if stopRank(c.Role) != rank {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				stop(c, 10*time.Second)
			}()
		}
		wg.Wait()
	}
	var stuck []string
	for _, c := range comps {
		if alive(c.PID) {
			stuck = append(stuck, fmt.Sprintf("%s (pid %d)", c.Name, c.PID))
		}
	}
	if len(stuck) > 0 {
		return fmt.Errorf("processes still running after SIGKILL: %s", strings.Join(stuck, ", "))
	}
	forgetRecord(f.Dir)
	return os.RemoveAll(f.Dir)
}

// Up starts a fleet. On failure everything started is stopped and the
// error names the failing component with the end of its log.
func Up(ctx context.Context, o Options) (_ *Fleet, err error) {
	start := time.Now()
	if o.StatusFrequency == 0 {
		o.StatusFrequency = 2 * time.Second
	}
	if _, err := Load(o.StateDir); err != nil {
		// A state.json fleet up did not record (committed to the
		// repository, or from a flotilla that kept no records) is not
		// flotilla's to stop or remove.
		var nr *NotRecordedError
		if errors.As(err, &nr) {
			return nil, fmt.Errorf("%w: remove %s yourself (after stopping any process its state.json names)", err, o.StateDir)
		}
	}
	if Running(o.StateDir) {
		return nil, fmt.Errorf("a fleet is already running from %s: stop it with `flotilla fleet down`", o.StateDir)
	}
	if err := os.RemoveAll(o.StateDir); err != nil {
		return nil, err
	}
	for _, d := range []string{"pki", "logs", "etcd"} {
		if err := os.MkdirAll(filepath.Join(o.StateDir, d), 0o700); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(o.StateDir)
	if err != nil {
		return nil, err
	}
	f := &Fleet{Dir: abs, Token: token(), Started: start.UTC(), Versions: map[string]string{}}
	for _, fam := range engines.Families() {
		f.Versions[fam.Name] = fam.Version
	}
	defer func() {
		// Anything started is stopped again: no half-up fleet is left.
		if err != nil {
			if derr := f.Down(); derr != nil {
				err = fmt.Errorf("%w (and stopping what was started failed: %v)", err, derr)
			}
		}
	}()
	b := &bringUp{o: o, f: f, total: 8 + 3*len(o.Members)}
	if o.Backup != nil {
		b.total += 3
	}
	if o.Living {
		b.total += 2 * len(o.Members)
	}
	if err := b.pki(); err != nil {
		return nil, err
	}
	if err := b.host(ctx); err != nil {
		return nil, err
	}
	if err := b.members(ctx); err != nil {
		return nil, err
	}
	if o.Living {
		if err := b.living(ctx); err != nil {
			return nil, err
		}
	}
	if err := b.register(ctx); err != nil {
		return nil, err
	}
	if err := b.kubeconfig(); err != nil {
		return nil, err
	}
	if err := f.Record(); err != nil {
		return nil, err
	}
	if o.Backup != nil {
		if err := b.backup(ctx); err != nil {
			return nil, err
		}
	}
	f.Startup = time.Since(start).Seconds()
	if err := f.save(); err != nil {
		return nil, err
	}
	return f, nil
}

// bringUp holds what the steps of Up share.
type bringUp struct {
	o     Options
	f     *Fleet
	mu    sync.Mutex
	n     int
	total int

	ca, frontCA    *ca
	caFile         string
	frontCAFile    string
	saPub, saPriv  string
	tokenFile      string
	hostKubeconfig string
	hostEtcd       string
}

func (b *bringUp) step(format string, args ...any) {
	b.mu.Lock()
	b.n++
	s := Step{N: b.n, Total: b.total, Msg: fmt.Sprintf(format, args...)}
	b.mu.Unlock()
	if b.o.Progress != nil {
		b.o.Progress(s)
	}
}

func (b *bringUp) dir(parts ...string) string {
	return filepath.Join(append([]string{b.f.Dir}, parts...)...)
}

// pki creates the CAs, the service-account key and the token file.
func (b *bringUp) pki() error {
	b.step("generating PKI and tokens")
	var err error
	if b.ca, err = newCA("flotilla-fleet-ca"); err != nil {
		return err
	}
	if b.frontCA, err = newCA("flotilla-front-proxy-ca"); err != nil {
		return err
	}
	b.caFile = b.dir("pki", "ca.crt")
	b.frontCAFile = b.dir("pki", "front-proxy-ca.crt")
	if err := os.WriteFile(b.caFile, b.ca.certPEM, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(b.frontCAFile, b.frontCA.certPEM, 0o644); err != nil {
		return err
	}
	b.f.CAFile = b.caFile
	if b.saPub, b.saPriv, err = serviceAccountKey(b.dir("pki")); err != nil {
		return err
	}
	// One admin token in system:masters for flotilla, the Karmada
	// components and member registration (a local rehearsal fleet).
	b.tokenFile = b.dir("pki", "tokens.csv")
	return os.WriteFile(b.tokenFile, []byte(fmt.Sprintf("%s,flotilla-admin,flotilla-admin,\"system:masters\"\n", b.f.Token)), 0o600)
}

// etcd starts an etcd for a cluster and waits for it.
func (b *bringUp) etcd(ctx context.Context, cluster string) (string, error) {
	ps, err := ports(2)
	if err != nil {
		return "", err
	}
	name := "etcd-" + cluster
	client := fmt.Sprintf("http://127.0.0.1:%d", ps[0])
	c := &Component{
		Name: name, Role: RoleEtcd, Cluster: cluster, Binary: b.o.Engines.Path("etcd"), Port: ps[0],
		Args: []string{
			"--name", name, "--data-dir", b.dir("etcd", cluster),
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", ps[1]),
			"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", ps[1]),
			"--initial-cluster", fmt.Sprintf("%s=http://127.0.0.1:%d", name, ps[1]),
			"--unsafe-no-fsync", "--quota-backend-bytes", strconv.Itoa(2 << 30),
			"--log-level", "warn",
		},
		Health: client + "/health",
		Log:    b.dir("logs", name+".log"),
	}
	b.step("starting etcd (%s)", cluster)
	if err := b.run(ctx, c, 30*time.Second); err != nil {
		return "", err
	}
	return client, nil
}

// APIServerName is the component name of a cluster's kube-apiserver (to
// stop it: a member going away).
func APIServerName(cluster string) string { return "kube-apiserver-" + cluster }

// run starts a component, records it, and waits until it is ready.
func (b *bringUp) run(ctx context.Context, c *Component, timeout time.Duration) error {
	if err := start(c, nil, b.o.Tie); err != nil {
		return err
	}
	b.f.add(c)
	if err := b.f.save(); err != nil {
		return err
	}
	return waitReady(ctx, c, b.ca.certPEM, b.f.Token, timeout)
}

// apiserver starts a kube-apiserver for a cluster. The host also serves
// the aggregation layer (front proxy) for karmada-aggregated-apiserver.
func (b *bringUp) apiserver(ctx context.Context, cluster, etcdURL string, host bool) (ClusterInfo, error) {
	port, err := freePort()
	if err != nil {
		return ClusterInfo{}, err
	}
	name := APIServerName(cluster)
	serving, err := b.ca.serving(name, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
	if err != nil {
		return ClusterInfo{}, err
	}
	crt, key, err := serving.write(b.dir("pki"), name)
	if err != nil {
		return ClusterInfo{}, err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	args := []string{
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", strconv.Itoa(port),
		"--tls-cert-file", crt, "--tls-private-key-file", key,
		"--client-ca-file", b.caFile,
		"--token-auth-file", b.tokenFile,
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", b.saPub, "--service-account-signing-key-file", b.saPriv,
		"--service-cluster-ip-range", "10.96.0.0/12",
		"--allow-privileged=true",
		// No kubelets or service-account controller here: admission that
		// needs them would refuse every pod template.
		"--disable-admission-plugins", "ServiceAccount,StorageObjectInUseProtection",
		"--endpoint-reconciler-type", "none",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	}
	if host {
		front, err := b.frontCA.client("front-proxy-client")
		if err != nil {
			return ClusterInfo{}, err
		}
		fcrt, fkey, err := front.write(b.dir("pki"), "front-proxy-client")
		if err != nil {
			return ClusterInfo{}, err
		}
		args = append(args,
			"--requestheader-client-ca-file", b.frontCAFile,
			"--requestheader-allowed-names", "front-proxy-client",
			"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
			"--requestheader-group-headers", "X-Remote-Group",
			"--requestheader-username-headers", "X-Remote-User",
			"--proxy-client-cert-file", fcrt, "--proxy-client-key-file", fkey,
		)
	}
	c := &Component{Name: name, Role: RoleAPIServer, Cluster: cluster, Binary: b.o.Engines.Path("kube-apiserver"), Port: port,
		Args: args, Health: url + "/readyz", Log: b.dir("logs", name+".log")}
	b.step("starting kube-apiserver (%s)", cluster)
	if err := b.run(ctx, c, 90*time.Second); err != nil {
		return ClusterInfo{}, err
	}
	return ClusterInfo{Name: cluster, URL: url}, nil
}

// members starts every member's etcd and API server, in parallel.
func (b *bringUp) members(ctx context.Context) error {
	infos := make([]ClusterInfo, len(b.o.Members))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, m := range b.o.Members {
		g.Go(func() error {
			etcdURL, err := b.etcd(gctx, m.Name)
			if err != nil {
				return err
			}
			info, err := b.apiserver(gctx, m.Name, etcdURL, false)
			if err != nil {
				return err
			}
			info.Context, info.Member = m.Spec.Access.Context, true
			if info.Context == "" {
				info.Context = m.Name
			}
			infos[i] = info
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	b.f.Clusters = append(b.f.Clusters, infos...)
	return b.f.save()
}

// webhookConfig renders Karmada's webhook registrations for the local
// webhook: service URLs point at its port, the CA is the fleet's.
func webhookConfig(port int, caPEM []byte) string {
	s := strings.ReplaceAll(webhookConfiguration, "https://karmada-webhook.karmada-system.svc:443", fmt.Sprintf("https://127.0.0.1:%d", port))
	return strings.ReplaceAll(s, "{{caBundle}}", base64.StdEncoding.EncodeToString(caPEM))
}
