package kustjail

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
)

// trapRoundTripper records any request kustomize's loader makes (its
// http.Client uses http.DefaultTransport) and refuses it.
type trapRoundTripper struct{ hits atomic.Int64 }

func (tr *trapRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	tr.hits.Add(1)
	return nil, fmt.Errorf("trap: %s", r.URL)
}

// traps installs the network trap and, first on PATH, a git that records
// being run: kustomize clones with exec("git").
func traps(tb testing.TB) (network *trapRoundTripper, gitRan func() bool) {
	tb.Helper()
	network = &trapRoundTripper{}
	saved := http.DefaultTransport
	http.DefaultTransport = network
	tb.Cleanup(func() { http.DefaultTransport = saved })
	dir := tb.TempDir()
	marker := filepath.Join(dir, "git-ran")
	script := "#!/bin/sh\necho \"$@\" >> " + marker + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "git"), []byte(script), 0o755); err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("PATH", dir)
	return network, func() bool { _, err := os.Stat(marker); return err == nil }
}

// FuzzBuild builds arbitrary kustomizations (and an arbitrary plugin
// configuration file) with the real kustomize behind the jail: whatever
// the input, kustomize must never reach the network nor run git, and
// every problem vetting reports names a file.
func FuzzBuild(f *testing.F) {
	network, gitRan := traps(f)
	for _, seed := range [][2]string{
		{"resources: [deployment.yaml, ../base]\n", ""},
		{"resources: [http://127.0.0.1:18089/cm.yaml]\n", ""},
		{"resources: [github.com/org/repo]\n", ""},
		{"resources: [git::https://example.com/r.git]\n", ""},
		{"transformers: [config.yaml]\nresources: [deployment.yaml]\n", "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: https://example.com/p.yaml\n"},
		{"generators: [config.yaml]\n", "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\nfiles: [data.txt]\n"},
		{"configMapGenerator: [{name: c, files: [k=data.txt], envs: [data.txt]}]\n", ""},
		{"patchesStrategicMerge:\n- |\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\nresources: [deployment.yaml]\n", ""},
		{"components: [../base]\n", ""},
		{"openapi: {path: config.yaml}\nresources: [deployment.yaml]\n", "{}"},
		{"trAnsformers: [config.yaml]", "kind: PatchTransformer\nmetadata: {name: 0}\npAth: 0"},
		{"validators:\n- |\n  apiVersion: builtin\n  kind: ValueAddTransformer\n  metadata: {name: v}\n  targetFilePath: ssh://x/y\n", ""},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	small := bounds.Input{DocumentBytes: 64 << 10, Objects: 100, Aliases: 50, AliasBytes: 64 << 10, Depth: 30}
	f.Fuzz(func(t *testing.T, kustomization, config []byte) {
		fsys := tree(map[string]string{
			"app/kustomization.yaml":  string(kustomization),
			"app/config.yaml":         string(config),
			"app/deployment.yaml":     deployment,
			"app/data.txt":            "a=1\n",
			"base/kustomization.yaml": "resources: [cm.yaml]\n",
			"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\n",
		})
		_, err := Build(fsys, "app", Options{Bounds: small})
		if n := network.hits.Load(); n > 0 {
			t.Fatalf("kustomize made %d network requests for\n%s\n--- config.yaml\n%s", n, kustomization, config)
		}
		if gitRan() {
			t.Fatalf("kustomize ran git for\n%s\n--- config.yaml\n%s", kustomization, config)
		}
		var list diag.List
		if errors.As(err, &list) {
			for _, e := range list {
				if e.File == "" {
					t.Fatalf("error without a file: %v", e)
				}
			}
		}
	})
}
