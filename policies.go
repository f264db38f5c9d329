// Package flotilla embeds the repository's default policy pack, so that
// `flotilla lint` can check plain Kubernetes YAML outside a control
// repository. Inside a repository, its own policies/ folder is used.
package flotilla

import (
	"embed"
	"io/fs"
)

//go:embed policies
var policyFiles embed.FS

// DefaultPolicies returns the built-in policy pack (policies/).
func DefaultPolicies() fs.FS {
	sub, err := fs.Sub(policyFiles, "policies")
	if err != nil {
		panic(err) // the embedded tree always has policies/
	}
	return sub
}
