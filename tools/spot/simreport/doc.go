// Package simreport writes a spot simulation's result (sim.Result) for a
// pull request: a Markdown table of every policy's figures, the result as
// JSON, and a self-contained SVG with cost against availability for every
// policy (the oracle's frontier drawn as a curve) and one app's ready
// replicas and spot share over the replay. Output depends only on the
// result: the same result gives the same bytes.
package simreport
