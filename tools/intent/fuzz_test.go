package intent_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
)

const minimalFleet = "../../tests/fleets/minimal"

// readFleet loads the minimal test fleet into memory.
func readFleet(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := filepath.WalkDir(minimalFleet, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(minimalFleet, p)
		m[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// drillPlan is a valid DrillPlan for the minimal fleet: drill plans are
// intent files too (backup/drills/), so the fuzzer starts from one.
const drillPlan = `apiVersion: flotilla.io/v1alpha1
kind: DrillPlan
metadata:
  name: web-cloud-a
spec:
  source: cloud-a
  apps: [web]
  backup: New
  failure: {type: TaintNoExecute}
  verify:
    ready:
      - {apiVersion: apps/v1, kind: Deployment, namespace: web, name: web}
    ignoreFields: [spec.clusterIP]
  objectives: {rto: 15m, rpo: 8h}
`

// FuzzLoad replaces one intent file of a valid fleet with arbitrary bytes:
// Load must never panic, and must either succeed or return only positioned
// errors (a diag.List whose every entry names a file).
func FuzzLoad(f *testing.F) {
	base := readFleet(f)
	base["backup/drills/web-cloud-a.yaml"] = &fstest.MapFile{Data: []byte(drillPlan)}
	v, err := apischema.New(apischema.Options{ExtraCRDs: []fs.FS{v1alpha1.CRDs()}})
	if err != nil {
		f.Fatal(err)
	}
	targets := []string{"clusters/cloud-a.yaml", "apps/web/app.yaml", "edge/site-x.yaml", "fleet.yaml", "backup/locations/default.yaml", "backup/drills/web-cloud-a.yaml"}
	for i, p := range targets {
		f.Add(uint8(i), base[p].Data)
	}
	f.Add(uint8(0), []byte("apiVersion: flotilla.io/v1alpha1\nkind: Cluster\nmetadata: {name: x}\nspec: {kind: 7}\n"))
	f.Add(uint8(1), []byte("a: [\n"))
	f.Add(uint8(2), []byte("apiVersion: v1\nkind: EdgeGroup\n---\n---\n- 1\n"))
	f.Add(uint8(3), []byte("x: &a [*a]\n"))
	f.Add(uint8(5), []byte("apiVersion: flotilla.io/v1alpha1\nkind: DrillPlan\nmetadata: {name: d}\nspec: {source: \"\", apps: [], objectives: {rto: x}}\n"))
	f.Add(uint8(5), []byte("apiVersion: flotilla.io/v1alpha1\nkind: DrillPlan\nmetadata: {name: d\x00}\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fsys := fstest.MapFS{}
		for k, v := range base {
			fsys[k] = v
		}
		fsys[targets[int(which)%len(targets)]] = &fstest.MapFile{Data: data}
		repo, err := intent.LoadFS(context.Background(), fsys, "/nonexistent", intent.Options{Schema: v, Parallelism: 2})
		if err == nil {
			if repo == nil || repo.Fleet == nil {
				t.Fatalf("no error and no repo")
			}
			return
		}
		var list diag.List
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not a diag.List: %v", err)
		}
		for _, e := range list {
			if e.File == "" {
				t.Fatalf("error without a file: %v", e)
			}
		}
	})
}
