package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/engines"
	"github.com/flotilla-gitops/flotilla/tools/intent"
)

// BackupOptions configure what disaster-recovery drills need on the local
// fleet (`flotilla fleet up --with-backup`).
type BackupOptions struct {
	// Buckets are created in the object store: those of backup/locations/.
	Buckets []string
	// Region is the store's region, which clients sign requests for: the
	// locations' spec.config.region (default us-east-1).
	Region string
}

// BackupFor reads the buckets and region of a repository's storage
// locations (backup/locations/).
func BackupFor(repo *intent.Repo) (*BackupOptions, error) {
	o := &BackupOptions{}
	for _, l := range repo.Locations {
		if b := l.Spec.ObjectStorage; b != nil && !slices.Contains(o.Buckets, b.Bucket) {
			o.Buckets = append(o.Buckets, b.Bucket)
		}
		if r := l.Spec.Config["region"]; r != "" && o.Region == "" {
			o.Region = r
		}
	}
	if len(o.Buckets) == 0 {
		return nil, fmt.Errorf("backup/locations/ declares no BackupStorageLocation with a bucket: nothing to back up into")
	}
	slices.Sort(o.Buckets)
	return o, nil
}

// Store is the fleet's S3-compatible object store (versitygw, posix
// backend) and how Velero reaches it.
type Store struct {
	URL       string `json:"url"`
	Region    string `json:"region"`
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
	// CredentialsFile is an AWS shared credentials file for the store,
	// given to every Velero server (AWS_SHARED_CREDENTIALS_FILE).
	CredentialsFile string `json:"credentialsFile"`
	// Dir is the posix backend's root: one folder per bucket.
	Dir string `json:"dir"`
}

const (
	// VeleroNamespace is where the local fleet's Velero servers look for
	// their objects, as the rendered BackupStorageLocations expect.
	VeleroNamespace = "velero"
	// credentialsSecret is the Secret the rendered locations name in
	// spec.credential (created at bootstrap, never in Git).
	credentialsSecret = "cloud-credentials"
	// storeOverride is the Karmada ClusterOverridePolicy that points every
	// propagated BackupStorageLocation at the local store.
	storeOverride = "flotilla-local-object-store"
)

// storeComponent is the object store's component name.
const storeComponent = "object-store"

// backup starts the object store, creates the buckets, and prepares every
// member for a Velero server: Velero's own CRDs (the server's version),
// the credentials Secret, and the placeholder Deployment the restore
// needs. It also tells Karmada to point propagated locations at the store.
func (b *bringUp) backup(ctx context.Context) error {
	o := b.o.Backup
	region := o.Region
	if region == "" {
		region = "us-east-1"
	}
	b.step("starting the object store (versitygw)")
	port, err := freePort()
	if err != nil {
		return err
	}
	st := &Store{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Region: region, AccessKey: "flotilla", SecretKey: token(), Dir: b.dir("store")}
	st.CredentialsFile = b.dir("store-credentials")
	if err := os.MkdirAll(st.Dir, 0o700); err != nil {
		return err
	}
	creds := fmt.Sprintf("[default]\naws_access_key_id=%s\naws_secret_access_key=%s\n", st.AccessKey, st.SecretKey)
	if err := os.WriteFile(st.CredentialsFile, []byte(creds), 0o600); err != nil {
		return err
	}
	c := &Component{
		Name: storeComponent, Role: RoleStore, Binary: b.o.Engines.Path("versitygw"), Port: port,
		Args: []string{"--port", fmt.Sprintf("127.0.0.1:%d", port), "--region", region, "posix", st.Dir},
		Env:  []string{"ROOT_ACCESS_KEY_ID=" + st.AccessKey, "ROOT_SECRET_ACCESS_KEY=" + st.SecretKey},
		Log:  b.dir("logs", "object-store.log"),
	}
	if err := start(c, nil, b.o.Tie); err != nil {
		return err
	}
	b.f.add(c)
	b.f.Store = st
	if err := b.f.save(); err != nil {
		return err
	}
	if err := waitTCP(ctx, c, 60*time.Second); err != nil {
		return err
	}
	b.step("creating buckets %v", o.Buckets)
	for _, bucket := range o.Buckets {
		if err := st.CreateBucket(ctx, bucket); err != nil {
			return err
		}
	}

	b.step("preparing members for Velero")
	crds, err := veleroCRDs(ctx, b.o.Engines.Path("velero"))
	if err != nil {
		return err
	}
	for _, m := range b.o.Members {
		cl, err := b.f.Client(m.Name)
		if err != nil {
			return err
		}
		if err := applyCRDs(ctx, cl, crds); err != nil {
			return fmt.Errorf("%s: Velero CRDs: %w", m.Name, err)
		}
		if err := prepareVelero(ctx, cl, creds); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	host, err := b.f.Client(HostName)
	if err != nil {
		return err
	}
	return pointLocationsAt(ctx, host, st.URL)
}

// CreateBucket creates a bucket; one that exists already is fine.
func (s *Store) CreateBucket(ctx context.Context, bucket string) error {
	_, err := s.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %s in %s: %w", bucket, s.URL, err)
	}
	return nil
}

// Objects lists the keys under prefix in a bucket.
func (s *Store) Objects(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.client(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s/%s in %s: %w", bucket, prefix, s.URL, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

func (s *Store) client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// veleroCRDs returns the CRDs of the Velero server binary itself
// (`velero install --crds-only --dry-run -o yaml`), so the members serve
// the very schema the server writes.
func veleroCRDs(ctx context.Context, velero string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	cmd := exec.CommandContext(ctx, velero, "install", "--crds-only", "--dry-run", "-o", "yaml")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("velero install --crds-only --dry-run: %w: %s", err, stderr.String())
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, doc := range splitYAML(string(out)) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return nil, fmt.Errorf("velero CRDs: %w", err)
		}
		items := []*unstructured.Unstructured{u}
		if u.IsList() {
			l, err := u.ToList()
			if err != nil {
				return nil, err
			}
			items = items[:0]
			for i := range l.Items {
				items = append(items, &l.Items[i])
			}
		}
		for _, it := range items {
			if it.GetKind() != "CustomResourceDefinition" {
				continue
			}
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(it.Object, crd); err != nil {
				return nil, fmt.Errorf("velero CRD %s: %w", it.GetName(), err)
			}
			crds = append(crds, crd)
		}
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("velero install --crds-only printed no CRDs")
	}
	return crds, nil
}

// prepareVelero creates what a Velero server outside the cluster needs in
// it: the namespace, the credentials Secret the rendered locations name
// (the local fleet's override takes the reference out; the Secret is kept
// for a location applied without the override), and a
// Deployment named velero (scaled to zero: no kubelet runs it) that
// Velero's pod-volume restore action looks up — without it every restore
// ends PartiallyFailed.
func prepareVelero(ctx context.Context, c client.Client, creds string) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: VeleroNamespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: credentialsSecret, Namespace: VeleroNamespace}, StringData: map[string]string{"cloud": creds}},
		&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "velero", Namespace: VeleroNamespace, Labels: map[string]string{"component": "velero"}},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](0),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"component": "velero"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"component": "velero"}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "velero", Image: "velero/velero:v1.18.3"}}},
				},
			},
		},
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// pointLocationsAt makes Karmada set spec.config.s3Url on every
// BackupStorageLocation it propagates: the rendered locations name a cloud
// store (no URL: AWS), the local fleet has its own. An override in the
// control plane is how a platform adapts per-environment configuration
// without changing what Git holds.
//
// It also takes the locations' spec.credential out (a null the API server
// drops), so each Velero server signs with the store's credentials file
// it is given (AWS_SHARED_CREDENTIALS_FILE). With spec.credential, Velero
// rewrites the Secret's file (O_TRUNC) every time a plugin asks for it,
// and a plugin reading it at that moment finds it empty and falls through
// to EC2 instance metadata: "failed to refresh cached credentials, no EC2
// IMDS role found" (velero #8524), seen here about once in thirty drills,
// when a restore starts while the new server validates its locations.
func pointLocationsAt(ctx context.Context, host client.Client, url string) error {
	cop := &policyv1alpha1.ClusterOverridePolicy{
		ObjectMeta: metav1.ObjectMeta{Name: storeOverride},
		Spec: policyv1alpha1.OverrideSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "velero.io/v1", Kind: "BackupStorageLocation"}},
			OverrideRules: []policyv1alpha1.RuleWithCluster{{
				Overriders: policyv1alpha1.Overriders{Plaintext: []policyv1alpha1.PlaintextOverrider{
					{Path: "/spec/config/s3Url", Operator: policyv1alpha1.OverriderOpAdd, Value: apiextensionsv1.JSON{Raw: []byte(fmt.Sprintf("%q", url))}},
					// "add" rather than "remove": it holds whether or not a
					// location names a credential.
					{Path: "/spec/credential", Operator: policyv1alpha1.OverriderOpAdd, Value: apiextensionsv1.JSON{Raw: []byte("null")}},
				}},
			}},
		},
	}
	err := host.Create(ctx, cop)
	if apierrors.IsAlreadyExists(err) {
		cur := &policyv1alpha1.ClusterOverridePolicy{}
		if err = host.Get(ctx, client.ObjectKeyFromObject(cop), cur); err == nil {
			cur.Spec = cop.Spec
			err = host.Update(ctx, cur)
		}
	}
	if err != nil {
		return fmt.Errorf("ClusterOverridePolicy/%s: %w", storeOverride, err)
	}
	return nil
}

// veleroName is the component name of a member's Velero server.
func veleroName(cluster string) string { return "velero-" + cluster }

// StartVelero runs the Velero server of one member and waits until it
// serves metrics. Any other member's server is stopped first: Velero's
// controller manager binds :8080 whatever its flags say, so two cannot run
// side by side on one host; a drill runs the source's server for the
// backup and the recovery side's for the restore. Re-running is safe.
func (f *Fleet) StartVelero(ctx context.Context, set *engines.Set, cluster string, tie bool) error {
	info := f.Member(cluster)
	if info.URL == "" || !info.Member {
		return fmt.Errorf("no member cluster %q in the fleet", cluster)
	}
	if f.Store == nil {
		return fmt.Errorf("the fleet was started without backup (flotilla fleet up --with-backup)")
	}
	for _, c := range slices.Clone(f.Components) {
		if c.Role == RoleController && c.Name != veleroName(cluster) && strings.HasPrefix(c.Name, veleroName("")) {
			stop(c, 10*time.Second)
		}
	}
	if c := f.Component(veleroName(cluster)); c != nil {
		if alive(c.PID) {
			return nil
		}
		return f.StartComponent(ctx, c.Name, tie)
	}
	dir := filepath.Join(f.Dir, "velero", cluster)
	plugins := filepath.Join(f.Dir, "velero", "plugins")
	for _, d := range []string{filepath.Join(dir, "tmp"), plugins} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	link := filepath.Join(plugins, "velero-plugin-for-aws")
	if _, err := os.Lstat(link); err != nil {
		if err := os.Symlink(set.Path("velero-plugin-for-aws"), link); err != nil {
			return err
		}
	}
	ps, err := ports(2)
	if err != nil {
		return err
	}
	c := &Component{
		Name: veleroName(cluster), Role: RoleController, Cluster: cluster, Binary: set.Path("velero"), Port: ps[0],
		Args: []string{"server",
			"--kubeconfig", f.Kubeconfig, "--kubecontext", info.Context, "--namespace", VeleroNamespace,
			"--plugin-dir", plugins, "--uploader-type", "kopia",
			"--metrics-address", fmt.Sprintf("127.0.0.1:%d", ps[0]), "--profiler-address", fmt.Sprintf("127.0.0.1:%d", ps[1]),
			// Restores create objects one by one: the default 100 QPS made
			// a thousand-object restore take 20 s here, 1000 took 8 s.
			"--client-qps", "1000", "--client-burst", "1000",
		},
		Env:    []string{"TMPDIR=" + filepath.Join(dir, "tmp"), "AWS_SHARED_CREDENTIALS_FILE=" + f.Store.CredentialsFile, "HOME=" + dir},
		Health: fmt.Sprintf("http://127.0.0.1:%d/metrics", ps[0]),
		Log:    filepath.Join(f.Dir, "logs", veleroName(cluster)+".log"),
	}
	if err := start(c, nil, tie); err != nil {
		return err
	}
	f.add(c)
	if err := f.save(); err != nil {
		return err
	}
	ca, err := os.ReadFile(f.CAFile)
	if err != nil {
		return err
	}
	return waitReady(ctx, c, ca, "", 90*time.Second)
}
