# METADATA
# title: Kubernetes object helpers
# description: |
#   Pod templates and their field paths, containers, environment variables
#   and resource quantities, shared by every rule family. Object-level: reads
#   its arguments, input.review and data.inventory only.
package flotilla.lib.k8s

# Kinds whose pod template is spec.template.
template_kinds := {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"}

# Kinds that run pods.
pod_kinds := template_kinds | {"Pod", "CronJob"}

# Kinds whose replicas Karmada divides and a PodDisruptionBudget protects.
replicated_kinds := {"Deployment", "ReplicaSet", "StatefulSet"}

# The pod of the object under review (see pod), its containers and its
# long-running containers. Rules rather than function calls, so every rule
# of the pack evaluated in the same query shares them.
review_pod := pod(input.review.object)

review_containers := containers(review_pod)

review_app_containers := app_containers(review_pod)

# pod(obj) describes the pod that obj runs, as
# {"spec": pod spec, "path": field path of the pod spec, "metadata": pod
# metadata, "metadata_path": its field path}. Undefined for other objects.
pod(obj) := {
	"spec": obj.spec,
	"path": "spec",
	"metadata": as_object(object.get(obj, "metadata", {})),
	"metadata_path": "metadata",
} if {
	obj.kind == "Pod"
	is_object(obj.spec)
}

pod(obj) := {
	"spec": obj.spec.template.spec,
	"path": "spec.template.spec",
	"metadata": as_object(object.get(obj.spec.template, "metadata", {})),
	"metadata_path": "spec.template.metadata",
} if {
	template_kinds[obj.kind]
	is_object(obj.spec.template.spec)
}

pod(obj) := {
	"spec": obj.spec.jobTemplate.spec.template.spec,
	"path": "spec.jobTemplate.spec.template.spec",
	"metadata": as_object(object.get(obj.spec.jobTemplate.spec.template, "metadata", {})),
	"metadata_path": "spec.jobTemplate.spec.template.metadata",
} if {
	obj.kind == "CronJob"
	is_object(obj.spec.jobTemplate.spec.template.spec)
}

# pod_labels(obj): the labels of the pods obj runs, read without building
# the pod (cheap enough to filter many objects by a selector first).
pod_labels(obj) := as_object(object.get(obj, ["metadata", "labels"], {})) if obj.kind == "Pod"

pod_labels(obj) := as_object(object.get(obj, ["spec", "template", "metadata", "labels"], {})) if template_kinds[obj.kind]

pod_labels(obj) := as_object(object.get(obj, ["spec", "jobTemplate", "spec", "template", "metadata", "labels"], {})) if {
	obj.kind == "CronJob"
}

# Pod template annotations and labels (empty objects when absent).
annotations(p) := as_object(object.get(p.metadata, "annotations", {}))

labels(p) := as_object(object.get(p.metadata, "labels", {}))

# containers(p) lists every container of pod p, init containers first, as
# {"container", "name", "path", "init", "sidecar"}: init is true for init
# containers, sidecar for native sidecars (init containers with
# restartPolicy: Always, which run for the pod's whole life).
containers(p) := array.concat(
	[_container(p.path, "initContainers", i, c) | some i, c in as_array(object.get(p.spec, "initContainers", []))],
	[_container(p.path, "containers", i, c) | some i, c in as_array(object.get(p.spec, "containers", []))],
)

_container(path, field, i, c) := {
	"container": c,
	"name": object.get(c, "name", ""),
	"path": sprintf("%s.%s[%d]", [path, field, i]),
	"init": _is_init(field),
	"sidecar": _is_sidecar(field, c),
}

_is_sidecar(field, c) if {
	field == "initContainers"
	c.restartPolicy == "Always"
}

default _is_sidecar(_, _) := false

_is_init(field) if field == "initContainers"

default _is_init(_) := false

# app_containers(p): the containers that run for the pod's whole life
# (regular containers and native sidecars).
app_containers(p) := [c | some c in containers(p); _long_running(c)]

_long_running(c) if not c.init

_long_running(c) if c.sidecar

# as_object(x) is x when it is an object, else {} (YAML null, missing).
as_object(x) := x if is_object(x)

as_object(x) := {} if not is_object(x)

# as_array(x) is x when it is an array, else [].
as_array(x) := x if is_array(x)

as_array(x) := [] if not is_array(x)

# --- environment ---------------------------------------------------------

# env(c, ns) maps each environment variable of container c to its source:
# {"value": "..."} or {"valueFrom": {...}}. Explicit env wins over envFrom;
# envFrom configMapRef is resolved through data.inventory in namespace ns.
# Later entries win over earlier ones, as the kubelet does.
env(c, ns) := object.union(_envfrom_vars(c, ns), _explicit_vars(c))

_explicit_vars(c) := {name: _env_source(e) |
	entries := as_array(object.get(c, "env", []))
	some i, e in entries
	name := e.name
	not _defined_later(entries, i, name)
}

_env_source(e) := {"value": e.value} if is_string(object.get(e, "value", null))

_env_source(e) := {"valueFrom": e.valueFrom} if {
	not is_string(object.get(e, "value", null))
	is_object(object.get(e, "valueFrom", null))
}

_env_source(e) := {"value": ""} if {
	not is_string(object.get(e, "value", null))
	not is_object(object.get(e, "valueFrom", null))
}

_defined_later(entries, i, name) if {
	some j, e in entries
	j > i
	e.name == name
}

_envfrom_pairs(c, ns) := [[name, value] |
	some src in as_array(object.get(c, "envFrom", []))
	cm := data.inventory.namespace[ns].v1.ConfigMap[src.configMapRef.name]
	some key, value in as_object(object.get(cm, "data", {}))
	name := concat("", [object.get(src, "prefix", ""), key])
]

_envfrom_vars(c, ns) := {name: {"value": value} |
	pairs := _envfrom_pairs(c, ns)
	some i, [name, value] in pairs
	not _pair_later(pairs, i, name)
}

_pair_later(pairs, i, name) if {
	some j, [n, _] in pairs
	j > i
	n == name
}

# env_unknown(c, ns): c takes variables from a source the linter cannot read
# (a Secret, or a ConfigMap that is not rendered), so an absent variable may
# still be set at run time.
env_unknown(c, ns) if {
	some src in as_array(object.get(c, "envFrom", []))
	not _envfrom_resolved(src, ns)
}

_envfrom_resolved(src, ns) if data.inventory.namespace[ns].v1.ConfigMap[src.configMapRef.name]

# env_value(c, ns, name): the literal value of a variable, when it has one.
env_value(c, ns, name) := env(c, ns)[name].value

# env_path(c) is the field path of the container's env list.
env_path(c) := sprintf("%s.env", [c.path])

# --- resources -------------------------------------------------------------

# Quantities in Kubernetes syntax: decimal or binary SI suffix, or exponent.
_quantity_re := `^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[mkMGTPE]|[KMGTPE]i)?$`

_small_re := `^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[nu]$`

# quantity(q) is the numeric value of a Kubernetes quantity ("500m" = 0.5,
# "1Gi" = 1073741824, "2G" = 2e9, 3 = 3); undefined when q is not one.
quantity(q) := q if is_number(q)

quantity(q) := units.parse(q) if {
	is_string(q)
	regex.match(_quantity_re, q)
}

quantity(q) := units.parse(substring(q, 0, count(q) - 1)) / _small_divisor[substring(q, count(q) - 1, 1)] if {
	is_string(q)
	regex.match(_small_re, q)
}

_small_divisor := {"n": 1000000000, "u": 1000000}

# limit(c, r) / request(c, r): a container's resource limit or request for
# resource r ("cpu", "memory"), as a number. The request defaults to the
# limit, as the API server does when only a limit is given.
limit(c, r) := quantity(c.container.resources.limits[r])

request(c, r) := quantity(c.container.resources.requests[r])

request(c, r) := limit(c, r) if not c.container.resources.requests[r]

# pod_request(p, r): the pod's effective request for resource r, as the
# scheduler computes it: the larger of the sum over regular containers and
# native sidecars, and the largest init container.
pod_request(p, r) := max({
	sum([v | some c in app_containers(p); v := _request_or_zero(c, r)]),
	max(array.concat([0], [v | some c in containers(p); c.init; not c.sidecar; v := _request_or_zero(c, r)])),
})

_request_or_zero(c, r) := v if v := request(c, r)

_request_or_zero(c, r) := 0 if not request(c, r)

# --- images ------------------------------------------------------------------

# image_parts(ref) splits an image reference into
# {"registry", "repository", "tag", "digest"} ("" when absent). The first
# path component is a registry when it holds "." or ":" or is "localhost".
image_parts(ref) := {
	"registry": registry,
	"repository": repo,
	"tag": tag,
	"digest": digest,
} if {
	[name_tag, digest] := _split_digest(ref)
	[name, tag] := _split_tag(name_tag)
	[registry, repo] := _split_registry(name)
}

_split_digest(ref) := [substring(ref, 0, i), substring(ref, i + 1, -1)] if {
	i := indexof(ref, "@")
	i >= 0
}

_split_digest(ref) := [ref, ""] if indexof(ref, "@") < 0

_split_tag(s) := [substring(s, 0, i), substring(s, i + 1, -1)] if {
	parts := split(s, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	i := (count(s) - count(last)) + indexof(last, ":")
}

_split_tag(s) := [s, ""] if {
	parts := split(s, "/")
	not contains(parts[count(parts) - 1], ":")
}

_split_registry(name) := [first, substring(name, count(first) + 1, -1)] if {
	first := split(name, "/")[0]
	contains(name, "/")
	_is_registry(first)
}

_split_registry(name) := ["", name] if {
	first := split(name, "/")[0]
	not _registry_prefix(name, first)
}

_registry_prefix(name, first) if {
	contains(name, "/")
	_is_registry(first)
}

_is_registry(s) if contains(s, ".")

_is_registry(s) if contains(s, ":")

_is_registry("localhost") := true

# --- tolerations -----------------------------------------------------------

# tolerates(tolerations, taint): some toleration tolerates the taint, with
# the semantics of k8s.io/api core/v1 Toleration.ToleratesTaint.
tolerates(tolerations, taint) if {
	some t in tolerations
	toleration_matches(t, taint)
}

toleration_matches(t, taint) if {
	_empty_or_equal(object.get(t, "effect", ""), object.get(taint, "effect", ""))
	_empty_or_equal(object.get(t, "key", ""), object.get(taint, "key", ""))
	_operator_matches(t, taint)
}

_empty_or_equal("", _) := true

_empty_or_equal(a, b) if {
	a != ""
	a == b
}

_operator_matches(t, _) if t.operator == "Exists"

_operator_matches(t, taint) if {
	object.get(t, "operator", "") in {"", "Equal"}
	object.get(t, "value", "") == object.get(taint, "value", "")
}
