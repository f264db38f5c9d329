// Package gotools only pins developer tools (see go.mod's tool block);
// run them with `go tool -modfile=scripts/gotools/go.mod <name>`.
package gotools
