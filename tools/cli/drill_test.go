package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const exampleFleet = "../.."

func TestDrillRunPreviewsEveryStep(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	code, out, errOut := run(t, "drill", "run", "inference-eu-central", "--repo", exampleFleet, "--state", state)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"Drill inference-eu-central: cloud-eu-central-1 → dr-us-east-2 (preview: nothing done; --yes to run)",
		"1. Preflight", "3. InjectFailure  taint Cluster cloud-eu-central-1 NoExecute in Karmada", "7. Cleanup",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the preview wrote its state: %v", err)
	}
	if code, _, errOut := run(t, "drill", "run", "nope", "--repo", exampleFleet); code != ExitInput || !strings.Contains(errOut, "declared: inference-eu-central") {
		t.Errorf("unknown drill: exit %d %s", code, errOut)
	}
}
