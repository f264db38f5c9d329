// Package pipeline runs flotilla's stages in order — load, cross-check,
// render, validate, place — over a control repository. It is the library
// the command line calls; each stage is its own package with plain data in
// and out, and this package only wires them and prepares the expensive
// parts (schemas, the scheduler) once.
package pipeline
