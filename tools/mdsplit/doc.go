// Package mdsplit cuts one Markdown report (the output of
// `flotilla plan -o markdown`) into several pull-request comments that each
// fit a size limit.
//
// Why: code hosts cap the size of a single comment (GitHub rejects bodies
// over 65,536 characters; GitLab notes have a similar cap), while a plan for
// a large fleet easily exceeds that. Truncating a plan is never acceptable:
// a reviewer who approves a change must be able to trust that every resource
// change is in front of them. So instead of truncating, the report is split,
// and the pieces are a lossless partition: the Bodies of the parts, in
// order, concatenate to exactly the original report, byte for byte. Nothing
// is dropped, reordered or rewritten; only decoration is added around each
// body.
//
// The decoration (Part.Header and Part.Footer) exists so each comment still
// renders sensibly on its own:
//
//   - every header starts with a hidden HTML comment
//     "<!-- {Marker} part i/n -->", so a poster can find its previous
//     comments and update them in place instead of piling up new ones;
//   - when there is more than one part, a visible "part i of n" line tells
//     the reader where they are and the footer points to the next part;
//   - when a cut falls inside a fenced code block or an open <details>
//     element, the footer closes it and the next header reopens it (the same
//     fence and info string, so syntax highlighting survives).
//
// A report that fits in one comment becomes exactly one part whose header is
// only the hidden marker comment ("<!-- {Marker} part 1/1 -->"): there is no
// visible "part 1 of 1" line and no footer, so the common case posts the
// report unchanged apart from an invisible marker.
//
// Cut points are chosen so that parts are as full as possible while keeping
// the report's structure readable. In order of preference, the last position
// that fits is used among: the start of a top-level (outside any code
// fence) "<details" line or ATX heading; the line after a blank line; any
// line end; and, only for a single line longer than a part, a UTF-8 rune
// boundary (never inside a multi-byte rune, and not between "\r" and "\n"
// when that can be avoided). Section and blank-line cuts are only taken when
// they leave the part at least half full, so that a short heading followed
// by a section longer than a comment does not become a near-empty comment.
//
// The total number of parts n appears in every header, but n is only known
// once the report has been cut. Split therefore reserves room for n assuming
// a digit width, and redoes the cut with a wider assumption if n turns out
// wider. The result depends only on the input and the options, so re-posting
// the same plan yields the same comments.
//
// Restoring an open fence or <details> costs bytes in both the footer and the
// next header. With very small limits (or absurdly long fence info strings,
// or deeply nested unclosed <details>), the restoration is scaled down to a
// bounded budget so that every part can still make progress; the bodies stay
// lossless, only the rendering of such a cut degrades.
package mdsplit
