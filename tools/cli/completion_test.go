package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"
)

// complete runs the shell completion of args (cobra's __complete, as the
// shells' scripts call it) and returns what it offers.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, errOut := run(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if code != 0 {
		t.Fatalf("complete %v: exit %d: %s", args, code, errOut)
	}
	var offered []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, ":") {
			break
		}
		name, _, _ := strings.Cut(l, "\t")
		offered = append(offered, name)
	}
	return offered
}

// TestCompletionOffersWhatCommandsAccept: -o completes to exactly the
// formats each command accepts (as its own error for a wrong one lists
// them), and names complete from the repository, the pack and the
// kubeconfig.
func TestCompletionOffersWhatCommandsAccept(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// The commands run on a scratch copy, whatever they might write.
	scratch := copyTree(t, minimalFleet)
	t.Chdir(t.TempDir())
	allowedRE := regexp.MustCompile(`unknown output format "nope" \(use one of: ([^)]*)\)`)
	var walk func(c *cobra.Command)
	checked := 0
	walk = func(c *cobra.Command) {
		switch c.Name() {
		case "fleet", "dev", "completion", "help":
			// They take no -o, and fleet's and dev's commands build
			// engines and start servers: never run them here.
			return
		}
		if c.Runnable() && !c.Hidden {
			path := strings.Fields(c.CommandPath())[1:]
			_, _, errOut := run(t, append([]string{"--repo", scratch, "-o", "nope"}, path...)...)
			m := allowedRE.FindStringSubmatch(errOut)
			if m == nil { // a command that wants an argument first
				_, _, errOut = run(t, append([]string{"--repo", scratch, "-o", "nope"}, append(path, "x")...)...)
				m = allowedRE.FindStringSubmatch(errOut)
			}
			if m != nil {
				checked++
				want := strings.Split(m[1], ", ")
				if got := complete(t, append(path, "-o", "")...); !slices.Equal(got, want) {
					t.Errorf("%s -o completes to %v; the command accepts %v", c.CommandPath(), got, want)
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCommand(IO{}))
	if checked < 10 {
		t.Errorf("only %d commands checked", checked)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--repo", repo, "drill", "run", ""}, "inference-eu-central"},
		{[]string{"--repo", repo, "place", "--app", ""}, "paddle-inference"},
		{[]string{"--repo", repo, "drill", "verify-backups", "--cluster", ""}, "cloud-eu-central-1"},
		{[]string{"--repo", repo, "lint", "--rule", ""}, "go_runtime"},
		{[]string{"--repo", repo, "check", "--skip-rule", ""}, "SEC-001"},
	} {
		if got := complete(t, c.args...); !slices.Contains(got, c.want) {
			t.Errorf("%v offers %v, not %q", c.args, got, c.want)
		}
	}

	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: karmada-apiserver, context: {cluster: c, user: u}}, {name: member-1, context: {cluster: c, user: u}}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := complete(t, "apply", "--kubeconfig", kc, "--context", ""); !slices.Equal(got, []string{"karmada-apiserver", "member-1"}) {
		t.Errorf("--context offers %v", got)
	}
}

// TestCompletionReadsThroughTheJail: completion runs in checkouts of
// pull requests too, so it reads the repository as every command does —
// a cluster file linked outside the repository is not read, and a FIFO
// does not hang it.
func TestCompletionReadsThroughTheJail(t *testing.T) {
	repo := copyTree(t, minimalFleet)
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(outside, []byte("apiVersion: flotilla.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: outside-secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(repo, "clusters", "leak.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(repo, "clusters", "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := complete(t, "--repo", repo, "drill", "verify-backups", "--cluster", "")
	if slices.Contains(got, "outside-secret") || !slices.Contains(got, "cloud-a") {
		t.Errorf("--cluster offers %v: want the repository's clusters, nothing from outside it", got)
	}
}
