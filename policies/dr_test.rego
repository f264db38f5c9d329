package flotilla.dr_test

import data.flotilla.dr
import data.flotilla.lib.fixtures_test as fx

_app(backup, weights) := {
	"apiVersion": "flotilla.io/v1alpha1",
	"kind": "App",
	"metadata": {"name": "shop"},
	"spec": {
		"namespace": "shop",
		"placement": {"replicas": {"mode": "Divided", "weights": weights}},
		"backup": backup,
	},
}

_backup := {"schedule": "0 */4 * * *", "ttl": "168h0m0s", "rpo": "4h0m0s"}

_eu1 := object.union(fx.cloud_spec("eu-west-1", "on-demand"), {"drPartner": "us-dr"})

_eu2 := object.union(fx.cloud_spec("eu-west-1", "on-demand"), {"drPartner": "eu-3"})

_fleet := {
	"clusters": {
		"eu-1": fx.fleet_cluster("eu-1", _eu1, {"tier": "prod"}),
		"eu-2": fx.fleet_cluster("eu-2", _eu2, {"tier": "prod"}),
		"eu-3": fx.fleet_cluster("eu-3", fx.cloud_spec("eu-west-1", "on-demand"), {"tier": "prod"}),
		"us-dr": fx.fleet_cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), {"tier": "dr"}),
	},
	"apps": {"shop": _app(_backup, [])},
}

_schedule(name, cron, template) := {
	"apiVersion": "velero.io/v1",
	"kind": "Schedule",
	"metadata": {"name": name, "namespace": "velero"},
	"spec": {"schedule": cron, "template": template},
}

_inventory(template) := {"namespace": {"velero": {"velero.io/v1": {"Schedule": {"shop": _schedule("shop", "0 */4 * * *", template)}}}}}

_deploy := fx.workload("Deployment", "api", fx.good_pod_spec([fx.good_container("api")]))

_namespace := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}

_on(names) := [fx.cluster(n, _fleet.clusters[n].spec, 3) | some n in names]

# --- DR-001 --------------------------------------------------------------------

test_dr001_no_schedule_on_workload if {
	inp := fx.placed(_deploy, {"app": _app(_backup, []), "clusters": _on(["eu-1"])})
	vs := dr.schedule_missing with input as inp with data.flotilla.fleet as _fleet
	{v.field | some v in vs} == {"metadata"}
}

test_dr001_reported_on_namespace_when_rendered if {
	inv := {"cluster": {"v1": {"Namespace": {"shop": _namespace}}}}
	on_ns := dr.schedule_missing with input as fx.placed(_namespace, {"app": _app(_backup, [])}) with data.inventory as inv
	on_deploy := dr.schedule_missing with input as fx.placed(_deploy, {"app": _app(_backup, [])}) with data.inventory as inv
	{v.field | some v in on_ns} == {"metadata.name"}
	count(on_deploy) == 0
}

test_dr001_schedule_includes_namespace if {
	inp := fx.placed(_deploy, {"app": _app(_backup, [])})
	count(dr.schedule_missing) == 0 with input as inp with data.inventory as _inventory({"includedNamespaces": ["shop"]})
}

test_dr001_schedule_of_all_namespaces if {
	inp := fx.placed(_deploy, {"app": _app(_backup, [])})
	count(dr.schedule_missing) == 0 with input as inp with data.inventory as _inventory({"includedNamespaces": ["*"]})
	count(dr.schedule_missing) == 0 with input as inp with data.inventory as _inventory({})
}

test_dr001_schedule_excludes_namespace if {
	inp := fx.placed(_deploy, {"app": _app(_backup, [])})
	count(dr.schedule_missing) == 1 with input as inp with data.inventory as _inventory({"excludedNamespaces": ["shop"]})
}

test_dr001_app_without_backup_ignored if {
	app := object.remove(_app(_backup, []), ["spec"])
	inp := fx.placed(_deploy, {"app": object.union(app, {"spec": {"namespace": "shop"}})})
	count(dr.schedule_missing) == 0 with input as inp
}

test_dr001_silent_without_flotilla if {
	count(dr.schedule_missing) == 0 with input as fx.review(_deploy)
}

# --- DR-002 --------------------------------------------------------------------

_placed_schedule(cron, template) := fx.placed(_schedule("shop", cron, template), {"app": _app(_backup, [])})

test_dr002_interval_longer_than_rpo if {
	vs := dr.schedule_misses_rpo with input as _placed_schedule("0 */6 * * *", {"includedNamespaces": ["shop"], "ttl": "168h"})
	{v.field | some v in vs} == {"spec.schedule"}
	some v in vs
	contains(v.msg, "every 6h")
}

test_dr002_uneven_hour_step if {
	# 0,5,10,15,20: the longest gap is 5h
	count(dr.schedule_misses_rpo) == 1 with input as _placed_schedule("0 */5 * * *", {"ttl": "168h"})
}

test_dr002_meets_rpo if {
	every cron in ["0 */4 * * *", "0 * * * *", "*/30 * * * *", "@every 4h", "@hourly", "15 */2 * * *"] {
		count(dr.schedule_misses_rpo) == 0 with input as _placed_schedule(cron, {"includedNamespaces": ["shop"], "ttl": "168h"})
	}
}

test_dr002_daily_misses if {
	every cron in ["30 2 * * *", "@daily", "@every 24h"] {
		count(dr.schedule_misses_rpo) == 1 with input as _placed_schedule(cron, {"ttl": "168h"})
	}
}

test_dr002_ttl_shorter_than_rpo if {
	vs := dr.schedule_misses_rpo with input as _placed_schedule("0 * * * *", {"ttl": "2h"})
	{v.field | some v in vs} == {"spec.template.ttl"}
}

test_dr002_default_ttl_passes if {
	count(dr.schedule_misses_rpo) == 0 with input as _placed_schedule("0 * * * *", {})
}

test_dr002_fleet_apps_by_namespace if {
	inp := fx.review(_schedule("all", "@daily", {"includedNamespaces": ["shop", "web"], "ttl": "720h"}))
	vs := dr.schedule_misses_rpo with input as inp with data.flotilla.fleet as _fleet
	some v in vs
	contains(v.msg, `app "shop"`)
}

test_dr002_unsupported_cron_silent if {
	count(dr.schedule_misses_rpo) == 0 with input as _placed_schedule("0 0 1 * *", {"ttl": "720h"})
}

test_dr002_silent_without_flotilla if {
	count(dr.schedule_misses_rpo) == 0 with input as fx.review(_schedule("shop", "@daily", {"ttl": "720h"}))
}

# --- DR-003 --------------------------------------------------------------------

test_dr003_dr_partner_same_region if {
	inp := fx.placed(_deploy, {"app": _app(_backup, []), "clusters": _on(["eu-1", "eu-2"])})
	vs := dr.recovery_same_region with input as inp with data.flotilla.fleet as _fleet
	count(vs) == 1
	some v in vs
	contains(v.msg, `"eu-2" and recovers into "eu-3"`)
}

test_dr003_recovery_cluster_overrides_partner if {
	app := _app(object.union(_backup, {"recoveryCluster": "eu-3"}), [])
	inp := fx.placed(_deploy, {"app": app, "clusters": _on(["eu-1"])})
	count(dr.recovery_same_region) == 1 with input as inp with data.flotilla.fleet as _fleet
}

test_dr003_other_region_passes if {
	inp := fx.placed(_deploy, {"app": _app(_backup, []), "clusters": _on(["eu-1"])})
	count(dr.recovery_same_region) == 0 with input as inp with data.flotilla.fleet as _fleet
}

test_dr003_silent_without_flotilla if {
	count(dr.recovery_same_region) == 0 with input as fx.review(_deploy)
}

# --- DR-004 --------------------------------------------------------------------

_weights := [{"clusters": ["eu-1"], "weight": 9}, {"clusters": ["us-dr"], "weight": 1}]

test_dr004_standby_rounded_to_zero if {
	clusters := [fx.cluster("eu-1", _eu1, 3), fx.cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), 0)]
	inp := fx.placed(_deploy, {"app": _app(_backup, _weights), "clusters": clusters})
	vs := dr.standby_without_replicas with input as inp with data.flotilla.fleet as _fleet
	{v.field | some v in vs} == {"spec.replicas"}
}

test_dr004_standby_not_placed if {
	inp := fx.placed(_deploy, {"app": _app(_backup, _weights), "clusters": [fx.cluster("eu-1", _eu1, 3)]})
	count(dr.standby_without_replicas) == 1 with input as inp with data.flotilla.fleet as _fleet
}

test_dr004_standby_with_replica_passes if {
	clusters := [fx.cluster("eu-1", _eu1, 2), fx.cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), 1)]
	inp := fx.placed(_deploy, {"app": _app(_backup, _weights), "clusters": clusters})
	count(dr.standby_without_replicas) == 0 with input as inp with data.flotilla.fleet as _fleet
}

test_dr004_selector_weight if {
	weights := [{"selector": {"matchLabels": {"tier": "prod"}}, "weight": 9}, {"selector": {"matchLabels": {"tier": "dr"}}, "weight": 1}]
	inp := fx.placed(_deploy, {"app": _app(_backup, weights), "clusters": [fx.cluster("eu-1", _eu1, 3)]})
	count(dr.standby_without_replicas) == 1 with input as inp with data.flotilla.fleet as _fleet
}

test_dr004_weight_with_non_dr_cluster_is_not_standby if {
	weights := [{"clusters": ["eu-1", "us-dr"], "weight": 1}]
	inp := fx.placed(_deploy, {"app": _app(_backup, weights), "clusters": [fx.cluster("eu-1", _eu1, 3)]})
	count(dr.standby_without_replicas) == 0 with input as inp with data.flotilla.fleet as _fleet
}

_divided_app(division) := object.union(_app(_backup, _weights), {"spec": {"spot": {"allowed": true, "division": division}}})

test_dr004_division_keeps_the_standby if {
	app := _divided_app([{"cluster": "eu-1", "spot": 3}, {"cluster": "us-dr", "onDemand": 1}])
	clusters := [fx.cluster("eu-1", _eu1, 3)]
	inp := fx.placed(_deploy, {"app": app, "clusters": clusters})
	count(dr.standby_without_replicas) == 0 with input as inp with data.flotilla.fleet as _fleet
}

test_dr004_division_without_the_standby if {
	app := _divided_app([{"cluster": "eu-1", "spot": 3}])
	inp := fx.placed(_deploy, {"app": app, "clusters": [fx.cluster("eu-1", _eu1, 3)]})
	vs := dr.standby_without_replicas with input as inp with data.flotilla.fleet as _fleet
	some v in vs
	contains(v.msg, "its spot division gives it no replica")
}

test_dr004_division_judged_once_on_the_main_deployment if {
	app := _divided_app([{"cluster": "eu-1", "spot": 3}])
	variant := object.union(_deploy, {"metadata": {"labels": {"flotilla.io/capacity": "on-demand"}}})
	inp := fx.placed(variant, {"app": app, "clusters": [fx.cluster("eu-1", _eu1, 3)]})
	count(dr.standby_without_replicas) == 0 with input as inp with data.flotilla.fleet as _fleet
}

test_dr004_silent_without_flotilla if {
	count(dr.standby_without_replicas) == 0 with input as fx.review(_deploy)
}

test_dr002_minutes_in_message if {
	app := _app({"schedule": "*/30 * * * *", "ttl": "24h", "rpo": "15m"}, [])
	inp := fx.placed(_schedule("shop", "*/30 * * * *", {"ttl": "24h"}), {"app": app})
	vs := dr.schedule_misses_rpo with input as inp
	some v in vs
	contains(v.msg, "every 30m")
}

test_dr002_seconds_in_message if {
	app := _app({"schedule": "@hourly", "ttl": "90s", "rpo": "2m"}, [])
	inp := fx.placed(_schedule("shop", "@every 1m", {"ttl": "90s"}), {"app": app})
	vs := dr.schedule_misses_rpo with input as inp
	some v in vs
	contains(v.msg, "keeps backups 90s")
}
