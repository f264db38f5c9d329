// Package repofs is the one way flotilla reads a control repository's
// files: a read-only fs.FS that treats the repository as a jail. Every
// read — intent, manifests, the files kustomize builds from, policies —
// goes through it, from a working tree on disk (Dir) or a Git revision
// held in memory (Tree), with the same rules:
//
//   - Symbolic links are resolved here, one element at a time, the way the
//     kernel resolves them; a link whose full resolution leaves the
//     repository's root (an absolute target, or enough ".." through any
//     chain of links) is refused, naming the link. A lexical check is not
//     enough: with s -> . and e -> s/s/../.., "e" is the root's parent.
//   - .git is not part of the repository: nothing below it is read or
//     listed (a CI checkout keeps its token in .git/config).
//   - Only regular files are read. Devices, FIFOs and sockets are refused
//     from Lstat, before any open, and files are opened non-blocking, so a
//     FIFO can never hang a run nor /dev/zero fill memory.
//   - A file over the size bound (bounds.Input.FileBytes) is refused from
//     its size before it is read, and reads stop at the bound if it grows.
//
// On disk the reads go through os.Root as well, so a link swapped in
// between the check and the open still cannot leave the root.
package repofs
