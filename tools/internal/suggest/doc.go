// Package suggest finds, for a name a user mistyped (a cluster, a field),
// the closest one that exists, for a "did you mean" in an error message.
package suggest
