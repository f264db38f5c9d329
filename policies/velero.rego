# METADATA
# title: Velero
# description: Velero Schedules and BackupStorageLocations.
package flotilla.velero

import data.flotilla.lib.fleet
import data.flotilla.lib.karmada

_obj := input.review.object

_ns := object.get(input.review, "namespace", "")

_velero(kind) if {
	_obj.kind == kind
	startswith(_obj.apiVersion, "velero.io/")
}

# METADATA
# title: Schedule without a TTL
# description: |
#   A Schedule whose template has no ttl keeps every backup for Velero's
#   default of 720h (30 days), whatever the app's retention needs: storage
#   grows unnoticed or backups expire earlier than the owners assume.
# related_resources:
#   - ref: https://velero.io/docs/v1.16/api-types/schedule/
#     description: Velero Schedule API type (template.ttl)
#   - ref: https://velero.io/docs/v1.16/how-velero-works/#set-a-backup-to-expire
#     description: Velero, backup expiry and the 720h default TTL
# custom:
#   id: VELERO-001
#   severity: error
#   remediation: Set spec.template.ttl explicitly (e.g. 168h0m0s).
#   scope: object
#   match:
#     kinds:
#       - apiGroups: [velero.io]
#         kinds: [Schedule]
schedule_without_ttl contains v if {
	_velero("Schedule")
	not _obj.spec.template.ttl
	v := {
		"msg": sprintf("Schedule %q has no spec.template.ttl: Velero's default 720h applies", [input.review.name]),
		"field": "spec.template",
	}
}

_read_only(o) if o.spec.accessMode == "ReadOnly"

# The object as it lands on cluster name (after overrides).
_variant(name) := v.object if {
	some v in input.flotilla.variants
	name in v.clusters
}

_variant(name) := _obj if {
	not _in_variants(name)
}

_in_variants(name) if {
	some v in input.flotilla.variants
	name in v.clusters
}

_storage(o) := [object.get(o.spec.objectStorage, "bucket", ""), object.get(o.spec.objectStorage, "prefix", "")]

# Where the location lands: input.flotilla.clusters when known, else the
# PropagationPolicies in data.inventory that select it.
_targets := fleet.landing_names if input.flotilla.clusters

_targets := karmada.propagated_to(_obj, _ns) if not input.flotilla.clusters

# METADATA
# title: Recovery-side BackupStorageLocation not ReadOnly
# description: |
#   When a DR site reads a source cluster's backups, its copy of the
#   location must be ReadOnly: a ReadWrite copy lets the recovery cluster's
#   Velero write to, and garbage-collect, the source's backups (expired or
#   "orphaned" backups are deleted from object storage). Checked on the
#   copies flotilla renders (velero/<location>-from-<source-cluster>) and
#   on any location that lands ReadWrite, with the same bucket and prefix, on
#   both a DR site and a cluster that recovers into it.
# scope: document
# related_resources:
#   - ref: https://velero.io/docs/v1.16/migration-case/
#     description: Velero cluster migration, configure the target's location ReadOnly
#   - ref: https://velero.io/docs/v1.16/api-types/backupstoragelocation/
#     description: Velero BackupStorageLocation accessMode (ReadWrite default)
# custom:
#   id: VELERO-002
#   severity: error
#   remediation: Set spec.accessMode ReadOnly on the recovery-side copy of the location.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: [velero.io]
#         kinds: [BackupStorageLocation]
dr_location_writable contains v if {
	_velero("BackupStorageLocation")
	some source, _ in data.flotilla.fleet.clusters
	endswith(input.review.name, concat("", ["-from-", source]))
	not _read_only(_obj)
	v := {
		"msg": sprintf("BackupStorageLocation %q is the recovery-side copy of %q's location but its accessMode is %s", [input.review.name, source, object.get(_obj.spec, "accessMode", "ReadWrite (default)")]),
		"field": "spec.accessMode",
	}
}

dr_location_writable contains v if {
	_velero("BackupStorageLocation")
	some site in _targets
	site in fleet.dr_sites
	some source in fleet.dr_sources(site)
	source in _targets
	on_site := _variant(site)
	not _read_only(on_site)
	not _read_only(_variant(source))
	_storage(on_site) == _storage(_variant(source))
	v := {
		"msg": sprintf("BackupStorageLocation %q lands ReadWrite on DR site %q and on its source %q with the same bucket and prefix", [input.review.name, site, source]),
		"field": "spec.accessMode",
	}
}
