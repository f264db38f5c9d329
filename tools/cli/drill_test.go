package cli

import (
	"encoding/xml"
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

// Without a cluster to read, every schedule is a finding that says why,
// in each output format; bad input is an input error.
func TestVerifyBackupsReportsUnreachableClusters(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(empty, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "drill", "verify-backups", "--repo", exampleFleet, "--kubeconfig", empty, "--app", "paddle-inference", "-o", "junit")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitFindings, out, errOut)
	}
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal([]byte(out), &suite); err != nil || suite.Tests == 0 || suite.Failures == 0 {
		t.Fatalf("junit: %+v %v\n%s", suite, err, out)
	}
	if f := suite.Cases[0].Failure; f == nil || !strings.Contains(f.Message, "does not exist") || !strings.Contains(f.Message, "(cluster cloud-eu-central-1)") {
		t.Errorf("first case: %+v, want the unreachable context named", suite.Cases[0])
	}
	for _, args := range [][]string{
		{"--app", "cnc-controller"},      // no backup intent
		{"--cluster", "cloud-nowhere-1"}, // unknown cluster
		{"--app", "paddle-inference", "-o", "sarif"},
	} {
		code, _, errOut := run(t, append([]string{"drill", "verify-backups", "--repo", exampleFleet, "--kubeconfig", empty}, args...)...)
		if code != ExitInput {
			t.Errorf("%v: exit %d, want %d: %s", args, code, ExitInput, errOut)
		}
	}
}
