# METADATA
# title: Spot capacity
# description: |
#   Workloads placed on spot capacity: a cluster in input.flotilla.clusters
#   whose spec.capacity.type is spot or mixed. Spot nodes are reclaimed with
#   a two-minute notice, so these workloads must drain gracefully and never
#   depend on a single pod. Also the in-cluster autoscaling that answers a
#   reclaim (Karpenter NodePools, KEDA ScaledObjects) and the apps' spot
#   objectives against Karmada's predicted division.
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

_on_spot if {
	count(_spot_clusters) > 0
	not _never_on_spot
}

# _never_on_spot: the pod can only run on on-demand nodes wherever it
# lands — a node selector for on-demand capacity, or every required node
# affinity term ruling spot out (the <name>-on-demand workload flotilla
# renders for a spot division) — so spot reclaims never reach it.
_never_on_spot if {
	some key, value in _on_demand_labels
	_pod.spec.nodeSelector[key] == value
}

_never_on_spot if {
	terms := _pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
	count(terms) > 0
	every term in terms {
		_term_excludes_spot(term)
	}
}

# _on_demand_labels are the node labels that say on-demand, by
# autoscaler: Karpenter's, and EKS managed node groups'.
_on_demand_labels := {"karpenter.sh/capacity-type": "on-demand", "eks.amazonaws.com/capacityType": "ON_DEMAND"}

_spot_values := {"karpenter.sh/capacity-type": "spot", "eks.amazonaws.com/capacityType": "SPOT"}

_term_excludes_spot(term) if {
	some req in term.matchExpressions
	spot := _spot_values[req.key]
	req.operator == "NotIn"
	spot in req.values
}

_term_excludes_spot(term) if {
	some req in term.matchExpressions
	spot := _spot_values[req.key]
	req.operator == "In"
	not spot in req.values
}

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

_karpenter_types := {"NodePool"}

_requirement(np, key) := r if {
	some r in np.spec.template.spec.requirements
	r.key == key
}

_capacity_types(np) := {v | some v in _requirement(np, "karpenter.sh/capacity-type").values}

_spot_only(np) if _capacity_types(np) == {"spot"}

# METADATA
# title: Spot NodePool with fewer instance types than it requires
# description: |
#   A spot NodePool's instance-type requirement with minValues makes
#   Karpenter keep that many distinct types in every launch decision, so one
#   type's reclaim wave takes a slice of the capacity, not all of it; a pool
#   that offers fewer types than its minValues cannot launch a node at all,
#   and a spot pool of fewer than 15 types cannot consolidate spot into spot.
# related_resources:
#   - ref: https://karpenter.sh/docs/concepts/nodepools/#min-values
#     description: Karpenter, NodePool requirements with minValues
#   - ref: https://karpenter.sh/docs/concepts/disruption/#spot-consolidation
#     description: Karpenter, spot-to-spot consolidation needs 15 instance types
# custom:
#   id: SPOT-005
#   severity: error
#   remediation: List at least minValues instance types in the pool (spec.spot.pools[].instanceTypes), 15 or more for spot, or lower spec.spot.minInstanceTypes.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["karpenter.sh"]
#         kinds: [NodePool]
nodepool_too_few_types contains v if {
	_obj.kind in _karpenter_types
	_spot_only(_obj)
	some i, r in _obj.spec.template.spec.requirements
	r.key == "node.kubernetes.io/instance-type"
	r.operator == "In"
	offered := count({t | some t in r.values})
	wanted := max({object.get(r, "minValues", 0), 1})
	offered < wanted
	v := {
		"msg": sprintf("spot NodePool %q offers %d instance type(s) and requires %d in every launch decision: Karpenter cannot launch a node", [input.review.name, offered, wanted]),
		"field": sprintf("spec.template.spec.requirements[%d].values", [i]),
	}
}

nodepool_too_few_types contains v if {
	_obj.kind in _karpenter_types
	_spot_only(_obj)
	some i, r in _obj.spec.template.spec.requirements
	r.key == "node.kubernetes.io/instance-type"
	r.operator == "In"
	offered := count({t | some t in r.values})
	offered >= object.get(r, "minValues", 0)
	offered < 15
	v := {
		"msg": sprintf("spot NodePool %q offers %d instance type(s): one type's reclaim wave can empty it, and Karpenter consolidates spot into spot only with 15 or more", [input.review.name, offered]),
		"field": sprintf("spec.template.spec.requirements[%d].values", [i]),
	}
}

_on_demand_pool if {
	some api, kinds in data.inventory.cluster
	startswith(api, "karpenter.sh/")
	some np in kinds.NodePool
	"on-demand" in _capacity_types(np)
}

_on_demand_pool if "on-demand" in _capacity_types(_obj)

_fallback_declared if {
	count(fleet.landing) > 0
	every c in fleet.landing {
		c.spec.spot.onDemandFallback
	}
}

# METADATA
# title: Spot NodePool without an on-demand fall-back
# description: |
#   When every spot pool of a cluster is reclaimed or out of capacity at
#   once, pods wait for spot to come back unless a NodePool that buys
#   on-demand capacity (of lower weight) exists: the fall-back has to be in
#   the cluster before the reclaim, since Git cannot answer a two-minute
#   notice.
# related_resources:
#   - ref: https://karpenter.sh/docs/concepts/scheduling/#fallback
#     description: Karpenter, weighted NodePools and fall-back
#   - ref: https://github.com/aws/karpenter-provider-aws/issues/4026
#     description: Karpenter users on falling back to on-demand when spot runs out
# custom:
#   id: SPOT-006
#   severity: error
#   remediation: Declare spec.spot.onDemandFallback on the cluster (flotilla renders an on-demand NodePool of lower weight), or allow on-demand in the NodePool's capacity types.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["karpenter.sh"]
#         kinds: [NodePool]
nodepool_no_fallback contains v if {
	_obj.kind in _karpenter_types
	_spot_only(_obj)
	not _on_demand_pool
	not _fallback_declared
	some i, r in _obj.spec.template.spec.requirements
	r.key == "karpenter.sh/capacity-type"
	v := {
		"msg": sprintf("spot NodePool %q has no on-demand NodePool to fall back to: a reclaim wave leaves its pods pending until spot returns", [input.review.name]),
		"field": sprintf("spec.template.spec.requirements[%d]", [i]),
	}
}

# METADATA
# title: ScaledObject without a fallback
# description: |
#   When its metrics source fails (Prometheus down, a query that errors),
#   KEDA keeps the last replica count or scales to its minimum; a fallback
#   holds the workload at a known-safe count after a few failed reads
#   instead, which matters most when spot reclaims and a metrics outage
#   come together.
# related_resources:
#   - ref: https://keda.sh/docs/2.16/reference/scaledobject-spec/#fallback
#     description: KEDA, ScaledObject fallback
# custom:
#   id: SPOT-007
#   severity: error
#   remediation: Set spec.fallback (failureThreshold and replicas), e.g. spec.scaling.metrics.fallbackReplicas in the App.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["keda.sh"]
#         kinds: [ScaledObject]
scaledobject_no_fallback contains v if {
	_obj.kind == "ScaledObject"
	not _obj.spec.fallback.replicas
	v := {
		"msg": sprintf("ScaledObject %q has no fallback: a failing metrics source leaves the workload's replica count to chance", [input.review.name]),
		"field": "spec.fallback",
	}
}

_objective := input.flotilla.app.spec.spot.objective

# _divided_kinds are the workloads an objective's division applies to.
_divided_kinds := {"Deployment", "StatefulSet"}

# _divided_app: the app has a spot division (spec.spot.division), which
# renders its Deployment as up to three workloads (the Deployment, its
# -on-demand and -spot-only variants), each holding only part of the app.
# An object then cannot be judged against the objective alone; flotilla's
# cross-checks judge the division as a whole (minReady, on-demand floor,
# hedges, caps) before anything renders.
_divided_app if count(input.flotilla.app.spec.spot.division) > 0

_on_demand_replicas := sum([r | some c in fleet.landing; c.spec.capacity.type == "on-demand"; r := c.replicas; is_number(r)])

# METADATA
# title: Spot objective the placement cannot keep
# description: |
#   An app's spot objective says how many replicas must be ready and how
#   many stay on on-demand clusters; Karmada's division of the workload (as
#   the placement preview predicts it) must give at least that many, or no
#   spot price can make the objective hold. Apps with a spot division are
#   judged by flotilla's cross-checks instead (each rendered workload holds
#   only part of such an app).
# related_resources:
#   - ref: https://karmada.io/docs/userguide/scheduling/resource-propagating/#replica-scheduling
#     description: Karmada, dividing replicas by static weights
# custom:
#   id: SPOT-008
#   severity: error
#   remediation: Raise the workload's replicas or the weights of on-demand clusters, or lower spec.spot.objective.minReady / onDemandFloor.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: ["apps"]
#         kinds: [Deployment, StatefulSet]
objective_unmet contains v if {
	_obj.kind in _divided_kinds
	_objective
	not _divided_app
	count(fleet.landing) > 0
	_predicted_total < _objective.minReady
	v := {
		"msg": sprintf("%s %q is divided into %d replica(s), fewer than the %d its spot objective needs ready", [_obj.kind, input.review.name, _predicted_total, _objective.minReady]),
		"field": "spec.replicas",
	}
}

objective_unmet contains v if {
	_obj.kind in _divided_kinds
	_objective
	not _divided_app
	count(fleet.landing) > 0
	floor := object.get(_objective, "onDemandFloor", 0)
	_on_demand_replicas < floor
	v := {
		"msg": sprintf("%s %q has %d replica(s) on on-demand clusters, below its spot objective's on-demand floor of %d", [_obj.kind, input.review.name, _on_demand_replicas, floor]),
		"field": "spec.replicas",
	}
}

_region_replicas[region] := sum([r | some c in fleet.landing; c.spec.region == region; r := c.replicas; is_number(r)]) if {
	some c in fleet.landing
	region := c.spec.region
}

# METADATA
# title: One cluster or region holds more than the spot objective allows
# description: |
#   Spot reclaims and capacity shortages are correlated within a cluster and
#   within a region; the objective's maxClusterPercent and maxRegionPercent
#   bound how much of the app one of them may hold. Weights a rebalance (or a
#   person) commits must keep Karmada's division within them. Apps with a
#   spot division are judged by flotilla's cross-checks instead, on the
#   on-demand and spot replicas of the division.
# related_resources:
#   - ref: https://arxiv.org/abs/2411.01438
#     description: SkyServe (SpotHedge), spreading spot replicas over regions
# custom:
#   id: SPOT-009
#   severity: error
#   remediation: Move weight to other clusters or regions (spec.placement.replicas.weights), or raise the objective's caps.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: ["apps"]
#         kinds: [Deployment, StatefulSet]
share_exceeded contains v if {
	_obj.kind in _divided_kinds
	_objective
	not _divided_app
	_predicted_total > 0
	some c in fleet.landing
	is_number(c.replicas)
	limit := object.get(_objective, "maxClusterPercent", 100)
	c.replicas * 100 > limit * _predicted_total
	v := {
		"msg": sprintf("%s %q puts %d of %d replicas on %s, more than the %d%% one cluster may hold", [_obj.kind, input.review.name, c.replicas, _predicted_total, c.name, limit]),
		"field": "spec.replicas",
	}
}

share_exceeded contains v if {
	_obj.kind in _divided_kinds
	_objective
	not _divided_app
	_predicted_total > 0
	some region, n in _region_replicas
	limit := object.get(_objective, "maxRegionPercent", 100)
	n * 100 > limit * _predicted_total
	v := {
		"msg": sprintf("%s %q puts %d of %d replicas in region %s, more than the %d%% one region may hold", [_obj.kind, input.review.name, n, _predicted_total, region, limit]),
		"field": "spec.replicas",
	}
}
