// Package crosscheck finds the problems no single intent file shows:
// references to clusters, groups, labels or storage locations that do not
// exist, placements that select no cluster, DR partners that cannot serve,
// edge apps without edge groups, replica settings that contradict each
// other. Each error names the file, line and field that must change.
//
// Cluster matching is Karmada's own (via karmadaspec), so "selects no
// cluster" means what it means to karmada-scheduler's affinity and taint
// filters.
package crosscheck
