// Package heapcap is flotilla's garbage-collection policy: how far the heap
// may grow past the data a run keeps live.
//
// A flotilla run is short and allocates a large, mostly live heap, so a
// lazy collector (GOGC=400: the heap grows to five times its live data
// before a collection) saves a quarter of the CPU time. Unchecked, the
// same setting let a 10k-object check peak at 1 GB for ~200 MB of live
// data. The policy keeps the lazy collector while the heap is small and
// caps it once it is not: after every collection, the runtime's soft
// memory limit is set to the larger of a floor (512 MiB) and twice the
// live heap. Small runs never meet the floor; large ones collect about as
// often as Go's default (GOGC=100) would. The limit follows the live heap
// (a flat limit would drive the collector into back-to-back cycles once
// the live data itself outgrew it: at 50k objects it does).
package heapcap
