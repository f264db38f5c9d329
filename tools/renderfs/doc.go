// Package renderfs writes a render to disk atomically — all of rendered/ or
// none of it — and compares a render with what is committed, for
// `flotilla render --check`.
package renderfs
