# METADATA
# title: Karmada policies
# description: |
#   PropagationPolicy, ClusterPropagationPolicy, OverridePolicy and
#   ClusterOverridePolicy objects (policy.karmada.io), checked against
#   Karmada v1.13.1's behaviour and, for the placement-level rules, the
#   fleet in data.flotilla.fleet.clusters.
package flotilla.karmada

import data.flotilla.lib.k8s
import data.flotilla.lib.karmada

_obj := input.review.object

_policy_kind(kind) if {
	_obj.kind == kind
	startswith(_obj.apiVersion, "policy.karmada.io/")
}

_propagation if _policy_kind("PropagationPolicy")

_propagation if _policy_kind("ClusterPropagationPolicy")

_override if _policy_kind("OverridePolicy")

_override if _policy_kind("ClusterOverridePolicy")

_placement := object.get(_obj.spec, "placement", {}) if _propagation

_strategy := _placement.replicaScheduling

# An explicit replicaScheduling without a type is Divided (CRD default).
_divided if {
	is_object(_strategy)
	object.get(_strategy, "replicaSchedulingType", "") in {"", "Divided"}
}

# METADATA
# title: Divided replicas without an explicit division preference
# description: |
#   Karmada fills the gaps silently: Divided without
#   replicaDivisionPreference becomes Weighted (mutating webhook), and
#   Weighted without weightPreference splits replicas equally over every
#   candidate cluster. The placement then depends on defaults nobody wrote
#   down; state the preference and the weights.
# scope: document
# related_resources:
#   - ref: https://karmada.io/docs/userguide/scheduling/resource-propagating/#multiple-strategies-of-replica-scheduling
#     description: Karmada, replica scheduling strategies
#   - ref: https://github.com/karmada-io/karmada/blob/v1.13.1/pkg/scheduler/core/assignment.go
#     description: karmada-scheduler, static weight assignment defaults
# custom:
#   id: KARMADA-001
#   severity: error
#   remediation: Set replicaDivisionPreference (Aggregated or Weighted) and, for Weighted, a weightPreference (staticWeightList or dynamicWeight).
#   scope: object
#   match:
#     kinds:
#       - apiGroups: [policy.karmada.io]
#         kinds: [PropagationPolicy, ClusterPropagationPolicy]
division_unspecified contains v if {
	_propagation
	_divided
	object.get(_strategy, "replicaDivisionPreference", "") == ""
	v := {
		"msg": sprintf("%s %q divides replicas without replicaDivisionPreference", [_obj.kind, input.review.name]),
		"field": "spec.placement.replicaScheduling",
	}
}

division_unspecified contains v if {
	_propagation
	_divided
	_strategy.replicaDivisionPreference == "Weighted"
	not is_object(object.get(_strategy, "weightPreference", null))
	v := {
		"msg": sprintf("%s %q divides replicas Weighted without weightPreference", [_obj.kind, input.review.name]),
		"field": "spec.placement.replicaScheduling",
	}
}

# Every cluster affinity of the object, with its field path.
_affinities contains [a, "spec.placement.clusterAffinity"] if {
	a := _placement.clusterAffinity
	is_object(a)
}

_affinities contains [a, sprintf("spec.placement.clusterAffinities[%d]", [i])] if {
	some i, a in k8s.as_array(_placement.clusterAffinities)
}

_affinities contains [w.targetCluster, sprintf("spec.placement.replicaScheduling.weightPreference.staticWeightList[%d].targetCluster", [i])] if {
	some i, w in k8s.as_array(_strategy.weightPreference.staticWeightList)
}

_affinities contains [r.targetCluster, sprintf("spec.overrideRules[%d].targetCluster", [i])] if {
	_override
	some i, r in k8s.as_array(_obj.spec.overrideRules)
	is_object(r.targetCluster)
}

_affinities contains [_obj.spec.targetCluster, "spec.targetCluster"] if {
	_override
	is_object(_obj.spec.targetCluster)
}

# METADATA
# title: Policy names clusters that are not in the fleet
# description: |
#   Karmada matches clusterNames and exclude by name without checking them:
#   a typo or a removed cluster silently selects nothing (or excludes
#   nothing), and a static weight for it is ignored.
# related_resources:
#   - ref: https://karmada.io/docs/userguide/scheduling/resource-propagating/#deploy-deployment-into-a-specified-set-of-target-members
#     description: Karmada, clusterAffinity clusterNames and exclude
# custom:
#   id: KARMADA-002
#   severity: error
#   remediation: Use the names of clusters defined under clusters/ (or remove the stale name).
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: [policy.karmada.io]
#         kinds: [PropagationPolicy, ClusterPropagationPolicy, OverridePolicy, ClusterOverridePolicy]
unknown_cluster contains v if {
	data.flotilla.fleet.clusters
	some [a, path] in _affinities
	some field in ["clusterNames", "exclude"]
	some j, name in k8s.as_array(object.get(a, field, []))
	not karmada.clusters[name]
	v := {
		"msg": sprintf("%s %q names cluster %q, which is not in the fleet", [_obj.kind, input.review.name, name]),
		"field": sprintf("%s.%s[%d]", [path, field, j]),
	}
}

_tolerations := k8s.as_array(object.get(_placement, "clusterTolerations", []))

# The affinity terms the scheduler may use: clusterAffinities in order, or
# the single clusterAffinity (null: every cluster).
_affinity_terms := k8s.as_array(object.get(_placement, "clusterAffinities", []))

_terms := _affinity_terms if count(_affinity_terms) > 0

_terms := [object.get(_placement, "clusterAffinity", null)] if count(_affinity_terms) == 0

# METADATA
# title: Spread constraint needs more groups than the clusters offer
# description: |
#   minGroups asks the scheduler for replicas in at least that many distinct
#   clusters, regions, zones, providers or label values; when the clusters the
#   affinity selects (and the tolerations admit) offer fewer, every
#   scheduling attempt fails. Karmada Cluster fields provider, region and
#   zone are the Cluster intent's spec fields.
# related_resources:
#   - ref: https://karmada.io/docs/userguide/scheduling/resource-propagating/#spreadconstraints
#     description: Karmada, spread constraints
#   - ref: https://github.com/karmada-io/karmada/blob/v1.13.1/pkg/util/selector.go
#     description: Karmada ClusterMatches (affinity matching)
# custom:
#   id: KARMADA-003
#   severity: error
#   remediation: Lower minGroups, or widen the affinity so the selected clusters span enough groups.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: [policy.karmada.io]
#         kinds: [PropagationPolicy, ClusterPropagationPolicy]
spread_unsatisfiable contains v if {
	_propagation
	data.flotilla.fleet.clusters
	some i, c in k8s.as_array(_placement.spreadConstraints)
	min := object.get(c, "minGroups", 0)
	min > 0
	key := karmada.spread_key(c)
	counts := [n | some t in _terms; n := count(karmada.groups(karmada.candidates(t, _tolerations), c))]
	count(counts) > 0
	every n in counts {
		n < min
	}
	v := {
		"msg": sprintf("%s %q spreads over at least %d %s group(s) but the selected clusters offer %s", [_obj.kind, input.review.name, min, key, concat(" / ", [sprintf("%d", [n]) | some n in counts])]),
		"field": sprintf("spec.placement.spreadConstraints[%d].minGroups", [i]),
	}
}

# Kinds Karmada v1.13.1 interprets health for without configuration:
# pkg/resourceinterpreter/default/native/healthy.go and the third-party
# customizations shipped in .../default/thirdparty/resourcecustomizations
# that define healthInterpretation.
builtin_health := {
	"apps/v1": {"Deployment", "StatefulSet", "ReplicaSet", "DaemonSet"},
	"v1": {"Service", "PersistentVolumeClaim", "Pod"},
	"networking.k8s.io/v1": {"Ingress"},
	"policy/v1": {"PodDisruptionBudget"},
	"argoproj.io/v1alpha1": {"Workflow"},
	"flink.apache.org/v1beta1": {"FlinkDeployment"},
	"kustomize.toolkit.fluxcd.io/v1": {"Kustomization"},
	"helm.toolkit.fluxcd.io/v2beta1": {"HelmRelease"},
	"kyverno.io/v1": {"Policy", "ClusterPolicy"},
	"apps.kruise.io/v1beta1": {"StatefulSet"},
	"apps.kruise.io/v1alpha1": {"BroadcastJob", "DaemonSet", "CloneSet"},
	"source.toolkit.fluxcd.io/v1": {"GitRepository"},
	"source.toolkit.fluxcd.io/v1beta2": {"OCIRepository", "HelmRepository", "Bucket", "HelmChart"},
}

_config_api := "config.karmada.io/v1alpha1"

_health_known(rs) if rs.kind in builtin_health[rs.apiVersion]

_health_known(rs) if {
	some ric in data.inventory.cluster[_config_api].ResourceInterpreterCustomization
	ric.spec.target.apiVersion == rs.apiVersion
	ric.spec.target.kind == rs.kind
	ric.spec.customizations.healthInterpretation
}

_health_known(rs) if {
	some cfg in data.inventory.cluster[_config_api].ResourceInterpreterWebhookConfiguration
	some hook in k8s.as_array(cfg.webhooks)
	some rule in k8s.as_array(hook.rules)
	_any_of(rule.operations, "InterpretHealth")
	_any_of(rule.apiGroups, _group(rs.apiVersion))
	_any_of(rule.apiVersions, _version(rs.apiVersion))
	_any_of(rule.kinds, rs.kind)
}

_any_of(list, x) if x in list

_any_of(list, _) if "*" in list

_group(api) := "" if not contains(api, "/")

_group(api) := split(api, "/")[0] if contains(api, "/")

_version(api) := api if not contains(api, "/")

_version(api) := split(api, "/")[1] if contains(api, "/")

# METADATA
# title: Application failover for a kind without health interpretation
# description: |
#   Application failover moves a workload when Karmada sees it unhealthy,
#   but Karmada only interprets health for the kinds its native and bundled
#   third-party interpreters know (Deployment, StatefulSet, ReplicaSet,
#   DaemonSet, Service, Ingress, PVC, Pod, PDB, some Kruise, Flux, Argo
#   Workflows, Flink and Kyverno kinds). For any other kind (a Job, a CRD)
#   health stays Unknown and failover never triggers, unless a
#   ResourceInterpreterCustomization (or interpreter webhook) defines
#   healthInterpretation.
# related_resources:
#   - ref: https://karmada.io/docs/userguide/failover/application-failover/
#     description: Karmada, application failover
#   - ref: https://karmada.io/docs/userguide/globalview/customizing-resource-interpreter/
#     description: Karmada, customizing the resource interpreter (healthInterpretation)
#   - ref: https://github.com/karmada-io/karmada/blob/v1.13.1/pkg/resourceinterpreter/default/native/healthy.go
#     description: Karmada v1.13.1 native health interpreters
# custom:
#   id: KARMADA-004
#   severity: error
#   remediation: Add a ResourceInterpreterCustomization with healthInterpretation for the kind, or drop failover.application.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: [policy.karmada.io]
#         kinds: [PropagationPolicy, ClusterPropagationPolicy]
failover_without_health contains v if {
	_propagation
	is_object(_obj.spec.failover.application)
	some i, rs in k8s.as_array(_obj.spec.resourceSelectors)
	not _health_known(rs)
	v := {
		"msg": sprintf("%s %q enables application failover for %s %s, whose health Karmada cannot interpret", [_obj.kind, input.review.name, rs.apiVersion, rs.kind]),
		"field": sprintf("spec.resourceSelectors[%d]", [i]),
	}
}

_effects := {"", "NoSchedule", "PreferNoSchedule", "NoExecute"}

# _problems: [index, problem] for every clusterToleration the Kubernetes
# core validation would reject.
_problems contains [i, sprintf("operator %q is not Exists or Equal: it never tolerates anything", [t.operator])] if {
	some i, t in _tolerations
	not object.get(t, "operator", "") in {"", "Equal", "Exists"}
}

_problems contains [i, sprintf("operator Exists with value %q: the value is ignored and every value of the key is tolerated", [t.value])] if {
	some i, t in _tolerations
	t.operator == "Exists"
	object.get(t, "value", "") != ""
}

_problems contains [i, sprintf("effect %q is not NoSchedule, PreferNoSchedule or NoExecute: it matches no taint", [t.effect])] if {
	some i, t in _tolerations
	not object.get(t, "effect", "") in _effects
}

_problems contains [i, "an empty key needs operator Exists"] if {
	some i, t in _tolerations
	object.get(t, "key", "") == ""
	object.get(t, "operator", "") != "Exists"
}

_problems contains [i, "tolerationSeconds only applies to effect NoExecute"] if {
	some i, t in _tolerations
	object.get(t, "tolerationSeconds", null) != null
	object.get(t, "effect", "") != "NoExecute"
}

# METADATA
# title: Invalid cluster toleration
# description: |
#   Karmada v1.13.1 does not validate clusterTolerations (ValidatePlacement
#   checks affinities and spread constraints only), so tolerations the
#   Kubernetes API would reject for pods (core ValidateTolerations) are
#   accepted and then misbehave in the scheduler's ToleratesTaint: an unknown
#   operator or effect tolerates nothing, Exists with a value tolerates every
#   value, an empty key needs Exists, tolerationSeconds needs NoExecute.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
#     description: Kubernetes, taints and tolerations (operators and effects)
#   - ref: https://karmada.io/docs/userguide/scheduling/resource-propagating/
#     description: Karmada, resource propagating (clusterTolerations)
#   - ref: https://github.com/karmada-io/karmada/blob/v1.13.1/pkg/util/validation/validation.go
#     description: Karmada v1.13.1 placement validation (no toleration checks)
# custom:
#   id: KARMADA-005
#   severity: error
#   remediation: Use operator Exists (no value) or Equal (with value), and effect NoSchedule, PreferNoSchedule or NoExecute.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: [policy.karmada.io]
#         kinds: [PropagationPolicy, ClusterPropagationPolicy]
invalid_toleration contains v if {
	_propagation
	some [i, problem] in _problems
	v := {
		"msg": sprintf("%s %q clusterTolerations[%d]: %s", [_obj.kind, input.review.name, i, problem]),
		"field": sprintf("spec.placement.clusterTolerations[%d]", [i]),
	}
}
