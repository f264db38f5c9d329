package flotilla.go_runtime_test

import data.flotilla.go_runtime
import data.flotilla.lib.fixtures_test as fx

_go(env, resources) := fx.container("api", {"env": env, "resources": resources})

_mem(limit) := {"requests": {"cpu": "1", "memory": limit}, "limits": {"cpu": "2", "memory": limit}}

_input(containers, annotations) := fx.review(fx.deployment("api", "shop", annotations, fx.good_pod_spec(containers)))

# --- GO-001 -------------------------------------------------------------------

test_go001_go_env_without_gomemlimit if {
	vs := go_runtime.gomemlimit_missing with input as _input([_go([{"name": "GOGC", "value": "100"}], _mem("1Gi"))], {})
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].env"
	contains(v.msg, `"api"`)
}

test_go001_with_gomemlimit_passes if {
	count(go_runtime.gomemlimit_missing) == 0 with input as _input([_go([{"name": "GOMEMLIMIT", "value": "900MiB"}], _mem("1Gi"))], {})
}

test_go001_runtime_annotation_points_at_container if {
	vs := go_runtime.gomemlimit_missing with input as _input([fx.container("api", {"resources": _mem("1Gi")})], {"flotilla.io/runtime": "go"})
	{v.field | some v in vs} == {"spec.template.spec.containers[0]"}
}

test_go001_gomemlimit_off_counts_as_missing if {
	count(go_runtime.gomemlimit_missing) == 1 with input as _input([_go([{"name": "GOMEMLIMIT", "value": "off"}], _mem("1Gi"))], {})
}

test_go001_non_go_container_ignored if {
	count(go_runtime.gomemlimit_missing) == 0 with input as _input([fx.container("nginx", {"resources": _mem("1Gi")})], {})
}

test_go001_no_memory_limit_ignored if {
	count(go_runtime.gomemlimit_missing) == 0 with input as _input([_go([{"name": "GOGC", "value": "100"}], {"requests": {"cpu": "1"}})], {})
}

test_go001_envfrom_secret_is_unknown if {
	c := object.union(_go([{"name": "GOGC", "value": "100"}], _mem("1Gi")), {"envFrom": [{"secretRef": {"name": "go-env"}}]})
	count(go_runtime.gomemlimit_missing) == 0 with input as _input([c], {})
}

test_go001_envfrom_configmap_resolved if {
	c := object.union(_go([{"name": "GOGC", "value": "100"}], _mem("1Gi")), {"envFrom": [{"configMapRef": {"name": "go-env"}}]})
	inv := {"namespace": {"shop": {"v1": {"ConfigMap": {"go-env": {"data": {"GOMEMLIMIT": "800MiB"}}}}}}}
	count(go_runtime.gomemlimit_missing) == 0 with input as _input([c], {}) with data.inventory as inv
}

test_go001_envfrom_configmap_without_the_variable if {
	c := object.union(_go([{"name": "GOGC", "value": "100"}], _mem("1Gi")), {"envFrom": [{"configMapRef": {"name": "go-env"}, "prefix": "APP_"}]})
	inv := {"namespace": {"shop": {"v1": {"ConfigMap": {"go-env": {"data": {"GOMEMLIMIT": "800MiB"}}}}}}}
	count(go_runtime.gomemlimit_missing) == 1 with input as _input([c], {}) with data.inventory as inv
}

test_go001_short_lived_init_container_not_go_by_annotation if {
	spec := object.union(fx.good_pod_spec([_go([{"name": "GOMEMLIMIT", "value": "200MiB"}], _mem("256Mi"))]), {"initContainers": [fx.container("migrate", {"resources": _mem("1Gi")})]})
	obj := fx.deployment("api", "shop", {"flotilla.io/runtime": "go"}, spec)
	count(go_runtime.gomemlimit_missing) == 0 with input as fx.review(obj)
}

test_go001_native_sidecar_is_go_by_annotation if {
	sidecar := fx.container("proxy", {"restartPolicy": "Always", "resources": _mem("128Mi")})
	spec := object.union(fx.good_pod_spec([_go([{"name": "GOMEMLIMIT", "value": "200MiB"}], _mem("256Mi"))]), {"initContainers": [sidecar]})
	obj := fx.deployment("api", "shop", {"flotilla.io/runtime": "go"}, spec)
	vs := go_runtime.gomemlimit_missing with input as fx.review(obj)
	{v.field | some v in vs} == {"spec.template.spec.initContainers[0]"}
}

test_go001_cronjob if {
	obj := fx.workload("CronJob", "report", fx.good_pod_spec([_go([{"name": "GODEBUG", "value": "madvdontneed=1"}], _mem("1Gi"))]))
	vs := go_runtime.gomemlimit_missing with input as fx.review(obj)
	{v.field | some v in vs} == {"spec.jobTemplate.spec.template.spec.containers[0].env"}
}

test_go001_last_env_entry_wins if {
	env := [{"name": "GOMEMLIMIT", "value": "900MiB"}, {"name": "GOMEMLIMIT", "value": "off"}]
	count(go_runtime.gomemlimit_missing) == 1 with input as _input([_go(env, _mem("1Gi"))], {})
}

test_go001_silent_for_non_workloads if {
	obj := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "shop"}, "data": {"GOGC": "off"}}
	count(go_runtime.gomemlimit_missing) == 0 with input as fx.review(obj)
}

# --- GO-002 -------------------------------------------------------------------

test_go002_above_ninety_percent if {
	vs := go_runtime.gomemlimit_too_high with input as _input([_go([{"name": "GOMEMLIMIT", "value": "1000MiB"}], _mem("1Gi"))], {})
	count(vs) == 1
	some v in vs
	contains(v.msg, "above 90%")
}

test_go002_above_limit if {
	count(go_runtime.gomemlimit_too_high) == 1 with input as _input([_go([{"name": "GOMEMLIMIT", "value": "2GiB"}], _mem("1Gi"))], {})
}

test_go002_plain_bytes_within_limit if {
	count(go_runtime.gomemlimit_too_high) == 0 with input as _input([_go([{"name": "GOMEMLIMIT", "value": "943718400"}], _mem("1Gi"))], {})
}

test_go002_ninety_percent_passes if {
	count(go_runtime.gomemlimit_too_high) == 0 with input as _input([_go([{"name": "GOMEMLIMIT", "value": "900MiB"}], _mem("1000Mi"))], {})
}

test_go002_malformed_value if {
	vs := go_runtime.gomemlimit_too_high with input as _input([_go([{"name": "GOMEMLIMIT", "value": "900Mi"}], _mem("1Gi"))], {})
	some v in vs
	contains(v.msg, "not a valid Go byte count")
}

test_go002_decimal_suffix_is_malformed if {
	count(go_runtime.gomemlimit_too_high) == 1 with input as _input([_go([{"name": "GOMEMLIMIT", "value": "1G"}], _mem("2G"))], {})
}

test_go002_resource_field_ref_whole_limit if {
	env := [{"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}}]
	vs := go_runtime.gomemlimit_too_high with input as _input([_go(env, _mem("1Gi"))], {})
	some v in vs
	contains(v.msg, "100%")
}

test_go002_resource_field_ref_divisor if {
	env := [{"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}}]
	vs := go_runtime.gomemlimit_too_high with input as _input([_go(env, _mem("1Gi"))], {})
	some v in vs
	contains(v.msg, "divisor 1Mi")
}

# --- GO-003 -------------------------------------------------------------------

test_go003_gogc_off_without_limit if {
	vs := go_runtime.gogc_off_without_limit with input as _input([_go([{"name": "GOGC", "value": "off"}], _mem("1Gi"))], {})
	count(vs) == 1
}

test_go003_negative_gogc if {
	count(go_runtime.gogc_off_without_limit) == 1 with input as _input([_go([{"name": "GOGC", "value": "-1"}], _mem("1Gi"))], {})
}

test_go003_gogc_off_with_limit_passes if {
	env := [{"name": "GOGC", "value": "off"}, {"name": "GOMEMLIMIT", "value": "900MiB"}]
	count(go_runtime.gogc_off_without_limit) == 0 with input as _input([_go(env, _mem("1Gi"))], {})
}

test_go003_gogc_number_passes if {
	count(go_runtime.gogc_off_without_limit) == 0 with input as _input([_go([{"name": "GOGC", "value": "200"}], _mem("1Gi"))], {})
}

# --- GO-004 -------------------------------------------------------------------

test_go004_gomaxprocs_above_limit if {
	vs := go_runtime.gomaxprocs_mismatch with input as _input([_go([{"name": "GOMAXPROCS", "value": "8"}], _mem("1Gi"))], {})
	count(vs) == 1
	some v in vs
	contains(v.msg, "rounds up to 2")
}

test_go004_gomaxprocs_rounded_up_passes if {
	res := {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1500m", "memory": "1Gi"}}
	count(go_runtime.gomaxprocs_mismatch) == 0 with input as _input([_go([{"name": "GOMAXPROCS", "value": "2"}], res)], {})
}

test_go004_not_a_number if {
	count(go_runtime.gomaxprocs_mismatch) == 1 with input as _input([_go([{"name": "GOMAXPROCS", "value": "auto"}], _mem("1Gi"))], {})
}

test_go004_no_cpu_limit_ignored if {
	res := {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}
	count(go_runtime.gomaxprocs_mismatch) == 0 with input as _input([_go([{"name": "GOMAXPROCS", "value": "8"}], res)], {})
}
