# METADATA
# title: Disaster recovery
# description: |
#   Apps with spec.backup must be backed up by a Velero Schedule often
#   enough for their RPO, recover into a cluster of another region, and keep
#   a warm standby where they declare one. App-level findings (DR-001,
#   DR-003) are reported on the app's Namespace object when flotilla renders
#   one (data.inventory.cluster.v1.Namespace), else on each of the app's
#   workloads.
package flotilla.dr

import data.flotilla.lib.fleet
import data.flotilla.lib.k8s
import data.flotilla.lib.karmada
import data.flotilla.lib.schedule

_obj := input.review.object

_app := input.flotilla.app

_backup := _app.spec.backup

_app_ns := _app.spec.namespace

# _anchor: the object under review carries the app-level DR findings.
_anchor if {
	_obj.kind == "Namespace"
	_obj.metadata.name == _app_ns
}

_anchor if {
	_obj.kind in k8s.pod_kinds
	not data.inventory.cluster.v1.Namespace[_app_ns]
}

_anchor_field := "metadata.name" if _obj.kind == "Namespace"

_anchor_field := "metadata" if _obj.kind != "Namespace"

_schedules := data.inventory.namespace.velero["velero.io/v1"].Schedule

# includes(template, ns): a Velero backup template includes namespace ns
# (no includedNamespaces means all of them, "*" too).
includes(t, ns) if {
	_included(k8s.as_array(object.get(t, "includedNamespaces", [])), ns)
	not ns in k8s.as_array(object.get(t, "excludedNamespaces", []))
}

_included(list, _) if count(list) == 0

_included(list, ns) if ns in list

_included(list, _) if "*" in list

# METADATA
# title: App with backup but no Velero Schedule
# description: |
#   spec.backup promises backups, but only a Velero Schedule takes them:
#   without one in the velero namespace that includes the app's namespace,
#   the first restore finds nothing. Reported on the app's Namespace object
#   when rendered, else on each of its workloads.
# related_resources:
#   - ref: https://velero.io/docs/v1.16/api-types/schedule/
#     description: Velero Schedule API type (template.includedNamespaces)
#   - ref: https://velero.io/docs/v1.16/disaster-case/
#     description: Velero disaster recovery with scheduled backups
# custom:
#   id: DR-001
#   severity: error
#   remediation: Let flotilla render the app's Schedule (spec.backup.schedule) or add a Schedule in namespace velero that includes the app's namespace.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: [""]
#         kinds: [Namespace]
#       - apiGroups: ["*"]
#         kinds: [Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController, CronJob]
schedule_missing contains v if {
	is_object(_backup)
	_anchor
	not _covered(_app_ns)
	v := {
		"msg": sprintf("app %q declares spec.backup but no Velero Schedule in namespace velero includes namespace %q", [_app.metadata.name, _app_ns]),
		"field": _anchor_field,
	}
}

_covered(ns) if {
	some s in _schedules
	includes(object.get(s.spec, "template", {}), ns)
}

# Apps whose RPO a Schedule must honour: the app it belongs to, and the
# fleet's apps whose namespace it includes. [name, rpo string].
_rpo_apps contains [_app.metadata.name, _backup.rpo] if _backup.rpo

_rpo_apps contains [name, rpo] if {
	some [name, ns, rpo] in _fleet_rpos
	includes(object.get(_obj.spec, "template", {}), ns)
}

# _fleet_rpos: [name, namespace, rpo] of the fleet's apps that declare an
# RPO. Data only: evaluated once per run, not for every Schedule.
_fleet_rpos := {[name, a.spec.namespace, a.spec.backup.rpo] |
	some name, a in data.flotilla.fleet.apps
	a.spec.backup.rpo
}

_is_schedule if {
	_obj.kind == "Schedule"
	startswith(_obj.apiVersion, "velero.io/")
}

# METADATA
# title: Schedule interval or TTL does not meet the RPO
# description: |
#   The recovery point objective is the most data an app may lose, so its
#   backups must run at least every RPO, and each backup must live at least
#   as long as the RPO or there are windows with no restorable backup. The
#   interval is the longest gap between two runs of the cron schedule
#   ("0 */N * * *", "*/N * * * *", "M H * * *", @every, @hourly, @daily...);
#   a missing TTL is Velero's 720h default.
# scope: document
# related_resources:
#   - ref: https://velero.io/docs/v1.16/api-types/schedule/
#     description: Velero Schedule, cron schedule and template.ttl
#   - ref: https://pkg.go.dev/github.com/robfig/cron/v3
#     description: robfig/cron, the schedule syntax Velero parses
# custom:
#   id: DR-002
#   severity: error
#   remediation: Run the Schedule at least every RPO and keep backups (template.ttl) at least that long.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: [velero.io]
#         kinds: [Schedule]
schedule_misses_rpo contains v if {
	_is_schedule
	some [name, rpo] in _rpo_apps
	rpo_s := schedule.duration_seconds(rpo)
	interval := schedule.max_interval_seconds(_obj.spec.schedule)
	interval > rpo_s
	v := {
		"msg": sprintf("Schedule %q runs every %s at worst (%q) but app %q has RPO %s", [input.review.name, _human(interval), _obj.spec.schedule, name, rpo]),
		"field": "spec.schedule",
	}
}

schedule_misses_rpo contains v if {
	_is_schedule
	some [name, rpo] in _rpo_apps
	rpo_s := schedule.duration_seconds(rpo)
	ttl := _ttl_seconds
	ttl < rpo_s
	v := {
		"msg": sprintf("Schedule %q keeps backups %s but app %q has RPO %s", [input.review.name, _human(ttl), name, rpo]),
		"field": "spec.template.ttl",
	}
}

_ttl_seconds := schedule.duration_seconds(_obj.spec.template.ttl)

_ttl_seconds := 2592000 if not _obj.spec.template.ttl

_human(s) := sprintf("%dh", [s / 3600]) if s % 3600 == 0

_human(s) := sprintf("%dm", [s / 60]) if {
	s % 3600 != 0
	s % 60 == 0
}

_human(s) := sprintf("%ds", [s]) if s % 60 != 0

_recovery(_) := _backup.recoveryCluster if object.get(_backup, "recoveryCluster", "") != ""

_recovery(c) := c.spec.drPartner if {
	object.get(_backup, "recoveryCluster", "") == ""
	object.get(c.spec, "drPartner", "") != ""
}

# METADATA
# title: Recovery cluster in the same region
# description: |
#   A regional outage takes the source and a recovery cluster in the same
#   region down together, so the restore has nowhere to go. The recovery
#   cluster is spec.backup.recoveryCluster, else the drPartner of each
#   cluster the app runs on.
# related_resources:
#   - ref: https://docs.aws.amazon.com/whitepapers/latest/disaster-recovery-workloads-on-aws/disaster-recovery-options-in-the-cloud.html
#     description: AWS, disaster recovery options (multi-region)
#   - ref: https://velero.io/docs/v1.16/disaster-case/
#     description: Velero disaster recovery
# custom:
#   id: DR-003
#   severity: error
#   remediation: Choose a recovery cluster (or drPartner) in another region.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: [""]
#         kinds: [Namespace]
#       - apiGroups: ["*"]
#         kinds: [Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController, CronJob]
recovery_same_region contains v if {
	is_object(_backup)
	_anchor
	some c in fleet.landing
	recovery := _recovery(c)
	region := fleet.cluster_spec(recovery).region
	region == c.spec.region
	v := {
		"msg": sprintf("app %q runs on %q and recovers into %q, both in region %q", [_app.metadata.name, c.name, recovery, region]),
		"field": _anchor_field,
	}
}

_has_predictions if {
	some c in fleet.landing
	is_number(c.replicas)
}

_predicted(name) := r if {
	some c in fleet.landing
	c.name == name
	r := c.replicas
	is_number(r)
}

_predicted(name) := 0 if not name in fleet.landing_names

# METADATA
# title: Declared standby gets no replicas
# description: |
#   A weight whose clusters are all DR sites declares a warm standby. With
#   Karmada's static weight division a small weight can round down to zero
#   replicas, leaving the standby cold; the predicted replicas on each such
#   DR site must be at least 1. A DR site is a cluster another cluster names
#   as drPartner or an app names as recoveryCluster.
# related_resources:
#   - ref: https://karmada.io/docs/userguide/scheduling/resource-propagating/#multiple-strategies-of-replica-scheduling
#     description: Karmada, replica scheduling with static weights
# custom:
#   id: DR-004
#   severity: error
#   remediation: Raise the standby's weight (or the replica count) until the placement preview gives it at least one replica.
#   scope: placement
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Deployment, ReplicaSet, StatefulSet]
standby_without_replicas contains v if {
	_obj.kind in k8s.replicated_kinds
	not _divided
	_has_predictions
	some i, w in k8s.as_array(_app.spec.placement.replicas.weights)
	sites := karmada.selected(fleet.selection_affinity(w))
	count(sites) > 0
	every s in sites {
		s in fleet.dr_sites
	}
	some site in sites
	_predicted(site) < 1
	v := {
		"msg": sprintf("app %q declares DR site %q as a standby (weights[%d]) but the placement gives it %v replicas", [_app.metadata.name, site, i, _predicted(site)]),
		"field": "spec.replicas",
	}
}

# With a spot division the app's Deployment renders as up to three
# workloads, each holding part of the standby's share: the division itself
# is judged, once, on the Deployment that keeps the app's name.
standby_without_replicas contains v if {
	_obj.kind == "Deployment"
	_divided
	not _obj.metadata.labels["flotilla.io/capacity"]
	some i, w in k8s.as_array(_app.spec.placement.replicas.weights)
	sites := karmada.selected(fleet.selection_affinity(w))
	count(sites) > 0
	every s in sites {
		s in fleet.dr_sites
	}
	some site in sites
	_division_total(site) < 1
	v := {
		"msg": sprintf("app %q declares DR site %q as a standby (weights[%d]) but its spot division gives it no replica", [_app.metadata.name, site, i]),
		"field": "spec.replicas",
	}
}

_divided if count(k8s.as_array(object.get(_app.spec.spot, "division", []))) > 0

_division_total(site) := sum([n |
	some d in k8s.as_array(_app.spec.spot.division)
	d.cluster == site
	n := ((object.get(d, "onDemand", 0) + object.get(d, "spot", 0)) + object.get(d, "hedge", 0)) + object.get(d, "hedgeSpotOnly", 0)
])
