package intent_test

import (
	"context"
	"errors"
	"io/fs"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/intent"
)

// TestCacheSharesUnchangedFiles loads two revisions of a fleet with one
// cache: files alike are loaded once (the same objects), a changed file is
// loaded anew, and both loads equal loads made without the cache —
// errors included.
func TestCacheSharesUnchangedFiles(t *testing.T) {
	base := readFleet(t)
	v, err := apischema.New(apischema.Options{ExtraCRDs: []fs.FS{v1alpha1.CRDs()}})
	if err != nil {
		t.Fatal(err)
	}
	head := fstest.MapFS{}
	for k, f := range base {
		head[k] = f
	}
	cl := "clusters/cloud-a.yaml"
	head[cl] = &fstest.MapFile{Data: append(append([]byte{}, base[cl].Data...), "# edited\n"...)}

	ctx := context.Background()
	load := func(fsys fs.FS, c *intent.Cache) *intent.Repo {
		t.Helper()
		r, err := intent.LoadFS(ctx, fsys, "", intent.Options{Schema: v, Parallelism: 2, Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cache := &intent.Cache{}
	b, h := load(base, cache), load(head, cache)
	if b.Fleet != h.Fleet || b.Apps[0] != h.Apps[0] {
		t.Error("files alike should be loaded once and shared")
	}
	if b.Cluster("cloud-a") == h.Cluster("cloud-a") {
		t.Error("the changed cluster file should be loaded anew")
	}
	for _, pair := range []struct {
		cached *intent.Repo
		fsys   fs.FS
	}{{b, base}, {h, head}} {
		plain := load(pair.fsys, nil)
		plain.FS, pair.cached.FS = nil, nil
		if !reflect.DeepEqual(plain, pair.cached) {
			t.Error("a cached load differs from a load without the cache")
		}
	}

	bad := fstest.MapFS{}
	for k, f := range base {
		bad[k] = f
	}
	bad[cl] = &fstest.MapFile{Data: []byte("a: [\n")}
	for i := 0; i < 2; i++ {
		_, err := intent.LoadFS(ctx, bad, "", intent.Options{Schema: v, Cache: cache})
		var list diag.List
		if !errors.As(err, &list) || len(list) == 0 || list[0].File != cl {
			t.Fatalf("load %d of a broken file: %v, want an error naming %s", i+1, err, cl)
		}
	}
}
