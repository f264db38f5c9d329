package flotilla.spot_test

import data.flotilla.lib.fixtures_test as fx
import data.flotilla.spot

_deploy(replicas, pod_spec) := object.union(fx.workload("Deployment", "api", pod_spec), {"spec": {"replicas": replicas}})

_good_spec := fx.good_pod_spec([fx.good_container("api")])

_spot(name, replicas) := fx.cluster(name, fx.cloud_spec("eu-west-1", "spot"), replicas)

_mixed(name, replicas) := fx.cluster(name, fx.cloud_spec("eu-west-1", "mixed"), replicas)

_on_demand(name, replicas) := fx.cluster(name, fx.cloud_spec("eu-west-1", "on-demand"), replicas)

_pdb(selector) := {"namespace": {"shop": {"policy/v1": {"PodDisruptionBudget": {"api": {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": {"name": "api", "namespace": "shop"},
	"spec": {"maxUnavailable": 1, "selector": selector},
}}}}}}

# --- SPOT-001 ------------------------------------------------------------------

test_spot001_no_pdb if {
	inp := fx.placed(_deploy(3, _good_spec), {"clusters": [_mixed("eu-mixed", 2), _on_demand("eu-od", 1)]})
	vs := spot.pdb_missing with input as inp
	{v.field | some v in vs} == {"spec.template.metadata"}
}

test_spot001_matching_pdb_passes if {
	inp := fx.placed(_deploy(3, _good_spec), {"clusters": [_spot("eu-spot", 3)]})
	count(spot.pdb_missing) == 0 with input as inp with data.inventory as _pdb({"matchLabels": {"app": "api"}})
}

test_spot001_pdb_expression_selector_passes if {
	inp := fx.placed(_deploy(3, _good_spec), {"clusters": [_spot("eu-spot", 3)]})
	sel := {"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "web"]}]}
	count(spot.pdb_missing) == 0 with input as inp with data.inventory as _pdb(sel)
}

test_spot001_other_pdb_fires if {
	inp := fx.placed(_deploy(3, _good_spec), {"clusters": [_spot("eu-spot", 3)]})
	count(spot.pdb_missing) == 1 with input as inp with data.inventory as _pdb({"matchLabels": {"app": "web"}})
}

test_spot001_on_demand_only_passes if {
	inp := fx.placed(_deploy(3, _good_spec), {"clusters": [_on_demand("eu-od", 3)]})
	count(spot.pdb_missing) == 0 with input as inp
}

test_spot001_silent_without_flotilla if {
	count(spot.pdb_missing) == 0 with input as fx.review(_deploy(3, _good_spec))
}

# --- SPOT-002 ------------------------------------------------------------------

test_spot002_no_prestop if {
	spec := fx.good_pod_spec([fx.good_container("api"), fx.container("sidecar", {"lifecycle": {}})])
	inp := fx.placed(_deploy(3, spec), {"clusters": [_spot("eu-spot", 3)]})
	vs := spot.prestop_missing with input as inp
	{v.field | some v in vs} == {"spec.template.spec.containers[1]"}
}

test_spot002_prestop_passes if {
	inp := fx.placed(_deploy(3, _good_spec), {"clusters": [_spot("eu-spot", 3)]})
	count(spot.prestop_missing) == 0 with input as inp
}

# --- SPOT-003 ------------------------------------------------------------------

test_spot003_long_grace if {
	spec := object.union(_good_spec, {"terminationGracePeriodSeconds": 300})
	inp := fx.placed(_deploy(3, spec), {"clusters": [_spot("eu-spot", 3)]})
	vs := spot.grace_too_long with input as inp
	{v.field | some v in vs} == {"spec.template.spec.terminationGracePeriodSeconds"}
}

test_spot003_default_grace_passes if {
	inp := fx.placed(_deploy(3, _good_spec), {"clusters": [_spot("eu-spot", 3)]})
	count(spot.grace_too_long) == 0 with input as inp
}

test_spot003_110_passes if {
	spec := object.union(_good_spec, {"terminationGracePeriodSeconds": 110})
	inp := fx.placed(fx.workload("DaemonSet", "agent", spec), {"clusters": [_spot("eu-spot", null)]})
	count(spot.grace_too_long) == 0 with input as inp
}

test_spot003_long_grace_off_spot_passes if {
	spec := object.union(_good_spec, {"terminationGracePeriodSeconds": 300})
	inp := fx.placed(_deploy(3, spec), {"clusters": [_on_demand("eu-od", 3)]})
	count(spot.grace_too_long) == 0 with input as inp
}

# --- SPOT-004 ------------------------------------------------------------------

test_spot004_singleton_on_spot if {
	inp := fx.placed(_deploy(1, _good_spec), {"clusters": [_spot("eu-spot", 1)]})
	vs := spot.singleton_on_spot with input as inp
	{v.field | some v in vs} == {"spec.replicas"}
}

test_spot004_default_replicas_is_one if {
	obj := fx.workload("Deployment", "api", _good_spec)
	inp := fx.placed(obj, {"clusters": [_spot("eu-spot", 1)]})
	count(spot.singleton_on_spot) == 1 with input as inp
}

test_spot004_predicted_total_one if {
	inp := fx.placed(_deploy(2, _good_spec), {"clusters": [_spot("a", 1), _spot("b", 0)]})
	count(spot.singleton_on_spot) == 1 with input as inp
}

test_spot004_two_replicas_pass if {
	inp := fx.placed(_deploy(2, _good_spec), {"clusters": [_spot("a", 1), _spot("b", 1)]})
	count(spot.singleton_on_spot) == 0 with input as inp
}

test_spot004_mixed_capacity_passes if {
	inp := fx.placed(_deploy(1, _good_spec), {"clusters": [_mixed("eu-mixed", 1)]})
	count(spot.singleton_on_spot) == 0 with input as inp
}

test_spot004_silent_without_flotilla if {
	count(spot.singleton_on_spot) == 0 with input as fx.review(_deploy(1, _good_spec))
}

test_spot002_spot003_silent_without_flotilla if {
	spec := object.union(fx.good_pod_spec([fx.container("api", {"lifecycle": {}})]), {"terminationGracePeriodSeconds": 600})
	count(spot.prestop_missing) == 0 with input as fx.review(_deploy(3, spec))
	count(spot.grace_too_long) == 0 with input as fx.review(_deploy(3, spec))
}

# --- SPOT-005..007: the in-cluster autoscaling ----------------------------------

_nodepool(name, capacity_types, types, min_values) := {
	"apiVersion": "karpenter.sh/v1",
	"kind": "NodePool",
	"metadata": {"name": name},
	"spec": {"template": {"spec": {
		"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
		"requirements": [
			{"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity_types},
			{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": types, "minValues": min_values},
		],
	}}},
}

_types(n) := [sprintf("m%d.4xlarge", [i]) | some i in numbers.range(1, n)]

_od_inventory := {"cluster": {"karpenter.sh/v1": {"NodePool": {"od": _nodepool("od", ["on-demand"], _types(3), 1)}}}}

test_spot005_fewer_types_than_min_values if {
	vs := spot.nodepool_too_few_types with input as fx.review(_nodepool("spot", ["spot"], _types(4), 15))
	[v.field | some v in vs] == ["spec.template.spec.requirements[1].values"]
	some v in vs
	contains(v.msg, "offers 4 instance type(s) and requires 15")
}

test_spot005_few_types_warns_even_when_min_values_met if {
	vs := spot.nodepool_too_few_types with input as fx.review(_nodepool("spot", ["spot"], _types(4), 3))
	some v in vs
	contains(v.msg, "Karpenter consolidates spot into spot only with 15 or more")
}

test_spot005_diverse_pool_passes if {
	count(spot.nodepool_too_few_types) == 0 with input as fx.review(_nodepool("spot", ["spot"], _types(16), 15))
}

test_spot005_on_demand_pool_not_judged if {
	count(spot.nodepool_too_few_types) == 0 with input as fx.review(_nodepool("od", ["on-demand"], _types(2), 1))
}

test_spot006_no_fallback if {
	vs := spot.nodepool_no_fallback with input as fx.review(_nodepool("spot", ["spot"], _types(16), 15))
	[v.field | some v in vs] == ["spec.template.spec.requirements[0]"]
}

test_spot006_on_demand_pool_in_inventory_passes if {
	count(spot.nodepool_no_fallback) == 0 with input as fx.review(_nodepool("spot", ["spot"], _types(16), 15)) with data.inventory as _od_inventory
}

test_spot006_mixed_pool_passes if {
	count(spot.nodepool_no_fallback) == 0 with input as fx.review(_nodepool("both", ["spot", "on-demand"], _types(16), 15))
}

test_spot006_fallback_declared_on_landing_cluster_passes if {
	spec := object.union(fx.cloud_spec("us-east-1", "mixed"), {"spot": {"autoscaler": "karpenter", "onDemandFallback": {}}})
	inp := fx.placed(_nodepool("spot", ["spot"], _types(16), 15), {"clusters": [fx.cluster("us-spot", spec, 0)]})
	count(spot.nodepool_no_fallback) == 0 with input as inp
}

_scaled_object(fallback) := object.union(
	{
		"apiVersion": "keda.sh/v1alpha1",
		"kind": "ScaledObject",
		"metadata": {"name": "api", "namespace": "shop"},
		"spec": {"scaleTargetRef": {"name": "api"}, "triggers": [{"type": "cron", "metadata": {}}]},
	},
	fallback,
)

test_spot007_no_fallback if {
	vs := spot.scaledobject_no_fallback with input as fx.review(_scaled_object({}))
	[v.field | some v in vs] == ["spec.fallback"]
}

test_spot007_fallback_passes if {
	inp := fx.review(_scaled_object({"spec": {"fallback": {"failureThreshold": 3, "replicas": 4}}}))
	count(spot.scaledobject_no_fallback) == 0 with input as inp
}

# --- SPOT-008, SPOT-009: the objective against Karmada's division ----------------

_objective_app(objective) := {"metadata": {"name": "api"}, "spec": {"spot": {"allowed": true, "objective": objective}}}

_placed_with(clusters, objective) := object.union(
	fx.placed(_deploy(6, _good_spec), {"clusters": clusters}),
	{"flotilla": {"clusters": clusters, "app": _objective_app(objective)}},
)

_eu_od(n) := fx.cluster("eu-od", fx.cloud_spec("eu-west-1", "on-demand"), n)

_eu_spot(n) := fx.cluster("eu-spot", fx.cloud_spec("eu-west-1", "spot"), n)

_us_spot(n) := fx.cluster("us-spot", fx.cloud_spec("us-east-1", "spot"), n)

test_spot008_too_few_replicas if {
	inp := _placed_with([_eu_od(2), _us_spot(4)], {"minReady": 7, "availability": "99.9"})
	vs := spot.objective_unmet with input as inp
	some v in vs
	contains(v.msg, "divided into 6 replica(s), fewer than the 7")
}

test_spot008_floor_not_kept if {
	inp := _placed_with([_eu_od(1), _us_spot(5)], {"minReady": 5, "availability": "99.9", "onDemandFloor": 2})
	vs := spot.objective_unmet with input as inp
	{v.msg | some v in vs} == {`Deployment "api" has 1 replica(s) on on-demand clusters, below its spot objective's on-demand floor of 2`}
}

test_spot008_kept_passes if {
	inp := _placed_with([_eu_od(2), _us_spot(4)], {"minReady": 5, "availability": "99.9", "onDemandFloor": 2})
	count(spot.objective_unmet) == 0 with input as inp
}

test_spot008_silent_without_objective if {
	inp := fx.placed(_deploy(6, _good_spec), {"clusters": [_us_spot(6)]})
	count(spot.objective_unmet) == 0 with input as inp
}

test_spot009_cluster_share if {
	inp := _placed_with([_eu_od(2), _us_spot(4)], {"minReady": 5, "availability": "99.9", "maxClusterPercent": 60})
	vs := spot.share_exceeded with input as inp
	{v.msg | some v in vs} == {`Deployment "api" puts 4 of 6 replicas on us-spot, more than the 60% one cluster may hold`}
}

test_spot009_region_share if {
	inp := _placed_with([_eu_od(2), _eu_spot(2), _us_spot(2)], {"minReady": 5, "availability": "99.9", "maxRegionPercent": 50})
	vs := spot.share_exceeded with input as inp
	{v.msg | some v in vs} == {`Deployment "api" puts 4 of 6 replicas in region eu-west-1, more than the 50% one region may hold`}
}

test_spot009_within_caps_passes if {
	inp := _placed_with([_eu_od(2), _eu_spot(1), _us_spot(3)], {"minReady": 5, "availability": "99.9", "maxClusterPercent": 50, "maxRegionPercent": 50})
	count(spot.share_exceeded) == 0 with input as inp
}

# An app with a division: each rendered workload holds part of it, so the
# objective is the cross-checks' to judge, not these rules'.
_divided(inp) := object.union(inp, {"flotilla": {"app": {"spec": {"spot": {"division": [{"cluster": "us-spot", "spot": 4}]}}}}})

test_spot008_skips_divided_app if {
	inp := _placed_with([_eu_od(1), _us_spot(5)], {"minReady": 7, "availability": "99.9", "onDemandFloor": 2})
	count(spot.objective_unmet) == 2 with input as inp
	count(spot.objective_unmet) == 0 with input as _divided(inp)
}

test_spot009_skips_divided_app if {
	inp := _placed_with([_eu_od(2), _eu_spot(2), _us_spot(2)], {"minReady": 5, "availability": "99.9", "maxClusterPercent": 20, "maxRegionPercent": 50})
	count(spot.share_exceeded) > 0 with input as inp
	count(spot.share_exceeded) == 0 with input as _divided(inp)
}

# --- On-demand-only pods are not on spot ------------------------------------------

_pinned(spec_extra) := _deploy(3, object.union(fx.good_pod_spec([fx.container("api", {"lifecycle": {}})]), spec_extra))

test_spot_on_demand_node_selector_is_not_on_spot if {
	inp := fx.placed(_pinned({"nodeSelector": {"karpenter.sh/capacity-type": "on-demand"}}), {"clusters": [_mixed("eu-mixed", 3)]})
	count(spot.prestop_missing) == 0 with input as inp
	count(spot.pdb_missing) == 0 with input as inp
}

test_spot_required_affinity_without_spot_is_not_on_spot if {
	term := {"matchExpressions": [
		{"key": "karpenter.sh/capacity-type", "operator": "NotIn", "values": ["spot"]},
		{"key": "eks.amazonaws.com/capacityType", "operator": "NotIn", "values": ["SPOT"]},
	]}
	aff := {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}}
	inp := fx.placed(_pinned(aff), {"clusters": [_mixed("eu-mixed", 3)]})
	count(spot.prestop_missing) == 0 with input as inp
}

test_spot_in_on_demand_affinity_is_not_on_spot if {
	term := {"matchExpressions": [{"key": "eks.amazonaws.com/capacityType", "operator": "In", "values": ["ON_DEMAND"]}]}
	aff := {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}}
	inp := fx.placed(_pinned(aff), {"clusters": [_mixed("eu-mixed", 3)]})
	count(spot.prestop_missing) == 0 with input as inp
}

test_spot_one_term_allowing_spot_is_on_spot if {
	no_spot := {"matchExpressions": [{"key": "karpenter.sh/capacity-type", "operator": "NotIn", "values": ["spot"]}]}
	any := {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]}
	aff := {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [no_spot, any]}}}}
	inp := fx.placed(_pinned(aff), {"clusters": [_mixed("eu-mixed", 3)]})
	count(spot.prestop_missing) == 1 with input as inp
}
