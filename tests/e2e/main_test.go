// Package e2e holds the end-to-end tests that run against a real local
// Karmada fleet (flotilla fleet up, from binaries built by `make engines`).
//
// They run when FLOTILLA_E2E=1 (make test sets it after building the
// engines) and are skipped otherwise, so `go test ./...` on a machine
// without the binaries stays fast. Every process of the fleet is tied to
// the test binary (it dies with it, even on a panic or timeout), and
// TestMain stops the fleet in order when the tests end.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/engines"
	"github.com/flotilla-gitops/flotilla/tools/fleet"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
)

const repoRoot = "../.."

// env is what every test shares: the example fleet rendered, and a real
// fleet with one member per example cluster.
var env struct {
	engine   *pipeline.Engine
	rendered *pipeline.Rendered
	fleet    *fleet.Fleet
	engines  *engines.Set
	// repo is a copy of the example repository whose .fleet is the
	// fleet's folder, as `flotilla fleet up` leaves it: the CLI run there
	// finds the local fleet exactly as a user's does.
	repo string
}

func TestMain(m *testing.M) {
	cli.QuietLibraryLoggers()
	if os.Getenv("FLOTILLA_E2E") != "1" {
		fmt.Println("e2e: skipped (set FLOTILLA_E2E=1 after `make engines`; `make test` does both)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	set, err := engines.Locate(repoRoot)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	env.engines = set
	env.engine, err = pipeline.NewEngine(0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	env.rendered, err = env.engine.Render(ctx, repoRoot)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: render the example fleet:", err)
		return 1
	}
	var members []*v1alpha1.Cluster
	for _, c := range env.rendered.Repo.Clusters {
		members = append(members, c.Cluster.DeepCopy())
	}
	hostCRDs, memberCRDs, err := cli.FleetCRDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "flotilla-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	env.repo = filepath.Join(dir, "repo")
	if err := copyExample(env.repo); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if os.Getenv("FLOTILLA_E2E_SHARED_FLEET") == "0" {
		// Only tests with fleets of their own are run (e.g.
		// FLOTILLA_E2E_SHARED_FLEET=0 go test -run TestLivingFleet): no
		// shared fleet to start. (Running the suite's two fleets side by
		// side as two such processes took 17 minutes and won nothing on
		// two cores: every component of both fleets competes for them.)
		return m.Run()
	}
	start := time.Now()
	// With backup: the object store and Velero's CRDs in every member, for
	// the drill tests (Velero servers are started by the tests that need
	// them).
	backup, err := fleet.BackupFor(env.rendered.Repo)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	env.fleet, err = fleet.Up(ctx, fleet.Options{
		StateDir: filepath.Join(env.repo, ".fleet"), Engines: set, Members: members,
		HostCRDs: hostCRDs, MemberCRDs: memberCRDs, Nodes: 2, Tie: true, Backup: backup,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: fleet up:", err)
		return 1
	}
	fmt.Printf("e2e: fleet of %d members up in %.1fs\n", len(members), time.Since(start).Seconds())
	code := m.Run()
	if code != 0 {
		// Keep the components' logs for the post-mortem: Down removes the
		// fleet's folder.
		keep := filepath.Join(os.TempDir(), fmt.Sprintf("flotilla-e2e-logs-%d", time.Now().Unix()))
		if err := os.Rename(filepath.Join(env.fleet.Dir, "logs"), keep); err == nil {
			fmt.Printf("e2e: failed; the fleet's logs are kept in %s\n", keep)
		}
	}
	if err := stopRecordedVeleros(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop the Velero servers CLI runs started:", err)
	}
	if err := env.fleet.Down(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: fleet down:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// copyExample copies the example repository (its intent, policies,
// rendered/, and the engine modules whose go.sum keys the engine cache)
// into dst.
func copyExample(dst string) error {
	for _, p := range []string{"fleet.yaml", "clusters", "apps", "edge", "backup", "policies", "spot", "rendered", "scripts/engines"} {
		from, to := filepath.Join(repoRoot, p), filepath.Join(dst, p)
		st, err := os.Stat(from)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			data, err := os.ReadFile(from)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(to, data, 0o644); err != nil {
				return err
			}
			continue
		}
		if err := os.CopyFS(to, os.DirFS(from)); err != nil {
			return err
		}
	}
	return nil
}
