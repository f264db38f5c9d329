// Command schemagen writes the editor JSON Schemas of the intent kinds into
// tools/api/v1alpha1/schemas/ (run from the repository root by
// `make generate`).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/flotilla-gitops/flotilla/tools/api/jsonschema"
	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
)

const outDir = "tools/api/v1alpha1/schemas"

func main() {
	files, err := jsonschema.FromCRDs(v1alpha1.CRDs())
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	if err := os.RemoveAll(outDir); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	for _, f := range files {
		p := filepath.Join(outDir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "schemagen:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "schemagen:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", p)
	}
}
