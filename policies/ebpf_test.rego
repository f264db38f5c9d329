package flotilla.ebpf_test

import data.flotilla.ebpf
import data.flotilla.lib.fixtures_test as fx

_agent_container(caps, sc, mounts) := fx.container("profiler", {
	"securityContext": object.union({"capabilities": {"add": caps}}, sc),
	"volumeMounts": mounts,
})

_volumes := [
	{"name": "bpffs", "hostPath": {"path": "/sys/fs/bpf"}},
	{"name": "proc", "hostPath": {"path": "/proc"}},
	{"name": "btf", "hostPath": {"path": "/sys/kernel/btf/"}},
	{"name": "modules", "hostPath": {"path": "/lib/modules"}},
	{"name": "root", "hostPath": {"path": "/"}},
	{"name": "scratch", "emptyDir": {}},
]

_ds(containers) := fx.workload("DaemonSet", "profiler", object.union(fx.good_pod_spec(containers), {"volumes": _volumes}))

_input(containers) := fx.review(_ds(containers))

_good := _agent_container(["BPF", "PERFMON"], {}, [
	{"name": "bpffs", "mountPath": "/sys/fs/bpf"},
	{"name": "proc", "mountPath": "/host/proc", "readOnly": true},
])

# --- agent detection ------------------------------------------------------------

test_agent_by_capability if {
	ebpf.agent with input as _input([_good])
}

test_agent_by_cap_prefix if {
	ebpf.agent with input as _input([_agent_container(["cap_perfmon"], {}, [])])
}

test_agent_by_mount if {
	ebpf.agent with input as _input([fx.container("x", {"volumeMounts": [{"name": "bpffs", "mountPath": "/bpf"}]})])
}

test_agent_by_annotation if {
	obj := fx.deployment("tracer", "obs", {"flotilla.io/ebpf": "true"}, fx.good_pod_spec([fx.good_container("t")]))
	ebpf.agent with input as fx.review(obj)
}

test_not_an_agent if {
	not ebpf.agent with input as _input([fx.container("web", {"volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}]})])
}

test_agent_by_tracing_mount if {
	ebpf.agent with input as _input([fx.container("x", {"volumeMounts": [{"name": "tracing", "mountPath": "/sys/kernel/tracing"}]})])
}

# SYS_ADMIN is what CSI drivers (mounts), policy engines and network
# plugins add: alone it does not make an eBPF agent, and EBPF-001/002 stay
# silent on such pods however privileged.
test_sys_admin_alone_is_not_an_agent if {
	csi := fx.container("csi-node", {
		"securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}},
		"volumeMounts": [{"name": "kubelet", "mountPath": "/var/lib/kubelet", "mountPropagation": "Bidirectional"}],
	})
	not ebpf.agent with input as _input([csi])
	count(ebpf.privileged) == 0 with input as _input([csi])
	count(ebpf.sys_admin) == 0 with input as _input([csi])
}

test_sys_admin_with_bpffs_is_an_agent if {
	ebpf.agent with input as _input([_agent_container(["SYS_ADMIN"], {}, [{"name": "bpffs", "mountPath": "/sys/fs/bpf"}])])
}

# --- EBPF-001 ------------------------------------------------------------------

test_ebpf001_privileged_fires if {
	vs := ebpf.privileged with input as _input([_agent_container(["BPF"], {"privileged": true}, [])])
	{v.field | some v in vs} == {"spec.template.spec.containers[0].securityContext.privileged"}
}

test_ebpf001_unprivileged_passes if {
	count(ebpf.privileged) == 0 with input as _input([_good])
}

test_ebpf001_privileged_non_agent_ignored if {
	c := fx.container("web", {"securityContext": {"privileged": true}})
	count(ebpf.privileged) == 0 with input as _input([c])
}

# --- EBPF-002 ------------------------------------------------------------------

test_ebpf002_sys_admin_fires if {
	vs := ebpf.sys_admin with input as _input([_agent_container(["SYS_ADMIN"], {}, [{"name": "bpffs", "mountPath": "/sys/fs/bpf"}])])
	{v.field | some v in vs} == {"spec.template.spec.containers[0].securityContext.capabilities.add"}
}

test_ebpf002_bpf_perfmon_passes if {
	count(ebpf.sys_admin) == 0 with input as _input([_good])
}

# --- EBPF-003 ------------------------------------------------------------------

test_ebpf003_writable_proc_fires if {
	c := _agent_container(["BPF"], {}, [{"name": "proc", "mountPath": "/host/proc"}])
	vs := ebpf.host_path_writable with input as _input([c])
	{v.field | some v in vs} == {"spec.template.spec.containers[0].volumeMounts[0]"}
}

test_ebpf003_trailing_slash_and_modules if {
	c := _agent_container(["BPF"], {}, [{"name": "btf", "mountPath": "/sys/kernel/btf"}, {"name": "modules", "mountPath": "/lib/modules"}])
	count(ebpf.host_path_writable) == 2 with input as _input([c])
}

test_ebpf003_host_root_exposes_everything if {
	c := _agent_container(["BPF"], {}, [{"name": "root", "mountPath": "/host"}])
	count(ebpf.host_path_writable) == 5 with input as _input([c])
}

test_ebpf003_bpffs_read_write_and_read_only_proc_pass if {
	count(ebpf.host_path_writable) == 0 with input as _input([_good])
}

# --- EBPF-004 ------------------------------------------------------------------

_cluster(name, version, btf) := fx.cluster(name, object.union(fx.cloud_spec("eu-west-1", "on-demand"), {"kernel": {"version": version, "btf": btf}}), null)

test_ebpf004_old_kernel_fires if {
	inp := fx.placed(_ds([_good]), {"clusters": [_cluster("old", "5.4.0-150-generic", true), _cluster("new", "6.1.0", true)]})
	vs := ebpf.kernel_unsupported with input as inp
	count(vs) == 1
	some v in vs
	contains(v.msg, `"old"`)
	v.field == "spec.template.spec"
}

test_ebpf004_no_btf_fires if {
	inp := fx.placed(_ds([_good]), {"clusters": [_cluster("edge-1", "5.15.0", false)]})
	vs := ebpf.kernel_unsupported with input as inp
	some v in vs
	contains(v.msg, "no BTF")
}

test_ebpf004_numeric_comparison if {
	inp := fx.placed(_ds([_good]), {"clusters": [_cluster("a", "5.10.0", true), _cluster("b", "5.8", true), _cluster("c", "10.0.1", true)]})
	count(ebpf.kernel_unsupported) == 0 with input as inp
}

test_ebpf004_minor_below_fires if {
	inp := fx.placed(_ds([_good]), {"clusters": [_cluster("a", "5.7.19", true)]})
	count(ebpf.kernel_unsupported) == 1 with input as inp
}

test_ebpf004_silent_without_flotilla if {
	count(ebpf.kernel_unsupported) == 0 with input as _input([_good])
}

test_ebpf004_non_agent_ignored if {
	obj := fx.workload("Deployment", "web", fx.good_pod_spec([fx.good_container("web")]))
	inp := fx.placed(obj, {"clusters": [_cluster("old", "4.19.0", false)]})
	count(ebpf.kernel_unsupported) == 0 with input as inp
}

test_ebpf003_below_sensitive_path if {
	spec := object.union(fx.good_pod_spec([_agent_container(["BPF"], {}, [{"name": "src", "mountPath": "/usr/src/linux"}])]), {"volumes": [{"name": "src", "hostPath": {"path": "/usr/src/linux-headers-6.1"}}]})
	vs := ebpf.host_path_writable with input as fx.review(fx.workload("DaemonSet", "profiler", spec))
	some v in vs
	contains(v.msg, "exposes /usr/src")
}
