// Package reclaim takes capacity away from a living member of the local
// fleet as a cloud takes spot capacity back: the chosen nodes get the
// interruption notice (Karpenter's disrupted NoSchedule taint and a
// SpotInterruption condition), their pods are evicted through the
// Eviction API — so PodDisruptionBudgets hold them where they must — for
// as long as the notice lasts, and when it runs out the nodes are
// terminated: whatever still runs there is gone with them. Restore brings
// the same nodes back. It acts on one cluster's API through a client and
// keeps no state; the caller keeps the reclaimed nodes for Restore.
package reclaim
