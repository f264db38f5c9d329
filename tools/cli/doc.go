// Package cli is flotilla's command line: cobra commands that turn flags
// into an options struct, make one library call (package pipeline) and hand
// the result to a formatter. It never exits the process: Run returns the
// exit code, and main alone calls os.Exit.
//
// Exit codes: 0 ok, 1 findings (or a stale rendered/, or a difference
// asked for), 2 input errors (a file that cannot be read as written —
// syntax, unknown or duplicate fields, wrong types — in manifests and intent
// alike, and any intent error), usage errors or trouble.
package cli
