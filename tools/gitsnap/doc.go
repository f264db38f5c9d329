// Package gitsnap reads other revisions of a control repository without
// touching the user's checkout: `flotilla plan` renders the base of a pull
// request (and optionally a head revision) from Git while the working tree,
// its index and its branches stay exactly as they are.
//
// It also holds the little Git that `flotilla spot rebalance` needs: what
// is dirty (Dirty), the times of earlier commits carrying a trailer
// (Trailers, read with git's own trailer parser), and one commit of given
// paths at a given time (Commit), so that the same tree and message make
// the same commit.
//
// It drives the git command line (`git archive`, `git diff`, `git log`)
// rather than a Go reimplementation, so every repository layout git itself
// understands (worktrees, alternates, packed refs, partial clones) works
// the same way.
package gitsnap
