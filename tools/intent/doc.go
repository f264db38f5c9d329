// Package intent loads a control repository's intent — fleet.yaml,
// clusters/, apps/*/app.yaml, edge/ and backup/locations/ — into typed
// objects, each remembering the file and document it came from.
//
// Loading is strict: every document is checked against its API schema
// (flotilla's own generated CRDs, Velero's CRD for storage locations) the
// way a Kubernetes API server would check it, so unknown fields, wrong types
// and missing required fields are errors, each naming file, line and field.
// Every error of every file is collected; nothing is returned half-checked.
package intent
