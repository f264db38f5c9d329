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
