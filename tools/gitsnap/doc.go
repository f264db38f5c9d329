// Package gitsnap reads other revisions of a control repository without
// touching the user's checkout: `flotilla plan` renders the base of a pull
// request (and optionally a head revision) from Git while the working tree,
// its index and its branches stay exactly as they are.
//
// It drives the git command line (`git archive`, `git diff`) rather than a
// Go reimplementation, so every repository layout git itself understands
// (worktrees, alternates, packed refs, partial clones) works the same way.
package gitsnap
