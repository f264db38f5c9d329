# METADATA
# title: eBPF agents
# description: |
#   Pods that load eBPF programs (profilers, tracers, packet forwarders). A
#   pod is an eBPF agent on evidence: its template is annotated
#   flotilla.io/ebpf: "true", a container adds the BPF or PERFMON
#   capability, or mounts the BPF filesystem (/sys/fs/bpf) or the kernel's
#   tracing files (/sys/kernel/debug, /sys/kernel/tracing). SYS_ADMIN alone
#   is no evidence: CSI drivers, policy engines and network plugins add it
#   for mounts and namespaces, and telling them to use BPF and PERFMON
#   would be wrong. An eBPF agent that only adds SYS_ADMIN (kernels before
#   5.8) is named by the annotation.
# custom:
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController, CronJob]
package flotilla.ebpf

import data.flotilla.lib.fleet
import data.flotilla.lib.k8s

_pod := k8s.review_pod

_containers := k8s.review_containers

_volumes := {v.name: v | some v in k8s.as_array(object.get(_pod.spec, "volumes", []))}

_caps(c) := {_cap(x) | some x in k8s.as_array(c.container.securityContext.capabilities.add)}

_cap(x) := upper(trim_prefix(upper(x), "CAP_"))

_bpf_mounts := {"/sys/fs/bpf", "/sys/kernel/debug", "/sys/kernel/tracing"}

_clean(p) := p if p == "/"

_clean(p) := trim_suffix(p, "/") if p != "/"

# _mounts: every volume mount of a container, with the hostPath it mounts
# ("" when the volume is not a hostPath).
_mounts contains m if {
	some c in _containers
	some i, vm in k8s.as_array(object.get(c.container, "volumeMounts", []))
	m := {
		"container": c,
		"mount": vm,
		"path": sprintf("%s.volumeMounts[%d]", [c.path, i]),
		"host_path": _host_path(vm.name),
		"mount_path": _clean(object.get(vm, "mountPath", "")),
	}
}

_host_path(name) := _clean(_volumes[name].hostPath.path)

_host_path(name) := "" if not _volumes[name].hostPath.path

# agent: the pod under review is an eBPF agent.
agent if k8s.annotations(_pod)["flotilla.io/ebpf"] == "true"

agent if {
	some c in _containers
	some cap in _caps(c)
	cap in {"BPF", "PERFMON"}
}

agent if {
	some m in _mounts
	some p in [m.host_path, m.mount_path]
	p in _bpf_mounts
}

# METADATA
# title: Privileged eBPF agent
# description: |
#   privileged: true gives every capability and every device to the agent,
#   far more than loading eBPF programs needs. Since kernel 5.8 CAP_BPF and
#   CAP_PERFMON (plus CAP_NET_ADMIN for networking programs) are enough.
#   Host agents that truly need more carry a time-boxed exception
#   (flotilla.io/exceptions with a reason and an expiry), not a blanket one.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     description: Pod Security Standards, Baseline forbids privileged containers
#   - ref: https://man7.org/linux/man-pages/man7/capabilities.7.html
#     description: capabilities(7), CAP_BPF and CAP_PERFMON
# custom:
#   id: EBPF-001
#   severity: error
#   remediation: Drop privileged and add only the capabilities the agent needs (BPF, PERFMON, NET_ADMIN when attaching to network hooks).
#   scope: object
privileged contains v if {
	agent
	some c in _containers
	c.container.securityContext.privileged == true
	v := {
		"msg": sprintf("eBPF agent container %q runs privileged", [c.name]),
		"field": sprintf("%s.securityContext.privileged", [c.path]),
	}
}

# METADATA
# title: eBPF agent requests SYS_ADMIN
# description: |
#   CAP_SYS_ADMIN is the catch-all capability (mounts, namespaces, most of
#   the kernel). Kernels from 5.8 split eBPF access into CAP_BPF and
#   CAP_PERFMON, which are what loaders such as libbpf and cilium/ebpf need.
# related_resources:
#   - ref: https://man7.org/linux/man-pages/man7/capabilities.7.html
#     description: capabilities(7), CAP_BPF and CAP_PERFMON split out of CAP_SYS_ADMIN in Linux 5.8
#   - ref: https://docs.kernel.org/bpf/
#     description: Linux kernel BPF documentation
# custom:
#   id: EBPF-002
#   severity: warning
#   remediation: Replace SYS_ADMIN with BPF and PERFMON (and NET_ADMIN for networking programs).
#   scope: object
sys_admin contains v if {
	agent
	some c in _containers
	"SYS_ADMIN" in _caps(c)
	v := {
		"msg": sprintf("eBPF agent container %q adds SYS_ADMIN instead of BPF and PERFMON", [c.name]),
		"field": sprintf("%s.securityContext.capabilities.add", [c.path]),
	}
}

_read_only_paths := {"/proc", "/sys/kernel/debug", "/sys/kernel/btf", "/lib/modules", "/usr/src"}

# A hostPath exposes a sensitive path when it is that path, below it, or a
# parent of it ("/" and "/sys" expose them all).
_exposes(host, sensitive) if host == sensitive

_exposes(host, sensitive) if startswith(host, concat("", [sensitive, "/"]))

_exposes(host, sensitive) if {
	host != ""
	startswith(sensitive, concat("", [trim_suffix(host, "/"), "/"]))
}

# METADATA
# title: eBPF agent mounts host kernel paths read-write
# description: |
#   An agent reads /proc, kernel debug and BTF data, kernel modules and
#   headers; it never needs to write them, and a writable mount turns an agent
#   bug into a host compromise. /sys/fs/bpf may stay read-write: pinning maps
#   and programs needs it.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
#     description: Kubernetes, hostPath volumes (mount them read-only)
#   - ref: https://docs.kernel.org/bpf/btf.html
#     description: BPF Type Format (/sys/kernel/btf)
# custom:
#   id: EBPF-003
#   severity: warning
#   remediation: Set readOnly true on the volumeMount of every hostPath other than /sys/fs/bpf.
#   scope: object
host_path_writable contains v if {
	agent
	some m in _mounts
	some sensitive in _read_only_paths
	_exposes(m.host_path, sensitive)
	not m.mount.readOnly == true
	v := {
		"msg": sprintf("eBPF agent container %q mounts hostPath %s read-write (it exposes %s)", [m.container.name, m.host_path, sensitive]),
		"field": m.path,
	}
}

_min_kernel := [5, 8]

# METADATA
# title: eBPF agent placed on a kernel without BTF or older than 5.8
# scope: document
# description: |
#   CO-RE eBPF programs relocate against the kernel's BTF
#   (/sys/kernel/btf/vmlinux), and the BPF ring buffer, CAP_BPF and
#   CAP_PERFMON arrived in Linux 5.8: on an older kernel or one without BTF
#   the agent fails to load on every node of the cluster.
# related_resources:
#   - ref: https://docs.kernel.org/bpf/btf.html
#     description: BPF Type Format
#   - ref: https://nakryiko.com/posts/bpf-core-reference-guide/
#     description: BPF CO-RE reference guide (needs kernel BTF)
#   - ref: https://docs.kernel.org/bpf/ringbuf.html
#     description: BPF ring buffer (Linux 5.8)
# custom:
#   id: EBPF-004
#   severity: error
#   remediation: Keep the agent off these clusters (placement exclude or a selector on flotilla.io/btf "true"), or upgrade their kernels.
#   scope: placement
kernel_unsupported contains v if {
	agent
	some c in fleet.landing
	kernel := object.get(object.get(c.spec, "kernel", {}), "version", "")
	_kernel_old(kernel)
	v := {
		"msg": sprintf("eBPF agent lands on cluster %q whose kernel %q is older than 5.8", [c.name, kernel]),
		"field": _pod.path,
	}
}

kernel_unsupported contains v if {
	agent
	some c in fleet.landing
	not c.spec.kernel.btf == true
	v := {
		"msg": sprintf("eBPF agent lands on cluster %q whose kernel has no BTF", [c.name]),
		"field": _pod.path,
	}
}

_kernel_old(version) if fleet.version_less(fleet.kernel_version(version), _min_kernel)
