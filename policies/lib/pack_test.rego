package flotilla.lib.pack_test

import data.flotilla
import data.flotilla.lib.fixtures_test as fx

# Objects that would trip every placement rule if placement facts existed.
_objects := [
	fx.workload("DaemonSet", "agent", {
		"hostNetwork": true,
		"terminationGracePeriodSeconds": 600,
		"containers": [{"name": "a", "image": "docker.io/x:1", "securityContext": {"capabilities": {"add": ["BPF"]}}}],
	}),
	object.union(fx.workload("Deployment", "api", {"containers": [{"name": "a", "image": "x:1"}]}), {"spec": {"replicas": 1}}),
	{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
	{"apiVersion": "velero.io/v1", "kind": "Schedule", "metadata": {"name": "s", "namespace": "velero"}, "spec": {"schedule": "@daily", "template": {"ttl": "1h"}}},
	{"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": {"name": "default-from-eu-1", "namespace": "velero"}, "spec": {}},
	{"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": "p", "namespace": "shop"}, "spec": {"placement": {
		"clusterAffinity": {"clusterNames": ["nowhere"]},
		"spreadConstraints": [{"spreadByField": "region", "minGroups": 9}],
	}}},
]

_placement_findings(inp) := n if {
	n := count(((((((((((((((((flotilla.ebpf.kernel_unsupported | flotilla.spot.pdb_missing) | flotilla.spot.prestop_missing) | flotilla.spot.grace_too_long) | flotilla.spot.singleton_on_spot) | flotilla.dr.schedule_missing) | flotilla.dr.schedule_misses_rpo) | flotilla.dr.recovery_same_region) | flotilla.dr.standby_without_replicas) | flotilla.edge.node_selector_missing) | flotilla.edge.taint_not_tolerated) | flotilla.edge.exceeds_capacity) | flotilla.edge.registry_not_mirrored) | flotilla.edge.host_network_undeclared) | flotilla.karmada.unknown_cluster) | flotilla.karmada.spread_unsatisfiable) | flotilla.velero.dr_location_writable)) with input as inp
}

test_placement_rules_silent_on_plain_yaml if {
	every obj in _objects {
		_placement_findings(fx.review(obj)) == 0
	}
}

# The same objects do trip object-level rules: the fixture is not inert.
test_fixture_objects_have_object_findings if {
	n := count(flotilla.security.resources_missing | flotilla.security.run_as_root) with input as fx.review(_objects[1])
	n > 0
}
