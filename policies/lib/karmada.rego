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
	some p in ({""} | {p | some c in data.flotilla.fleet.clusters; p := object.get(c.spec, "controlPlane", ""); p != ""})
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

# --- matching ----------------------------------------------------------------
#
# Karmada v1.13 matches a ClusterAffinity against each cluster
# (pkg/util.ClusterMatches): not excluded, labelSelector, fieldSelector
# (provider, region, zones) and clusterNames all hold. Here the same
# answer comes from set operations on an index of the clusters built once
# per run (fleet_index and plane_index read data alone), so selecting
# clusters costs a few set operations per affinity, not a match per
# cluster. tools/karmadaspec's test holds these functions equal to
# Karmada's own code.

# index(views): the cluster views (name → cluster_view) indexed by what an
# affinity selects on: every name, names by label key and value, by field
# (provider, region) and value, by zone, and the scheduling-relevant
# (NoSchedule, NoExecute) taints of the clusters that have any.
index(views) := {
	"all": {n | some n, _ in views},
	"labels": _by_value({[k, v, n] | some n, cl in views; some k, v in cl.labels}),
	"fields": _by_value({[k, v, n] | some n, cl in views; some k in ["provider", "region"]; v := cl[k]; v != ""}),
	"zones": {z: {n | some n, cl in views; z in cl.zones} | some cl in views; some z in cl.zones},
	"taints": {n: ts |
		some n, cl in views
		ts := [t | some t in cl.taints; object.get(t, "effect", "") in {"NoSchedule", "NoExecute"}]
		count(ts) > 0
	},
}

# _by_value(triples): {key: {value: names}} from [key, value, name]
# triples. Each comprehension compares an element with the variables it
# closes over (t[0] == k), the form OPA indexes: the grouping costs one pass
# over the triples, not one per key and value.
_by_value(triples) := {k: values |
	some k in {t[0] | some t in triples}
	pairs := {[t[1], t[2]] | some t in triples; t[0] == k}
	values := {v: names |
		some v in {p[0] | some p in pairs}
		names := {p[1] | some p in pairs; p[0] == v}
	}
}

# fleet_index and plane_index index fleet_clusters and each plane's
# plane_clusters. Data only, like the views they index.
fleet_index := index(fleet_clusters)

plane_index := {p: index(views) | some p, views in plane_clusters}

# _index indexes clusters.
_index := fleet_index if _plane == ""

_index := object.get(plane_index, _plane, plane_index[""]) if _plane != ""

# selected(a): names of the clusters (of clusters) the ClusterAffinity a
# selects. A null or absent affinity selects every cluster.
selected(a) := selected_in(_index, a)

# selected_in(idx, a): names of the clusters of index idx that a selects.
# An affinity whose selectors Karmada cannot parse selects nothing.
selected_in(idx, a) := idx.all if not is_object(a)

selected_in(_, a) := set() if {
	is_object(a)
	_unparsable(a)
}

selected_in(idx, a) := ((in_labels & in_fields) & named) - excluded if {
	is_object(a)
	not _unparsable(a)
	in_labels := _label_set(idx, object.get(a, "labelSelector", null))
	in_fields := _field_set(idx, object.get(a, "fieldSelector", null))
	named := _names_set(idx, k8s.as_array(object.get(a, "clusterNames", [])))
	excluded := {n | some n in k8s.as_array(object.get(a, "exclude", []))}
}

# _unparsable(a): metav1.LabelSelectorAsSelector refuses the labelSelector,
# or lifted.NodeSelectorRequirementsAsSelector the fieldSelector's
# requirements other than zone (bad key or value syntax, unknown operator,
# values where none belong or none where some must be).
_unparsable(a) if {
	sel := a.labelSelector
	is_object(sel)
	some k, v in k8s.as_object(object.get(sel, "matchLabels", {}))
	not _valid_pair(k, v)
}

_unparsable(a) if {
	sel := a.labelSelector
	is_object(sel)
	some e in k8s.as_array(object.get(sel, "matchExpressions", []))
	not _valid_requirement(e, {"In", "NotIn", "Exists", "DoesNotExist"})
}

_unparsable(a) if {
	some e in k8s.as_array(object.get(k8s.as_object(object.get(a, "fieldSelector", {})), "matchExpressions", []))
	object.get(e, "key", "") != "zone"
	not _valid_requirement(e, {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"})
}

_valid_pair(k, v) if {
	_label_key(k)
	_label_value(v)
}

_valid_requirement(e, operators) if {
	_label_key(object.get(e, "key", ""))
	e.operator in operators
	_values_fit(e.operator, _values(e))
	every v in _values(e) {
		_label_value(v)
	}
}

_values_fit(op, values) if {
	op in {"In", "NotIn"}
	count(values) > 0
}

_values_fit(op, values) if {
	op in {"Exists", "DoesNotExist"}
	count(values) == 0
}

_values_fit(op, values) if {
	op in {"Gt", "Lt"}
	count(values) == 1
	regex.match(`^[+-]?[0-9]+$`, values[0])
}

_values(e) := k8s.as_array(object.get(e, "values", []))

# Label key and value syntax (k8s.io/apimachinery validation): an optional
# DNS-subdomain prefix and a name of at most 63 characters; values of at
# most 63 characters, alphanumeric at both ends.
_label_key(k) if {
	is_string(k)
	parts := split(k, "/")
	count(parts) <= 2
	name := parts[count(parts) - 1]
	_label_name(name)
	_label_prefix(parts, k)
}

_label_prefix(parts, _) if count(parts) == 1

_label_prefix(parts, _) if {
	count(parts) == 2
	count(parts[0]) <= 253
	regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`, parts[0])
}

_label_name(name) if {
	count(name) <= 63
	regex.match(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`, name)
}

_label_value(v) if {
	is_string(v)
	count(v) <= 63
	regex.match(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`, v)
}

# A label selector: every matchLabels pair and every matchExpressions
# requirement holds. Null: no constraint.
_label_set(idx, sel) := idx.all if not is_object(sel)

_label_set(idx, sel) := intersection(sets) if {
	is_object(sel)
	pairs := {_pair_set(idx.labels, k, v) | some k, v in k8s.as_object(object.get(sel, "matchLabels", {}))}
	requirements := {_requirement_set(idx.all, idx.labels, e) | some e in k8s.as_array(object.get(sel, "matchExpressions", []))}
	sets := ({idx.all} | pairs) | requirements
}

_pair_set(by, k, v) := object.get(object.get(by, k, {}), v, set())

# _requirement_set(all, by, e): the names whose values (by: key → value →
# names) satisfy one (parsable) requirement, as labels.Requirement.Matches:
# a name without the key satisfies NotIn and DoesNotExist; Gt and Lt
# compare values that are integers.
_requirement_set(_, by, e) := _with_values(by, e) if e.operator == "In"

_requirement_set(all, by, e) := all - _with_values(by, e) if e.operator == "NotIn"

_requirement_set(_, by, e) := _with_key(by, e) if e.operator == "Exists"

_requirement_set(all, by, e) := all - _with_key(by, e) if e.operator == "DoesNotExist"

_requirement_set(_, by, e) := {n |
	some v, names in object.get(by, e.key, {})
	_compare(e.operator, _int(v), _int(_values(e)[0]))
	some n in names
} if e.operator in {"Gt", "Lt"}

# _int(s): the integer strconv.ParseInt reads from s (sign, leading zeros);
# undefined when s is not one.
_int(s) := _digits(trim_left(trim_prefix(s, "+"), "0")) if regex.match(`^\+?[0-9]+$`, s)

_int(s) := 0 - _digits(trim_left(trim_prefix(s, "-"), "0")) if regex.match(`^-[0-9]+$`, s)

_digits(d) := 0 if d == ""

_digits(d) := to_number(d) if d != ""

_compare("Gt", a, b) if a > b

_compare("Lt", a, b) if a < b

_with_values(by, e) := union({_pair_set(by, e.key, v) | some v in _values(e)})

_with_key(by, e) := union({names | some names in object.get(by, e.key, {})})

# A field selector: requirements on zone as pkg/util.matchZones decides
# them (In needs a zone, all in the values; NotIn holds for no zone in
# them; Exists needs a zone; another operator holds nowhere), the others as
# labels of {provider, region}. Null: no constraint.
_field_set(idx, sel) := idx.all if not is_object(sel)

_field_set(idx, sel) := intersection(sets) if {
	is_object(sel)
	sets := {idx.all} | {_field_requirement_set(idx, e) | some e in k8s.as_array(object.get(sel, "matchExpressions", []))}
}

_field_requirement_set(idx, e) := _zone_set(idx, e) if e.key == "zone"

_field_requirement_set(idx, e) := _requirement_set(idx.all, idx.fields, e) if e.key != "zone"

# Every cluster has one zone at most (spec.zones = [zone]), so "all its
# zones in the values" is "its zone in the values".
_zone_set(idx, e) := union({object.get(idx.zones, z, set()) | some z in _values(e)}) if e.operator == "In"

_zone_set(idx, e) := idx.all - union({object.get(idx.zones, z, set()) | some z in _values(e)}) if e.operator == "NotIn"

_zone_set(idx, e) := union({names | some names in idx.zones}) if e.operator == "Exists"

_zone_set(idx, e) := idx.all - union({names | some names in idx.zones}) if e.operator == "DoesNotExist"

_zone_set(_, e) := set() if not e.operator in {"In", "NotIn", "Exists", "DoesNotExist"}

_names_set(idx, names) := idx.all if count(names) == 0

_names_set(idx, names) := {n | some n in names} & idx.all if count(names) > 0

# candidates(a, tolerations): names of the clusters the affinity selects and
# the tolerations admit (karmada-scheduler's TaintToleration filter: every
# NoSchedule and NoExecute taint tolerated): where the scheduler may place
# replicas.
candidates(a, tolerations) := candidates_in(_index, a, tolerations)

# candidates_in(idx, a, tolerations): the same among the clusters of index
# idx (e.g. fleet_index, every plane's).
candidates_in(idx, a, tolerations) := selected_in(idx, a) - {n |
	some n, taints in idx.taints
	some t in taints
	not k8s.tolerates(tolerations, t)
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
groups(names, c) := names & _index.all if c.spreadByField == "cluster"

groups(names, c) := {v | some v, members in _groups_by(c); count(members & names) > 0} if c.spreadByField != "cluster"

groups(names, c) := {v | some v, members in _groups_by(c); count(members & names) > 0} if not c.spreadByField

_groups_by(c) := _index.zones if c.spreadByField == "zone"

_groups_by(c) := object.get(_index.fields, c.spreadByField, {}) if c.spreadByField in {"region", "provider"}

_groups_by(c) := object.get(_index.labels, c.spreadByLabel, {}) if {
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
