// Package appset expands Argo CD ApplicationSets offline with Argo CD's own
// controller code (applicationset/controllers/template.GenerateApplications
// and the real generators), so the Applications it returns are the ones the
// ApplicationSet controller would create.
//
// What the controller gets from its environment is supplied here: the git
// generator reads directories from a Repos implementation over the
// repository tree that is about to be committed (walked like Argo CD's repo
// server walks a checkout), and the AppProject it looks up comes from a
// controller-runtime fake client. Generator types that need live services
// (SCM providers, pull requests, cluster decision resources, plugins) are
// not offered: an ApplicationSet using them fails with a clear error rather
// than expanding to nothing.
package appset
