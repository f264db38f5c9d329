// Package place previews where Karmada will put every workload, and how
// many replicas each cluster gets, by running karmada-scheduler's own code
// offline: the mutating webhook's defaults are applied to each policy with
// Karmada's webhook handler, the ResourceBinding spec is built the way
// Karmada's detector builds it (its native resource interpreter reads
// replicas and per-replica requirements), and the binding is scheduled by
// Karmada's generic scheduler with the in-tree plugins and the general
// replica estimator, over a snapshot of Cluster objects.
//
// The snapshot is either built from the repository's intent (capacity as
// allocatable resources, every rendered API enabled, every cluster Ready)
// or read from a live Karmada control plane. The per-cluster reasons for
// filtering come from running the same filter plugins on each cluster.
package place
