// Package intentedit writes what `flotilla spot rebalance` decided into an
// App's intent file: spec.spot.division and the static weights that must
// say the same (spec.placement.replicas.weights, one per cluster, each the
// cluster's total, as the cross-checks require).
//
// The file is edited in place with package yamledit — only the entries
// that change are touched, so the comments people wrote beside the
// weights, the key order, quoting and indentation stay as they were, and
// the commit's diff shows the numbers that moved. Before returning, the
// edited file is read back as the loader reads it (sigs.k8s.io/yaml) and
// held to the division it was meant to hold; any difference is an error,
// and nothing is returned to write.
package intentedit
