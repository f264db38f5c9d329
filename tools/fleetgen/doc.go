// Package fleetgen writes large synthetic control repositories — thousands
// of clusters, hundreds of apps — for benchmarks of every stage. The fleets
// are valid (they load, cross-check, render and validate cleanly) and mix
// what real fleets mix: regions and providers, edge clusters with node
// groups, spot and mixed capacity, DR partners, Duplicated and Divided
// placements, overrides and backups. The same seed gives the same fleet.
package fleetgen
