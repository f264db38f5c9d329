// Package spotdata finds the real spot data (../shared/data/spot beside the
// repository) for tests and benchmarks. The data is never copied into the
// repository; tests that need it skip, saying why, when it is absent.
package spotdata
