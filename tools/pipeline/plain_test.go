package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
)

const plainDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`

// FuzzPlain feeds arbitrary files to the plain-YAML path of validate and
// lint (flotilla validate|lint|check DIR): whatever the bytes, loading
// never fails — what cannot be read is a problem naming the file and a
// line — and every object it yields is validated and linted without a
// panic, each finding naming the file.
func FuzzPlain(f *testing.F) {
	f.Add([]byte(plainDeployment))
	f.Add([]byte(plainDeployment + "---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- 7\n"))
	f.Add([]byte("apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p}\nspec: {resourceSelectors: [{apiVersion: apps/v1}], placement: {replicaScheduling: {replicaSchedulingType: Divided}}}\n"))
	f.Add([]byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s, annotations: {flotilla.io/exceptions: '[{\"rule\": 1}]'}}\nstringData: {a: b}\n"))
	f.Add([]byte("kind: Pod\nspec: {containers: {}}\n"))
	f.Add([]byte("---\n- [\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}, x]}\n---\napiVersion: v1\n---\n? {a: 1}\n: b\n"))
	f.Add([]byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: '***'}\n"))
	eng, err := pipeline.NewEngine(1)
	if err != nil {
		f.Fatal(err)
	}
	pack, err := lint.LoadPack(pipeline.PolicySources("", nil)...)
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "in.yaml")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := sharedEngine(t).LoadPlain([]string{dir}, pipeline.PlainOptions{})
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		// What cannot be read is a problem naming the file, at a line.
		for _, e := range p.Problems {
			if !strings.HasSuffix(e.File, "in.yaml") || e.Line < 1 || e.Msg == "" {
				t.Fatalf("problem %+v does not name the file and a line", e)
			}
		}
		vf, err := eng.ValidatePlain(ctx, p)
		if err != nil {
			t.Fatalf("validate: %v", err)
		}
		for _, f := range vf {
			if !strings.HasSuffix(f.Source.File, "in.yaml") {
				t.Fatalf("validate finding names %q, not the file", f.Source.File)
			}
		}
		rep, err := eng.LintPlain(ctx, p, pack, nil)
		if err != nil {
			t.Fatalf("lint: %v", err)
		}
		for _, f := range rep.Findings {
			if !strings.HasSuffix(f.File, "in.yaml") {
				t.Fatalf("lint finding %s names %q, not the file", f.Rule, f.File)
			}
		}
	})
}
