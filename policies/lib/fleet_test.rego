package flotilla.lib.fleet_test

import data.flotilla.lib.fixtures_test as fx
import data.flotilla.lib.fleet

_fleet := {
	"clusters": {
		"eu-1": fx.fleet_cluster("eu-1", object.union(fx.cloud_spec("eu-west-1", "on-demand"), {"drPartner": "us-dr"}), {"tier": "prod"}),
		"eu-2": fx.fleet_cluster("eu-2", fx.cloud_spec("eu-west-1", "spot"), {"tier": "prod"}),
		"us-dr": fx.fleet_cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), {"tier": "dr"}),
		"ap-dr": fx.fleet_cluster("ap-dr", fx.cloud_spec("ap-south-1", "on-demand"), {"tier": "dr"}),
		"edge-1": fx.fleet_cluster("edge-1", object.union(fx.cloud_spec("eu-west-1", "on-demand"), {"kind": "edge"}), {}),
	},
	"apps": {
		"shop": {"metadata": {"name": "shop"}, "spec": {
			"namespace": "shop",
			"placement": {"regions": ["eu-west-1"], "exclude": ["edge-1"]},
			"backup": {"schedule": "@hourly", "recoveryCluster": "ap-dr"},
		}},
		"web": {"metadata": {"name": "web"}, "spec": {
			"namespace": "web",
			"placement": {"groups": [{"name": "main", "clusters": ["eu-2"]}]},
			"backup": {"schedule": "@hourly", "recoveryCluster": "ap-dr"},
			"spot": {"allowed": true},
		}},
	},
}

test_dr_sites if {
	fleet.dr_sites == {"us-dr", "ap-dr"} with data.flotilla.fleet as _fleet
}

test_dr_sources if {
	fleet.dr_sources("us-dr") == {"eu-1"} with data.flotilla.fleet as _fleet
	fleet.dr_sources("ap-dr") == {"eu-1", "eu-2"} with data.flotilla.fleet as _fleet
}

test_app_clusters if {
	fleet.app_clusters(_fleet.apps.shop) == {"eu-1"} with data.flotilla.fleet as _fleet
	fleet.app_clusters(_fleet.apps.web) == {"eu-2"} with data.flotilla.fleet as _fleet
	tainted := object.union(_fleet, {"clusters": {"eu-1": {"spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}}}})
	fleet.app_clusters(_fleet.apps.shop) == set() with data.flotilla.fleet as tainted
}

test_dr_sites_without_fleet if {
	fleet.dr_sites == set()
}

test_cluster_spec_prefers_input if {
	inp := {"flotilla": {"clusters": [fx.cluster("eu-1", object.union(fx.cloud_spec("eu-west-1", "on-demand"), {"kind": "edge"}), 1)]}}
	fleet.is_edge("eu-1") with input as inp with data.flotilla.fleet as _fleet
	fleet.is_edge("edge-1") with input as inp with data.flotilla.fleet as _fleet
	not fleet.is_edge("eu-2") with input as inp with data.flotilla.fleet as _fleet
	fleet.cluster_spec("eu-1").kind == "edge" with input as inp with data.flotilla.fleet as _fleet
	fleet.cluster_spec("eu-2").kind == "cloud" with input as inp with data.flotilla.fleet as _fleet
}

test_selection_affinity if {
	fleet.selection_affinity({"clusters": ["a"], "regions": ["r"], "selector": {"matchLabels": {"x": "y"}}}) == {
		"clusterNames": ["a"],
		"exclude": [],
		"labelSelector": {"matchLabels": {"x": "y"}},
		"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "In", "values": ["r"]}]},
	}
}

test_kernel_versions if {
	fleet.kernel_version("5.10.0-21-amd64") == [5, 10]
	fleet.kernel_version("6.1") == [6, 1]
	not fleet.kernel_version("linux")
	fleet.version_less([4, 19], [5, 8])
	fleet.version_less([5, 4], [5, 8])
	not fleet.version_less([5, 8], [5, 8])
	not fleet.version_less([5, 10], [5, 8])
	not fleet.version_less([6, 0], [5, 8])
}
