package flotilla.lib.karmada_test

import data.flotilla.lib.fixtures_test as fx
import data.flotilla.lib.karmada

_spec(region, zone, provider) := object.union(fx.cloud_spec(region, "on-demand"), {"zone": zone, "provider": provider})

_fleet := {"clusters": {
	"a": fx.fleet_cluster("a", _spec("eu-west-1", "eu-west-1a", "aws"), {"env": "prod"}),
	"b": fx.fleet_cluster("b", _spec("eu-west-1", "eu-west-1b", "aws"), {"env": "prod"}),
	"c": fx.fleet_cluster("c", _spec("us-east-1", "", "gcp"), {"env": "dev"}),
	"t": fx.fleet_cluster(
		"t", object.union(_spec("us-east-1", "us-east-1a", "gcp"), {"taints": [
			{"key": "dedicated", "value": "ml", "effect": "NoSchedule"},
			{"key": "soft", "effect": "PreferNoSchedule"},
		]}),
		{"env": "prod"},
	),
}}

_sel(a) := s if {
	s := karmada.selected(a) with data.flotilla.fleet as _fleet
}

test_affinity_null_selects_all if {
	_sel(null) == {"a", "b", "c", "t"}
}

test_affinity_names_and_exclude if {
	_sel({"clusterNames": ["a", "c"]}) == {"a", "c"}
	_sel({"exclude": ["a"]}) == {"b", "c", "t"}
	_sel({"clusterNames": ["a", "c"], "exclude": ["a"]}) == {"c"}
}

test_affinity_label_selector if {
	_sel({"labelSelector": {"matchLabels": {"env": "prod"}}}) == {"a", "b", "t"}
	_sel({"labelSelector": {"matchLabels": {"env": "prod"}}, "clusterNames": ["a", "c"]}) == {"a"}
}

test_affinity_field_selector if {
	_sel({"fieldSelector": {"matchExpressions": [{"key": "provider", "operator": "In", "values": ["gcp"]}]}}) == {"c", "t"}
	_sel({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["eu-west-1"]}]}}) == {"c", "t"}
	_sel({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["eu-west-1a"]}]}}) == {"a"}
	_sel({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["eu-west-1a"]}]}}) == {"b", "c", "t"}
	_sel({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}}) == {"a", "b", "t"}
	_sel({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}}) == {"c"}
	_sel({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "Gt", "values": ["1"]}]}}) == set()
	_sel({"fieldSelector": {"matchExpressions": [{"key": "color", "operator": "In", "values": ["red"]}]}}) == set()
}

test_affinity_selectors_karmada_cannot_parse_select_nothing if {
	_sel({"labelSelector": {"matchExpressions": [{"key": "env", "operator": "In", "values": []}]}}) == set()
	_sel({"labelSelector": {"matchExpressions": [{"key": "env", "operator": "Exists", "values": ["prod"]}]}}) == set()
	_sel({"labelSelector": {"matchExpressions": [{"key": "env", "operator": "Gt", "values": ["1"]}]}}) == set()
	_sel({"labelSelector": {"matchLabels": {"bad key!": "prod"}}}) == set()
	_sel({"labelSelector": {"matchLabels": {"env": "not a value"}}}) == set()
	_sel({"labelSelector": {"matchLabels": {"example.com/env": "prod"}}}) == set()
	_sel({"labelSelector": {"matchLabels": {"Bad_Prefix/env": "prod"}}}) == set()
	_sel({"labelSelector": {"matchLabels": {"a/b/c": "prod"}}}) == set()
	_sel({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "DoesNotExist", "values": ["eu-west-1"]}]}}) == set()
	_sel({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "Gt", "values": ["x"]}]}}) == set()
	_sel({"fieldSelector": {"matchExpressions": [{"operator": "Exists"}]}}) == set()
}

test_affinity_label_expressions if {
	_sel({"labelSelector": {"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev", "qa"]}]}}) == {"c"}
	_sel({"labelSelector": {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]}}) == {"a", "b", "t"}
	_sel({"labelSelector": {"matchExpressions": [{"key": "env", "operator": "Exists"}]}}) == {"a", "b", "c", "t"}
	_sel({"labelSelector": {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}}) == {"a", "b", "c", "t"}
	_sel({"labelSelector": {}}) == {"a", "b", "c", "t"}
}

test_affinity_numeric_field_comparison if {
	fleet := {"clusters": {
		"old": fx.fleet_cluster("old", _spec("7", "", "aws"), {}),
		"new": fx.fleet_cluster("new", _spec("12", "", "aws"), {}),
		"named": fx.fleet_cluster("named", _spec("eu-west-1", "", "aws"), {}),
		"zero": fx.fleet_cluster("zero", _spec("-007", "", "aws"), {}),
		"plus": fx.fleet_cluster("plus", _spec("+9", "", "aws"), {}),
	}}
	karmada.selected({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "Gt", "values": ["8"]}]}}) == {"new", "plus"} with data.flotilla.fleet as fleet
	karmada.selected({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "Lt", "values": ["8"]}]}}) == {"old", "zero"} with data.flotilla.fleet as fleet
	karmada.selected({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "Lt", "values": ["+8"]}]}}) == set() with data.flotilla.fleet as fleet
	karmada.selected({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "Lt", "values": ["0"]}]}}) == {"zero"} with data.flotilla.fleet as fleet
}

test_candidates_respect_taints if {
	karmada.candidates(null, []) == {"a", "b", "c"} with data.flotilla.fleet as _fleet
	karmada.candidates(null, [{"key": "dedicated", "operator": "Equal", "value": "ml"}]) == {"a", "b", "c", "t"} with data.flotilla.fleet as _fleet
}

test_groups if {
	names := {"a", "b", "c", "t"}
	karmada.groups(names, {"spreadByField": "cluster"}) == names with data.flotilla.fleet as _fleet
	karmada.groups(names, {"spreadByField": "region"}) == {"eu-west-1", "us-east-1"} with data.flotilla.fleet as _fleet
	karmada.groups(names, {"spreadByField": "zone"}) == {"eu-west-1a", "eu-west-1b", "us-east-1a"} with data.flotilla.fleet as _fleet
	karmada.groups(names, {"spreadByField": "provider"}) == {"aws", "gcp"} with data.flotilla.fleet as _fleet
	karmada.groups(names, {"spreadByLabel": "env"}) == {"prod", "dev"} with data.flotilla.fleet as _fleet
	karmada.spread_key({"spreadByField": "zone"}) == "zone"
	karmada.spread_key({"spreadByLabel": "env"}) == "label env"
}

test_propagated_to if {
	obj := {"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": {"name": "default", "namespace": "velero", "labels": {"role": "backup"}}}
	pp := {"spec": {
		"resourceSelectors": [{"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "labelSelector": {"matchLabels": {"role": "backup"}}}],
		"placement": {"clusterAffinities": [{"affinityName": "x", "clusterNames": ["a"]}, {"affinityName": "y", "clusterNames": ["c"]}]},
	}}
	cpp := {"spec": {
		"resourceSelectors": [{"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "namespace": "velero", "name": "default"}],
		"placement": {"clusterAffinity": {"clusterNames": ["b", "t"]}},
	}}
	other := {"spec": {
		"resourceSelectors": [{"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "name": "secondary"}],
		"placement": {"clusterAffinity": {"clusterNames": ["t"]}},
	}}
	inv := {
		"namespace": {"velero": {"policy.karmada.io/v1alpha1": {"PropagationPolicy": {"pp": pp, "other": other}}}},
		"cluster": {"policy.karmada.io/v1alpha1": {"ClusterPropagationPolicy": {"cpp": cpp}}},
	}
	karmada.propagated_to(obj, "velero") == {"a", "b", "c"} with data.flotilla.fleet as _fleet with data.inventory as inv
}

test_control_plane_filter if {
	fleet := {"clusters": {
		"x": fx.fleet_cluster("x", object.union(_spec("r", "", "p"), {"controlPlane": "eu"}), {}),
		"y": fx.fleet_cluster("y", object.union(_spec("r", "", "p"), {"controlPlane": "us"}), {}),
		"z": fx.fleet_cluster("z", _spec("r", "", "p"), {}),
	}}
	object.keys(karmada.clusters) == {"x", "y", "z"} with data.flotilla.fleet as fleet
	object.keys(karmada.clusters) == {"x", "z"} with data.flotilla.fleet as fleet with input as {"flotilla": {"controlPlane": "eu"}}
	karmada.selected(null) == {"x", "y", "z"} with data.flotilla.fleet as fleet
	karmada.selected(null) == {"x", "z"} with data.flotilla.fleet as fleet with input as {"flotilla": {"controlPlane": "eu"}}
	karmada.selected(null) == {"z"} with data.flotilla.fleet as fleet with input as {"flotilla": {"controlPlane": "other"}}
}
