package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flotilla-gitops/flotilla/tools/fleetgen"
	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
)

// TestRuleMatchLosesNoFinding holds the pack's custom.match declarations
// to what its rules really do: on every fleet the project has (the example
// fleet, the seeded violations, the minimal fleet, a synthetic fleet of
// every app shape), linting with the declarations (each rule only on the
// kinds it declares) reports exactly what linting every rule on every
// object reports. A rule whose declaration leaves out a kind it fires on
// fails here.
func TestRuleMatchLosesNoFinding(t *testing.T) {
	ctx := context.Background()
	eng := sharedEngine(t)
	synthetic := filepath.Join(t.TempDir(), "synthetic")
	if err := fleetgen.Generate(synthetic, fleetgen.Options{Clusters: 20, Apps: 24, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	fleets := map[string]string{
		"example":    "../..",
		"violations": "../../tests/fleets/violations",
		"minimal":    minimalFleet,
		"synthetic":  synthetic,
	}
	for name, dir := range fleets {
		t.Run(name, func(t *testing.T) {
			pack, err := lint.LoadPack(pipeline.PolicySources(dir, nil)...)
			if err != nil {
				t.Fatal(err)
			}
			everywhere := *pack
			everywhere.Rules = nil
			matched := 0
			for _, r := range pack.Rules {
				if len(r.Match) > 0 {
					matched++
				}
				r.Match = nil
				everywhere.Rules = append(everywhere.Rules, r)
			}
			if matched == 0 {
				t.Fatal("no rule of the pack declares custom.match: the test would prove nothing")
			}
			r, err := eng.Render(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := eng.Lint(ctx, r, pipeline.LintOptions{Pack: pack})
			if err != nil {
				t.Fatal(err)
			}
			want, err := eng.Lint(ctx, r, pipeline.LintOptions{Pack: &everywhere})
			if err != nil {
				t.Fatal(err)
			}
			if name == "violations" {
				// The seeded fleet reports every rule: a declaration that
				// leaves out the kind a rule fires on must show here.
				wrong := *pack
				wrong.Rules = nil
				for _, r := range pack.Rules {
					if r.ID == "SEC-006" {
						r.Match = []lint.KindMatch{{APIGroups: []string{"*"}, Kinds: []string{"ConfigMap"}}}
					}
					wrong.Rules = append(wrong.Rules, r)
				}
				bad, err := eng.Lint(ctx, r, pipeline.LintOptions{Pack: &wrong})
				if err != nil {
					t.Fatal(err)
				}
				if cmp.Equal(want.Findings, bad.Findings) {
					t.Fatal("a wrong declaration (SEC-006 on ConfigMaps only) changed no finding: the comparison proves nothing")
				}
			}
			if diff := cmp.Diff(want.Findings, got.Findings); diff != "" {
				t.Errorf("findings differ when rules run only on the kinds they match (-every kind +matched):\n%s", diff)
			}
			if diff := cmp.Diff(want.Suppressed, got.Suppressed); diff != "" {
				t.Errorf("accepted findings differ (-every kind +matched):\n%s", diff)
			}
			t.Logf("%s: %d rules declare kinds; %d findings, %d accepted", name, matched, len(got.Findings), len(got.Suppressed))
		})
	}
}
