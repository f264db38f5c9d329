# METADATA
# title: Network exposure
# description: |
#   Debug and profiling endpoints (net/http/pprof and friends) must stay
#   inside the pod network, and Ingresses must terminate TLS. A debug port is
#   a containerPort 6060 or a port named pprof or debug (or any name
#   containing pprof). Rules judge what each object shows itself and use
#   the rest of the set to add evidence: a LoadBalancer or NodePort Service
#   port, or an Ingress backend, numbered 6060 or named pprof or debug is
#   flagged even when the pods behind it are not in the set.
package flotilla.exposure

import data.flotilla.lib.k8s
import data.flotilla.lib.selector

_obj := input.review.object

_ns := object.get(input.review, "namespace", "")

# debug_port(p): the container port p serves a debugger or profiler.
debug_port(p) if p.containerPort == 6060

debug_port(p) if lower(p.name) in {"pprof", "debug"}

debug_port(p) if contains(lower(p.name), "pprof")

# selected(ns, sel): the pod-running objects of namespace ns whose pods the
# Service selector sel selects, as {"kind", "name", "pod"}: the objects
# _pod_index lists under every pair of the selector.
selected(ns, sel) := [w |
	is_object(sel)
	count(sel) > 0
	refs := intersection({_pods_labelled([ns, k, v]) | some k, v in sel})
	some [api, kind, name] in refs
	w := {"kind": kind, "name": name, "pod": k8s.pod(data.inventory.namespace[ns][api][kind][name])}
]

# _pod_index maps [namespace, label key, label value] to the pod-running
# objects of data.inventory whose pods carry that label, as [apiVersion,
# kind, name]. It reads data alone, so it is built once per run and a
# Service finds the pods it selects by lookup, not by scanning its
# namespace. (The grouping compares with variables the comprehension
# closes over, the form OPA indexes: one pass over the labels.)
_pod_index := {[ns, k, v]: refs |
	some [ns, k, v, _, _, _] in _pod_labels
	refs := {[t[3], t[4], t[5]] | some t in _pod_labels; t[0] == ns; t[1] == k; t[2] == v}
}

# (object.get would read an array key as a path.)
_pods_labelled(key) := _pod_index[key]

_pods_labelled(key) := set() if not _pod_index[key]

_pod_labels contains [ns, k, v, api, kind, name] if {
	some ns, apis in data.inventory.namespace
	some api, kinds in apis
	some kind, objs in kinds
	kind in k8s.pod_kinds
	some name, o in objs
	some k, v in k8s.pod_labels(o)
}

# The workloads the Service under review selects (shared by its ports).
_review_selected := selected(_ns, _obj.spec.selector) if _obj.kind == "Service"

_target_port(sp) := object.get(sp, "targetPort", sp.port)

_reaches(sp, cp) if {
	tp := _target_port(sp)
	is_number(tp)
	tp == cp.containerPort
}

_reaches(sp, cp) if {
	tp := _target_port(sp)
	is_string(tp)
	tp == cp.name
}

# debug_targets(workloads, sp): the debug ports of the workloads that the
# Service port sp forwards to, as readable strings.
debug_targets(workloads, sp) := {t |
	some w in workloads
	some c in k8s.containers(w.pod)
	some cp in k8s.as_array(object.get(c.container, "ports", []))
	debug_port(cp)
	_reaches(sp, cp)
	t := sprintf("%s/%s container %q port %v", [w.kind, w.name, c.name, _port_text(cp)])
}

_port_text(cp) := sprintf("%v (%s)", [cp.containerPort, cp.name]) if cp.name

_port_text(cp) := sprintf("%v", [cp.containerPort]) if not cp.name

# METADATA
# title: Service exposes a debug port
# description: |
#   pprof and debug endpoints leak memory contents, goroutine stacks and
#   command lines, and let anyone trigger expensive profiles. A Service (of
#   any type) that forwards to one makes it reachable beyond the pod; reach
#   it with kubectl port-forward instead.
# related_resources:
#   - ref: https://pkg.go.dev/net/http/pprof
#     description: net/http/pprof serves profiles and goroutine dumps
#   - ref: https://kubernetes.io/docs/concepts/services-networking/service/
#     description: Kubernetes Services, selector and targetPort
# custom:
#   id: EXP-001
#   severity: error
#   remediation: Remove the debug port from the Service; use kubectl port-forward to reach it.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Service]
service_debug_port contains v if {
	_obj.kind == "Service"
	count(_review_selected) > 0
	some i, sp in k8s.as_array(_obj.spec.ports)
	targets := debug_targets(_review_selected, sp)
	count(targets) > 0
	v := {
		"msg": sprintf("Service %q port %v reaches debug port(s): %s", [input.review.name, sp.port, concat(", ", sort(targets))]),
		"field": sprintf("spec.ports[%d]", [i]),
	}
}

# The Service's own ports are evidence too, when its pods are not in the
# set (a folder of Services, a chart split across repositories) or do not
# show the port: a port numbered 6060, or named pprof or debug, published
# outside the cluster by a LoadBalancer or NodePort.
service_debug_port contains v if {
	_obj.kind == "Service"
	_obj.spec.type in {"LoadBalancer", "NodePort"}
	some i, sp in k8s.as_array(_obj.spec.ports)
	count(debug_targets(_review_selected, sp)) == 0
	some why in own_debug_evidence(sp)
	v := {
		"msg": sprintf("Service %q (%s) publishes port %v, a debug port by its %s", [input.review.name, _obj.spec.type, sp.port, why]),
		"field": sprintf("spec.ports[%d]", [i]),
	}
}

# own_debug_evidence(sp): why a Service port is a debug port by what it
# shows itself.
own_debug_evidence(sp) := (({"number 6060" | sp.port == 6060} | {"targetPort 6060" | object.get(sp, "targetPort", 0) == 6060}) | {sprintf("name %q", [sp.name]) | _debug_name(object.get(sp, "name", 0))}) | {sprintf("targetPort %q", [sp.targetPort]) | _debug_name(object.get(sp, "targetPort", 0))}

_debug_name(n) if {
	is_string(n)
	debug_port({"name": n})
}

# METADATA
# title: hostPort on a debug port
# description: |
#   A hostPort publishes the port on every node's address, outside any
#   NetworkPolicy, so a pprof or debug endpoint becomes reachable from the
#   node network.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/overview/#services
#     description: Kubernetes configuration best practices, avoid hostPort
#   - ref: https://pkg.go.dev/net/http/pprof
#     description: net/http/pprof
# custom:
#   id: EXP-002
#   severity: error
#   remediation: Remove hostPort from the debug port.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController, CronJob]
host_debug_port contains v if {
	some c in k8s.review_containers
	some j, cp in k8s.as_array(object.get(c.container, "ports", []))
	debug_port(cp)
	object.get(cp, "hostPort", 0) != 0
	v := {
		"msg": sprintf("container %q publishes debug port %s on hostPort %v", [c.name, _port_text(cp), cp.hostPort]),
		"field": sprintf("%s.ports[%d].hostPort", [c.path, j]),
	}
}

# Every Service backend of an Ingress, with its field path.
_backends contains [b.service, "spec.defaultBackend"] if {
	b := _obj.spec.defaultBackend
	b.service
}

_backends contains [p.backend.service, sprintf("spec.rules[%d].http.paths[%d].backend", [i, j])] if {
	some i, rule in k8s.as_array(_obj.spec.rules)
	some j, p in k8s.as_array(rule.http.paths)
	p.backend.service
}

_service_port_matches(sp, port) if sp.port == port.number

_service_port_matches(sp, port) if {
	port.name
	sp.name == port.name
}

# METADATA
# title: Ingress routes to a debug port
# description: |
#   An Ingress backend whose Service port forwards to a pprof or debug
#   endpoint publishes it on the load balancer, usually to the Internet.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/services-networking/ingress/
#     description: Kubernetes Ingress backends
#   - ref: https://pkg.go.dev/net/http/pprof
#     description: net/http/pprof
# custom:
#   id: EXP-003
#   severity: error
#   remediation: Route the Ingress to the application port only.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Ingress]
ingress_debug_port contains v if {
	_obj.kind == "Ingress"
	some [backend, field] in _backends
	svc := data.inventory.namespace[_ns].v1.Service[backend.name]
	some sp in k8s.as_array(svc.spec.ports)
	_service_port_matches(sp, backend.port)
	targets := debug_targets(selected(_ns, svc.spec.selector), sp)
	count(targets) > 0
	v := {
		"msg": sprintf("Ingress %q routes to Service %q port %v, which reaches debug port(s): %s", [input.review.name, backend.name, sp.port, concat(", ", sort(targets))]),
		"field": field,
	}
}

# An Ingress backend is a debug endpoint by its own port, when the Service
# or its pods are not in the set to show more: a port number 6060 or a
# port name pprof or debug.
ingress_debug_port contains v if {
	_obj.kind == "Ingress"
	some [backend, field] in _backends
	not _backend_reaches_debug(backend)
	some why in _backend_evidence(backend)
	v := {
		"msg": sprintf("Ingress %q routes to Service %q port %v, a debug port by its %s", [input.review.name, backend.name, _backend_port(backend), why]),
		"field": field,
	}
}

_backend_reaches_debug(backend) if {
	svc := data.inventory.namespace[_ns].v1.Service[backend.name]
	some sp in k8s.as_array(svc.spec.ports)
	_service_port_matches(sp, backend.port)
	count(debug_targets(selected(_ns, svc.spec.selector), sp)) > 0
}

_backend_evidence(backend) := ({"number 6060" | backend.port.number == 6060} | {sprintf("name %q", [backend.port.name]) | _debug_name(object.get(backend.port, "name", 0))}) | _service_evidence(backend)

# The Service in the set adds its ports' own evidence.
_service_evidence(backend) := {sprintf("Service port's %s", [why]) |
	svc := data.inventory.namespace[_ns].v1.Service[backend.name]
	some sp in k8s.as_array(svc.spec.ports)
	_service_port_matches(sp, backend.port)
	some why in own_debug_evidence(sp)
}

_backend_port(backend) := backend.port.number if backend.port.number

_backend_port(backend) := backend.port.name if not backend.port.number

# METADATA
# title: Ingress without TLS
# scope: document
# description: |
#   Without a tls section the Ingress serves plain HTTP, and a host missing
#   from the tls hosts gets the controller's default certificate. Every
#   host must be covered by TLS.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/services-networking/ingress/#tls
#     description: Kubernetes Ingress TLS
# custom:
#   id: EXP-004
#   severity: error
#   remediation: Add spec.tls with a certificate Secret covering every host of the Ingress.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Ingress]
ingress_without_tls contains v if {
	_obj.kind == "Ingress"
	count(k8s.as_array(object.get(_obj.spec, "tls", []))) == 0
	v := {
		"msg": sprintf("Ingress %q has no TLS", [input.review.name]),
		"field": "spec",
	}
}

ingress_without_tls contains v if {
	_obj.kind == "Ingress"
	tls := k8s.as_array(object.get(_obj.spec, "tls", []))
	count(tls) > 0
	some i, rule in k8s.as_array(_obj.spec.rules)
	host := rule.host
	not _host_covered(host, tls)
	v := {
		"msg": sprintf("Ingress %q host %q is not covered by any tls entry", [input.review.name, host]),
		"field": sprintf("spec.rules[%d].host", [i]),
	}
}

_host_covered(_, tls) if {
	some t in tls
	count(k8s.as_array(object.get(t, "hosts", []))) == 0
}

_host_covered(host, tls) if {
	some t in tls
	some h in k8s.as_array(t.hosts)
	_host_matches(h, host)
}

_host_matches(h, host) if h == host

_host_matches(h, host) if {
	startswith(h, "*.")
	suffix := substring(h, 1, -1)
	endswith(host, suffix)
	not contains(trim_suffix(host, suffix), ".")
}
