package flotilla.velero_test

import data.flotilla.lib.fixtures_test as fx
import data.flotilla.velero

_schedule(template) := {
	"apiVersion": "velero.io/v1",
	"kind": "Schedule",
	"metadata": {"name": "shop", "namespace": "velero"},
	"spec": {"schedule": "0 */6 * * *", "template": template},
}

# --- VELERO-001 ---------------------------------------------------------------

test_velero001_without_ttl if {
	vs := velero.schedule_without_ttl with input as fx.review(_schedule({"includedNamespaces": ["shop"]}))
	{v.field | some v in vs} == {"spec.template"}
}

test_velero001_with_ttl_passes if {
	count(velero.schedule_without_ttl) == 0 with input as fx.review(_schedule({"includedNamespaces": ["shop"], "ttl": "168h0m0s"}))
}

test_velero001_other_kinds_ignored if {
	obj := {"apiVersion": "example.com/v1", "kind": "Schedule", "metadata": {"name": "x", "namespace": "y"}, "spec": {}}
	count(velero.schedule_without_ttl) == 0 with input as fx.review(obj)
}

# --- VELERO-002 ---------------------------------------------------------------

_bsl(name, spec) := {
	"apiVersion": "velero.io/v1",
	"kind": "BackupStorageLocation",
	"metadata": {"name": name, "namespace": "velero"},
	"spec": object.union({"provider": "aws", "objectStorage": {"bucket": "backups", "prefix": "eu-1"}}, spec),
}

_fleet := {
	"clusters": {
		"eu-1": fx.fleet_cluster("eu-1", object.union(fx.cloud_spec("eu-west-1", "on-demand"), {"drPartner": "us-dr"}), {"tier": "prod"}),
		"us-dr": fx.fleet_cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), {"tier": "dr"}),
		"eu-2": fx.fleet_cluster("eu-2", fx.cloud_spec("eu-central-1", "on-demand"), {"tier": "prod"}),
	},
	"apps": {},
}

test_velero002_recovery_copy_read_write if {
	inp := fx.placed(_bsl("default-from-eu-1", {}), {"clusters": [fx.cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), null)]})
	vs := velero.dr_location_writable with input as inp with data.flotilla.fleet as _fleet
	{v.field | some v in vs} == {"spec.accessMode"}
}

test_velero002_recovery_copy_read_only_passes if {
	inp := fx.placed(_bsl("default-from-eu-1", {"accessMode": "ReadOnly"}), {"clusters": [fx.cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), null)]})
	count(velero.dr_location_writable) == 0 with input as inp with data.flotilla.fleet as _fleet
}

test_velero002_shared_location_on_source_and_site if {
	inp := fx.placed(_bsl("default", {}), {"clusters": [
		fx.cluster("eu-1", fx.cloud_spec("eu-west-1", "on-demand"), null),
		fx.cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), null),
	]})
	vs := velero.dr_location_writable with input as inp with data.flotilla.fleet as _fleet
	some v in vs
	contains(v.msg, `DR site "us-dr"`)
}

test_velero002_per_cluster_prefix_passes if {
	obj := _bsl("default", {})
	inp := fx.placed(obj, {
		"clusters": [
			fx.cluster("eu-1", fx.cloud_spec("eu-west-1", "on-demand"), null),
			fx.cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), null),
		],
		"variants": [
			{"clusters": ["eu-1"], "object": obj},
			{"clusters": ["us-dr"], "object": _bsl("default", {"objectStorage": {"prefix": "us-dr"}})},
		],
	})
	count(velero.dr_location_writable) == 0 with input as inp with data.flotilla.fleet as _fleet
}

test_velero002_site_alone_passes if {
	inp := fx.placed(_bsl("default", {}), {"clusters": [fx.cluster("us-dr", fx.cloud_spec("us-east-1", "on-demand"), null)]})
	count(velero.dr_location_writable) == 0 with input as inp with data.flotilla.fleet as _fleet
}

test_velero002_from_propagation_policy if {
	pp := {
		"apiVersion": "policy.karmada.io/v1alpha1",
		"kind": "PropagationPolicy",
		"metadata": {"name": "bsl", "namespace": "velero"},
		"spec": {
			"resourceSelectors": [{"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "name": "default"}],
			"placement": {"clusterAffinity": {"clusterNames": ["eu-1", "us-dr"]}},
		},
	}
	inv := {"namespace": {"velero": {"policy.karmada.io/v1alpha1": {"PropagationPolicy": {"bsl": pp}}}}}
	vs := velero.dr_location_writable with input as fx.review(_bsl("default", {})) with data.flotilla.fleet as _fleet with data.inventory as inv
	count(vs) == 1
}

test_velero002_silent_without_flotilla if {
	count(velero.dr_location_writable) == 0 with input as fx.review(_bsl("default-from-eu-1", {}))
}
