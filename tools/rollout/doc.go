// Package rollout drives a merged change through a Karmada control plane
// wave by wave: the clusters of later waves are held back, each wave is
// released only after the previous one has been healthy for a soak time,
// and a rollout can be paused or aborted back to the previous revision.
//
// The gate is Karmada's own: a PropagationPolicy's
// spec.suspension.dispatchingOnClusters. Karmada copies it into every
// ResourceBinding the policy claims, and the binding controller marks the
// Work of each listed cluster suspendDispatching, so the execution
// controller keeps the member's copy at the revision it already runs while
// the Work itself is updated. Releasing a wave is removing its clusters
// from that list. Other mechanisms were rejected: narrowing the placement
// to earlier waves deletes the workload from later clusters instead of
// keeping the old revision there; per-wave OverridePolicies can only
// change fields, not hold a whole object back; suspending the binding
// directly is overwritten by the detector from the policy.
//
// The gate is written with its own server-side-apply field manager
// (flotilla-rollout), so 'flotilla apply' and Argo CD, which never set
// spec.suspension, leave it alone. The rollout's state (revision, waves,
// when each was released and seen healthy, history) lives in a ConfigMap in
// the control plane, so any machine with access can continue a rollout.
// Health is Karmada's: each binding's aggregated status per cluster
// (applied, health from the resource interpreter) and, for workloads, the
// resource-template generation the member's copy was built from, so a
// cluster that still runs the previous template never counts as healthy.
package rollout
