package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
)

// ensureNamespaces creates namespaces for real (dry-run creates need them).
func ensureNamespaces(t *testing.T, c client.Client, names ...string) {
	t.Helper()
	for _, ns := range names {
		if ns == "" {
			continue
		}
		err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("namespace %s: %v", ns, err)
		}
	}
}

// TestRenderedObjectsAreAcceptedByTheRealServers server-side dry-runs every
// object the example fleet renders against the real Karmada control plane
// (real CRDs, Karmada's webhooks, its aggregated API), with strict field
// validation.
func TestRenderedObjectsAreAcceptedByTheRealServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := env.fleet.Client(fleet.HostName)
	if err != nil {
		t.Fatal(err)
	}
	var nss []string
	for _, o := range env.rendered.Output.Objects {
		nss = append(nss, o.Object.GetNamespace())
	}
	ensureNamespaces(t, c, nss...)
	checked := 0
	for _, o := range env.rendered.Output.Objects {
		obj := o.Object.DeepCopy()
		err := c.Patch(ctx, obj, client.Apply, client.DryRunAll, client.FieldOwner("flotilla-e2e"), client.ForceOwnership)
		if err != nil {
			t.Errorf("%s (%s): refused by the real server: %v", o.Ref(), o.Path, err)
		}
		checked++
	}
	if checked < 50 {
		t.Fatalf("only %d objects checked", checked)
	}
}

// corpusFile is one object of apischema's corpus with what the offline
// validator expects.
type corpusFile struct {
	path      string
	body      []byte
	want      []string
	field     string
	fieldType string
	// wantApply is what a server-side apply of the body answers, for the
	// errors the validator words as server-side apply does.
	wantApply string
}

func readCorpus(t *testing.T, dir string) []corpusFile {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "tools/apischema/testdata", dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", dir, err)
	}
	var out []corpusFile
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cf := corpusFile{path: f, body: body}
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, "# want:"); ok {
				cf.want = append(cf.want, strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(line, "# want-field:"); ok {
				cf.field = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "# want-type:"); ok {
				cf.fieldType = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "# want-apply:"); ok {
				cf.wantApply = strings.TrimSpace(v)
			}
		}
		out = append(out, cf)
	}
	return out
}

// postDryRun sends a raw body to the resource's collection URL as a
// create, dry run, strict field validation: exactly what the offline
// validator models.
func postDryRun(ctx context.Context, t *testing.T, c client.Client, cfg *rest.Config, body []byte) error {
	t.Helper()
	rc, path, _ := resourcePath(t, c, cfg, body)
	if rc == nil {
		return path.err
	}
	return rc.Post().AbsPath(path.collection).Param("dryRun", "All").Param("fieldValidation", "Strict").
		SetHeader("Content-Type", "application/yaml").Body(body).Do(ctx).Error()
}

// applyDryRun sends a raw body to the object's URL as a server-side
// apply, dry run, strict field validation.
func applyDryRun(ctx context.Context, t *testing.T, c client.Client, cfg *rest.Config, body []byte) error {
	t.Helper()
	rc, path, name := resourcePath(t, c, cfg, body)
	if rc == nil {
		return path.err
	}
	return rc.Patch(types.ApplyPatchType).AbsPath(path.collection, name).Param("dryRun", "All").
		Param("fieldValidation", "Strict").Param("fieldManager", "flotilla-e2e").Body(body).Do(ctx).Error()
}

// resourceURL is the collection URL of a body's resource, or why there is
// none.
type resourceURL struct {
	collection string
	err        error
}

// resourcePath finds the REST client, collection URL and name for a raw
// body.
func resourcePath(t *testing.T, c client.Client, cfg *rest.Config, body []byte) (*rest.RESTClient, resourceURL, string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(body, &u.Object); err != nil {
		t.Fatalf("corpus file does not parse: %v", err)
	}
	gvk := u.GroupVersionKind()
	mapping, err := c.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, resourceURL{err: fmt.Errorf("no resource for %s: %w", gvk, err)}, ""
	}
	path := "/api/" + gvk.Version
	if gvk.Group != "" {
		path = "/apis/" + gvk.Group + "/" + gvk.Version
	}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := u.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		path += "/namespaces/" + ns
	}
	path += "/" + mapping.Resource.Resource
	rc, err := restClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rc, resourceURL{collection: path}, u.GetName()
}

func restClient(cfg *rest.Config) (*rest.RESTClient, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &schemaGroupVersionV1
	c.APIPath = "/api"
	c.NegotiatedSerializer = negotiatedSerializer()
	return rest.RESTClientFor(c)
}

// TestValidatorAgreesWithTheRealServer sends apischema's corpus to the
// real control plane: every invalid object is refused with the message the
// offline validator gives, and every valid one is accepted.
func TestValidatorAgreesWithTheRealServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := env.fleet.Client(fleet.HostName)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.fleet.RESTConfig(fleet.HostName)
	if err != nil {
		t.Fatal(err)
	}
	ensureNamespaces(t, c, "ml", "observability", "edge-apps", "velero", "argocd", "monitoring", "shop", "default")
	offline, err := apischema.New(apischema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cf := range readCorpus(t, "invalid") {
		t.Run("invalid/"+filepath.Base(cf.path), func(t *testing.T) {
			fes := offline.ValidateRaw(ctx, cf.body)
			if len(fes) == 0 {
				t.Fatalf("offline validator accepts it")
			}
			err := postDryRun(ctx, t, c, cfg, cf.body)
			if err == nil {
				t.Fatalf("the real server accepts it; offline said: %v", fes)
			}
			for _, want := range cf.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("server message lacks %q (the offline validator's text):\n%v", want, err)
				}
			}
			if cf.wantApply != "" {
				err := applyDryRun(ctx, t, c, cfg, cf.body)
				if err == nil || !strings.Contains(err.Error(), cf.wantApply) {
					t.Errorf("server-side apply's message lacks %q (the offline validator's text):\n%v", cf.wantApply, err)
				}
			}
			// Field errors name the field; request-level errors (a duplicate
			// key, a malformed body) name the line instead.
			if cf.field != "" && strings.HasPrefix(cf.fieldType, "FieldValue") && !strings.Contains(err.Error(), cf.field) {
				t.Errorf("server message does not name field %s:\n%v", cf.field, err)
			}
		})
	}
	for _, cf := range readCorpus(t, "valid") {
		t.Run("valid/"+filepath.Base(cf.path), func(t *testing.T) {
			if fes := offline.ValidateRaw(ctx, cf.body); len(fes) > 0 {
				t.Fatalf("offline validator refuses it: %v", fes)
			}
			for group, why := range notServedLocally {
				if strings.Contains(string(cf.body), "apiVersion: "+group+"/") {
					t.Skipf("%s: %s", group, why)
				}
			}
			// AlreadyExists comes from storage, after validation accepted
			// the object (an earlier test created one of the same name).
			if err := postDryRun(ctx, t, c, cfg, cf.body); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Errorf("the real server refuses it: %v", err)
			}
		})
	}
}

// notServedLocally are API groups the validator serves that the local
// fleet's control plane does not run.
var notServedLocally = map[string]string{
	"search.karmada.io": "karmada-search (ResourceRegistry) is not part of the local fleet; its strategy is checked offline only",
}

// requestOnly are kinds kube-apiserver serves for requests that are never
// stored — reviews, a pod's binding — which no manifest holds as a
// resource, so the validator need not know them.
var requestOnly = map[string]bool{
	"TokenReview": true, "SelfSubjectReview": true, "SubjectAccessReview": true, "SelfSubjectAccessReview": true,
	"LocalSubjectAccessReview": true, "SelfSubjectRulesReview": true, "Binding": true,
}

// TestValidatorKnowsEveryKindTheServerServes compares the validator's
// kinds with the discovery of the local fleet's real kube-apiserver
// (v1.31, the host cluster): every kind and version it serves for create
// — built-in, aggregated or from the CRDs installed there — is known
// offline, so a manifest of any of them is validated, not reported as
// having no schema.
func TestValidatorKnowsEveryKindTheServerServes(t *testing.T) {
	cfg, err := env.fleet.RESTConfig(fleet.HostName)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	offline, err := apischema.New(apischema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	var missing []string
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "create") || requestOnly[r.Kind] {
				continue
			}
			served++
			if gvk := gv.WithKind(r.Kind); !offline.Known(gvk) {
				missing = append(missing, gvk.String())
			}
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("the server serves %d kinds for create; the validator lacks %d:\n%s", served, len(missing), strings.Join(missing, "\n"))
	}
	if served < 50 {
		t.Errorf("only %d kinds served: is this the fleet's kube-apiserver?", served)
	}
}
