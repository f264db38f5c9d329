package render

import (
	"strings"
	"testing"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func configMap(ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("ConfigMap")
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// TestFileNameIsBounded: names that fit keep their file name; a 253-byte
// name (the Kubernetes limit) gets a name of maxFileName bytes that keeps
// its start, is the same on every render, and differs from a name that
// shares everything but its last character.
func TestFileNameIsBounded(t *testing.T) {
	if got := fileName(configMap("ns", "short"), 1); got != "configmap-ns-short.yaml" {
		t.Errorf("short name: %q", got)
	}
	fits := strings.Repeat("a", maxFileName-len("configmap-.yaml"))
	if got := fileName(configMap("", fits), 0); got != "configmap-"+fits+".yaml" {
		t.Errorf("a name that just fits was changed: %q", got)
	}
	long := strings.Repeat("x", 252)
	a := fileName(configMap("ns", long+"a"), 1)
	b := fileName(configMap("ns", long+"b"), 1)
	if len(a) != maxFileName || !strings.HasPrefix(a, "configmap-ns-xxxx") || !strings.HasSuffix(a, ".yaml") {
		t.Errorf("long name: %q (%d bytes)", a, len(a))
	}
	if a == b {
		t.Errorf("two long names share the file %q", a)
	}
	if again := fileName(configMap("ns", long+"a"), 1); again != a {
		t.Errorf("not stable: %q then %q", a, again)
	}
	// Cut on a character boundary.
	wide := fileName(configMap("", strings.Repeat("é", 100)), 0)
	if !utf8.ValidString(wide) || len(wide) > maxFileName {
		t.Errorf("multi-byte name: %q (%d bytes)", wide, len(wide))
	}
}

// TestFileNamesRefusesNamesThatAreNotPathSegments: identities that would
// put a file elsewhere, or that no file can have, are input errors at
// their field; names Kubernetes allows pass.
func TestFileNamesRefusesNamesThatAreNotPathSegments(t *testing.T) {
	obj := func(kind, ns, name string) *Object {
		u := configMap(ns, name)
		u.SetKind(kind)
		return &Object{Object: u, Path: "rendered/p/apps/a", Origin: Origin{File: "apps/a/manifests/x.yaml", Line: 3}}
	}
	r := &renderer{out: &Output{Objects: []*Object{
		obj("ConfigMap", "ns", "../../../model-registry/injected"),
		obj("ConfigMap", "ns", ".."),
		obj("ConfigMap", "../x", "fine"),
		obj("Weird/Kind", "ns", "fine"),
		obj("ConfigMap", "ns", "new\nline"),
		obj("ClusterRole", "", "system:controller:ok"),
		obj("ConfigMap", "ns", strings.Repeat("a", 253)),
	}}}
	want := []string{
		`apps/a/manifests/x.yaml:3: ConfigMap/ns/../../../model-registry/injected: metadata.name: "../../../model-registry/injected" cannot name an object, nor its file in rendered/: may not contain '/'`,
		`apps/a/manifests/x.yaml:3: ConfigMap/ns/..: metadata.name: ".." cannot name an object, nor its file in rendered/: may not be '..'`,
		`apps/a/manifests/x.yaml:3: ConfigMap/../x/fine: metadata.namespace: "../x" cannot name an object, nor its file in rendered/: may not contain '/'`,
		`apps/a/manifests/x.yaml:3: Weird/Kind/ns/fine: kind: "Weird/Kind" cannot name an object, nor its file in rendered/: may not contain '/'`,
		`apps/a/manifests/x.yaml:3: ConfigMap/ns/new` + "\n" + `line: metadata.name: "new\nline" cannot name an object, nor its file in rendered/: may not contain control characters`,
	}
	errs := r.fileNames()
	if len(errs) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(errs), len(want), errs)
	}
	for i := range want {
		if errs[i].Error() != want[i] {
			t.Errorf("error %d\n%s\nwant\n%s", i, errs[i], want[i])
		}
	}
	// Every name that passed gets a file inside its folder.
	r.out.Objects = r.out.Objects[5:]
	if err := r.assignPaths(); err != nil {
		t.Fatal(err)
	}
	for _, o := range r.out.Objects {
		if !strings.HasPrefix(o.Path, "rendered/p/apps/a/") || len(o.Path)-len("rendered/p/apps/a/") > maxFileName {
			t.Errorf("%s: file %s", o.Ref(), o.Path)
		}
	}
}
