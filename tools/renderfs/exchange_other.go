//go:build !linux

package renderfs

// exchange has no atomic implementation here: Write swaps with two
// renames, recovered by the next Lock when cut between them.
func exchange(a, b string) error { return errExchangeUnsupported }
