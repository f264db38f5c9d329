# METADATA
# title: Flotilla placement helpers
# description: |
#   What flotilla knows about where an object lands: the clusters of
#   input.flotilla, the fleet of data.flotilla, DR sites and kernel facts.
#   Placement-level: every rule here is undefined (never an error) when
#   input.flotilla or data.flotilla is absent.
package flotilla.lib.fleet

import data.flotilla.lib.k8s
import data.flotilla.lib.karmada

# The clusters the object lands on: [{name, labels, spec, replicas}].
landing := input.flotilla.clusters

# landing_names: their names.
landing_names := {c.name | some c in input.flotilla.clusters}

# cluster_spec(name): the Cluster intent spec of a cluster, from
# input.flotilla.clusters when the object lands there, else the fleet.
cluster_spec(name) := _landing_specs[name]

cluster_spec(name) := data.flotilla.fleet.clusters[name].spec if not _landing_specs[name]

# _landing_specs indexes the landing clusters' specs by name, so that
# cluster_spec is a lookup, not a scan, per cluster.
_landing_specs := {c.name: c.spec | some c in input.flotilla.clusters}

# is_edge(name): a KubeEdge cluster.
is_edge(name) if name in edge_names

# edge_names: the KubeEdge clusters, as cluster_spec describes them: by the
# landing clusters' specs where the object lands, else by the fleet's.
# Built once per object, so is_edge is a set lookup.
edge_names := {n | some n, spec in _landing_specs; spec.kind == "edge"} | (_fleet_edge_names - landing_names)

# _fleet_edge_names: the fleet's KubeEdge clusters. Data only: evaluated once
# per run.
_fleet_edge_names := {n | some n, c in data.flotilla.fleet.clusters; c.spec.kind == "edge"}

# dr_sites: clusters another cluster names as drPartner, or an App names as
# backup.recoveryCluster.
dr_sites := {p | some c in data.flotilla.fleet.clusters; p := c.spec.drPartner; p != ""} | {r |
	some a in _apps
	r := a.spec.backup.recoveryCluster
	r != ""
}

_apps := data.flotilla.fleet.apps

# dr_sources(site): the clusters that recover into site: those naming it as
# drPartner, and those an app recovering into it may run on.
dr_sources(site) := object.get(_dr_sources, site, set())

# _dr_sources: dr_sources of every DR site. Data only: evaluated once per run.
_dr_sources := {site: _sources(site) | some site in dr_sites}

_sources(site) := {n | some n, c in data.flotilla.fleet.clusters; c.spec.drPartner == site} | {n |
	some a in _apps
	a.spec.backup.recoveryCluster == site
	some n in app_clusters(a)
}

# app_clusters(a): the clusters App a may run on, in any control plane, as
# render places it: its affinity groups (or its top-level selection), minus
# spot clusters unless spec.spot.allowed, admitted by its tolerations.
app_clusters(a) := {n |
	some sel in _selections(a.spec.placement)
	some n in karmada.candidates_in(karmada.fleet_index, selection_affinity(sel), k8s.as_array(object.get(a.spec.placement, "tolerations", [])))
	_spot_ok(a, n)
}

_selections(p) := k8s.as_array(p.groups) if count(k8s.as_array(object.get(p, "groups", []))) > 0

_selections(p) := [p] if count(k8s.as_array(object.get(p, "groups", []))) == 0

_spot_ok(a, _) if a.spec.spot.allowed == true

_spot_ok(a, n) if {
	not a.spec.spot.allowed == true
	not data.flotilla.fleet.clusters[n].spec.capacity.type == "spot"
}

# selection_affinity(sel) translates a flotilla ClusterSelection into the
# Karmada ClusterAffinity render writes for it (tools/karmadaspec.Affinity).
selection_affinity(sel) := {
	"clusterNames": k8s.as_array(object.get(sel, "clusters", [])),
	"exclude": k8s.as_array(object.get(sel, "exclude", [])),
	"labelSelector": object.get(sel, "selector", null),
	"fieldSelector": {"matchExpressions": [e |
		some [key, field] in [["provider", "providers"], ["region", "regions"], ["zone", "zones"]]
		values := k8s.as_array(object.get(sel, field, []))
		count(values) > 0
		e := {"key": key, "operator": "In", "values": values}
	]},
}

# kernel_version(v): [major, minor] of a kernel version string ("5.10.0-21").
kernel_version(v) := [units.parse(m[1]), units.parse(m[2])] if {
	is_string(v)
	m := regex.find_all_string_submatch_n(`^([0-9]+)\.([0-9]+)`, v, 1)[0]
}

# version_less(a, b): [major, minor] a is older than b, compared numerically.
version_less(a, b) if a[0] < b[0]

version_less(a, b) if {
	a[0] == b[0]
	a[1] < b[1]
}
