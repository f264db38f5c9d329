package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCountsAndDisagreements(t *testing.T) {
	dir := t.TempDir()
	kc := `{"resources": [
		{"filename": "a.yaml", "kind": "Deployment", "name": "web", "status": "statusValid"},
		{"filename": "a.yaml", "kind": "Secret", "name": "s", "status": "statusValid"},
		{"filename": "b.yaml", "kind": "", "name": "", "status": "statusError", "msg": "error while parsing: missing 'kind' key"},
		{"filename": "c.yaml", "kind": "Widget", "name": "w", "status": "statusError", "msg": "could not find schema for Widget"}
	]}`
	fl := `{"objects": 3, "findings": [
		{"source": {"file": "a.yaml", "line": 8, "object": "Secret/x/s", "field": "data[bad]", "message": "illegal base64 data"}, "type": "BadRequest"},
		{"source": {"file": "b.yaml", "line": 1, "message": "not a Kubernetes object: no kind"}, "type": "Unreadable"}
	]}`
	os.WriteFile(filepath.Join(dir, "kc.json"), []byte(kc), 0o644)
	os.WriteFile(filepath.Join(dir, "fl.json"), []byte(fl), 0o644)
	var out strings.Builder
	if err := run(&out, filepath.Join(dir, "kc.json"), filepath.Join(dir, "fl.json")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| valid | 2 | 2 |",
		"| invalid | 0 | 1 |",
		"| not read | 1 | 1 |",
		"| no schema | 1 | 0 |",
		"4 objects and files; the verdicts agree on 2, differ on 2.",
		"| `a.yaml Secret/s` | valid | invalid: 8: data[bad]: illegal base64 data |",
		"| `c.yaml Widget/w` | no schema: could not find schema for Widget | valid |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
