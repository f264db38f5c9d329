# METADATA
# title: Pod security
# description: |
#   The Pod Security Standards "restricted" profile and resource hygiene for
#   every pod template (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet,
#   Job, CronJob), init containers included. Host agents (eBPF profilers,
#   packet forwarders) that genuinely need root or a writable root file
#   system are the narrow exception: they carry a flotilla.io/exceptions
#   annotation naming the rule, the reason and an expiry date, on that object
#   only.
# custom:
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController, CronJob]
package flotilla.security

import data.flotilla.lib.k8s

_pod := k8s.review_pod

_containers := k8s.review_containers

_pod_sc := k8s.as_object(object.get(_pod.spec, "securityContext", {}))

_sc(c) := k8s.as_object(object.get(c.container, "securityContext", {}))

_pod_sc_field := sprintf("%s.securityContext", [_pod.path])

_sc_field(c) := sprintf("%s.securityContext", [c.path])

_names(cs) := concat(", ", sort([sprintf("%q", [c.name]) | some c in cs]))

_seccomp_ok := {"RuntimeDefault", "Localhost"}

# METADATA
# title: seccomp profile missing
# description: |
#   Without a seccomp profile the container runs Unconfined and can call
#   every system call. The restricted Pod Security Standard requires
#   RuntimeDefault or Localhost, at pod level or on every container. Host
#   agents that need syscalls RuntimeDefault blocks should use a Localhost
#   profile, or carry a dated exception (flotilla.io/exceptions) on that
#   object only.
# scope: document
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     description: Pod Security Standards, restricted profile (seccomp)
#   - ref: https://kubernetes.io/docs/tutorials/security/seccomp/
#     description: Kubernetes, restrict a container's syscalls with seccomp
# custom:
#   id: SEC-001
#   severity: error
#   remediation: Set securityContext.seccompProfile.type RuntimeDefault at pod level.
#   scope: object
seccomp_missing contains v if {
	some c in _containers
	t := _sc(c).seccompProfile.type
	not t in _seccomp_ok
	v := {
		"msg": sprintf("container %q sets seccompProfile %s; use RuntimeDefault or Localhost", [c.name, t]),
		"field": sprintf("%s.seccompProfile", [_sc_field(c)]),
	}
}

seccomp_missing contains v if {
	not _pod_seccomp in _seccomp_ok
	unset := [c | some c in _containers; not _sc(c).seccompProfile.type]
	count(unset) > 0
	v := {
		"msg": sprintf("no seccompProfile RuntimeDefault or Localhost for container(s) %s: the pod sets %s", [_names(unset), _pod_seccomp_text]),
		"field": _pod_sc_field,
	}
}

_pod_seccomp := object.get(_pod_sc, ["seccompProfile", "type"], "")

_pod_seccomp_text := sprintf("seccompProfile %s", [_pod_seccomp]) if _pod_seccomp != ""

_pod_seccomp_text := "none" if _pod_seccomp == ""

# METADATA
# title: runAsNonRoot not true
# description: |
#   A container running as UID 0 owns the container file system and is one
#   kernel bug away from root on the node. The restricted Pod Security
#   Standard requires runAsNonRoot true and forbids runAsUser 0. Host agents
#   that must run as root carry a dated exception (flotilla.io/exceptions
#   with rule, reason, expires) on that object only.
# scope: document
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     description: Pod Security Standards, restricted profile (running as non-root)
#   - ref: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
#     description: Kubernetes, configure a security context
# custom:
#   id: SEC-002
#   severity: error
#   remediation: Set securityContext.runAsNonRoot true (and a non-zero runAsUser) at pod level.
#   scope: object
run_as_root contains v if {
	some c in _containers
	_sc(c).runAsNonRoot == false
	v := {
		"msg": sprintf("container %q sets runAsNonRoot false", [c.name]),
		"field": sprintf("%s.runAsNonRoot", [_sc_field(c)]),
	}
}

run_as_root contains v if {
	not _pod_sc.runAsNonRoot == true
	unset := [c | some c in _containers; not is_boolean(object.get(_sc(c), "runAsNonRoot", null))]
	count(unset) > 0
	v := {
		"msg": sprintf("runAsNonRoot is not true for container(s) %s", [_names(unset)]),
		"field": _pod_sc_field,
	}
}

run_as_root contains v if {
	some c in _containers
	_run_as_user(c) == 0
	v := {
		"msg": sprintf("container %q runs as UID 0", [c.name]),
		"field": _run_as_user_field(c),
	}
}

_run_as_user(c) := _sc(c).runAsUser

_run_as_user(c) := _pod_sc.runAsUser if not _sc(c).runAsUser

_run_as_user_field(c) := sprintf("%s.runAsUser", [_sc_field(c)]) if _sc(c).runAsUser == 0

_run_as_user_field(c) := sprintf("%s.runAsUser", [_pod_sc_field]) if not _sc(c).runAsUser == 0

# METADATA
# title: allowPrivilegeEscalation not false
# description: |
#   Unless allowPrivilegeEscalation is false, a setuid binary or file
#   capability in the image can gain more privileges than the container
#   started with (no_new_privs is not set). The restricted Pod Security
#   Standard requires false on every container.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     description: Pod Security Standards, restricted profile (privilege escalation)
# custom:
#   id: SEC-003
#   severity: error
#   remediation: Set securityContext.allowPrivilegeEscalation false on every container.
#   scope: object
privilege_escalation contains v if {
	some c in _containers
	not _sc(c).allowPrivilegeEscalation == false
	v := {
		"msg": sprintf("container %q does not set allowPrivilegeEscalation false", [c.name]),
		"field": _sc_field(c),
	}
}

# METADATA
# title: readOnlyRootFilesystem not true
# description: |
#   A writable root file system lets an intruder drop tools and modify the
#   binary it runs; mount emptyDir volumes for the paths that need writes.
#   Host agents that cannot run read-only carry a dated exception
#   (flotilla.io/exceptions) on that object only.
# related_resources:
#   - ref: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
#     description: Kubernetes, security context (readOnlyRootFilesystem)
#   - ref: https://www.cisecurity.org/benchmark/kubernetes
#     description: CIS Kubernetes Benchmark, 5.7.x general policies
# custom:
#   id: SEC-004
#   severity: error
#   remediation: Set securityContext.readOnlyRootFilesystem true and mount emptyDir volumes where the container writes.
#   scope: object
writable_root_fs contains v if {
	some c in _containers
	not _sc(c).readOnlyRootFilesystem == true
	v := {
		"msg": sprintf("container %q does not set readOnlyRootFilesystem true", [c.name]),
		"field": _sc_field(c),
	}
}

# METADATA
# title: Missing resource requests or memory limit
# description: |
#   Without requests the scheduler cannot place the pod and it lands in the
#   BestEffort or Burstable class, first to be evicted; without a memory
#   limit one container can exhaust the node. Every container needs cpu and
#   memory requests (a limit implies an equal request) and a memory limit; a
#   CPU limit is optional.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
#     description: Kubernetes, resource management for pods and containers
#   - ref: https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/
#     description: Kubernetes, pod quality of service classes
# custom:
#   id: SEC-005
#   severity: error
#   remediation: Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container.
#   scope: object
resources_missing contains v if {
	some c in _containers
	missing := [m | some [kind, r] in [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]; not _has(c, kind, r); m := sprintf("%s.%s", [kind, r])]
	count(missing) > 0
	v := {
		"msg": sprintf("container %q has no %s", [c.name, concat(", ", missing)]),
		"field": sprintf("%s.resources", [c.path]),
	}
}

_has(c, "requests", r) if k8s.request(c, r)

_has(c, "limits", r) if k8s.limit(c, r)

# METADATA
# title: Image without a pinned tag or digest
# description: |
#   An image without a tag means :latest, and :latest moves: two clusters,
#   or two restarts, run different code, and a rollback restores nothing.
#   Use an immutable version tag, ideally with its digest.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/containers/images/#image-names
#     description: Kubernetes, container image names, tags and digests
#   - ref: https://kubernetes.io/docs/concepts/configuration/overview/#container-images
#     description: Kubernetes configuration best practices, avoid :latest
# custom:
#   id: SEC-006
#   severity: error
#   remediation: Pin the image to a version tag or a digest (image@sha256:...).
#   scope: object
image_not_pinned contains v if {
	some c in _containers
	image := object.get(c.container, "image", "")
	not _pinned(image)
	v := {
		"msg": sprintf("container %q uses image %q without a version tag or digest", [c.name, image]),
		"field": sprintf("%s.image", [c.path]),
	}
}

_pinned(image) if k8s.image_parts(image).digest != ""

_pinned(image) if {
	tag := k8s.image_parts(image).tag
	not tag in {"", "latest"}
}
