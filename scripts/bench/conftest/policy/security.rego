# Four rules of flotilla's policies/security.rego (SEC-002, SEC-003,
# SEC-005, SEC-006), same logic, one message per violation.
package main

# SEC-002: runAsNonRoot not true, or UID 0.
deny contains msg if {
	some c in containers
	sc(c).runAsNonRoot == false
	msg := sprintf("SEC-002 %s: container %q sets runAsNonRoot false (%s.securityContext.runAsNonRoot)", [object_name, c.name, c.path])
}

deny contains msg if {
	not pod_sc.runAsNonRoot == true
	unset := [c.name | some c in containers; not is_boolean(object.get(sc(c), "runAsNonRoot", null))]
	count(unset) > 0
	msg := sprintf("SEC-002 %s: runAsNonRoot is not true for container(s) %s", [object_name, concat(", ", sort(unset))])
}

deny contains msg if {
	some c in containers
	run_as_user(c) == 0
	msg := sprintf("SEC-002 %s: container %q runs as UID 0", [object_name, c.name])
}

run_as_user(c) := sc(c).runAsUser

run_as_user(c) := pod_sc.runAsUser if not sc(c).runAsUser

# SEC-003: allowPrivilegeEscalation not false.
deny contains msg if {
	some c in containers
	not sc(c).allowPrivilegeEscalation == false
	msg := sprintf("SEC-003 %s: container %q does not set allowPrivilegeEscalation false (%s.securityContext)", [object_name, c.name, c.path])
}

# SEC-005: cpu and memory requests (a limit implies the request) and a
# memory limit on every container.
deny contains msg if {
	some c in containers
	missing := [m | some [kind, r] in [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]; not has(c, kind, r); m := sprintf("%s.%s", [kind, r])]
	count(missing) > 0
	msg := sprintf("SEC-005 %s: container %q has no %s (%s.resources)", [object_name, c.name, concat(", ", missing), c.path])
}

has(c, "limits", r) if quantity(c.container.resources.limits[r])

has(c, "requests", r) if quantity(c.container.resources.requests[r])

has(c, "requests", r) if {
	not c.container.resources.requests[r]
	quantity(c.container.resources.limits[r])
}

# SEC-006: image without a version tag or digest.
deny contains msg if {
	some c in containers
	image := object.get(c.container, "image", "")
	not pinned(image)
	msg := sprintf("SEC-006 %s: container %q uses image %q without a version tag or digest (%s.image)", [object_name, c.name, image, c.path])
}

pinned(image) if contains(image, "@")

pinned(image) if {
	not contains(image, "@")
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	tag := substring(last, indexof(last, ":") + 1, -1)
	not tag in {"", "latest"}
}
