// Package render turns a loaded control repository into the exact
// resources the engines consume: each app's workload manifests (plain YAML,
// or built with kustomize inside the repository jail, package kustjail),
// read through package repofs and within the input bounds, Karmada
// PropagationPolicies and OverridePolicies, Velero Schedules and
// BackupStorageLocations, KubeEdge NodeGroups, the Karmada Cluster objects
// of the members, and the Argo CD AppProject and ApplicationSets that
// deliver rendered/ — plus a preview of the Applications Argo CD's own
// generator code expands them to.
//
// An app's spot division (division.go) splits its one Deployment into the
// Deployment itself (spot replicas and hedges, preferring spot nodes), a
// <name>-on-demand and a <name>-spot-only variant, each with its own
// PropagationPolicy whose static weights are its per-cluster counts.
//
// Render is pure: the same repository gives the same bytes, whatever the
// parallelism, and nothing is written here (see package renderfs). Every
// rendered object remembers the intent or manifest file and line it came
// from, so later stages can point users at the spot to change.
//
// Each object's file under rendered/ is named from its kind, namespace,
// group and name only after fileNames has checked each is one path segment
// (with or without schema validation), and is bounded in length
// (boundedName): no name can place a file outside its folder or fail to
// be written.
package render
