# METADATA
# title: KubeEdge clusters
# description: |
#   Workloads as they land on edge clusters (spec.kind edge), that is the
#   entries of input.flotilla.variants after flotilla's OverridePolicies: the
#   pod template must target the edge nodes of the app's EdgeGroups,
#   tolerate their taint, fit their capacity and pull from their registry
#   mirror.
# custom:
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController, CronJob]
package flotilla.edge

import data.flotilla.lib.fleet
import data.flotilla.lib.k8s

_default_taint := {"key": "node-role.kubernetes.io/edge", "effect": "NoSchedule"}

_edge_label := "node-role.kubernetes.io/edge"

# _landings: one entry per variant that reaches edge clusters:
# {"pod", "clusters" (edge cluster names), "where" (for messages)}.
_landings contains l if {
	some variant in input.flotilla.variants
	p := k8s.pod(variant.object)
	edge := sort([n | some n in variant.clusters; n in fleet.edge_names])
	count(edge) > 0
	l := {"pod": p, "clusters": edge, "where": concat(", ", edge)}
}

# The EdgeGroups (intents) that hold cluster name.
_groups(name) := [g |
	some g in k8s.as_array(input.flotilla.edgeGroups)
	name in g.spec.clusters
]

# _group_landings: a landing paired with each EdgeGroup of its clusters.
_group_landings contains [l, g] if {
	some l in _landings
	some n in l.clusters
	some g in _groups(n)
}

_taint(g) := g.spec.taint if is_object(object.get(g.spec, "taint", null))

_taint(g) := _default_taint if not is_object(object.get(g.spec, "taint", null))

# The taints a landing must tolerate: its groups' taints, or the default
# edge taint for clusters whose group is not known.
_taints(l) := {t |
	some n in l.clusters
	some t in _cluster_taints(n)
}

_cluster_taints(n) := {_taint(g) | some g in _groups(n)} if count(_groups(n)) > 0

_cluster_taints(n) := {_default_taint} if count(_groups(n)) == 0

_selects_edge(p) if _edge_label in object.keys(k8s.as_object(object.get(p.spec, "nodeSelector", {})))

_selects_edge(p) if {
	terms := p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
	count(terms) > 0
	every term in terms {
		_term_selects_edge(term)
	}
}

_term_selects_edge(term) if {
	some e in k8s.as_array(object.get(term, "matchExpressions", []))
	e.key == _edge_label
	e.operator in {"In", "Exists"}
}

# METADATA
# title: Pod template does not select edge nodes
# description: |
#   Edge clusters mix cloud-side nodes with KubeEdge edge nodes; without a
#   nodeSelector (or required node affinity) on node-role.kubernetes.io/edge
#   the pod may land on a cloud-side node of the edge cluster. Flotilla's
#   edge OverridePolicy adds the selector for apps that list the EdgeGroup.
# related_resources:
#   - ref: https://github.com/kubeedge/kubeedge/blob/master/docs/proposals/node-group-management.md
#     description: KubeEdge node groups and edge node labels
#   - ref: https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/
#     description: Kubernetes, assigning pods to nodes
# custom:
#   id: EDGE-001
#   severity: error
#   remediation: List the EdgeGroup in the app's spec.edge.groups (flotilla adds the selector) or add nodeSelector node-role.kubernetes.io/edge "".
#   scope: placement
node_selector_missing contains v if {
	some l in _landings
	not _selects_edge(l.pod)
	v := {
		"msg": sprintf("on edge cluster(s) %s the pod template does not select edge nodes (node-role.kubernetes.io/edge)", [l.where]),
		"field": sprintf("%s.nodeSelector", [l.pod.path]),
	}
}

# METADATA
# title: Pod template does not tolerate the edge taint
# description: |
#   Edge nodes carry the EdgeGroup's taint (default
#   node-role.kubernetes.io/edge:NoSchedule) to keep cloud workloads off;
#   a pod that does not tolerate it stays Pending on the edge cluster.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
#     description: Kubernetes, taints and tolerations
#   - ref: https://github.com/kubeedge/kubeedge/blob/master/docs/proposals/node-group-management.md
#     description: KubeEdge node groups
# custom:
#   id: EDGE-002
#   severity: error
#   remediation: Add a toleration for the EdgeGroup's taint (flotilla's edge override does this for listed groups).
#   scope: placement
taint_not_tolerated contains v if {
	some l in _landings
	some t in _taints(l)
	not k8s.tolerates(k8s.as_array(object.get(l.pod.spec, "tolerations", [])), t)
	v := {
		"msg": sprintf("on edge cluster(s) %s the pod template does not tolerate taint %s=%s:%s", [l.where, t.key, object.get(t, "value", ""), t.effect]),
		"field": sprintf("%s.tolerations", [l.pod.path]),
	}
}

# METADATA
# title: Pod requests exceed the edge node capacity
# description: |
#   Edge nodes are small; a pod whose effective requests (the sum over its
#   containers, or its largest init container) exceed the EdgeGroup's
#   nodeCapacity can never be scheduled there.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#how-pods-with-resource-requests-are-scheduled
#     description: Kubernetes, how pods with resource requests are scheduled
#   - ref: https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers
#     description: Kubernetes, effective requests with init containers
# custom:
#   id: EDGE-003
#   severity: error
#   remediation: Lower the requests for edge clusters (an override in the App) below the EdgeGroup's nodeCapacity.
#   scope: placement
exceeds_capacity contains v if {
	some [l, g] in _group_landings
	some r in ["cpu", "memory"]
	capacity := k8s.quantity(g.spec.nodeCapacity[r])
	requested := k8s.pod_request(l.pod, r)
	requested > capacity
	v := {
		"msg": sprintf("on edge cluster(s) %s the pod requests %v %s, more than EdgeGroup %q node capacity %v", [l.where, requested, r, g.metadata.name, g.spec.nodeCapacity[r]]),
		"field": l.pod.path,
	}
}

# METADATA
# title: Image not pulled from the edge registry mirror
# description: |
#   Edge sites often have no route to public registries, or a slow one; an
#   image that is not pulled from the EdgeGroup's registryMirror fails with
#   ImagePullBackOff or stalls the rollout.
# related_resources:
#   - ref: https://karmada.io/docs/userguide/scheduling/override-policy/#imageoverrider
#     description: Karmada OverridePolicy imageOverrider (registry replacement)
#   - ref: https://github.com/kubeedge/kubeedge/blob/master/docs/proposals/node-group-management.md
#     description: KubeEdge node groups (per-group overrides of images)
# custom:
#   id: EDGE-004
#   severity: error
#   remediation: List the EdgeGroup in the app's spec.edge.groups (flotilla rewrites the registry) or reference the mirror explicitly.
#   scope: placement
registry_not_mirrored contains v if {
	some [l, g] in _group_landings
	mirror := trim_suffix(g.spec.registryMirror, "/")
	mirror != ""
	some c in k8s.containers(l.pod)
	image := object.get(c.container, "image", "")
	not startswith(image, concat("", [mirror, "/"]))
	v := {
		"msg": sprintf("on edge cluster(s) %s container %q pulls %q, not from EdgeGroup %q registry mirror %s", [l.where, c.name, image, g.metadata.name, mirror]),
		"field": sprintf("%s.image", [c.path]),
	}
}

# METADATA
# title: hostNetwork on the edge without declaring it
# description: |
#   hostNetwork puts the pod in the edge node's network namespace: it can
#   bind the gateway's ports and see all its traffic. Only apps that declare
#   spec.edge.hostNetwork true (packet forwarders, gateways) may use it.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     description: Pod Security Standards, Baseline forbids host namespaces
# custom:
#   id: EDGE-005
#   severity: error
#   remediation: Remove hostNetwork, or declare spec.edge.hostNetwork true in the App.
#   scope: placement
host_network_undeclared contains v if {
	some l in _landings
	l.pod.spec.hostNetwork == true
	not input.flotilla.app.spec.edge.hostNetwork == true
	v := {
		"msg": sprintf("on edge cluster(s) %s the pod uses hostNetwork but the app does not declare spec.edge.hostNetwork", [l.where]),
		"field": sprintf("%s.hostNetwork", [l.pod.path]),
	}
}
