// Package crdindex is the shape of crds/index.json: what each embedded CRD
// serves, written by internal/crdsync beside the CRDs and read by package
// apischema at start, so that a CRD's YAML is parsed only when an object
// of one of its kinds is validated.
package crdindex

// File is the index's name in the CRD folder.
const File = "index.json"

// Entry is one embedded CRD.
type Entry struct {
	// File is the CRD's file, relative to the CRD folder.
	File       string `json:"file"`
	Name       string `json:"name"`
	Group      string `json:"group"`
	Kind       string `json:"kind"`
	Plural     string `json:"plural"`
	Namespaced bool   `json:"namespaced"`
	// Versions are the served versions, sorted.
	Versions []string `json:"versions"`
}
