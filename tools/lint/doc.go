// Package lint runs the OPA policy pack over objects: every rendered object
// of a control repository, with where it lands (the facts of each target
// cluster, the object as Karmada's overrides make it there, the whole
// rendered set), or any folder of plain Kubernetes YAML.
//
// OPA is embedded through its v1 Go API. Policies are compiled once and one
// query over every rule is prepared once; objects are evaluated in
// parallel, each into its own slot, so findings are identical and
// identically ordered at any parallelism. Rules and their metadata come
// from METADATA annotations (policies/README.md states the conventions,
// which LoadPack enforces).
//
// Policies come from the repository under review, so they run sealed:
// compiled, and tested, with Capabilities — no built-in OPA marks
// non-deterministic (the network, the environment, the clock,
// randomness). A call of one is an input error at its file:line:col.
//
// Exceptions are annotations (flotilla.io/exceptions) on an object or on
// its App: a rule id, a reason and an optional expiry date. Expired,
// malformed and unused exceptions are findings of their own.
package lint
