// Package semdiff computes the semantic difference between two versions of a
// Kubernetes object, as `flotilla plan` shows it to reviewers.
//
// A reviewer of a fleet change needs to know which fields change, named by
// their path (spec.template.spec.containers[name=app].image), not which lines
// of a rendered YAML file moved: a line diff turns a reordered list or a
// re-sorted map into noise and hides the one change that matters. So the
// objects are compared as the decoded JSON trees the API server sees, and the
// items of a list of maps are paired by a merge key (name, containerPort,
// port, mountPath, ...) the way Kubernetes strategic merge patch pairs them:
// reordering such a list is not a change, and a changed item is named by its
// key rather than by a position that shifts when a neighbour is added.
//
// Values are compared for meaning: int64(3), int(3) and float64(3) are
// equal, and a map entry whose value is null is the same as an absent one.
// Values the Options mark as sensitive (by default a Secret's data) are never
// copied into a Change; only their paths are reported.
package semdiff
