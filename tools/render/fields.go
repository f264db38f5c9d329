package render

import "github.com/flotilla-gitops/flotilla/tools/yamldoc"

// Field maps from generated objects back to the intent that produced them,
// so that a finding about a generated field points at the line to edit.

// placementFields maps a (Cluster)PropagationPolicy onto App.spec.placement.
func placementFields() yamldoc.FieldMap {
	return yamldoc.FieldMap{
		{"", "spec.placement"},
		{"spec.placement", "spec.placement"},
		{"spec.placement.clusterAffinity", "spec.placement"},
		{"spec.placement.clusterAffinity.clusterNames", "spec.placement.clusters"},
		{"spec.placement.clusterAffinity.exclude", "spec.placement.exclude"},
		{"spec.placement.clusterAffinity.labelSelector", "spec.placement.selector"},
		{"spec.placement.clusterAffinities", "spec.placement.groups"},
		{"spec.placement.clusterAffinities[*]", "spec.placement.groups[*]"},
		{"spec.placement.clusterAffinities[*].affinityName", "spec.placement.groups[*].name"},
		{"spec.placement.clusterAffinities[*].clusterNames", "spec.placement.groups[*].clusters"},
		{"spec.placement.clusterAffinities[*].exclude", "spec.placement.groups[*].exclude"},
		{"spec.placement.clusterAffinities[*].labelSelector", "spec.placement.groups[*].selector"},
		{"spec.placement.clusterTolerations", "spec.placement.tolerations"},
		{"spec.placement.spreadConstraints", "spec.placement.spread"},
		{"spec.placement.spreadConstraints[*].spreadByField", "spec.placement.spread[*].by"},
		{"spec.placement.spreadConstraints[*].spreadByLabel", "spec.placement.spread[*].label"},
		{"spec.placement.spreadConstraints[*].minGroups", "spec.placement.spread[*].min"},
		{"spec.placement.spreadConstraints[*].maxGroups", "spec.placement.spread[*].max"},
		{"spec.placement.replicaScheduling", "spec.placement.replicas"},
		{"spec.placement.replicaScheduling.replicaSchedulingType", "spec.placement.replicas.mode"},
		{"spec.placement.replicaScheduling.replicaDivisionPreference", "spec.placement.replicas.division"},
		{"spec.placement.replicaScheduling.weightPreference", "spec.placement.replicas"},
		{"spec.placement.replicaScheduling.weightPreference.staticWeightList", "spec.placement.replicas.weights"},
		{"spec.placement.replicaScheduling.weightPreference.staticWeightList[*]", "spec.placement.replicas.weights[*]"},
		{"spec.placement.replicaScheduling.weightPreference.staticWeightList[*].weight", "spec.placement.replicas.weights[*].weight"},
		{"spec.placement.replicaScheduling.weightPreference.staticWeightList[*].targetCluster", "spec.placement.replicas.weights[*]"},
		{"spec.placement.replicaScheduling.weightPreference.staticWeightList[*].targetCluster.clusterNames", "spec.placement.replicas.weights[*].clusters"},
		{"spec.placement.replicaScheduling.weightPreference.staticWeightList[*].targetCluster.labelSelector", "spec.placement.replicas.weights[*].selector"},
		{"spec.failover", "spec.placement.failover"},
		{"spec.failover.application", "spec.placement.failover"},
		{"spec.failover.application.decisionConditions.tolerationSeconds", "spec.placement.failover.afterSeconds"},
		{"spec.failover.application.purgeMode", "spec.placement.failover.purge"},
		{"spec.failover.application.gracePeriodSeconds", "spec.placement.failover.gracePeriodSeconds"},
	}
}

// scheduleFields maps a Velero Schedule onto App.spec.backup.
func scheduleFields() yamldoc.FieldMap {
	return yamldoc.FieldMap{
		{"", "spec.backup"},
		{"spec.schedule", "spec.backup.schedule"},
		{"spec.template.ttl", "spec.backup.ttl"},
		{"spec.template.storageLocation", "spec.backup.location"},
		{"spec.template.includedNamespaces", "spec.namespace"},
	}
}

// clusterFields maps a Karmada Cluster onto its Cluster intent.
func clusterFields() yamldoc.FieldMap {
	return yamldoc.FieldMap{
		{"", "spec"},
		{"metadata.name", "metadata.name"},
		{"metadata.labels", "metadata.labels"},
		{"spec.provider", "spec.provider"},
		{"spec.region", "spec.region"},
		{"spec.zones", "spec.zone"},
		{"spec.taints", "spec.taints"},
		{"spec.syncMode", "spec.access.syncMode"},
		{"spec.apiEndpoint", "spec.access.apiEndpoint"},
	}
}

// edgeGroupFields maps a KubeEdge NodeGroup onto its EdgeGroup.
func edgeGroupFields() yamldoc.FieldMap {
	return yamldoc.FieldMap{
		{"", "spec"},
		{"metadata.name", "metadata.name"},
		{"spec.nodes", "spec.nodes"},
		{"spec.matchLabels", "spec.matchLabels"},
	}
}

// pointAt maps every field of a generated object to one intent field.
func pointAt(field string) yamldoc.FieldMap {
	return yamldoc.FieldMap{{"", field}}
}
