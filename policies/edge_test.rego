package flotilla.edge_test

import data.flotilla.edge
import data.flotilla.lib.fixtures_test as fx

_edge_spec := object.union(fx.cloud_spec("eu-west-1", "on-demand"), {"kind": "edge", "provider": "onprem"})

_group(name, clusters, extra) := {
	"apiVersion": "flotilla.io/v1alpha1",
	"kind": "EdgeGroup",
	"metadata": {"name": name},
	"spec": object.union(
		{
			"clusters": clusters,
			"nodeCapacity": {"cpu": "2", "memory": "2Gi"},
			"registryMirror": "mirror.factory.local:5000",
		},
		extra,
	),
}

_mirrored(name) := fx.container(name, {"image": "mirror.factory.local:5000/team/app:1.4.2"})

# The pod template as flotilla's edge override leaves it.
_edge_pod(containers, extra) := object.union(
	object.union(fx.good_pod_spec(containers), {
		"nodeSelector": {"node-role.kubernetes.io/edge": "", "apps.kubeedge.io/belonging-to": "line-a"},
		"tolerations": [{"key": "node-role.kubernetes.io/edge", "operator": "Exists", "effect": "NoSchedule"}],
	}),
	extra,
)

_deploy(pod_spec) := fx.workload("Deployment", "ctl", pod_spec)

# input for an object that lands on factory-1 (edge) as edge_obj and on
# cloud-1 as the rendered object.
_input(edge_obj, groups, app) := fx.placed(_deploy(fx.good_pod_spec([fx.good_container("ctl")])), {
	"app": app,
	"clusters": [fx.cluster("factory-1", _edge_spec, 1), fx.cluster("cloud-1", fx.cloud_spec("eu-west-1", "on-demand"), 1)],
	"variants": [
		{"clusters": ["factory-1"], "object": edge_obj},
		{"clusters": ["cloud-1"], "object": _deploy(fx.good_pod_spec([fx.good_container("ctl")]))},
	],
	"edgeGroups": groups,
})

_app(edge) := {"apiVersion": "flotilla.io/v1alpha1", "kind": "App", "metadata": {"name": "ctl"}, "spec": {"namespace": "shop", "edge": edge}}

_groups := [_group("line-a", ["factory-1"], {})]

_ok := _input(_deploy(_edge_pod([_mirrored("ctl")], {})), _groups, _app({"groups": ["line-a"]}))

test_good_edge_landing_passes if {
	count(edge.node_selector_missing) == 0 with input as _ok
	count(edge.taint_not_tolerated) == 0 with input as _ok
	count(edge.exceeds_capacity) == 0 with input as _ok
	count(edge.registry_not_mirrored) == 0 with input as _ok
	count(edge.host_network_undeclared) == 0 with input as _ok
}

test_edge_rules_silent_without_flotilla if {
	inp := fx.review(_deploy(fx.good_pod_spec([fx.good_container("ctl")])))
	count(edge.node_selector_missing) == 0 with input as inp
	count(edge.taint_not_tolerated) == 0 with input as inp
	count(edge.exceeds_capacity) == 0 with input as inp
	count(edge.registry_not_mirrored) == 0 with input as inp
	count(edge.host_network_undeclared) == 0 with input as inp
}

# --- EDGE-001 ------------------------------------------------------------------

test_edge001_no_selector if {
	obj := _deploy(object.remove(_edge_pod([_mirrored("ctl")], {}), ["nodeSelector"]))
	vs := edge.node_selector_missing with input as _input(obj, _groups, _app({"groups": ["line-a"]}))
	{v.field | some v in vs} == {"spec.template.spec.nodeSelector"}
	some v in vs
	contains(v.msg, "factory-1")
}

test_edge001_node_affinity_passes if {
	affinity := {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "node-role.kubernetes.io/edge", "operator": "Exists"}]}]}}}
	obj := _deploy(object.union(object.remove(_edge_pod([_mirrored("ctl")], {}), ["nodeSelector"]), {"affinity": affinity}))
	count(edge.node_selector_missing) == 0 with input as _input(obj, _groups, _app({"groups": ["line-a"]}))
}

test_edge001_cloud_variant_ignored if {
	# only the edge variant lacks nothing; the cloud variant has no selector
	count(edge.node_selector_missing) == 0 with input as _ok
}

# --- EDGE-002 ------------------------------------------------------------------

test_edge002_default_taint_not_tolerated if {
	obj := _deploy(object.remove(_edge_pod([_mirrored("ctl")], {}), ["tolerations"]))
	vs := edge.taint_not_tolerated with input as _input(obj, _groups, _app({"groups": ["line-a"]}))
	some v in vs
	contains(v.msg, "node-role.kubernetes.io/edge=:NoSchedule")
}

test_edge002_group_taint if {
	groups := [_group("line-a", ["factory-1"], {"taint": {"key": "factory.example.com/line", "value": "a", "effect": "NoExecute"}})]
	vs := edge.taint_not_tolerated with input as _input(_deploy(_edge_pod([_mirrored("ctl")], {})), groups, _app({"groups": ["line-a"]}))
	{v.field | some v in vs} == {"spec.template.spec.tolerations"}
}

test_edge002_group_taint_tolerated_by_value if {
	groups := [_group("line-a", ["factory-1"], {"taint": {"key": "factory.example.com/line", "value": "a", "effect": "NoExecute"}})]
	tol := {"tolerations": [{"key": "factory.example.com/line", "operator": "Equal", "value": "a"}]}
	obj := _deploy(_edge_pod([_mirrored("ctl")], tol))
	count(edge.taint_not_tolerated) == 0 with input as _input(obj, groups, _app({"groups": ["line-a"]}))
}

test_edge002_without_edge_groups_uses_default if {
	obj := _deploy(object.remove(_edge_pod([_mirrored("ctl")], {}), ["tolerations"]))
	count(edge.taint_not_tolerated) == 1 with input as _input(obj, [], _app({"groups": ["line-a"]}))
}

# --- EDGE-003 ------------------------------------------------------------------

test_edge003_requests_exceed_capacity if {
	big := fx.container("ctl", {"image": "mirror.factory.local:5000/team/app:1.4.2", "resources": {"requests": {"cpu": "1800m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}})
	obj := _deploy(_edge_pod([big, _mirrored("sidecar")], {}))
	vs := edge.exceeds_capacity with input as _input(obj, _groups, _app({"groups": ["line-a"]}))
	count(vs) == 1
	some v in vs
	contains(v.msg, "2.3 cpu")
}

test_edge003_init_container_max if {
	init := fx.container("warm", {"image": "mirror.factory.local:5000/team/app:1.4.2", "resources": {"requests": {"cpu": "100m", "memory": "3Gi"}, "limits": {"memory": "3Gi"}}})
	obj := _deploy(_edge_pod([_mirrored("ctl")], {"initContainers": [init]}))
	vs := edge.exceeds_capacity with input as _input(obj, _groups, _app({"groups": ["line-a"]}))
	some v in vs
	contains(v.msg, "memory")
}

test_edge003_fits if {
	obj := _deploy(_edge_pod([_mirrored("ctl"), _mirrored("sidecar")], {}))
	count(edge.exceeds_capacity) == 0 with input as _input(obj, _groups, _app({"groups": ["line-a"]}))
}

# --- EDGE-004 ------------------------------------------------------------------

test_edge004_public_image if {
	obj := _deploy(_edge_pod([_mirrored("ctl"), fx.container("log", {"image": "docker.io/fluent/fluent-bit:3.1"})], {}))
	vs := edge.registry_not_mirrored with input as _input(obj, _groups, _app({"groups": ["line-a"]}))
	{v.field | some v in vs} == {"spec.template.spec.containers[1].image"}
}

test_edge004_prefix_lookalike_fires if {
	obj := _deploy(_edge_pod([fx.container("ctl", {"image": "mirror.factory.local:5000x/app:1"})], {}))
	count(edge.registry_not_mirrored) == 1 with input as _input(obj, _groups, _app({"groups": ["line-a"]}))
}

# --- EDGE-005 ------------------------------------------------------------------

test_edge005_undeclared_host_network if {
	obj := _deploy(_edge_pod([_mirrored("ctl")], {"hostNetwork": true}))
	vs := edge.host_network_undeclared with input as _input(obj, _groups, _app({"groups": ["line-a"]}))
	{v.field | some v in vs} == {"spec.template.spec.hostNetwork"}
}

test_edge005_declared_host_network_passes if {
	obj := _deploy(_edge_pod([_mirrored("ctl")], {"hostNetwork": true}))
	count(edge.host_network_undeclared) == 0 with input as _input(obj, _groups, _app({"groups": ["line-a"], "hostNetwork": true}))
}

test_edge_kind_from_fleet if {
	obj := _deploy(_edge_pod([_mirrored("ctl")], {"hostNetwork": true}))
	inp := fx.placed(obj, {"app": _app({"groups": ["line-a"]}), "variants": [{"clusters": ["factory-9"], "object": obj}]})
	fleet := {"clusters": {"factory-9": fx.fleet_cluster("factory-9", _edge_spec, {})}}
	count(edge.host_network_undeclared) == 1 with input as inp with data.flotilla.fleet as fleet
}
