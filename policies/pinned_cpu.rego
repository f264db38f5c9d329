# METADATA
# title: Pinned CPUs
# description: |
#   Pods that declare CPU pinning (pod template annotation
#   flotilla.io/cpu-pinning: static) rely on the kubelet's static CPU
#   manager policy, which gives exclusive CPUs only to containers of
#   Guaranteed pods with an integer CPU request, and on thread pools sized to
#   those CPUs.
# custom:
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController, CronJob]
package flotilla.pinned_cpu

import data.flotilla.lib.k8s

_pod := k8s.review_pod

_ns := object.get(input.review, "namespace", "")

_pinned if k8s.annotations(_pod)["flotilla.io/cpu-pinning"] == "static"

_resources_field(c) := sprintf("%s.resources", [c.path])

# METADATA
# title: CPU pinning without Guaranteed QoS
# description: |
#   The static CPU manager only pins containers of Guaranteed pods: every
#   container (init containers included) must set cpu and memory limits, with
#   requests equal to them. Otherwise the pod silently shares CPUs.
# related_resources:
#   - ref: https://kubernetes.io/docs/tasks/administer-cluster/cpu-management-policies/#static-policy
#     description: Kubernetes, CPU management policies (static policy)
#   - ref: https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/#guaranteed
#     description: Kubernetes, Pod Quality of Service classes (Guaranteed)
# custom:
#   id: CPU-001
#   severity: error
#   remediation: Give every container cpu and memory limits and set requests equal to them (or omit requests).
#   scope: object
pinning_not_guaranteed contains v if {
	_pinned
	some c in k8s.review_containers
	some r in ["cpu", "memory"]
	not _guaranteed(c, r)
	v := {
		"msg": sprintf("container %q of a CPU-pinned pod is not Guaranteed: %s request must equal a set %s limit", [c.name, r, r]),
		"field": _resources_field(c),
	}
}

_guaranteed(c, r) if k8s.request(c, r) == k8s.limit(c, r)

# METADATA
# title: CPU pinning with a fractional CPU
# scope: document
# description: |
#   The static CPU manager assigns exclusive cores only to containers whose
#   CPU request is a whole number; a fractional request (1500m) runs on the
#   shared pool, so the pinning the pod declares never happens. Init
#   containers are not checked.
# related_resources:
#   - ref: https://kubernetes.io/docs/tasks/administer-cluster/cpu-management-policies/#static-policy
#     description: Kubernetes, static CPU management policy needs integer CPU requests
# custom:
#   id: CPU-002
#   severity: error
#   remediation: Request and limit a whole number of CPUs (e.g. cpu "4").
#   scope: object
pinning_fractional_cpu contains v if {
	_pinned
	some c in k8s.review_app_containers
	cpu := k8s.request(c, "cpu")
	cpu != floor(cpu)
	v := {
		"msg": sprintf("container %q of a CPU-pinned pod requests %v CPUs, not a whole number: it gets no exclusive cores", [c.name, cpu]),
		"field": _resources_field(c),
	}
}

pinning_fractional_cpu contains v if {
	_pinned
	some c in k8s.review_app_containers
	not k8s.request(c, "cpu")
	v := {
		"msg": sprintf("container %q of a CPU-pinned pod sets no CPU request or limit: it gets no exclusive cores", [c.name]),
		"field": _resources_field(c),
	}
}

_thread_vars := {"OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMAXPROCS"}

# METADATA
# title: Thread pools not sized to the pinned CPUs
# scope: document
# description: |
#   With pinned CPUs, a thread pool larger than the CPU limit oversubscribes
#   the exclusive cores (threads queue behind each other and the container is
#   throttled) and a smaller one leaves cores idle. OMP_NUM_THREADS,
#   MKL_NUM_THREADS and GOMAXPROCS must equal the CPU limit, and
#   GOMP_CPU_AFFINITY must list as many CPUs ("0-3" and "0 2 4 6" are 4).
# related_resources:
#   - ref: https://gcc.gnu.org/onlinedocs/libgomp/GOMP_005fCPU_005fAFFINITY.html
#     description: libgomp, GOMP_CPU_AFFINITY syntax
#   - ref: https://gcc.gnu.org/onlinedocs/libgomp/OMP_005fNUM_005fTHREADS.html
#     description: libgomp, OMP_NUM_THREADS
#   - ref: https://kubernetes.io/docs/tasks/administer-cluster/cpu-management-policies/#static-policy
#     description: Kubernetes, static CPU management policy
# custom:
#   id: CPU-003
#   severity: error
#   remediation: Set the thread-count variables to the container's CPU limit (or derive them from it with resourceFieldRef limits.cpu).
#   scope: object
threads_mismatch contains v if {
	_pinned
	some c in k8s.review_app_containers
	cpu := k8s.limit(c, "cpu")
	env := k8s.env(c.container, _ns)
	some name in _thread_vars
	raw := env[name].value
	not _count_equals(raw, cpu)
	v := {
		"msg": sprintf("container %q: %s=%s but its CPU limit is %v", [c.name, name, raw, c.container.resources.limits.cpu]),
		"field": k8s.env_path(c),
	}
}

threads_mismatch contains v if {
	_pinned
	some c in k8s.review_app_containers
	cpu := k8s.limit(c, "cpu")
	raw := k8s.env(c.container, _ns).GOMP_CPU_AFFINITY.value
	not _width_equals(raw, cpu)
	v := {
		"msg": sprintf("container %q: GOMP_CPU_AFFINITY=%q lists %v CPUs but its CPU limit is %v", [c.name, raw, _width_text(raw), c.container.resources.limits.cpu]),
		"field": k8s.env_path(c),
	}
}

_width_equals(raw, n) if affinity_width(raw) == n

_count_equals(s, n) if {
	regex.match(`^[0-9]+$`, s)
	units.parse(s) == n
}

_width_text(raw) := sprintf("%d", [affinity_width(raw)])

_width_text(raw) := "an unreadable number of" if not affinity_width(raw)

# affinity_width(s): how many CPUs a GOMP_CPU_AFFINITY list names. Items are
# separated by spaces or commas: "N", "A-B" or "A-B:S" (every S-th CPU).
# Undefined when an item is not understood.
affinity_width(s) := count(cpus) if {
	items := [i | some i in regex.split(`[\s,]+`, trim_space(s)); i != ""]
	count(items) > 0
	sets := [set | some i in items; set := _affinity_item(i)]
	count(sets) == count(items)
	cpus := {cpu | some set in sets; some cpu in set}
}

_affinity_item(i) := {units.parse(i)} if regex.match(`^[0-9]+$`, i)

_affinity_item(i) := {cpu | some cpu in numbers.range(units.parse(m[1]), units.parse(m[2]))} if {
	m := regex.find_all_string_submatch_n(`^([0-9]+)-([0-9]+)$`, i, 1)[0]
	units.parse(m[1]) <= units.parse(m[2])
}

_affinity_item(i) := {cpu | some cpu in numbers.range_step(units.parse(m[1]), units.parse(m[2]), units.parse(m[3]))} if {
	m := regex.find_all_string_submatch_n(`^([0-9]+)-([0-9]+):([0-9]+)$`, i, 1)[0]
	units.parse(m[1]) <= units.parse(m[2])
	units.parse(m[3]) > 0
}
