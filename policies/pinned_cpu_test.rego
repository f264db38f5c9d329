package flotilla.pinned_cpu_test

import data.flotilla.lib.fixtures_test as fx
import data.flotilla.pinned_cpu

_pinned := {"flotilla.io/cpu-pinning": "static"}

_res(cpu_req, cpu_lim, mem_req, mem_lim) := {
	"requests": {"cpu": cpu_req, "memory": mem_req},
	"limits": {"cpu": cpu_lim, "memory": mem_lim},
}

_guaranteed := _res("4", "4", "8Gi", "8Gi")

_input(containers, annotations) := fx.review(fx.deployment("infer", "ml", annotations, fx.good_pod_spec(containers)))

_c(name, resources, env) := fx.container(name, {"resources": resources, "env": env})

# --- CPU-001 -------------------------------------------------------------------

test_cpu001_burstable_fires if {
	vs := pinned_cpu.pinning_not_guaranteed with input as _input([_c("infer", _res("2", "4", "8Gi", "8Gi"), [])], _pinned)
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].resources"
	contains(v.msg, "cpu request")
}

test_cpu001_missing_memory_limit_fires if {
	res := {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"cpu": "4"}}
	count(pinned_cpu.pinning_not_guaranteed) == 1 with input as _input([_c("infer", res, [])], _pinned)
}

test_cpu001_init_container_counts if {
	spec := object.union(fx.good_pod_spec([_c("infer", _guaranteed, [])]), {"initContainers": [_c("fetch", _res("100m", "1", "64Mi", "64Mi"), [])]})
	vs := pinned_cpu.pinning_not_guaranteed with input as fx.review(fx.deployment("infer", "ml", _pinned, spec))
	{v.field | some v in vs} == {"spec.template.spec.initContainers[0].resources"}
}

test_cpu001_guaranteed_passes if {
	count(pinned_cpu.pinning_not_guaranteed) == 0 with input as _input([_c("infer", _guaranteed, [])], _pinned)
}

test_cpu001_limits_only_is_guaranteed if {
	res := {"limits": {"cpu": "4", "memory": "8Gi"}}
	count(pinned_cpu.pinning_not_guaranteed) == 0 with input as _input([_c("infer", res, [])], _pinned)
}

test_cpu001_equal_in_other_units_passes if {
	count(pinned_cpu.pinning_not_guaranteed) == 0 with input as _input([_c("infer", _res("4000m", "4", "8192Mi", "8Gi"), [])], _pinned)
}

test_cpu001_without_pinning_ignored if {
	count(pinned_cpu.pinning_not_guaranteed) == 0 with input as _input([_c("infer", _res("2", "4", "8Gi", "8Gi"), [])], {})
}

# --- CPU-002 -------------------------------------------------------------------

test_cpu002_fractional_fires if {
	vs := pinned_cpu.pinning_fractional_cpu with input as _input([_c("infer", _res("1500m", "1500m", "8Gi", "8Gi"), [])], _pinned)
	count(vs) == 1
	some v in vs
	contains(v.msg, "1.5")
}

test_cpu002_no_cpu_fires if {
	res := {"requests": {"memory": "8Gi"}, "limits": {"memory": "8Gi"}}
	vs := pinned_cpu.pinning_fractional_cpu with input as _input([_c("infer", res, [])], _pinned)
	some v in vs
	contains(v.msg, "no CPU request")
}

test_cpu002_integer_passes if {
	count(pinned_cpu.pinning_fractional_cpu) == 0 with input as _input([_c("infer", _guaranteed, [])], _pinned)
}

test_cpu002_numeric_yaml_cpu_passes if {
	count(pinned_cpu.pinning_fractional_cpu) == 0 with input as _input([_c("infer", _res(2, 2, "1Gi", "1Gi"), [])], _pinned)
}

# --- CPU-003 -------------------------------------------------------------------

test_cpu003_omp_threads_mismatch if {
	vs := pinned_cpu.threads_mismatch with input as _input([_c("infer", _guaranteed, [{"name": "OMP_NUM_THREADS", "value": "8"}])], _pinned)
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].env"
	contains(v.msg, "OMP_NUM_THREADS=8")
}

test_cpu003_all_variables_match_passes if {
	env := [
		{"name": "OMP_NUM_THREADS", "value": "4"},
		{"name": "MKL_NUM_THREADS", "value": "4"},
		{"name": "GOMAXPROCS", "value": "4"},
		{"name": "GOMP_CPU_AFFINITY", "value": "0-3"},
	]
	count(pinned_cpu.threads_mismatch) == 0 with input as _input([_c("infer", _guaranteed, env)], _pinned)
}

test_cpu003_affinity_list_passes if {
	env := [{"name": "GOMP_CPU_AFFINITY", "value": "0 2 4 6"}]
	count(pinned_cpu.threads_mismatch) == 0 with input as _input([_c("infer", _guaranteed, env)], _pinned)
}

test_cpu003_affinity_width_mismatch if {
	env := [{"name": "GOMP_CPU_AFFINITY", "value": "0-7"}]
	vs := pinned_cpu.threads_mismatch with input as _input([_c("infer", _guaranteed, env)], _pinned)
	some v in vs
	contains(v.msg, "lists 8 CPUs")
}

test_cpu003_affinity_unreadable if {
	env := [{"name": "GOMP_CPU_AFFINITY", "value": "all"}]
	vs := pinned_cpu.threads_mismatch with input as _input([_c("infer", _guaranteed, env)], _pinned)
	some v in vs
	contains(v.msg, "unreadable")
}

test_cpu003_mkl_not_a_number if {
	env := [{"name": "MKL_NUM_THREADS", "value": "auto"}]
	count(pinned_cpu.threads_mismatch) == 1 with input as _input([_c("infer", _guaranteed, env)], _pinned)
}

test_cpu003_without_pinning_ignored if {
	env := [{"name": "OMP_NUM_THREADS", "value": "8"}]
	count(pinned_cpu.threads_mismatch) == 0 with input as _input([_c("infer", _guaranteed, env)], {})
}

test_affinity_width if {
	pinned_cpu.affinity_width("0-3") == 4
	pinned_cpu.affinity_width("0 2 4 6") == 4
	pinned_cpu.affinity_width("0,2,4,6") == 4
	pinned_cpu.affinity_width("0-15:2") == 8
	pinned_cpu.affinity_width("0 3 1-2 4-15:2") == 10
	not pinned_cpu.affinity_width("x")
	not pinned_cpu.affinity_width("3-1")
	not pinned_cpu.affinity_width("")
}
