# METADATA
# title: Spot capacity
# description: |
#   Workloads placed on spot capacity: a cluster in input.flotilla.clusters
#   whose spec.capacity.type is spot or mixed. Spot nodes are reclaimed with
#   a two-minute notice, so these workloads must drain gracefully and never
#   depend on a single pod.
package flotilla.spot

import data.flotilla.lib.fleet
import data.flotilla.lib.k8s
import data.flotilla.lib.selector

_obj := input.review.object

_ns := object.get(input.review, "namespace", "")

_pod := k8s.review_pod

_spot_clusters := sort([c.name |
	some c in fleet.landing
	c.spec.capacity.type in {"spot", "mixed"}
])

_on_spot if count(_spot_clusters) > 0

_where := concat(", ", _spot_clusters)

# METADATA
# title: Workload on spot without a PodDisruptionBudget
# description: |
#   When spot nodes are reclaimed they are drained; without a
#   PodDisruptionBudget the drain may evict every replica at once. A
#   PodDisruptionBudget in the same namespace must select the pods.
# related_resources:
#   - ref: https://kubernetes.io/docs/tasks/run-application/configure-pdb/
#     description: Kubernetes, specifying a disruption budget
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-interruptions.html
#     description: AWS, Spot Instance interruptions
# custom:
#   id: SPOT-001
#   severity: error
#   remediation: Add a PodDisruptionBudget (policy/v1) whose selector matches the pod labels, e.g. maxUnavailable 1.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Deployment, ReplicaSet, StatefulSet]
pdb_missing contains v if {
	_obj.kind in k8s.replicated_kinds
	_on_spot
	not _pdb_covers
	v := {
		"msg": sprintf("%s %q runs on spot capacity (%s) but no PodDisruptionBudget selects its pods", [_obj.kind, input.review.name, _where]),
		"field": _pod.metadata_path,
	}
}

_pdb_covers if {
	some api in ["policy/v1", "policy/v1beta1"]
	some pdb in data.inventory.namespace[_ns][api].PodDisruptionBudget
	selector.matches(pdb.spec.selector, k8s.labels(_pod))
}

# METADATA
# title: Container on spot without a preStop hook
# description: |
#   A preStop hook lets the container stop taking traffic (fail readiness,
#   wait for endpoints to update) before SIGTERM, so the two-minute spot
#   notice ends in a clean hand-over instead of failed requests.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/
#     description: Kubernetes, container lifecycle hooks (preStop)
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
#     description: AWS, Spot Instance interruption notices (two minutes)
# custom:
#   id: SPOT-002
#   severity: warning
#   remediation: Add lifecycle.preStop (e.g. a short sleep) so endpoints drain before the container stops.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Deployment, ReplicaSet, StatefulSet]
prestop_missing contains v if {
	_obj.kind in k8s.replicated_kinds
	_on_spot
	some c in k8s.review_app_containers
	not c.container.lifecycle.preStop
	v := {
		"msg": sprintf("container %q runs on spot capacity (%s) without a preStop hook", [c.name, _where]),
		"field": c.path,
	}
}

_grace := object.get(_pod.spec, "terminationGracePeriodSeconds", 30)

# METADATA
# title: Termination grace period longer than the spot notice
# description: |
#   Spot capacity is reclaimed two minutes after the interruption notice; a
#   terminationGracePeriodSeconds above 110 (leaving time for the drain to
#   start) is cut short and the pod is killed mid-shutdown. The default is
#   30 seconds.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
#     description: AWS, two-minute Spot Instance interruption notice
#   - ref: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
#     description: Kubernetes, termination of pods
# custom:
#   id: SPOT-003
#   severity: error
#   remediation: Set terminationGracePeriodSeconds to 110 or less, or keep the workload off spot capacity.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController, CronJob]
grace_too_long contains v if {
	_on_spot
	_grace > 110
	v := {
		"msg": sprintf("%s %q runs on spot capacity (%s) with terminationGracePeriodSeconds %v, longer than the 2-minute interruption notice allows (max 110)", [_obj.kind, input.review.name, _where, _grace]),
		"field": sprintf("%s.terminationGracePeriodSeconds", [_pod.path]),
	}
}

_predicted_total := sum([r | some c in fleet.landing; r := c.replicas; is_number(r)])

_singleton if object.get(_obj.spec, "replicas", 1) == 1

_singleton if {
	some c in fleet.landing
	is_number(c.replicas)
	_predicted_total == 1
}

# METADATA
# title: Singleton placed only on spot capacity
# description: |
#   A single replica on spot-only clusters goes down with every interruption
#   and waits for new capacity: an outage each time. Run at least two
#   replicas or add on-demand capacity to the placement.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-best-practices.html
#     description: AWS, best practices for EC2 Spot (be flexible, tolerate interruption)
#   - ref: https://karmada.io/docs/userguide/scheduling/resource-propagating/
#     description: Karmada, propagating resources and dividing replicas
# custom:
#   id: SPOT-004
#   severity: error
#   remediation: Raise replicas to at least 2 or include on-demand clusters in the placement.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Deployment, ReplicaSet, StatefulSet]
singleton_on_spot contains v if {
	_obj.kind in k8s.replicated_kinds
	count(fleet.landing) > 0
	every c in fleet.landing {
		c.spec.capacity.type == "spot"
	}
	_singleton
	v := {
		"msg": sprintf("%s %q runs a single replica only on spot clusters (%s)", [_obj.kind, input.review.name, _where]),
		"field": "spec.replicas",
	}
}
