// Command crdsync copies the CustomResourceDefinitions that package apischema
// embeds out of the engines' own Go modules, at the versions flotilla builds
// against, and records where each file came from in crds/SOURCES.md.
//
// It is run by `go generate ./tools/apischema` (from the package directory)
// and by a test that fails when the committed files differ from what this
// command would write. Modules are located with `go mod download -json
// module@version`, run outside the main module so that neither go.mod nor
// go.sum is ever touched; the download is verified against the checksum
// database like any other module download.
//
// Usage:
//
//	go run ./internal/crdsync [-out crds]
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/apischema/internal/crdindex"
)

// source is one engine module and the CRD files taken from it.
type source struct {
	// Project is the directory under crds/ the files are written to.
	Project string
	// Module is the Go module path.
	Module string
	// Version is the module version. Empty means "the version the main
	// module's go.mod selects", so the CRDs can never drift from the Go
	// types flotilla compiles against.
	Version string
	// Dir is the directory inside the module the files are taken from;
	// their paths below Dir are kept under crds/<Project>/.
	Dir string
	// Patterns select files below Dir (path.Match syntax, matched against
	// the path relative to Dir). "**" selects every file of the tree.
	Patterns []string
	// Why explains the choice of version or files; it is written to
	// SOURCES.md.
	Why string
}

// sources is the list of CRDs apischema validates against.
var sources = []source{
	{
		Project:  "karmada",
		Module:   "github.com/karmada-io/karmada",
		Dir:      "charts/karmada/_crds/bases",
		Patterns: []string{"**"},
		Why:      "Karmada's own CRD bases (the chart installs them; the webhook patches under _crds/patches only add a conversion webhook).",
	},
	{
		Project:  "argo-cd",
		Module:   "github.com/argoproj/argo-cd/v2",
		Dir:      "manifests/crds",
		Patterns: []string{"application-crd.yaml", "applicationset-crd.yaml", "appproject-crd.yaml"},
		Why:      "The CRDs Argo CD's install manifests apply.",
	},
	{
		Project:  "velero",
		Module:   "github.com/vmware-tanzu/velero",
		Dir:      "config/crd/v1/bases",
		Patterns: []string{"*.yaml"},
		Why:      "velero.io/v1 CRDs, the ones `velero install --crds-only` prints for v1.",
	},
	{
		Project:  "velero-v2alpha1",
		Module:   "github.com/vmware-tanzu/velero",
		Dir:      "config/crd/v2alpha1/bases",
		Patterns: []string{"*.yaml"},
		Why:      "velero.io/v2alpha1 DataUpload and DataDownload (the data mover's CRDs), which `velero install` installs too.",
	},
	{
		Project:  "kubeedge",
		Module:   "github.com/kubeedge/kubeedge",
		Version:  "v1.20.0",
		Dir:      "build/crds",
		Patterns: []string{"**"},
		Why:      "Every CRD cloudcore installs: apps.kubeedge.io (NodeGroup, EdgeApplication), devices (Device, DeviceModel), operations (NodeUpgradeJob, ImagePrePullJob), policy (ServiceAccountAccess), router (Rule, RuleEndpoint) and reliablesyncs (ObjectSync, ClusterObjectSync); the same release as github.com/kubeedge/api v1.20.0 in go.mod. Not a go.mod dependency: the CRDs live in the main kubeedge module.",
	},
	{
		Project:  "karpenter",
		Module:   "sigs.k8s.io/karpenter",
		Dir:      "pkg/apis/crds",
		Patterns: []string{"karpenter.sh_nodepools.yaml", "karpenter.sh_nodeclaims.yaml"},
		Why:      "karpenter.sh/v1 NodePool and NodeClaim, as Karpenter's chart installs them; the release go.mod selects for the NodePool types flotilla renders.",
	},
	{
		Project:  "keda",
		Module:   "github.com/kedacore/keda/v2",
		Dir:      "config/crd/bases",
		Patterns: []string{"*.yaml"},
		Why:      "keda.sh/v1alpha1 (ScaledObject, ScaledJob, TriggerAuthentication, ClusterTriggerAuthentication) and eventing.keda.sh; the release go.mod selects for the ScaledObject types flotilla renders.",
	},
	{
		Project:  "prometheus-operator",
		Module:   "github.com/prometheus-operator/prometheus-operator",
		Version:  "v0.78.2",
		Dir:      "example/prometheus-operator-crd",
		Patterns: []string{"monitoring.coreos.com_prometheusrules.yaml"},
		Why:      "v0.78.2 is the newest release whose go.mod targets k8s.io/* v0.31 that proxy.golang.org serves (v0.78.1, v0.79.0 and v0.79.1 answer 403; v0.79.2 targets v0.32).",
	},
}

func main() {
	out := flag.String("out", "crds", "directory to write the CRDs and SOURCES.md to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "crdsync:", err)
		os.Exit(1)
	}
}

// copied is one file written, for SOURCES.md.
type copied struct {
	src    source
	ver    string
	inMod  string // path inside the module
	dest   string // path below out
	sha256 string
}

func run(out string) error {
	// An empty directory outside any module: `go mod download` run there
	// resolves module@version through the proxy and never edits go.mod or
	// go.sum of the main module.
	scratch, err := os.MkdirTemp("", "crdsync")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)

	var all []copied
	files := map[string][]byte{}
	for _, s := range sources {
		ver := s.Version
		if ver == "" {
			if ver, err = requiredVersion(s.Module); err != nil {
				return err
			}
		}
		dir, err := moduleDir(scratch, s.Module, ver)
		if err != nil {
			return err
		}
		got, err := collect(dir, s)
		if err != nil {
			return fmt.Errorf("%s@%s: %w", s.Module, ver, err)
		}
		if len(got) == 0 {
			return fmt.Errorf("%s@%s: no file under %s matches %v", s.Module, ver, s.Dir, s.Patterns)
		}
		for _, rel := range got {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path.Join(s.Dir, rel))))
			if err != nil {
				return err
			}
			dest := path.Join(s.Project, rel)
			sum := sha256.Sum256(data)
			files[dest] = data
			all = append(all, copied{src: s, ver: ver, inMod: path.Join(s.Dir, rel), dest: dest, sha256: hex.EncodeToString(sum[:])})
		}
	}

	// Replace each project's directory wholesale so that files dropped
	// upstream disappear here too.
	for _, s := range sources {
		if err := os.RemoveAll(filepath.Join(out, s.Project)); err != nil {
			return err
		}
	}
	for dest, data := range files {
		p := filepath.Join(out, filepath.FromSlash(dest))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	index, err := crdIndex(files)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, crdindex.File), index, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "SOURCES.md"), sourcesMD(all), 0o644)
}

// crdIndex indexes every CRD of files (dest path -> content), sorted by
// name.
func crdIndex(files map[string][]byte) ([]byte, error) {
	var entries []crdindex.Entry
	for dest, data := range files {
		switch path.Ext(dest) {
		case ".yaml", ".yml", ".json":
		default:
			continue
		}
		for i, doc := range bytes.Split(data, []byte("\n---")) {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := sigsyaml.Unmarshal(doc, &crd); err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", dest, i, err)
			}
			if crd.Name == "" {
				continue
			}
			e := crdindex.Entry{File: dest, Name: crd.Name, Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind, Plural: crd.Spec.Names.Plural,
				Namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped}
			for _, v := range crd.Spec.Versions {
				if v.Served {
					e.Versions = append(e.Versions, v.Name)
				}
			}
			sort.Strings(e.Versions)
			entries = append(entries, e)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// requiredVersion asks the go command which version of mod the main module
// selects (`go list -m`), honouring replace directives.
func requiredVersion(mod string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-json", mod)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", mod, err)
	}
	var m struct {
		Version string
		Replace *struct{ Path, Version string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("go list -m %s: %w", mod, err)
	}
	if m.Replace != nil {
		if m.Replace.Path != mod || m.Replace.Version == "" {
			return "", fmt.Errorf("%s is replaced by %s %s; crdsync only copies released module versions", mod, m.Replace.Path, m.Replace.Version)
		}
		return m.Replace.Version, nil
	}
	if m.Version == "" {
		return "", fmt.Errorf("go list -m %s: no version (is it required by go.mod?)", mod)
	}
	return m.Version, nil
}

// moduleDir returns the extracted module directory in the module cache,
// downloading it if needed.
func moduleDir(scratch, mod, ver string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", mod+"@"+ver)
	cmd.Dir = scratch
	// GOFLAGS may carry -mod=..., which is an error outside a module.
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GO111MODULE=on")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal(b, &m); jerr == nil && m.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", mod, ver, m.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s", mod, ver, err, strings.TrimSpace(stderr.String()))
	}
	if m.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: no Dir in %s", mod, ver, b)
	}
	return m.Dir, nil
}

// collect lists the files below s.Dir selected by s.Patterns, as sorted
// slash paths relative to s.Dir.
func collect(modDir string, s source) ([]string, error) {
	root := filepath.Join(modDir, filepath.FromSlash(s.Dir))
	var got []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		for _, pat := range s.Patterns {
			ok := pat == "**"
			if !ok {
				if ok, err = path.Match(pat, rel); err != nil {
					return err
				}
			}
			if ok {
				got = append(got, rel)
				break
			}
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist in the module", s.Dir)
	}
	sort.Strings(got)
	return got, err
}

func sourcesMD(all []copied) []byte {
	var b bytes.Buffer
	b.WriteString("# Where the embedded CRDs come from\n\n")
	b.WriteString("Generated by `go generate ./tools/apischema` (tools/apischema/internal/crdsync);\n")
	b.WriteString("do not edit. Every file is a byte-for-byte copy of a file in an engine's Go\n")
	b.WriteString("module, as `go mod download -json module@version` extracts it.\n\n")
	for _, s := range sources {
		var rows []copied
		for _, c := range all {
			if c.src.Project == s.Project {
				rows = append(rows, c)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s — `%s@%s`\n\n%s\n\n", s.Project, s.Module, rows[0].ver, s.Why)
		b.WriteString("| file | path in the module | sha256 |\n|---|---|---|\n")
		for _, c := range rows {
			fmt.Fprintf(&b, "| `%s` | `%s` | `%s` |\n", c.dest, c.inMod, c.sha256)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}
