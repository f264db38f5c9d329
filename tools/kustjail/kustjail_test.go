package kustjail

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
)

// tree is a repository in memory, read through the jail as a revision is.
func tree(files map[string]string) *repofs.FS {
	m := fstest.MapFS{}
	for p, data := range files {
		if target, ok := strings.CutPrefix(data, "->"); ok {
			m[p] = &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
			continue
		}
		m[p] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	return repofs.Tree(m, 0)
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
`

// errorTexts is a build's errors, one line each.
func errorTexts(t *testing.T, err error) []string {
	t.Helper()
	var list diag.List
	if !errors.As(err, &list) {
		t.Fatalf("want a diag.List, got %T: %v", err, err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Error())
	}
	return out
}

func TestRemoteForms(t *testing.T) {
	// The forms kustomize's loader fetches or clones (its loader and
	// repospec tests), and local paths that must stay local.
	for _, ref := range []string{
		"http://127.0.0.1:18089/cm.yaml",
		"https://raw.githubusercontent.com/org/repo/main/x.yaml",
		"HTTPS://example.com/x.yaml",
		"git::https://github.com/org/repo//base?ref=v1",
		"git::github.com/org/repo",
		"ssh://git@github.com/org/repo.git",
		"file:///tmp/repo.git//base",
		"git@github.com:org/repo.git/base",
		"someuser@example.com:path/to/repo.git",
		"github.com/org/repo/base?ref=v1",
		"GitHub.com/org/repo",
		"github.com:org/repo",
		"https://dev.azure.com/org/project/_git/repo/base",
	} {
		if !Remote(ref) {
			t.Errorf("Remote(%q) = false", ref)
		}
	}
	for _, ref := range []string{"base", "../base", "./github.com/org/repo", "x/y.yaml", "deploy.yaml?x", "my@file.yaml"[3:], "a=b.txt"} {
		if Remote(ref) {
			t.Errorf("Remote(%q) = true", ref)
		}
	}
}

// TestRemoteReferencesAreRefusedInEveryField puts a remote reference in
// every field kustomize loads a path from: each is an error at its own
// line and field, and nothing is built.
func TestRemoteReferencesAreRefusedInEveryField(t *testing.T) {
	fsys := tree(map[string]string{
		"app/deployment.yaml": deployment,
		"app/kustomization.yaml": `resources:
  - deployment.yaml
  - http://127.0.0.1:18089/cm.yaml
bases:
  - github.com/org/repo/base?ref=v1
components:
  - git::https://example.com/repo.git//c
crds: [https://example.com/crd.yaml]
configurations: [https://example.com/c.yaml]
openapi:
  path: schema.json
patches:
  - path: https://example.com/p.yaml
patchesJson6902:
  - path: ssh://git@example.com/p.yaml
    target: {kind: Deployment, name: web}
patchesStrategicMerge:
  - https://example.com/psm.yaml
replacements:
  - path: https://example.com/r.yaml
configMapGenerator:
  - name: a
    files: [k=https://example.com/f.txt]
    envs: [https://example.com/e.env]
    env: https://example.com/e2.env
secretGenerator:
  - name: s
    files: [git@example.com:x/y.git]
generators:
  - |
    apiVersion: builtin
    kind: ConfigMapGenerator
    metadata: {name: g}
    files: [https://example.com/g.txt]
transformers:
  - |
    apiVersion: builtin
    kind: PatchTransformer
    metadata: {name: t}
    path: https://example.com/t.yaml
  - https://example.com/transformer.yaml
validators:
  - |
    apiVersion: builtin
    kind: ReplacementTransformer
    metadata: {name: v}
    replacements: [{path: "http://example.com/v.yaml"}]
`,
	})
	_, err := Build(fsys, "app", Options{})
	const remote = "is a remote reference: flotilla builds only what the repository holds, and never fetches"
	want := []string{
		`app/kustomization.yaml:3:5: resources[1]: "http://127.0.0.1:18089/cm.yaml" ` + remote,
		`app/kustomization.yaml:5:5: bases[0]: "github.com/org/repo/base?ref=v1" ` + remote,
		`app/kustomization.yaml:7:5: components[0]: "git::https://example.com/repo.git//c" ` + remote,
		`app/kustomization.yaml:8:8: crds[0]: "https://example.com/crd.yaml" ` + remote,
		`app/kustomization.yaml:9:18: configurations[0]: "https://example.com/c.yaml" ` + remote,
		`app/kustomization.yaml:10:1: openapi: is not supported: kustomize keeps the OpenAPI schema it names for every later build in the process, so one app's kustomization would change how the others build`,
		`app/kustomization.yaml:13:5: patches[0].path: "https://example.com/p.yaml" ` + remote,
		`app/kustomization.yaml:15:5: patchesJson6902[0].path: "ssh://git@example.com/p.yaml" ` + remote,
		`app/kustomization.yaml:18:5: patchesStrategicMerge[0]: "https://example.com/psm.yaml" ` + remote,
		`app/kustomization.yaml:20:5: replacements[0].path: "https://example.com/r.yaml" ` + remote,
		`app/kustomization.yaml:23:13: configMapGenerator[0].files[0]: "https://example.com/f.txt" ` + remote,
		`app/kustomization.yaml:24:12: configMapGenerator[0].envs[0]: "https://example.com/e.env" ` + remote,
		`app/kustomization.yaml:25:5: configMapGenerator[0].env: "https://example.com/e2.env" ` + remote,
		`app/kustomization.yaml:28:13: secretGenerator[0].files[0]: "git@example.com:x/y.git" ` + remote,
		`app/kustomization.yaml:30:5: generators[0]: ConfigMapGenerator files[0]: "https://example.com/g.txt" ` + remote,
		`app/kustomization.yaml:36:5: transformers[0]: PatchTransformer path: "https://example.com/t.yaml" ` + remote,
		`app/kustomization.yaml:41:5: transformers[1]: "https://example.com/transformer.yaml" ` + remote,
		`app/kustomization.yaml:43:5: validators[0]: ReplacementTransformer replacements[0].path: "http://example.com/v.yaml" ` + remote,
	}
	if got := errorTexts(t, err); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPluginConfigFilesAreVetted: a configuration file listed under
// transformers is read as kustomize reads it, and its paths vetted.
func TestPluginConfigFilesAreVetted(t *testing.T) {
	fsys := tree(map[string]string{
		"app/deployment.yaml":    deployment,
		"app/kustomization.yaml": "resources: [deployment.yaml]\ntransformers: [t.yaml, plugins]\n",
		"app/t.yaml":             "apiVersion: builtin\nkind: PatchStrategicMergeTransformer\nmetadata: {name: t}\nPATHS: [../../../etc/passwd, https://example.com/x.yaml]\n",
		"app/plugins/a.yaml":     "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: l}\nlabels: {a: b}\nfieldSpecs: [{path: metadata/labels, create: true}]\n",
	})
	_, err := Build(fsys, "app", Options{})
	want := []string{
		`app/kustomization.yaml:2:16: transformers[0]: t.yaml: PatchStrategicMergeTransformer paths[0]: "../../../etc/passwd" leads outside the repository`,
		`app/kustomization.yaml:2:16: transformers[0]: t.yaml: PatchStrategicMergeTransformer paths[1]: "https://example.com/x.yaml" is a remote reference: flotilla builds only what the repository holds, and never fetches`,
		`app/kustomization.yaml:2:24: transformers[1]: plugins is a folder: list the plugin configuration files themselves, so each can be vetted`,
	}
	if got := errorTexts(t, err); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLocalEscapesAreRefused(t *testing.T) {
	fsys := tree(map[string]string{
		"apps/web/manifests/kustomization.yaml": "resources:\n  - ../../../../etc/passwd\n  - /etc/passwd\n  - leak.yaml\n  - missing.yaml\n  - ../base\n  - ''\nhelmCharts:\n  - name: x\n",
		"apps/web/manifests/leak.yaml":          "->/etc/passwd",
		"apps/web/base/deployment.yaml":         deployment,
	})
	_, err := Build(fsys, "apps/web/manifests", Options{})
	want := []string{
		`apps/web/manifests/kustomization.yaml:2:5: resources[0]: "../../../../etc/passwd" leads outside the repository`,
		`apps/web/manifests/kustomization.yaml:3:5: resources[1]: "/etc/passwd" is an absolute path: a kustomization names files relative to its folder`,
		`apps/web/manifests/kustomization.yaml:4:5: resources[2]: leak.yaml: leaves the repository: symbolic link apps/web/manifests/leak.yaml points to /etc/passwd`,
		`apps/web/manifests/kustomization.yaml:5:5: resources[3]: missing.yaml: does not exist`,
		`apps/web/manifests/kustomization.yaml:6:5: resources[4]: apps/web/base holds no kustomization (kustomization.yaml, kustomization.yml or Kustomization)`,
		`apps/web/manifests/kustomization.yaml:7:5: resources[5]: is empty`,
		`apps/web/manifests/kustomization.yaml:9:5: helmCharts[0]: Helm charts are not built: flotilla runs kustomize with Helm and exec plugins disabled (render the chart into the repository instead)`,
	}
	if got := errorTexts(t, err); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBuildReadsOnlyWhatItNames builds an overlay over a base reached
// through a symbolic link inside the repository, with a patch, a
// generator file and a transformer configuration file: the objects come
// out, and the copy kustomize ran on held exactly the named files.
func TestBuildReadsOnlyWhatItNames(t *testing.T) {
	fsys := tree(map[string]string{
		"shared/base/kustomization.yaml": "resources: [deployment.yaml]\n",
		"shared/base/deployment.yaml":    deployment,
		"shared/base/unrelated.yaml":     "kind: NotRead\n",
		"apps/web/base":                  "->../../shared/base",
		"apps/web/overlay/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../base]
patches:
  - path: replicas.yaml
configMapGenerator:
  - name: settings
    files: [settings.txt]
transformers: [labels.yaml]
`,
		"apps/web/overlay/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n",
		"apps/web/overlay/settings.txt":  "a=1\n",
		"apps/web/overlay/labels.yaml":   "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: l}\nlabels: {team: web}\nfieldSpecs: [{path: metadata/labels, create: true}]\n",
		"apps/web/overlay/secret.txt":    "not read\n",
	})
	rm, err := Build(fsys, "apps/web/overlay", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rm.Resources() {
		// The generated name ends in kustomize's hash of the content.
		name, _, _ := strings.Cut(r.GetName(), "-")
		got = append(got, fmt.Sprintf("%s/%s team=%s", r.GetKind(), name, r.GetLabels()["team"]))
	}
	slices.Sort(got)
	if want := []string{"ConfigMap/settings team=web", "Deployment/web team=web"}; !slices.Equal(got, want) {
		t.Errorf("objects = %v, want %v", got, want)
	}
	v := Vet(fsys, "apps/web/overlay", Options{})
	wantFiles := []string{
		"apps/web/base/deployment.yaml",
		"apps/web/base/kustomization.yaml",
		"apps/web/overlay/kustomization.yaml",
		"apps/web/overlay/labels.yaml",
		"apps/web/overlay/replicas.yaml",
		"apps/web/overlay/settings.txt",
	}
	if !slices.Equal(v.Files, wantFiles) {
		t.Errorf("files = %v, want %v", v.Files, wantFiles)
	}
	if v.Objects != 2 {
		t.Errorf("estimate = %d objects, want 2", v.Objects)
	}
}

// TestObjectEstimateStopsARepeatedBaseTree: each level lists the one
// below twice (with a prefix, as kustomize requires); thirty levels would
// be 2^30 objects. The estimate refuses it before kustomize runs.
func TestObjectEstimateStopsARepeatedBaseTree(t *testing.T) {
	files := map[string]string{"l0/kustomization.yaml": "resources: [deployment.yaml]\n", "l0/deployment.yaml": deployment}
	for i := 1; i <= 30; i++ {
		files[fmt.Sprintf("l%d/a/kustomization.yaml", i)] = fmt.Sprintf("namePrefix: a-\nresources: [../../l%d]\n", i-1)
		files[fmt.Sprintf("l%d/b/kustomization.yaml", i)] = fmt.Sprintf("namePrefix: b-\nresources: [../../l%d]\n", i-1)
		files[fmt.Sprintf("l%d/kustomization.yaml", i)] = "resources: [a, b]\n"
	}
	_, err := Build(tree(files), "l30", Options{Bounds: bounds.Input{Objects: 1000}})
	want := []string{"l30/kustomization.yaml:1: kustomize would build more than 1000 objects from here, over the objects-per-render bound (raise it with --max-objects)"}
	if got := errorTexts(t, err); !slices.Equal(got, want) {
		t.Errorf("errors = %q, want %q", got, want)
	}
	// Three levels build, and the estimate is exact.
	v := Vet(tree(files), "l3", Options{})
	if len(v.Errors) != 0 || v.Objects != 8 {
		t.Errorf("l3: %d objects, %v; want 8", v.Objects, v.Errors)
	}
	rm, err := Build(tree(files), "l3", Options{})
	if err != nil || rm.Size() != 8 {
		t.Errorf("l3 built %v objects, %v; want 8", rm, err)
	}
}

// TestBoundsHoldInsideKustomize: a resource outside the app's folder
// with an alias bomb is refused by the bounds before kustomize, which
// expands aliases, reads it.
func TestBoundsHoldInsideKustomize(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  s: &s " + strings.Repeat("x", 4096) + "\n  list: [")
	for i := range 300 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*s")
	}
	b.WriteString("]\n")
	fsys := tree(map[string]string{
		"app/kustomization.yaml": "resources: [../shared/bomb.yaml]\n",
		"shared/bomb.yaml":       b.String(),
	})
	_, err := Build(fsys, "app", Options{})
	got := errorTexts(t, err)
	if len(got) != 1 || !strings.HasPrefix(got[0], "shared/bomb.yaml:6:") || !strings.Contains(got[0], "over the alias expansion bound") {
		t.Errorf("errors = %q, want the alias expansion bound in shared/bomb.yaml", got)
	}
}

func TestKustomizeFailureIsABuildErrorWithRelativePaths(t *testing.T) {
	fsys := tree(map[string]string{
		"app/kustomization.yaml": "resources: [deployment.yaml]\npatches:\n  - path: p.yaml\n",
		"app/deployment.yaml":    deployment,
		"app/p.yaml":             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other}\nspec: {replicas: 2}\n",
	})
	_, err := Build(fsys, "app", Options{})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("want a BuildError, got %T: %v", err, err)
	}
	if strings.Contains(be.Msg, " /app") || strings.Contains(be.Msg, "'/app") {
		t.Errorf("message keeps the in-memory root: %s", be.Msg)
	}
}
