package engines

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Family is a set of binaries built from one module.
type Family struct {
	// Name is the folder under scripts/engines/.
	Name string
	// Module and Version are the upstream module the binaries come from.
	Module, Version string
	// Binaries maps each binary name to its main package.
	Binaries []Binary
	// LDFlags stamp the version (as upstream release builds do).
	LDFlags []string
}

// Binary is one program of a family.
type Binary struct {
	Name    string
	Package string
}

// Families are the engines of the local fleet. Versions match the modules
// in scripts/engines/*/go.mod (a test checks it) and, for Karmada,
// flotilla's own go.mod.
func Families() []Family {
	kubeStamp := func(pkg string) []string {
		return []string{
			"-X " + pkg + ".gitVersion=v1.31.3",
			"-X " + pkg + ".gitMajor=1",
			"-X " + pkg + ".gitMinor=31",
			"-X " + pkg + ".gitTreeState=clean",
			"-X " + pkg + ".buildDate=2024-11-19T00:00:00Z",
		}
	}
	return []Family{
		{
			Name: "etcd", Module: "go.etcd.io/etcd/server/v3", Version: "v3.5.16",
			Binaries: []Binary{{"etcd", "go.etcd.io/etcd/server/v3"}},
		},
		{
			Name: "kubernetes", Module: "k8s.io/kubernetes", Version: "v1.31.3",
			Binaries: []Binary{
				{"kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver"},
				{"kube-controller-manager", "k8s.io/kubernetes/cmd/kube-controller-manager"},
				{"kube-scheduler", "k8s.io/kubernetes/cmd/kube-scheduler"},
				{"kubectl", "k8s.io/kubernetes/cmd/kubectl"},
			},
			LDFlags: append(kubeStamp("k8s.io/component-base/version"), kubeStamp("k8s.io/client-go/pkg/version")...),
		},
		{
			Name: "karmada", Module: "github.com/karmada-io/karmada", Version: "v1.13.1",
			Binaries: []Binary{
				{"karmada-aggregated-apiserver", "github.com/karmada-io/karmada/cmd/aggregated-apiserver"},
				{"karmada-controller-manager", "github.com/karmada-io/karmada/cmd/controller-manager"},
				{"karmada-scheduler", "github.com/karmada-io/karmada/cmd/scheduler"},
				{"karmada-webhook", "github.com/karmada-io/karmada/cmd/webhook"},
			},
			LDFlags: []string{
				"-X github.com/karmada-io/karmada/pkg/version.gitVersion=v1.13.1",
				"-X github.com/karmada-io/karmada/pkg/version.gitTreeState=clean",
				"-X github.com/karmada-io/karmada/pkg/version.buildDate=2025-03-31T00:00:00Z",
			},
		},
		{
			// Backups for disaster-recovery drills: one module builds the
			// server/CLI and the AWS object-store plugin (S3 API).
			Name: "velero", Module: "github.com/vmware-tanzu/velero", Version: "v1.18.3",
			Binaries: []Binary{
				{"velero", "github.com/vmware-tanzu/velero/cmd/velero"},
				{"velero-plugin-for-aws", "github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws"},
			},
			LDFlags: []string{"-X github.com/vmware-tanzu/velero/pkg/buildinfo.Version=v1.18.3"},
		},
		{
			// Nodes and pods without kubelets on the members of a living
			// fleet: kwok keeps the nodes Ready and moves scheduled pods
			// to Running and Ready (its default stages).
			Name: "kwok", Module: "sigs.k8s.io/kwok", Version: "v0.7.0",
			Binaries: []Binary{{"kwok", "sigs.k8s.io/kwok/cmd/kwok"}},
		},
		{
			// KubeEdge's NodeGroup controller on the edge members (its
			// own small main: see the module's nodegroupcontroller/).
			Name: "kubeedge", Module: "github.com/kubeedge/kubeedge", Version: "v1.20.0",
			Binaries: []Binary{{"kubeedge-nodegroup-controller", "github.com/flotilla-gitops/flotilla/scripts/engines/kubeedge/nodegroupcontroller"}},
		},
		{
			// The S3-compatible object store the drills back up into.
			Name: "versitygw", Module: "github.com/versity/versitygw", Version: "v1.8.0",
			Binaries: []Binary{{"versitygw", "github.com/versity/versitygw/cmd/versitygw"}},
		},
	}
}

// CacheRoot is where binaries are cached: $FLOTILLA_ENGINES, else
// <user cache dir>/flotilla/engines.
func CacheRoot() (string, error) {
	if d := os.Getenv("FLOTILLA_ENGINES"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for engine binaries (set FLOTILLA_ENGINES): %w", err)
	}
	return filepath.Join(d, "flotilla", "engines"), nil
}

// stamp is written last into a family's folder: its presence means the
// build finished.
type stamp struct {
	Family  string    `json:"family"`
	Module  string    `json:"module"`
	Version string    `json:"version"`
	GoSum   string    `json:"goSum"`
	Go      string    `json:"go"`
	Built   time.Time `json:"built"`
	Seconds float64   `json:"buildSeconds"`
}

// key names a family's cache folder: version and the hash of its go.sum,
// so a changed pin builds afresh.
func key(repoRoot string, f Family) (string, error) {
	sum, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "engines", f.Name, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("%s: %w (run from a flotilla checkout)", f.Name, err)
	}
	// The binaries built are part of the key: a binary added to a family
	// whose go.sum already covers it must not find the folder cached
	// without it. So is the Go source a family's module holds itself (a
	// small main around an engine's packages).
	h := sha256.New()
	h.Write(sum)
	for _, b := range f.Binaries {
		fmt.Fprintf(h, "\x00%s=%s", b.Name, b.Package)
	}
	dir := filepath.Join(repoRoot, "scripts", "engines", f.Name)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "\x00%s\x00%d\x00", filepath.ToSlash(rel), len(src))
		h.Write(src)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.Name, err)
	}
	return f.Name + "-" + f.Version + "-" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Set locates every binary of the fleet.
type Set struct {
	// Dir holds each family's binaries (family name → folder).
	Dir map[string]string
}

// Path returns a binary's absolute path.
func (s *Set) Path(binary string) string {
	for _, f := range Families() {
		for _, b := range f.Binaries {
			if b.Name == binary {
				return filepath.Join(s.Dir[f.Name], b.Name)
			}
		}
	}
	return ""
}

// CheckRepoRoot says whether dir is a flotilla checkout: the engines are
// pinned in its scripts/engines and built from there.
func CheckRepoRoot(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "scripts", "engines")); err != nil {
		return fmt.Errorf("%s has no scripts/engines: engine binaries are built from a flotilla checkout", dir)
	}
	return nil
}

// ErrNotBuilt says binaries are missing from the cache.
var ErrNotBuilt = errors.New("engine binaries are not built: run `make engines` (or `flotilla fleet build`)")

// Locate finds the cached binaries of every family, without building.
func Locate(repoRoot string) (*Set, error) {
	root, err := CacheRoot()
	if err != nil {
		return nil, err
	}
	s := &Set{Dir: map[string]string{}}
	var missing []string
	for _, f := range Families() {
		k, err := key(repoRoot, f)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(root, k)
		if _, err := os.Stat(filepath.Join(dir, "stamp.json")); err != nil {
			missing = append(missing, f.Name+" "+f.Version)
			continue
		}
		s.Dir[f.Name] = dir
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w (missing: %s)", ErrNotBuilt, strings.Join(missing, ", "))
	}
	return s, nil
}

// Build builds every family whose binaries are not cached, reporting
// progress to w, and returns the set. A second run only checks stamps.
func Build(ctx context.Context, repoRoot string, w io.Writer) (*Set, error) {
	root, err := CacheRoot()
	if err != nil {
		return nil, err
	}
	s := &Set{Dir: map[string]string{}}
	total := 0
	for _, f := range Families() {
		total += len(f.Binaries)
	}
	n := 0
	for _, f := range Families() {
		k, err := key(repoRoot, f)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(root, k)
		s.Dir[f.Name] = dir
		if _, err := os.Stat(filepath.Join(dir, "stamp.json")); err == nil {
			n += len(f.Binaries)
			fmt.Fprintf(w, "[%d/%d] %s %s: cached in %s\n", n, total, f.Name, f.Version, dir)
			continue
		}
		start := time.Now()
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, err
		}
		// Build beside the final folder and rename it into place when
		// complete, so an interrupted build never looks cached.
		tmp, err := os.MkdirTemp(root, ".build-"+f.Name+"-")
		if err != nil {
			return nil, err
		}
		for _, b := range f.Binaries {
			n++
			fmt.Fprintf(w, "[%d/%d] building %s (%s %s)...", n, total, b.Name, f.Module, f.Version)
			t := time.Now()
			if err := goBuild(ctx, filepath.Join(repoRoot, "scripts", "engines", f.Name), filepath.Join(tmp, b.Name), b.Package, f.LDFlags); err != nil {
				fmt.Fprintln(w, " failed")
				os.RemoveAll(tmp)
				return nil, fmt.Errorf("build %s: %w", b.Name, err)
			}
			fmt.Fprintf(w, " %s\n", time.Since(t).Round(time.Second))
		}
		st := stamp{Family: f.Name, Module: f.Module, Version: f.Version, GoSum: k, Go: runtime.Version(), Built: time.Now().UTC(), Seconds: time.Since(start).Seconds()}
		data, _ := json.MarshalIndent(st, "", "  ")
		if err := os.WriteFile(filepath.Join(tmp, "stamp.json"), data, 0o644); err != nil {
			return nil, err
		}
		os.RemoveAll(dir) // a folder left by an interrupted rename
		if err := os.Rename(tmp, dir); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func goBuild(ctx context.Context, moduleDir, out, pkg string, ldflags []string) error {
	args := []string{"build", "-trimpath", "-o", out}
	if len(ldflags) > 0 {
		args = append(args, "-ldflags", strings.Join(ldflags, " "))
	}
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleDir
	// The module's go.sum is complete and committed: no checksum database
	// lookups (some of these modules are not in it).
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly -buildvcs=false", "GONOSUMDB=*")
	msg, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w\n%s", err, msg)
	}
	return nil
}
