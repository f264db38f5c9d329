package render

import "github.com/flotilla-gitops/flotilla/tools/yamldoc"

// Field maps from generated objects back to the intent that produced them,
// so that a finding about a generated field points at the line to edit.

// placementFields maps a (Cluster)PropagationPolicy onto App.spec.placement.
func placementFields() yamldoc.FieldMap {
	return yamldoc.FieldMap{
		{From: "", To: "spec.placement"},
		{From: "spec.placement", To: "spec.placement"},
		{From: "spec.placement.clusterAffinity", To: "spec.placement"},
		{From: "spec.placement.clusterAffinity.clusterNames", To: "spec.placement.clusters"},
		{From: "spec.placement.clusterAffinity.exclude", To: "spec.placement.exclude"},
		{From: "spec.placement.clusterAffinity.labelSelector", To: "spec.placement.selector"},
		{From: "spec.placement.clusterAffinities", To: "spec.placement.groups"},
		{From: "spec.placement.clusterAffinities[*]", To: "spec.placement.groups[*]"},
		{From: "spec.placement.clusterAffinities[*].affinityName", To: "spec.placement.groups[*].name"},
		{From: "spec.placement.clusterAffinities[*].clusterNames", To: "spec.placement.groups[*].clusters"},
		{From: "spec.placement.clusterAffinities[*].exclude", To: "spec.placement.groups[*].exclude"},
		{From: "spec.placement.clusterAffinities[*].labelSelector", To: "spec.placement.groups[*].selector"},
		{From: "spec.placement.clusterTolerations", To: "spec.placement.tolerations"},
		{From: "spec.placement.spreadConstraints", To: "spec.placement.spread"},
		{From: "spec.placement.spreadConstraints[*].spreadByField", To: "spec.placement.spread[*].by"},
		{From: "spec.placement.spreadConstraints[*].spreadByLabel", To: "spec.placement.spread[*].label"},
		{From: "spec.placement.spreadConstraints[*].minGroups", To: "spec.placement.spread[*].min"},
		{From: "spec.placement.spreadConstraints[*].maxGroups", To: "spec.placement.spread[*].max"},
		{From: "spec.placement.replicaScheduling", To: "spec.placement.replicas"},
		{From: "spec.placement.replicaScheduling.replicaSchedulingType", To: "spec.placement.replicas.mode"},
		{From: "spec.placement.replicaScheduling.replicaDivisionPreference", To: "spec.placement.replicas.division"},
		{From: "spec.placement.replicaScheduling.weightPreference", To: "spec.placement.replicas"},
		{From: "spec.placement.replicaScheduling.weightPreference.staticWeightList", To: "spec.placement.replicas.weights"},
		{From: "spec.placement.replicaScheduling.weightPreference.staticWeightList[*]", To: "spec.placement.replicas.weights[*]"},
		{From: "spec.placement.replicaScheduling.weightPreference.staticWeightList[*].weight", To: "spec.placement.replicas.weights[*].weight"},
		{From: "spec.placement.replicaScheduling.weightPreference.staticWeightList[*].targetCluster", To: "spec.placement.replicas.weights[*]"},
		{From: "spec.placement.replicaScheduling.weightPreference.staticWeightList[*].targetCluster.clusterNames", To: "spec.placement.replicas.weights[*].clusters"},
		{From: "spec.placement.replicaScheduling.weightPreference.staticWeightList[*].targetCluster.labelSelector", To: "spec.placement.replicas.weights[*].selector"},
		{From: "spec.failover", To: "spec.placement.failover"},
		{From: "spec.failover.application", To: "spec.placement.failover"},
		{From: "spec.failover.application.decisionConditions.tolerationSeconds", To: "spec.placement.failover.afterSeconds"},
		{From: "spec.failover.application.purgeMode", To: "spec.placement.failover.purge"},
		{From: "spec.failover.application.gracePeriodSeconds", To: "spec.placement.failover.gracePeriodSeconds"},
	}
}

// scheduleFields maps a Velero Schedule onto App.spec.backup.
func scheduleFields() yamldoc.FieldMap {
	return yamldoc.FieldMap{
		{From: "", To: "spec.backup"},
		{From: "spec.schedule", To: "spec.backup.schedule"},
		{From: "spec.template.ttl", To: "spec.backup.ttl"},
		{From: "spec.template.storageLocation", To: "spec.backup.location"},
		{From: "spec.template.includedNamespaces", To: "spec.namespace"},
	}
}

// clusterFields maps a Karmada Cluster onto its Cluster intent.
func clusterFields() yamldoc.FieldMap {
	return yamldoc.FieldMap{
		{From: "", To: "spec"},
		{From: "metadata.name", To: "metadata.name"},
		{From: "metadata.labels", To: "metadata.labels"},
		{From: "spec.provider", To: "spec.provider"},
		{From: "spec.region", To: "spec.region"},
		{From: "spec.zones", To: "spec.zone"},
		{From: "spec.taints", To: "spec.taints"},
		{From: "spec.syncMode", To: "spec.access.syncMode"},
		{From: "spec.apiEndpoint", To: "spec.access.apiEndpoint"},
	}
}

// edgeGroupFields maps a KubeEdge NodeGroup onto its EdgeGroup.
func edgeGroupFields() yamldoc.FieldMap {
	return yamldoc.FieldMap{
		{From: "", To: "spec"},
		{From: "metadata.name", To: "metadata.name"},
		{From: "spec.nodes", To: "spec.nodes"},
		{From: "spec.matchLabels", To: "spec.matchLabels"},
	}
}

// pointAt maps every field of a generated object to one intent field.
func pointAt(field string) yamldoc.FieldMap {
	return yamldoc.FieldMap{{From: "", To: field}}
}
