package flotilla.karmada_test

import data.flotilla.karmada
import data.flotilla.lib.fixtures_test as fx

_pp(spec) := {
	"apiVersion": "policy.karmada.io/v1alpha1",
	"kind": "PropagationPolicy",
	"metadata": {"name": "shop", "namespace": "shop"},
	"spec": object.union({"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}]}, spec),
}

_spec(region, zone, provider) := object.union(fx.cloud_spec(region, "on-demand"), {"zone": zone, "provider": provider})

_fleet := {"clusters": {
	"eu-1": fx.fleet_cluster("eu-1", _spec("eu-west-1", "eu-west-1a", "aws"), {"tier": "prod", "flotilla.io/kind": "cloud"}),
	"eu-2": fx.fleet_cluster("eu-2", _spec("eu-west-1", "eu-west-1b", "aws"), {"tier": "prod", "flotilla.io/kind": "cloud"}),
	"us-1": fx.fleet_cluster("us-1", _spec("us-east-1", "us-east-1a", "gcp"), {"tier": "prod", "flotilla.io/kind": "cloud"}),
	"edge-1": fx.fleet_cluster(
		"edge-1", object.union(_spec("eu-west-1", "", "onprem"), {
			"kind": "edge",
			"taints": [{"key": "flotilla.io/edge", "effect": "NoSchedule"}],
		}),
		{"tier": "edge", "flotilla.io/kind": "edge"},
	),
}}

# --- KARMADA-001 ---------------------------------------------------------------

test_karmada001_divided_without_preference if {
	pp := _pp({"placement": {"replicaScheduling": {"replicaSchedulingType": "Divided"}}})
	vs := karmada.division_unspecified with input as fx.review(pp)
	{v.field | some v in vs} == {"spec.placement.replicaScheduling"}
}

test_karmada001_type_defaults_to_divided if {
	pp := _pp({"placement": {"replicaScheduling": {}}})
	count(karmada.division_unspecified) == 1 with input as fx.review(pp)
}

test_karmada001_weighted_without_weights if {
	pp := _pp({"placement": {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}}})
	vs := karmada.division_unspecified with input as fx.review(pp)
	some v in vs
	contains(v.msg, "without weightPreference")
}

test_karmada001_explicit_passes if {
	weighted := _pp({"placement": {"replicaScheduling": {
		"replicaSchedulingType": "Divided",
		"replicaDivisionPreference": "Weighted",
		"weightPreference": {"dynamicWeight": "AvailableReplicas"},
	}}})
	aggregated := _pp({"placement": {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}}})
	duplicated := _pp({"placement": {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}}})
	count(karmada.division_unspecified) == 0 with input as fx.review(weighted)
	count(karmada.division_unspecified) == 0 with input as fx.review(aggregated)
	count(karmada.division_unspecified) == 0 with input as fx.review(duplicated)
	count(karmada.division_unspecified) == 0 with input as fx.review(_pp({"placement": {}}))
}

# --- KARMADA-002 ---------------------------------------------------------------

test_karmada002_unknown_names if {
	pp := _pp({"placement": {
		"clusterAffinity": {"clusterNames": ["eu-1", "eu-9"], "exclude": ["us-9"]},
		"replicaScheduling": {
			"replicaSchedulingType": "Divided",
			"replicaDivisionPreference": "Weighted",
			"weightPreference": {"staticWeightList": [{"targetCluster": {"clusterNames": ["eu-1"]}, "weight": 1}, {"targetCluster": {"clusterNames": ["ap-1"]}, "weight": 1}]},
		},
	}})
	vs := karmada.unknown_cluster with input as fx.review(pp) with data.flotilla.fleet as _fleet
	{v.field | some v in vs} == {
		"spec.placement.clusterAffinity.clusterNames[1]",
		"spec.placement.clusterAffinity.exclude[0]",
		"spec.placement.replicaScheduling.weightPreference.staticWeightList[1].targetCluster.clusterNames[0]",
	}
}

test_karmada002_affinity_terms if {
	pp := _pp({"placement": {"clusterAffinities": [{"affinityName": "primary", "clusterNames": ["eu-1"]}, {"affinityName": "backup", "clusterNames": ["dr-1"]}]}})
	vs := karmada.unknown_cluster with input as fx.review(pp) with data.flotilla.fleet as _fleet
	{v.field | some v in vs} == {"spec.placement.clusterAffinities[1].clusterNames[0]"}
}

test_karmada002_override_policy if {
	op := {
		"apiVersion": "policy.karmada.io/v1alpha1",
		"kind": "OverridePolicy",
		"metadata": {"name": "edge", "namespace": "shop"},
		"spec": {"overrideRules": [{"targetCluster": {"clusterNames": ["edge-1", "edge-2"]}, "overriders": {}}]},
	}
	vs := karmada.unknown_cluster with input as fx.review(op) with data.flotilla.fleet as _fleet
	{v.field | some v in vs} == {"spec.overrideRules[0].targetCluster.clusterNames[1]"}
}

test_karmada002_known_names_pass if {
	pp := _pp({"placement": {"clusterAffinity": {"clusterNames": ["eu-1", "us-1"], "exclude": ["edge-1"]}}})
	count(karmada.unknown_cluster) == 0 with input as fx.review(pp) with data.flotilla.fleet as _fleet
}

test_karmada002_control_plane_scope if {
	fleet := {"clusters": {
		"eu-1": fx.fleet_cluster("eu-1", object.union(_spec("eu-west-1", "a", "aws"), {"controlPlane": "eu"}), {}),
		"us-1": fx.fleet_cluster("us-1", object.union(_spec("us-east-1", "a", "aws"), {"controlPlane": "us"}), {}),
	}}
	pp := _pp({"placement": {"clusterAffinity": {"clusterNames": ["eu-1", "us-1"]}}})
	vs := karmada.unknown_cluster with input as fx.placed(pp, {"controlPlane": "eu"}) with data.flotilla.fleet as fleet
	{v.field | some v in vs} == {"spec.placement.clusterAffinity.clusterNames[1]"}
}

test_karmada002_silent_without_fleet if {
	pp := _pp({"placement": {"clusterAffinity": {"clusterNames": ["nowhere"]}}})
	count(karmada.unknown_cluster) == 0 with input as fx.review(pp)
}

# --- KARMADA-003 ---------------------------------------------------------------

_spread(by, min) := {"spreadByField": by, "minGroups": min}

test_karmada003_regions_short if {
	pp := _pp({"placement": {
		"clusterAffinity": {"labelSelector": {"matchLabels": {"tier": "prod"}}, "fieldSelector": {"matchExpressions": [{"key": "provider", "operator": "In", "values": ["aws"]}]}},
		"spreadConstraints": [_spread("cluster", 2), _spread("region", 2)],
	}})
	vs := karmada.spread_unsatisfiable with input as fx.review(pp) with data.flotilla.fleet as _fleet
	{v.field | some v in vs} == {"spec.placement.spreadConstraints[1].minGroups"}
	some v in vs
	contains(v.msg, "offer 1")
}

test_karmada003_regions_enough if {
	pp := _pp({"placement": {
		"clusterAffinity": {"labelSelector": {"matchLabels": {"tier": "prod"}}},
		"spreadConstraints": [_spread("cluster", 3), _spread("region", 2), _spread("provider", 2), _spread("zone", 3)],
	}})
	count(karmada.spread_unsatisfiable) == 0 with input as fx.review(pp) with data.flotilla.fleet as _fleet
}

test_karmada003_taint_keeps_edge_out if {
	# without affinity every cluster matches, but edge-1's taint is not tolerated
	pp := _pp({"placement": {"spreadConstraints": [_spread("cluster", 4)]}})
	tolerated := _pp({"placement": {
		"clusterTolerations": [{"key": "flotilla.io/edge", "operator": "Exists"}],
		"spreadConstraints": [_spread("cluster", 4)],
	}})
	count(karmada.spread_unsatisfiable) == 1 with input as fx.review(pp) with data.flotilla.fleet as _fleet
	count(karmada.spread_unsatisfiable) == 0 with input as fx.review(tolerated) with data.flotilla.fleet as _fleet
}

test_karmada003_label_spread if {
	pp := _pp({"placement": {
		"clusterAffinity": {"exclude": ["edge-1"]},
		"spreadConstraints": [{"spreadByLabel": "tier", "minGroups": 2}],
	}})
	vs := karmada.spread_unsatisfiable with input as fx.review(pp) with data.flotilla.fleet as _fleet
	some v in vs
	contains(v.msg, "label tier")
}

test_karmada003_affinity_terms_fall_back if {
	terms := [
		{"affinityName": "primary", "clusterNames": ["eu-1"]},
		{"affinityName": "wide", "labelSelector": {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["edge"]}]}},
	]
	pp := _pp({"placement": {"clusterAffinities": terms, "spreadConstraints": [_spread("region", 2)]}})
	too_many := _pp({"placement": {"clusterAffinities": terms, "spreadConstraints": [_spread("region", 3)]}})
	count(karmada.spread_unsatisfiable) == 0 with input as fx.review(pp) with data.flotilla.fleet as _fleet
	vs := karmada.spread_unsatisfiable with input as fx.review(too_many) with data.flotilla.fleet as _fleet
	some v in vs
	contains(v.msg, "offer 1 / 2")
}

test_karmada003_zone_field_selector if {
	pp := _pp({"placement": {
		"clusterAffinity": {"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["eu-west-1a", "eu-west-1b"]}]}},
		"spreadConstraints": [_spread("zone", 3)],
	}})
	vs := karmada.spread_unsatisfiable with input as fx.review(pp) with data.flotilla.fleet as _fleet
	some v in vs
	contains(v.msg, "offer 2")
}

test_karmada003_silent_without_fleet if {
	pp := _pp({"placement": {"spreadConstraints": [_spread("region", 5)]}})
	count(karmada.spread_unsatisfiable) == 0 with input as fx.review(pp)
}

# --- KARMADA-004 ---------------------------------------------------------------

_failover := {"application": {"decisionConditions": {"tolerationSeconds": 120}, "purgeMode": "Immediately"}}

_job_pp := _pp({
	"propagateDeps": true,
	"failover": _failover,
	"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}, {"apiVersion": "batch/v1", "kind": "Job"}],
})

test_karmada004_job_without_health if {
	vs := karmada.failover_without_health with input as fx.review(_job_pp)
	{v.field | some v in vs} == {"spec.resourceSelectors[1]"}
}

test_karmada004_customization_passes if {
	ric := {
		"apiVersion": "config.karmada.io/v1alpha1",
		"kind": "ResourceInterpreterCustomization",
		"metadata": {"name": "job-health"},
		"spec": {
			"target": {"apiVersion": "batch/v1", "kind": "Job"},
			"customizations": {"healthInterpretation": {"luaScript": "function InterpretHealth(obj) return true end"}},
		},
	}
	inv := {"cluster": {"config.karmada.io/v1alpha1": {"ResourceInterpreterCustomization": {"job-health": ric}}}}
	count(karmada.failover_without_health) == 0 with input as fx.review(_job_pp) with data.inventory as inv
}

test_karmada004_customization_without_health_fires if {
	ric := {"spec": {"target": {"apiVersion": "batch/v1", "kind": "Job"}, "customizations": {"replicaResource": {"luaScript": "x"}}}}
	inv := {"cluster": {"config.karmada.io/v1alpha1": {"ResourceInterpreterCustomization": {"job-replicas": ric}}}}
	count(karmada.failover_without_health) == 1 with input as fx.review(_job_pp) with data.inventory as inv
}

test_karmada004_webhook_passes if {
	cfg := {"webhooks": [{"name": "jobs", "rules": [{"operations": ["InterpretHealth"], "apiGroups": ["batch"], "apiVersions": ["*"], "kinds": ["Job"]}]}]}
	inv := {"cluster": {"config.karmada.io/v1alpha1": {"ResourceInterpreterWebhookConfiguration": {"jobs": cfg}}}}
	count(karmada.failover_without_health) == 0 with input as fx.review(_job_pp) with data.inventory as inv
}

test_karmada004_core_group_webhook if {
	pp := _pp({"failover": _failover, "resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap"}]})
	cfg := {"webhooks": [{"rules": [{"operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"], "kinds": ["ConfigMap"]}]}]}
	inv := {"cluster": {"config.karmada.io/v1alpha1": {"ResourceInterpreterWebhookConfiguration": {"cm": cfg}}}}
	count(karmada.failover_without_health) == 1 with input as fx.review(pp)
	count(karmada.failover_without_health) == 0 with input as fx.review(pp) with data.inventory as inv
}

test_karmada004_builtin_kinds_pass if {
	pp := _pp({"failover": _failover, "resourceSelectors": [
		{"apiVersion": "apps/v1", "kind": "StatefulSet"},
		{"apiVersion": "apps.kruise.io/v1alpha1", "kind": "CloneSet"},
		{"apiVersion": "helm.toolkit.fluxcd.io/v2beta1", "kind": "HelmRelease"},
	]})
	count(karmada.failover_without_health) == 0 with input as fx.review(pp)
}

test_karmada004_no_failover_ignored if {
	pp := _pp({"resourceSelectors": [{"apiVersion": "batch/v1", "kind": "Job"}]})
	count(karmada.failover_without_health) == 0 with input as fx.review(pp)
}

# --- KARMADA-005 ---------------------------------------------------------------

_tolerating(tolerations) := fx.review(_pp({"placement": {"clusterTolerations": tolerations}}))

test_karmada005_bad_tolerations if {
	tolerations := [
		{"key": "a", "operator": "Equals", "value": "x", "effect": "NoSchedule"},
		{"key": "b", "operator": "Exists", "value": "x", "effect": "NoSchedule"},
		{"key": "c", "operator": "Exists", "effect": "NoScheduleNoAdmit"},
		{"operator": "Equal", "value": "x"},
		{"key": "e", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 30},
	]
	vs := karmada.invalid_toleration with input as _tolerating(tolerations)
	{v.field | some v in vs} == {
		"spec.placement.clusterTolerations[0]",
		"spec.placement.clusterTolerations[1]",
		"spec.placement.clusterTolerations[2]",
		"spec.placement.clusterTolerations[3]",
		"spec.placement.clusterTolerations[4]",
	}
}

test_karmada005_several_problems_in_one_toleration if {
	vs := karmada.invalid_toleration with input as _tolerating([{"operator": "Like", "effect": "Sometimes"}])
	count(vs) == 3
}

test_karmada005_good_tolerations_pass if {
	tolerations := [
		{"key": "a", "operator": "Equal", "value": "x", "effect": "NoSchedule"},
		{"key": "b", "operator": "Exists", "effect": "PreferNoSchedule"},
		{"key": "c", "value": "y"},
		{"operator": "Exists"},
		{"key": "cluster.karmada.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
	]
	count(karmada.invalid_toleration) == 0 with input as _tolerating(tolerations)
}

test_karmada_rules_ignore_other_kinds if {
	obj := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "y"}, "spec": {"placement": {"clusterTolerations": [{"operator": "Bad"}]}}}
	count(karmada.invalid_toleration) == 0 with input as fx.review(obj)
	count(karmada.division_unspecified) == 0 with input as fx.review(obj)
}

test_cluster_scoped_kinds if {
	cpp := object.union(_pp({"placement": {"replicaScheduling": {}}}), {"kind": "ClusterPropagationPolicy"})
	count(karmada.division_unspecified) == 1 with input as fx.review(cpp)
	cop := {
		"apiVersion": "policy.karmada.io/v1alpha1",
		"kind": "ClusterOverridePolicy",
		"metadata": {"name": "legacy"},
		"spec": {"targetCluster": {"clusterNames": ["gone"]}},
	}
	vs := karmada.unknown_cluster with input as fx.review(cop) with data.flotilla.fleet as _fleet
	{v.field | some v in vs} == {"spec.targetCluster.clusterNames[0]"}
}
