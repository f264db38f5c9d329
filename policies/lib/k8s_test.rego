package flotilla.lib.k8s_test

import data.flotilla.lib.fixtures_test as fx
import data.flotilla.lib.k8s

test_quantity if {
	k8s.quantity("500m") == 0.5
	k8s.quantity("2") == 2
	k8s.quantity(3) == 3
	k8s.quantity("1Gi") == 1073741824
	k8s.quantity("900Mi") == 943718400
	k8s.quantity("2G") == 2000000000
	k8s.quantity("1k") == 1000
	k8s.quantity("1e3") == 1000
	k8s.quantity("250u") == 0.00025
	k8s.quantity("1500n") == 0.0000015
	k8s.quantity("050u") == 0.00005
	not k8s.quantity("1 Gi")
	not k8s.quantity("900MiB")
	not k8s.quantity(true)
}

test_pod_paths if {
	spec := {"containers": [{"name": "a"}]}
	k8s.pod(fx.workload("Pod", "p", spec)).path == "spec"
	k8s.pod(fx.workload("Job", "j", spec)).path == "spec.template.spec"
	k8s.pod(fx.workload("StatefulSet", "s", spec)).metadata_path == "spec.template.metadata"
	k8s.pod(fx.workload("CronJob", "c", spec)).path == "spec.jobTemplate.spec.template.spec"
	not k8s.pod({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {}})
	not k8s.pod({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {}})
}

test_null_metadata if {
	obj := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"template": {"metadata": null, "spec": {"containers": []}}}}
	k8s.annotations(k8s.pod(obj)) == {}
	k8s.labels(k8s.pod(obj)) == {}
}

test_containers_order_and_flags if {
	p := k8s.pod(fx.workload("Pod", "p", {
		"initContainers": [{"name": "init"}, {"name": "side", "restartPolicy": "Always"}],
		"containers": [{"name": "main"}],
	}))
	[c.name | some c in k8s.containers(p)] == ["init", "side", "main"]
	[c.path | some c in k8s.containers(p)] == ["spec.initContainers[0]", "spec.initContainers[1]", "spec.containers[0]"]
	[c.name | some c in k8s.app_containers(p)] == ["side", "main"]
}

test_env_resolution if {
	c := {
		"env": [
			{"name": "A", "value": "1"},
			{"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
			{"name": "C"},
			{"name": "A", "value": "2"},
		],
		"envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "P_"}, {"configMapRef": {"name": "cm2"}}],
	}
	inv := {"namespace": {"ns": {"v1": {"ConfigMap": {"cm": {"data": {"X": "x"}}, "cm2": {"data": {"A": "0", "Y": "y"}}}}}}}
	env := k8s.env(c, "ns") with data.inventory as inv
	env == {
		"A": {"value": "2"},
		"B": {"valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
		"C": {"value": ""},
		"P_X": {"value": "x"},
		"Y": {"value": "y"},
	}
	not k8s.env_unknown(c, "ns") with data.inventory as inv
	k8s.env_unknown(c, "ns")
	k8s.env_value(c, "ns", "Y") == "y" with data.inventory as inv
}

test_envfrom_later_source_wins if {
	c := {"envFrom": [{"configMapRef": {"name": "a"}}, {"configMapRef": {"name": "b"}}]}
	inv := {"namespace": {"ns": {"v1": {"ConfigMap": {"a": {"data": {"K": "1"}}, "b": {"data": {"K": "2"}}}}}}}
	k8s.env(c, "ns").K.value == "2" with data.inventory as inv
}

test_requests if {
	c := {"container": {"resources": {"requests": {"cpu": "250m"}, "limits": {"cpu": "1", "memory": "1Gi"}}}}
	k8s.request(c, "cpu") == 0.25
	k8s.request(c, "memory") == 1073741824
	not k8s.request(c, "ephemeral-storage")
}

test_pod_request if {
	p := {"path": "spec", "spec": {
		"initContainers": [
			{"name": "i1", "resources": {"requests": {"cpu": "3", "memory": "1Gi"}}},
			{"name": "s1", "restartPolicy": "Always", "resources": {"requests": {"cpu": "500m"}}},
		],
		"containers": [
			{"name": "a", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}},
			{"name": "b", "resources": {"limits": {"cpu": "1", "memory": "2Gi"}}},
			{"name": "c"},
		],
	}}
	k8s.pod_request(p, "cpu") == 3
	k8s.pod_request(p, "memory") == 3221225472
}

test_image_parts if {
	k8s.image_parts("nginx") == {"registry": "", "repository": "nginx", "tag": "", "digest": ""}
	k8s.image_parts("nginx:1.27") == {"registry": "", "repository": "nginx", "tag": "1.27", "digest": ""}
	k8s.image_parts("library/nginx:1.27").repository == "library/nginx"
	k8s.image_parts("localhost/app:1").registry == "localhost"
	k8s.image_parts("registry:5000/team/app") == {"registry": "registry:5000", "repository": "team/app", "tag": "", "digest": ""}
	k8s.image_parts("ghcr.io/org/app:v2@sha256:abc") == {"registry": "ghcr.io", "repository": "org/app", "tag": "v2", "digest": "sha256:abc"}
}

test_tolerates if {
	taint := {"key": "k", "value": "v", "effect": "NoSchedule"}
	k8s.tolerates([{"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}], taint)
	k8s.tolerates([{"key": "k", "value": "v"}], taint)
	k8s.tolerates([{"key": "k", "operator": "Exists"}], taint)
	k8s.tolerates([{"operator": "Exists"}], taint)
	not k8s.tolerates([{"key": "k", "value": "w"}], taint)
	not k8s.tolerates([{"key": "k", "operator": "Exists", "effect": "NoExecute"}], taint)
	not k8s.tolerates([{"key": "other", "operator": "Exists"}], taint)
	not k8s.tolerates([{"key": "k", "operator": "Bogus"}], taint)
	not k8s.tolerates([], taint)
}

test_as_helpers if {
	k8s.as_object(null) == {}
	k8s.as_object({"a": 1}) == {"a": 1}
	k8s.as_array(null) == []
	k8s.as_array([1]) == [1]
}

test_pod_labels if {
	spec := {"containers": []}
	k8s.pod_labels(fx.workload("Pod", "p", spec)) == {"app": "p"}
	k8s.pod_labels(fx.workload("CronJob", "c", spec)) == {"app": "c"}
	k8s.pod_labels(fx.workload("Deployment", "d", spec)) == {"app": "d"}
	k8s.pod_labels({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"template": {}}}) == {}
}
