// Package resultcache remembers what a stage computed, by the content of
// everything the stage read, between runs: `flotilla check` on a pull
// request that changes one app need not expand Argo CD's ApplicationSets
// or validate the other 9,999 objects again.
//
// A result is found by a Key, the SHA-256 of the exact inputs of one
// stage's work (an ApplicationSet, its project and the folders its
// generator lists; an object's JSON and the CRDs served beside it), under
// a folder named by the identity of the running binary (its Go build ID,
// which changes with any change to flotilla, its engines or its embedded
// policy pack). So a result is reused only where the same code would read
// the same bytes again, and output is the same cold or warm.
//
// Each stage keeps one bundle file, read once at the start and written
// once, atomically, at the end with the entries the run used or added
// (so the cache holds the last run's working set, not every run's). A
// bundle that is truncated, altered, written by another binary or for
// another stage fails its header or checksum and is ignored, never
// trusted; so does one over the size bound. The checksum detects
// corruption, not malice: a cache is as trusted as the folder it is in
// (SECURITY.md: do not restore a cache written by untrusted jobs into a
// trusted one).
package resultcache
