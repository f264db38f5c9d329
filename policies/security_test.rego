package flotilla.security_test

import data.flotilla.lib.fixtures_test as fx
import data.flotilla.security

_input(pod_spec) := fx.review(fx.workload("Deployment", "api", pod_spec))

_good := _input(fx.good_pod_spec([fx.good_container("api")]))

_without_pod_sc(containers) := {"containers": containers}

_sc(name, sc) := fx.container(name, {"securityContext": sc})

_hardened := {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true}

test_good_pod_passes_every_rule if {
	count(security.seccomp_missing) == 0 with input as _good
	count(security.run_as_root) == 0 with input as _good
	count(security.privilege_escalation) == 0 with input as _good
	count(security.writable_root_fs) == 0 with input as _good
	count(security.resources_missing) == 0 with input as _good
	count(security.image_not_pinned) == 0 with input as _good
}

test_non_workload_ignored if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "shop"}, "spec": {}}
	count(security.seccomp_missing) == 0 with input as fx.review(svc)
	count(security.run_as_root) == 0 with input as fx.review(svc)
}

# --- SEC-001 -------------------------------------------------------------------

test_sec001_missing_everywhere if {
	vs := security.seccomp_missing with input as _input(_without_pod_sc([fx.good_container("a"), fx.good_container("b")]))
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.securityContext"
	contains(v.msg, `"a", "b"`)
}

test_sec001_container_level_passes if {
	sc := object.union(_hardened, {"seccompProfile": {"type": "Localhost", "localhostProfile": "agent.json"}})
	count(security.seccomp_missing) == 0 with input as _input(_without_pod_sc([_sc("a", sc)]))
}

test_sec001_container_unconfined_overrides_pod if {
	sc := object.union(_hardened, {"seccompProfile": {"type": "Unconfined"}})
	vs := security.seccomp_missing with input as _input(fx.good_pod_spec([_sc("a", sc)]))
	{v.field | some v in vs} == {"spec.template.spec.containers[0].securityContext.seccompProfile"}
}

test_sec001_pod_unconfined if {
	spec := object.union(fx.good_pod_spec([fx.good_container("a")]), {"securityContext": {"seccompProfile": {"type": "Unconfined"}}})
	vs := security.seccomp_missing with input as _input(spec)
	some v in vs
	contains(v.msg, "Unconfined")
}

test_sec001_init_container_checked if {
	spec := object.union(_without_pod_sc([_sc("a", object.union(_hardened, {"seccompProfile": {"type": "RuntimeDefault"}}))]), {"initContainers": [fx.good_container("init")]})
	vs := security.seccomp_missing with input as _input(spec)
	some v in vs
	contains(v.msg, `"init"`)
}

# --- SEC-002 -------------------------------------------------------------------

test_sec002_missing if {
	vs := security.run_as_root with input as _input(_without_pod_sc([fx.good_container("a")]))
	{v.field | some v in vs} == {"spec.template.spec.securityContext"}
}

test_sec002_container_false_overrides_pod if {
	vs := security.run_as_root with input as _input(fx.good_pod_spec([_sc("a", object.union(_hardened, {"runAsNonRoot": false}))]))
	{v.field | some v in vs} == {"spec.template.spec.containers[0].securityContext.runAsNonRoot"}
}

test_sec002_container_level_true_passes if {
	count(security.run_as_root) == 0 with input as _input(_without_pod_sc([_sc("a", object.union(_hardened, {"runAsNonRoot": true}))]))
}

test_sec002_uid_zero if {
	vs := security.run_as_root with input as _input(fx.good_pod_spec([_sc("a", object.union(_hardened, {"runAsUser": 0}))]))
	{v.field | some v in vs} == {"spec.template.spec.containers[0].securityContext.runAsUser"}
}

test_sec002_pod_uid_zero if {
	spec := object.union(fx.good_pod_spec([fx.good_container("a")]), {"securityContext": {"runAsUser": 0}})
	vs := security.run_as_root with input as _input(spec)
	{v.field | some v in vs} == {"spec.template.spec.securityContext.runAsUser"}
}

# --- SEC-003 -------------------------------------------------------------------

test_sec003_missing if {
	vs := security.privilege_escalation with input as _input(fx.good_pod_spec([_sc("a", {"readOnlyRootFilesystem": true})]))
	{v.field | some v in vs} == {"spec.template.spec.containers[0].securityContext"}
}

test_sec003_true_fires if {
	count(security.privilege_escalation) == 1 with input as _input(fx.good_pod_spec([_sc("a", {"allowPrivilegeEscalation": true, "readOnlyRootFilesystem": true})]))
}

# --- SEC-004 -------------------------------------------------------------------

test_sec004_missing if {
	vs := security.writable_root_fs with input as _input(fx.good_pod_spec([_sc("a", {"allowPrivilegeEscalation": false})]))
	count(vs) == 1
}

test_sec004_cronjob if {
	obj := fx.workload("CronJob", "report", fx.good_pod_spec([_sc("a", {"allowPrivilegeEscalation": false})]))
	vs := security.writable_root_fs with input as fx.review(obj)
	{v.field | some v in vs} == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext"}
}

test_sec004_pod if {
	obj := fx.workload("Pod", "debug", fx.good_pod_spec([_sc("a", {"allowPrivilegeEscalation": false})]))
	vs := security.writable_root_fs with input as fx.review(obj)
	{v.field | some v in vs} == {"spec.containers[0].securityContext"}
}

# --- SEC-005 -------------------------------------------------------------------

test_sec005_no_resources if {
	vs := security.resources_missing with input as _input(fx.good_pod_spec([fx.container("a", {"resources": {}})]))
	some v in vs
	v.field == "spec.template.spec.containers[0].resources"
	contains(v.msg, "requests.cpu, requests.memory, limits.memory")
}

test_sec005_memory_limit_missing if {
	c := fx.container("a", {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}})
	vs := security.resources_missing with input as _input(fx.good_pod_spec([c]))
	some v in vs
	contains(v.msg, "has no limits.memory")
}

test_sec005_limits_imply_requests if {
	c := fx.container("a", {"resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}}})
	count(security.resources_missing) == 0 with input as _input(fx.good_pod_spec([c]))
}

# --- SEC-006 -------------------------------------------------------------------

test_sec006_images if {
	images := {
		"nginx": false,
		"nginx:latest": false,
		"registry.example.com:5000/team/app": false,
		"registry.example.com:5000/team/app:latest": false,
		"nginx:1.27.1": true,
		"registry.example.com:5000/team/app:2.0": true,
		"ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": true,
		"app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": true,
	}
	every image, ok in images {
		n := count(security.image_not_pinned) with input as _input(fx.good_pod_spec([fx.container("a", {"image": image})]))
		_expect(n, ok)
	}
}

_expect(0, true) := true

_expect(1, false) := true

test_sec006_field if {
	vs := security.image_not_pinned with input as _input(fx.good_pod_spec([fx.good_container("a"), fx.container("b", {"image": "busybox"})]))
	{v.field | some v in vs} == {"spec.template.spec.containers[1].image"}
}
