# Pod templates, containers and quantities for the conftest side of the
# benchmark (scripts/bench/check-vs-peers.sh): the same pod-template kinds
# and container lists as flotilla's policies/lib/k8s.rego, written in
# conftest's convention (package main, deny contains msg if ...).
package main

# Kinds whose pod template is spec.template (policies/lib/k8s.rego).
template_kinds := {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"}

pod_spec := input.spec if {
	input.kind == "Pod"
	is_object(input.spec)
}

pod_spec := input.spec.template.spec if {
	template_kinds[input.kind]
	is_object(input.spec.template.spec)
}

pod_spec := input.spec.jobTemplate.spec.template.spec if {
	input.kind == "CronJob"
	is_object(input.spec.jobTemplate.spec.template.spec)
}

pod_path := "spec" if input.kind == "Pod"

pod_path := "spec.template.spec" if template_kinds[input.kind]

pod_path := "spec.jobTemplate.spec.template.spec" if input.kind == "CronJob"

# Every container of the pod, init containers first, with its field path.
containers contains {"container": c, "name": object.get(c, "name", ""), "path": sprintf("%s.%s[%d]", [pod_path, field, i])} if {
	some field in ["initContainers", "containers"]
	some i, c in as_array(object.get(pod_spec, field, []))
}

as_object(x) := x if is_object(x)

as_object(x) := {} if not is_object(x)

as_array(x) := x if is_array(x)

as_array(x) := [] if not is_array(x)

pod_sc := as_object(object.get(pod_spec, "securityContext", {}))

sc(c) := as_object(object.get(c.container, "securityContext", {}))

object_name := sprintf("%s/%s", [input.kind, object.get(input.metadata, "name", "")])

# Kubernetes quantities, as policies/lib/k8s.rego reads them.
quantity_re := `^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[mkMGTPE]|[KMGTPE]i)?$`

small_re := `^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[nu]$`

quantity(q) := q if is_number(q)

quantity(q) := units.parse(q) if {
	is_string(q)
	regex.match(quantity_re, q)
}

quantity(q) := units.parse(substring(q, 0, count(q) - 1)) / {"n": 1000000000, "u": 1000000}[substring(q, count(q) - 1, 1)] if {
	is_string(q)
	regex.match(small_re, q)
}
