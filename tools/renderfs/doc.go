// Package renderfs writes a render to disk atomically — all of rendered/ or
// none of it — and compares a render with what is on disk, for
// `flotilla render --check`.
//
// # The lock
//
// Every read or write of rendered/ holds an exclusive flock(2) on
// .flotilla/render/lock in the repository (Lock). A second render waits
// for it, polling, for a bounded time (LockOptions.Wait) and then fails
// with a LockedError naming the holder, which writes "pid N: COMMAND,
// since TIME" into the lock file once it holds it. flock is released by the
// kernel when its holder dies, so a killed render never leaves a stale
// lock behind; the file itself stays (deleting a lock file races with a
// process that has just opened it).
//
// # The swap
//
// The new tree is written into a staging folder beside rendered/ and
// swapped in with renameat2(RENAME_EXCHANGE): one system call exchanges the
// two folders, so at every instant rendered/ is a complete tree, the old
// or the new. rendered/ must stay a plain folder committed in Git (Argo CD
// and reviewers read it from the repository), which rules out swapping a
// symbolic link to versioned folders. Where the file system or kernel has
// no exchange (not Linux, or a file system without it) the swap is two
// renames — rendered/ → old-*, staging → rendered/ — and a kill between
// them leaves rendered/ missing with the old tree in old-*: the next Lock
// restores it before anything reads rendered/. The swap is atomic against
// the process being killed, not against a power cut (nothing is fsynced:
// rendered/ is regenerated from the repository at will).
//
// # Where the state lives
//
// The lock, staging folders (new-*) and old trees (old-*) live in
// .flotilla/render/, which holds a .gitignore of "*": whatever a killed
// render leaves there is never shown by git as untracked, in any
// repository. Lock cleans stale staging folders (only while holding the
// lock, so never another render's), and also those older flotilla versions
// left beside rendered/ (.rendered.new-*). A .flotilla or .flotilla/render
// that is a symbolic link is refused: the state must not be written
// elsewhere through a link committed in a pull request.
//
// A render honours its context: cancelled (SIGINT, SIGTERM) while it waits
// for the lock or writes the staging tree, it removes the staging folder
// and returns, leaving rendered/ as it was.
package renderfs
