// Package overrides shows an object as it lands on each member cluster:
// Karmada's own override manager (pkg/util/overridemanager) applies the
// rendered OverridePolicies and ClusterOverridePolicies to it, reading them
// from a controller-runtime fake client the way karmada-controller-manager
// reads them from the Karmada API server.
//
// Clusters that the same policy rules match get the same result, so the
// manager runs once per group of clusters, not once per cluster: a
// DaemonSet on a thousand clusters with one edge override becomes two
// variants. The grouping uses Karmada's matching functions
// (util.ResourceMatchSelectors, util.ClusterMatches).
package overrides
