package e2e

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var schemaGroupVersionV1 = schema.GroupVersion{Version: "v1"}

// negotiatedSerializer decodes Status responses; request bodies are sent
// raw.
func negotiatedSerializer() runtime.NegotiatedSerializer {
	return scheme.Codecs.WithoutConversion()
}

func clientKey(name string) client.ObjectKey { return client.ObjectKey{Name: name} }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// objectNamespaceName splits a preview's object reference (Kind/name or
// Kind/namespace/name).
func objectNamespaceName(ref string) (ns, name string) {
	parts := strings.Split(ref, "/")
	if len(parts) == 3 {
		ns = parts[1]
	}
	return ns, parts[len(parts)-1]
}
