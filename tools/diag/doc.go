// Package diag is the error type every stage uses for a problem in the
// repository: it names the file, line and column, the object (Kind/ns/name)
// and the field, so that a user can go straight to the spot.
package diag
