// Package apply pushes rendered objects into a Karmada control plane with
// server-side apply, through fluxcd/pkg/ssa: CRDs and namespaces first, then
// everything else, optionally waiting until the objects are ready (the
// copies Karmada placed, by its bindings; anything else by kstatus).
// Without Yes it only previews: a server-side dry-run of every object says
// whether it would be created, configured or left unchanged.
package apply
