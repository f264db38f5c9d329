# METADATA
# title: Go runtime tuning
# description: |
#   Go services in containers: the soft memory limit (GOMEMLIMIT), GOGC and
#   GOMAXPROCS against the container's cgroup limits. A Go container is any
#   container with GOMEMLIMIT, GOGC, GOMAXPROCS or GODEBUG in its
#   environment, or every long-running container of a pod template annotated
#   flotilla.io/runtime: go.
# custom:
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController, CronJob]
package flotilla.go_runtime

import data.flotilla.lib.k8s

_pod := k8s.review_pod

_ns := object.get(input.review, "namespace", "")

_go_vars := {"GOMEMLIMIT", "GOGC", "GOMAXPROCS", "GODEBUG"}

# The resolved environment of each container, by field path.
_env[c.path] := k8s.env(c.container, _ns) if some c in k8s.review_containers

_go_containers contains c if {
	some c in k8s.review_containers
	_is_go(c)
}

_is_go(c) if {
	k8s.annotations(_pod)["flotilla.io/runtime"] == "go"
	not _short_lived(c)
}

_is_go(c) if {
	some name in _go_vars
	_env[c.path][name]
}

_short_lived(c) if {
	c.init
	not c.sidecar
}

# Where to point: the env list when there is one, else the container.
_env_field(c) := k8s.env_path(c) if is_array(object.get(c.container, "env", null))

_env_field(c) := c.path if not is_array(object.get(c.container, "env", null))

# GOMEMLIMIT is set to something other than "off" (literal or valueFrom).
_memlimit_set(c) if {
	src := _env[c.path].GOMEMLIMIT
	not src.value == "off"
	not src.value == ""
}

_gogc_off(c) if _env[c.path].GOGC.value == "off"

_gogc_off(c) if {
	v := _env[c.path].GOGC.value
	regex.match(`^-[0-9]+$`, v)
}

# _go_bytes(s): a GOMEMLIMIT value as the Go runtime parses it
# (runtime.parseByteCount): a non-negative integer, optionally followed by
# B, KiB, MiB, GiB or TiB. Undefined for anything else ("1G", "900Mi").
_go_bytes(s) := units.parse(m[1]) * _go_units[m[2]] if {
	m := regex.find_all_string_submatch_n(`^([0-9]+)(B|KiB|MiB|GiB|TiB)?$`, s, 1)[0]
}

_go_units := {"": 1, "B": 1, "KiB": 1024, "MiB": 1048576, "GiB": 1073741824, "TiB": 1099511627776}

# METADATA
# title: Go container with a memory limit but no GOMEMLIMIT
# description: |
#   Without GOMEMLIMIT the Go GC only paces by GOGC and knows nothing of the
#   cgroup memory limit, so a heap spike gets the container OOM-killed
#   instead of making the GC work harder. GOMEMLIMIT=off counts as unset.
#   Not reported when envFrom names a source the linter cannot read.
# related_resources:
#   - ref: https://go.dev/doc/gc-guide#Memory_limit
#     description: A Guide to the Go Garbage Collector, "Memory limit"
#   - ref: https://pkg.go.dev/runtime/debug#SetMemoryLimit
#     description: runtime/debug.SetMemoryLimit (GOMEMLIMIT syntax and semantics)
# custom:
#   id: GO-001
#   severity: error
#   remediation: Set GOMEMLIMIT to about 90% of the container's memory limit, e.g. GOMEMLIMIT=900MiB for limits.memory 1000Mi.
#   scope: object
gomemlimit_missing contains v if {
	some c in _go_containers
	k8s.limit(c, "memory")
	not _memlimit_set(c)
	not k8s.env_unknown(c.container, _ns)
	v := {
		"msg": sprintf("Go container %q has memory limit %v but no GOMEMLIMIT", [c.name, c.container.resources.limits.memory]),
		"field": _env_field(c),
	}
}

# METADATA
# title: GOMEMLIMIT above 90% of the memory limit, or malformed
# scope: document
# description: |
#   GOMEMLIMIT is a soft limit on the Go heap and runtime; memory outside it
#   (cgo, mmap, thread stacks, the page cache charged to the cgroup) still
#   counts against the container limit, so set it at most 90% of the limit.
#   A value the Go runtime cannot parse ("1G", "900Mi") makes the program
#   abort at start-up, and a resourceFieldRef with a divisor other than 1 is
#   read by Go as a byte count.
# related_resources:
#   - ref: https://go.dev/doc/gc-guide#Suggested_uses
#     description: A Guide to the Go Garbage Collector, suggested uses of the memory limit
#   - ref: https://pkg.go.dev/runtime/debug#SetMemoryLimit
#     description: GOMEMLIMIT accepts a byte count with an optional B, KiB, MiB, GiB or TiB suffix
# custom:
#   id: GO-002
#   severity: error
#   remediation: Set GOMEMLIMIT to at most 90% of limits.memory, written as bytes or with a KiB/MiB/GiB suffix.
#   scope: object
gomemlimit_too_high contains v if {
	some c in _go_containers
	raw := _env[c.path].GOMEMLIMIT.value
	not raw in {"", "off"}
	not _go_bytes(raw)
	v := {
		"msg": sprintf("container %q: GOMEMLIMIT=%q is not a valid Go byte count (integer with optional B, KiB, MiB, GiB, TiB); the Go runtime aborts at start-up", [c.name, raw]),
		"field": k8s.env_path(c),
	}
}

gomemlimit_too_high contains v if {
	some c in _go_containers
	limit := k8s.limit(c, "memory")
	raw := _env[c.path].GOMEMLIMIT.value
	bytes := _go_bytes(raw)
	bytes > limit * 0.9
	v := {
		"msg": sprintf("container %q: GOMEMLIMIT=%s (%d bytes) is above 90%% of its memory limit %v (%d bytes)", [c.name, raw, bytes, c.container.resources.limits.memory, limit]),
		"field": k8s.env_path(c),
	}
}

gomemlimit_too_high contains v if {
	some c in _go_containers
	k8s.limit(c, "memory")
	ref := _env[c.path].GOMEMLIMIT.valueFrom.resourceFieldRef
	ref.resource == "limits.memory"
	k8s.quantity(object.get(ref, "divisor", "1")) == 1
	v := {
		"msg": sprintf("container %q: GOMEMLIMIT from resourceFieldRef limits.memory is 100%% of the memory limit, above 90%%", [c.name]),
		"field": k8s.env_path(c),
	}
}

gomemlimit_too_high contains v if {
	some c in _go_containers
	ref := _env[c.path].GOMEMLIMIT.valueFrom.resourceFieldRef
	ref.resource == "limits.memory"
	k8s.quantity(object.get(ref, "divisor", "1")) != 1
	v := {
		"msg": sprintf("container %q: GOMEMLIMIT from resourceFieldRef limits.memory with divisor %v: Go reads the result as a byte count", [c.name, ref.divisor]),
		"field": k8s.env_path(c),
	}
}

# METADATA
# title: GOGC=off without GOMEMLIMIT
# description: |
#   With GOGC=off and no memory limit the Go GC never runs: the heap grows
#   until the container is OOM-killed. GOGC=off is only safe together with a
#   GOMEMLIMIT, which then becomes the only GC trigger.
# related_resources:
#   - ref: https://go.dev/doc/gc-guide#Memory_limit
#     description: A Guide to the Go Garbage Collector, GOGC=off with a memory limit
# custom:
#   id: GO-003
#   severity: error
#   remediation: Set GOMEMLIMIT below the container's memory limit, or remove GOGC=off.
#   scope: object
gogc_off_without_limit contains v if {
	some c in _go_containers
	_gogc_off(c)
	not _memlimit_set(c)
	not k8s.env_unknown(c.container, _ns)
	v := {
		"msg": sprintf("container %q sets GOGC=%s but no GOMEMLIMIT: the heap grows without bound", [c.name, _env[c.path].GOGC.value]),
		"field": k8s.env_path(c),
	}
}

# METADATA
# title: GOMAXPROCS differs from the CPU limit
# description: |
#   GOMAXPROCS above the CPU limit makes the Go scheduler run more threads
#   than the CFS quota allows, so the container is throttled; below it wastes
#   the quota. Since Go 1.25 the runtime reads the cgroup CPU limit itself
#   (rounded up, at least 2), so setting GOMAXPROCS is rarely needed.
# related_resources:
#   - ref: https://go.dev/blog/container-aware-gomaxprocs
#     description: The Go Blog, container-aware GOMAXPROCS (Go 1.25)
#   - ref: https://pkg.go.dev/runtime#GOMAXPROCS
#     description: runtime.GOMAXPROCS
# custom:
#   id: GO-004
#   severity: warning
#   remediation: Remove GOMAXPROCS (Go >= 1.25 derives it from the CPU limit) or set it to the CPU limit rounded up.
#   scope: object
gomaxprocs_mismatch contains v if {
	some c in _go_containers
	cpu := k8s.limit(c, "cpu")
	raw := _env[c.path].GOMAXPROCS.value
	not _int_equals(raw, ceil(cpu))
	v := {
		"msg": sprintf("container %q: GOMAXPROCS=%s but its CPU limit %v rounds up to %d", [c.name, raw, c.container.resources.limits.cpu, ceil(cpu)]),
		"field": k8s.env_path(c),
	}
}

_int_equals(s, n) if {
	regex.match(`^[0-9]+$`, s)
	units.parse(s) == n
}
