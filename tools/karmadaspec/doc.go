// Package karmadaspec translates intent into Karmada's own API types: a
// Cluster intent into the cluster.karmada.io Cluster object that carries its
// facts, and an App's placement into a policy.karmada.io Placement and
// FailoverBehavior.
//
// Render, the cross-checks and the placement preview all use this one
// translation, so what is checked, what is written and what is previewed
// never drift apart. Matching of clusters against an affinity is Karmada's
// own code (pkg/util.ClusterMatches and the taint helper its scheduler uses).
package karmadaspec
