// Package race says whether the binary was built with the race detector,
// for the few tests that replay real data at a size the detector's
// slow-down (five to ten times) would make the test run's longest: they
// skip under it, and `make unit` runs them once more without it. Their
// concurrency is covered by smaller tests that run under the detector.
//
// packages.txt lists the packages `make unit` runs under the detector at
// all: those that start goroutines or run tests in parallel. Its test
// finds them in the source and holds the list equal.
package race
