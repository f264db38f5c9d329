# METADATA
# title: Karmada cluster matching
# description: |
#   The fleet as a Karmada control plane sees it, and Karmada v1.13's own
#   matching of clusters against a ClusterAffinity (pkg/util.ClusterMatches:
#   exclude, labelSelector, fieldSelector on provider/region/zone,
#   clusterNames), the scheduler's TaintToleration filter and the groups a
#   spread constraint counts. Placement-level: reads data.flotilla.fleet.
package flotilla.lib.karmada

import data.flotilla.lib.k8s
import data.flotilla.lib.selector

# fleet_clusters maps each fleet cluster name to the facts Karmada matches
# on: {"name", "labels", "provider", "region", "zones", "taints"}. It reads
# data only, so flotilla evaluates it once per run, not once per object.
fleet_clusters := {name: cluster_view(name, c) | some name, c in data.flotilla.fleet.clusters}

# plane_clusters maps each control plane a cluster names (spec.controlPlane),
# and "" for none, to the fleet_clusters that plane's Karmada sees: its own
# and those that name no plane. Data only, like fleet_clusters.
plane_clusters := {p: {name: cl |
	some name, cl in fleet_clusters
	object.get(data.flotilla.fleet.clusters[name].spec, "controlPlane", "") in {"", p}
} |
	some p in {""} | {p | some c in data.flotilla.fleet.clusters; p := object.get(c.spec, "controlPlane", ""); p != ""}
}

# clusters: the fleet_clusters of the control plane input.flotilla.controlPlane
# names (every cluster when it names none).
clusters := fleet_clusters if _plane == ""

clusters := object.get(plane_clusters, _plane, plane_clusters[""]) if _plane != ""

default _plane := ""

_plane := input.flotilla.controlPlane

# cluster_view(name, c) turns a Cluster intent into the fields of the
# cluster.karmada.io Cluster flotilla renders for it (spec.zones = [zone]).
cluster_view(name, c) := {
	"name": name,
	"labels": k8s.as_object(object.get(k8s.as_object(object.get(c, "metadata", {})), "labels", {})),
	"provider": object.get(c.spec, "provider", ""),
	"region": object.get(c.spec, "region", ""),
	"zones": [z | z := object.get(c.spec, "zone", ""); z != ""],
	"taints": k8s.as_array(object.get(c.spec, "taints", [])),
}

# affinity_matches(a, cl): the ClusterAffinity a selects cluster view cl.
# A null or absent affinity selects every cluster.
affinity_matches(a, _) if not is_object(a)

affinity_matches(a, cl) if {
	is_object(a)
	not cl.name in k8s.as_array(object.get(a, "exclude", []))
	_labels_ok(object.get(a, "labelSelector", null), cl)
	_fields_ok(object.get(a, "fieldSelector", null), cl)
	_names_ok(k8s.as_array(object.get(a, "clusterNames", [])), cl)
}

_labels_ok(sel, _) if not is_object(sel)

_labels_ok(sel, cl) if selector.matches(sel, cl.labels)

_fields_ok(sel, _) if not is_object(sel)

_fields_ok(sel, cl) if {
	is_object(sel)
	every e in k8s.as_array(object.get(sel, "matchExpressions", [])) {
		_field_matches(e, cl)
	}
}

# Zones are matched against the list spec.zones (pkg/util.matchZones).
_field_matches(e, cl) if {
	e.key == "zone"
	_zones_match(e, cl.zones)
}

# Other fields become a label selector over {provider, region}.
_field_matches(e, cl) if {
	e.key != "zone"
	selector.expression_matches(e, _fields(cl))
}

_fields(cl) := {k: v |
	some k in ["provider", "region"]
	v := cl[k]
	v != ""
}

_zones_match(e, zones) if {
	e.operator == "In"
	count(zones) > 0
	every z in zones {
		z in e.values
	}
}

_zones_match(e, zones) if {
	e.operator == "NotIn"
	every z in zones {
		not z in e.values
	}
}

_zones_match(e, zones) if {
	e.operator == "Exists"
	count(zones) > 0
}

_zones_match(e, zones) if {
	e.operator == "DoesNotExist"
	count(zones) == 0
}

_names_ok(names, _) if count(names) == 0

_names_ok(names, cl) if cl.name in names

# selected(a): names of the fleet clusters the affinity a selects.
selected(a) := {name | some name, cl in clusters; affinity_matches(a, cl)}

# tolerated(tolerations, cl): karmada-scheduler's TaintToleration filter
# admits cl: every NoSchedule and NoExecute taint is tolerated.
tolerated(tolerations, cl) if {
	every t in cl.taints {
		_taint_ok(tolerations, t)
	}
}

_taint_ok(_, t) if not object.get(t, "effect", "") in {"NoSchedule", "NoExecute"}

_taint_ok(tolerations, t) if k8s.tolerates(tolerations, t)

# candidates(a, tolerations): names of the clusters the affinity selects and
# the tolerations admit: where the scheduler may place replicas.
candidates(a, tolerations) := candidates_among(clusters, a, tolerations)

# candidates_among(views, a, tolerations): candidates among the cluster
# views given (e.g. fleet_clusters, every plane's).
candidates_among(views, a, tolerations) := {name |
	some name, cl in views
	affinity_matches(a, cl)
	tolerated(tolerations, cl)
}

# spread_key(c) names what a spread constraint groups by: a field
# (cluster, region, zone, provider) or "label <key>".
spread_key(c) := c.spreadByField if object.get(c, "spreadByField", "") != ""

spread_key(c) := sprintf("label %s", [c.spreadByLabel]) if {
	object.get(c, "spreadByField", "") == ""
	object.get(c, "spreadByLabel", "") != ""
}

# groups(names, c): the distinct groups the clusters named fall into for
# spread constraint c.
groups(names, c) := {v |
	some n in names
	some v in _values(clusters[n], c)
}

_values(cl, c) := {cl.name} if c.spreadByField == "cluster"

_values(cl, c) := {cl.region} if {
	c.spreadByField == "region"
	cl.region != ""
}

_values(cl, c) := {z | some z in cl.zones} if c.spreadByField == "zone"

_values(cl, c) := {cl.provider} if {
	c.spreadByField == "provider"
	cl.provider != ""
}

_values(cl, c) := {cl.labels[c.spreadByLabel]} if {
	object.get(c, "spreadByField", "") == ""
	object.get(c, "spreadByLabel", "") != ""
}

# --- propagation -------------------------------------------------------------

_pp_api := "policy.karmada.io/v1alpha1"

# propagation_policies(obj, ns): the PropagationPolicies of namespace ns and
# the ClusterPropagationPolicies in data.inventory whose resourceSelectors
# select obj.
propagation_policies(obj, ns) := [pp |
	some pp in array.concat(
		[p | some p in data.inventory.namespace[ns][_pp_api].PropagationPolicy],
		[p | some p in data.inventory.cluster[_pp_api].ClusterPropagationPolicy],
	)
	some rs in k8s.as_array(pp.spec.resourceSelectors)
	resource_selected(rs, obj, ns)
]

# resource_selected(rs, obj, ns): a ResourceSelector selects obj.
resource_selected(rs, obj, ns) if {
	rs.apiVersion == obj.apiVersion
	rs.kind == obj.kind
	object.get(rs, "name", "") in {"", obj.metadata.name}
	object.get(rs, "namespace", "") in {"", ns}
	_rs_labels_ok(object.get(rs, "labelSelector", null), obj)
}

_rs_labels_ok(sel, _) if not is_object(sel)

_rs_labels_ok(sel, obj) if selector.matches(sel, k8s.as_object(object.get(obj.metadata, "labels", {})))

# placement_clusters(placement): the clusters a Placement may use: the
# candidates of its clusterAffinity, or of any of its clusterAffinities.
placement_clusters(placement) := candidates(object.get(placement, "clusterAffinity", null), _tolerations(placement)) if {
	count(k8s.as_array(object.get(placement, "clusterAffinities", []))) == 0
}

placement_clusters(placement) := {name |
	some term in placement.clusterAffinities
	some name in candidates(term, _tolerations(placement))
} if count(k8s.as_array(object.get(placement, "clusterAffinities", []))) > 0

_tolerations(placement) := k8s.as_array(object.get(placement, "clusterTolerations", []))

# propagated_to(obj, ns): every cluster some selecting policy may place obj on.
propagated_to(obj, ns) := {name |
	some pp in propagation_policies(obj, ns)
	some name in placement_clusters(object.get(pp.spec, "placement", {}))
}
