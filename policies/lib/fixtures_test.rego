# METADATA
# title: Test fixtures
# description: Builders for lint inputs shared by the policy tests.
package flotilla.lib.fixtures_test

# review(obj): the lint input for a plain object (no placement facts).
review(obj) := {"review": {
	"object": obj,
	"kind": _gvk(obj),
	"name": obj.metadata.name,
	"namespace": object.get(obj.metadata, "namespace", ""),
}}

# placed(obj, flotilla): the lint input with input.flotilla.
placed(obj, flotilla) := object.union(review(obj), {"flotilla": flotilla})

_gvk(obj) := {"group": g, "version": v, "kind": obj.kind} if {
	[g, v] := split(obj.apiVersion, "/")
}

_gvk(obj) := {"group": "", "version": obj.apiVersion, "kind": obj.kind} if not contains(obj.apiVersion, "/")

# A container that passes every object-level rule.
good_container(name) := {
	"name": name,
	"image": "registry.example.com/team/app:1.4.2",
	"resources": {
		"requests": {"cpu": "500m", "memory": "256Mi"},
		"limits": {"memory": "256Mi"},
	},
	"securityContext": {
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem": true,
	},
	"lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
}

# container(name, extra): a good container with fields replaced.
container(name, extra) := object.union(object.remove(good_container(name), object.keys(extra)), extra)

# A pod spec that passes every object-level rule.
good_pod_spec(containers) := {
	"securityContext": {
		"runAsNonRoot": true,
		"runAsUser": 10001,
		"seccompProfile": {"type": "RuntimeDefault"},
	},
	"containers": containers,
}

# deployment(name, ns, annotations, pod_spec).
deployment(name, ns, annotations, pod_spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {
		"replicas": 3,
		"selector": {"matchLabels": {"app": name}},
		"template": {
			"metadata": {"labels": {"app": name}, "annotations": annotations},
			"spec": pod_spec,
		},
	},
}

# workload(kind, name, pod_spec): any pod-running kind, namespace "shop".
workload("Pod", name, pod_spec) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
	"spec": pod_spec,
}

workload("CronJob", name, pod_spec) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": {"name": name, "namespace": "shop"},
	"spec": {
		"schedule": "0 * * * *",
		"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}}},
	},
}

workload(kind, name, pod_spec) := {
	"apiVersion": _api[kind],
	"kind": kind,
	"metadata": {"name": name, "namespace": "shop"},
	"spec": {
		"selector": {"matchLabels": {"app": name}},
		"template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
	},
} if not kind in {"Pod", "CronJob"}

_api := {
	"Deployment": "apps/v1",
	"ReplicaSet": "apps/v1",
	"StatefulSet": "apps/v1",
	"DaemonSet": "apps/v1",
	"Job": "batch/v1",
	"ReplicationController": "v1",
}

# Cluster entries of input.flotilla.clusters.
cluster(name, spec, replicas) := {"name": name, "labels": {}, "spec": spec, "replicas": replicas}

cloud_spec(region, capacity_type) := {
	"kind": "cloud",
	"provider": "aws",
	"region": region,
	"zone": concat("", [region, "a"]),
	"capacity": {"nodes": 3, "cpu": "48", "memory": "192Gi", "type": capacity_type},
	"kernel": {"version": "6.1.0-18-cloud-amd64", "btf": true},
	"kubernetesVersion": "v1.31.3",
	"access": {"context": "kind"},
}

# fleet_cluster(name, spec, labels): an entry of data.flotilla.fleet.clusters.
fleet_cluster(name, spec, labels) := {"metadata": {"name": name, "labels": labels}, "spec": spec}
