// Package hostile is the hostile-input corpus: one test per defect found by
// the untrusted-pull-request review (SECURITY.md). Each test builds a
// scratch fleet, plants the hostile input, runs the real flotilla binary as
// a CI job would, and asserts the exact error and that rendered/ is
// unchanged. Every run's wall time and peak memory are recorded; with
// FLOTILLA_HOSTILE_REPORT=FILE the figures are written there as a Markdown
// table (they are reported, never asserted as times).
package hostile
