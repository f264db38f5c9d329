package yamldoc

import "testing"

func TestFieldMap(t *testing.T) {
	m := FieldMap{
		{"", "spec.placement"},
		{"spec.placement.clusterTolerations", "spec.placement.tolerations"},
		{"spec.placement.spreadConstraints[*].minGroups", "spec.placement.spread[*].min"},
		{"spec.placement.spreadConstraints", "spec.placement.spread"},
		{"spec.placement.replicaScheduling.weightPreference.staticWeightList[*].targetCluster.clusterNames", "spec.placement.replicas.weights[*].clusters"},
		{"spec.schedule", "spec.backup.schedule"},
	}
	for in, want := range map[string]string{
		"spec.placement.spreadConstraints[1].minGroups":                                                       "spec.placement.spread[1].min",
		"spec.placement.spreadConstraints[1].maxGroups":                                                       "spec.placement.spread[1].maxGroups",
		"spec.placement.clusterTolerations[0]":                                                                "spec.placement.tolerations[0]",
		"spec.placement.clusterTolerations[0].operator":                                                       "spec.placement.tolerations[0].operator",
		"spec.placement.replicaScheduling.weightPreference.staticWeightList[2].targetCluster.clusterNames[0]": "spec.placement.replicas.weights[2].clusters[0]",
		"spec.resourceSelectors[0]":                                                                           "spec.placement",
		"spec.schedule":                                                                                       "spec.backup.schedule",
	} {
		if got := m.Map(in); got != want {
			t.Errorf("Map(%q) = %q, want %q", in, got, want)
		}
	}
	if got := (FieldMap{{"a", "b"}}).Map("c"); got != "" {
		t.Errorf("no match and no fallback: %q", got)
	}
}
