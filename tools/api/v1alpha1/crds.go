package v1alpha1

import (
	"embed"
	"io/fs"
)

//go:embed crds/*.yaml
var crdFiles embed.FS

// CRDs returns the generated CustomResourceDefinitions of the intent kinds.
// Loading validates intent files against them, as an API server would.
func CRDs() fs.FS {
	sub, err := fs.Sub(crdFiles, "crds")
	if err != nil {
		panic(err) // the embedded tree always has crds/
	}
	return sub
}
