// Package validate checks every rendered object offline, as the engines'
// API servers would on apply: built-in kinds through Kubernetes' own
// decoding and validation, CRD-backed kinds through the CRD schemas of
// Karmada, Argo CD, Velero, KubeEdge and Prometheus Operator at their pinned
// versions (structural schema, unknown fields, CEL rules), and Karmada
// policies also through Karmada's admission webhooks (package apischema does
// the checking). A finding names the rendered file and the intent or
// manifest file and line the object came from.
package validate
