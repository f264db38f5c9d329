// Package yamledit edits a YAML file in place, at the positions of its
// yaml.v3 nodes, so that everything it is not asked to change — comments,
// blank lines, key order, quoting, indentation, the other documents of
// the file — stays byte for byte. Re-encoding a yaml.v3 node tree would
// re-indent the file, move comments to the nodes yaml.v3 attaches them to
// and re-quote scalars; a reviewer would read a diff of the whole file
// instead of the lines that changed.
//
// An Editor holds one document's node tree and the file's text, collects
// edits as replacements of byte ranges — a scalar's token, whole lines of
// a block collection's item, lines inserted after another — and applies
// them together in Bytes. Edits work on block collections; a flow
// collection ({...}, [...]) is replaced whole, or refused where it spans
// lines.
//
// Deleting an item keeps the comments on its lines: comment-only lines stay
// in place and a comment at the end of a deleted line stays as a comment
// line of its own, so no one's note is lost with the value it sat beside.
package yamledit
