// Package golden compares a test's output with a reviewed golden file
// under testdata/, and rewrites the file when the test binary's own
// -update flag asks (then the diff is reviewed in Git).
package golden
