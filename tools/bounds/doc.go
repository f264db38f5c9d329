// Package bounds holds the input bounds every stage that reads a control
// repository enforces, so a pull request cannot make flotilla spend
// unbounded time or memory: the size of a file, of a YAML document, the
// documents in a file, the objects in one render, alias expansion (count
// and bytes) and nesting depth.
//
// Each bound has a default fit for any real fleet (see Default) and a flag
// of the same name on the command line to raise it. A bound is checked
// before the work it guards (a file's size before it is read, a
// document's aliases before they are expanded), so an exceeded bound costs
// a small multiple of the bound itself, never of the input.
package bounds
