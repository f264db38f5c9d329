// Package termtable prints aligned tables sized for the terminal they are
// shown in, so that a table either fits or the caller can choose a
// narrower layout.
package termtable
