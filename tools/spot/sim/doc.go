// Package sim replays spot availability traces against a fleet (apps with
// their objectives, clusters whose spot pools follow the traces) under
// several ways of running spot capacity, on the same traces in one run, and
// reports what each cost and risked, against on-demand and against an
// oracle with perfect foresight. It is the engine of `flotilla spot
// simulate`; README.md describes the model, its parameters and where each
// figure comes from.
//
// Time is a grid of one-minute ticks; a trace's value at a minute is its
// last probe at or before it (the traces' own ticks are 30 s to 10 min). A
// replica needs a node of its pool's type. When a pool's trace drops, its
// instances of every app get the interruption notice and are reclaimed
// when it ends; a cluster's autoscaler launches a replacement at the
// notice (spot in another of its zones, on-demand after a failed spot
// launch where the policy renders a fall-back, else the replica waits),
// ready after node and pod start-up. Karmada's application failover evicts
// a cluster whose replicas stay unready past the app's toleration and
// divides the app again (static weights ignore capacity, dynamic weights
// follow available replicas); the karmada-descheduler moves replicas left
// unschedulable (a workload divided by dynamic weights: karmada-dynamic's,
// and flotilla-dynamic-hedge's hedge). Flotilla's rebalance runs on a
// schedule over the whole fleet, reads only the past of the traces, and
// its commits take effect after the Git → Argo CD → Karmada delay.
//
// The replay jumps from one change to the next (a trace change, a replica
// ready or reclaimed, a timer) instead of visiting every minute; a test
// replays random fleets both ways and finds the same result. Apps do not
// share spot capacity: a 1-node trace says whether a zone had the instance
// type, not how many.
package sim
