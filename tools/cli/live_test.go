package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/fleet"
)

// kubeconfigWith is a kubeconfig of one context whose user authenticates
// with user (YAML of the user's fields).
func kubeconfigWith(server, user string) string {
	return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `"}
users:
- name: u
  user:
` + user + `
contexts:
- name: karmada-apiserver
  context: {cluster: c, user: u}
current-context: karmada-apiserver
`
}

// execUser runs a program that touches marker: what a repository's
// kubeconfig must never get to do.
func execUser(marker string) string {
	return `    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: /bin/sh
      args: ["-c", "touch ` + marker + `; echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}'"]`
}

// liveRepo is a repository folder with a .fleet/kubeconfig of content
// kc, recorded as fleet up's when recorded is set.
func liveRepo(t *testing.T, kc string, recorded bool) (root, path string) {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	root = t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "fleet.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path = localKubeconfig(root)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	if recorded {
		f := &fleet.Fleet{Dir: filepath.Dir(path), Kubeconfig: path, Token: "fleet-token"}
		if err := f.Record(); err != nil {
			t.Fatal(err)
		}
	}
	return root, path
}

func choose(t *testing.T, root, explicit string, env map[string]string) (*kubeconfig, string, error) {
	t.Helper()
	var errOut bytes.Buffer
	k, err := chooseKubeconfig(&globalOptions{repo: root}, explicit, IO{ErrOut: &errOut, Getenv: func(k string) string { return env[k] }})
	return k, errOut.String(), err
}

func TestFleetUpKubeconfigIsUsedAndSaidSo(t *testing.T) {
	root, path := liveRepo(t, kubeconfigWith("https://127.0.0.1:6443", "    token: fleet-token"), true)
	k, said, err := choose(t, root, "", nil)
	if err != nil || k.local == nil {
		t.Fatalf("recorded kubeconfig not used: %v\n%s", err, said)
	}
	if want := "using kubeconfig " + path + " (written by flotilla fleet up)\n"; said != want {
		t.Errorf("said %q, want %q", said, want)
	}
	cfg, err := k.restConfig("karmada-apiserver")
	if err != nil || cfg.Host != "https://127.0.0.1:6443" || cfg.BearerToken != "fleet-token" {
		t.Errorf("rest config: %+v, %v", cfg, err)
	}
}

// A repository's kubeconfig is ignored — never loaded, its plugin never
// run — unless fleet up recorded it and it runs no plugin; the user's
// own kubeconfig is used instead.
func TestRepositoryKubeconfigIsRefused(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "plugin-ran")
	for name, tc := range map[string]struct {
		recorded bool
		why      string
	}{
		"committed":               {false, "not written by `flotilla fleet up` on this machine"},
		"recorded, with a plugin": {true, "users u run a credential plugin (exec or auth-provider)"},
	} {
		t.Run(name, func(t *testing.T) {
			root, path := liveRepo(t, kubeconfigWith("https://127.0.0.1:1", execUser(marker)), tc.recorded)
			k, said, err := choose(t, root, "", nil)
			if !strings.Contains(said, "ignoring "+path+": ") || !strings.Contains(said, tc.why) ||
				!strings.Contains(said, "used only when named with --kubeconfig or $KUBECONFIG") {
				t.Errorf("stderr does not say why %s is ignored:\n%s", path, said)
			}
			if err == nil {
				if k.local != nil {
					t.Fatal("the repository's kubeconfig was chosen")
				}
				// The user's ~/.kube/config, when this machine has one.
				if !strings.Contains(said, "using kubeconfig ") {
					t.Errorf("stderr does not say which kubeconfig is used:\n%s", said)
				}
			} else if !strings.Contains(err.Error(), "no kubeconfig: name a kubeconfig with --kubeconfig or $KUBECONFIG, or start the local fleet with `flotilla fleet up`") {
				t.Errorf("err = %v", err)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the kubeconfig's exec plugin ran")
			}
		})
	}
}

// Named by the user, a kubeconfig is the user's choice, wherever it is.
func TestNamedKubeconfigIsUsed(t *testing.T) {
	root, path := liveRepo(t, kubeconfigWith("https://127.0.0.1:7443", "    token: t"), false)
	k, said, err := choose(t, root, path, nil)
	if err != nil || said != "using kubeconfig "+path+" (--kubeconfig)\n" {
		t.Fatalf("--kubeconfig: %v %q", err, said)
	}
	if cfg, err := k.restConfig(""); err != nil || cfg.Host != "https://127.0.0.1:7443" {
		t.Errorf("rest config: %+v, %v", cfg, err)
	}
	other := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(other, []byte(kubeconfigWith("https://127.0.0.1:8443", "    token: t")), 0o600); err != nil {
		t.Fatal(err)
	}
	k, said, err = choose(t, root, "", map[string]string{"KUBECONFIG": other})
	if err != nil || said != "using kubeconfig "+other+" ($KUBECONFIG)\n" {
		t.Fatalf("$KUBECONFIG: %v %q", err, said)
	}
	if cfg, err := k.restConfig(""); err != nil || cfg.Host != "https://127.0.0.1:8443" {
		t.Errorf("rest config: %+v, %v", cfg, err)
	}
}

// TestEmptyKubeconfigSaysWhatToDo: a named kubeconfig that holds no
// cluster gets flotilla's advice, not client-go's KUBERNETES_MASTER.
func TestEmptyKubeconfigSaysWhatToDo(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	k, _, err := choose(t, t.TempDir(), empty, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.restConfig("")
	if err == nil || strings.Contains(err.Error(), "KUBERNETES_MASTER") || !strings.Contains(err.Error(), kubeconfigHint) {
		t.Errorf("err = %v; want %q", err, kubeconfigHint)
	}
}
