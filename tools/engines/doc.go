// Package engines builds, caches and finds the engine binaries the local
// fleet runs: kube-apiserver, kube-controller-manager and kubectl, etcd,
// and Karmada's controller-manager, scheduler, webhook and aggregated
// apiserver. Each family is pinned in its own small module under
// scripts/engines/ (with a committed go.sum, so no checksum database is
// needed), built once per machine into the user cache directory, keyed by
// version and go.sum, and stamped with its version like the upstream
// release builds.
package engines
