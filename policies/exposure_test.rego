package flotilla.exposure_test

import data.flotilla.exposure
import data.flotilla.lib.fixtures_test as fx

_ports(ports) := fx.container("api", {"ports": ports})

_api := fx.workload("Deployment", "api", fx.good_pod_spec([_ports([
	{"name": "http", "containerPort": 8080},
	{"name": "pprof", "containerPort": 6061},
	{"containerPort": 6060},
])]))

_inventory := {"namespace": {"shop": {
	"apps/v1": {"Deployment": {"api": _api}},
	"v1": {"Service": {"api": _service([{"name": "http", "port": 80, "targetPort": "http"}, {"name": "debug", "port": 6060}])}},
}}}

_service(ports) := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": {"name": "api", "namespace": "shop"},
	"spec": {"selector": {"app": "api"}, "ports": ports},
}

test_debug_port if {
	exposure.debug_port({"containerPort": 6060})
	exposure.debug_port({"name": "pprof", "containerPort": 7000})
	exposure.debug_port({"name": "Debug", "containerPort": 7000})
	exposure.debug_port({"name": "go-pprof", "containerPort": 7000})
	not exposure.debug_port({"name": "http", "containerPort": 8080})
}

# --- EXP-001 -------------------------------------------------------------------

test_exp001_target_port_by_number if {
	svc := _service([{"name": "http", "port": 80, "targetPort": 8080}, {"name": "prof", "port": 9000, "targetPort": 6060}])
	vs := exposure.service_debug_port with input as fx.review(svc) with data.inventory as _inventory
	{v.field | some v in vs} == {"spec.ports[1]"}
}

test_exp001_target_port_by_name if {
	svc := _service([{"name": "prof", "port": 9000, "targetPort": "pprof"}])
	vs := exposure.service_debug_port with input as fx.review(svc) with data.inventory as _inventory
	some v in vs
	contains(v.msg, `Deployment/api container "api" port 6061 (pprof)`)
}

test_exp001_default_target_port if {
	svc := _service([{"port": 6060}])
	count(exposure.service_debug_port) == 1 with input as fx.review(svc) with data.inventory as _inventory
}

test_exp001_application_port_passes if {
	svc := _service([{"name": "http", "port": 80, "targetPort": "http"}])
	count(exposure.service_debug_port) == 0 with input as fx.review(svc) with data.inventory as _inventory
}

test_exp001_other_selector_passes if {
	svc := object.union(_service([{"port": 6060}]), {"spec": {"selector": {"app": "web"}}})
	count(exposure.service_debug_port) == 0 with input as fx.review(svc) with data.inventory as _inventory
}

test_exp001_other_namespace_passes if {
	svc := object.union(_service([{"port": 6060}]), {"metadata": {"namespace": "web"}})
	count(exposure.service_debug_port) == 0 with input as fx.review(svc) with data.inventory as _inventory
}

# A Service linted without its pods is judged by its own ports when it
# publishes them outside the cluster.
test_exp001_own_ports_of_a_load_balancer if {
	svc := object.union(_service([{"name": "http", "port": 80}, {"name": "pprof", "port": 8081}, {"port": 6060}, {"name": "admin", "port": 9000, "targetPort": "debug"}]), {"spec": {"type": "LoadBalancer"}})
	vs := exposure.service_debug_port with input as fx.review(svc)
	{v.field | some v in vs} == {"spec.ports[1]", "spec.ports[2]", "spec.ports[3]"}
	some v in vs
	v.msg == `Service "api" (LoadBalancer) publishes port 8081, a debug port by its name "pprof"`
}

test_exp001_own_ports_of_a_cluster_ip_service_pass if {
	svc := _service([{"name": "pprof", "port": 6060}])
	count(exposure.service_debug_port) == 0 with input as fx.review(svc)
}

test_exp001_node_port_with_pods_one_finding if {
	svc := object.union(_service([{"port": 6060}]), {"spec": {"type": "NodePort"}})
	count(exposure.service_debug_port) == 1 with input as fx.review(svc) with data.inventory as _inventory
}

# --- EXP-002 -------------------------------------------------------------------

test_exp002_host_port_on_debug_port if {
	obj := fx.workload("DaemonSet", "agent", fx.good_pod_spec([_ports([{"name": "pprof", "containerPort": 6060, "hostPort": 6060}])]))
	vs := exposure.host_debug_port with input as fx.review(obj)
	{v.field | some v in vs} == {"spec.template.spec.containers[0].ports[0].hostPort"}
}

test_exp002_host_port_on_app_port_passes if {
	obj := fx.workload("DaemonSet", "agent", fx.good_pod_spec([_ports([{"name": "http", "containerPort": 8080, "hostPort": 8080}, {"containerPort": 6060}])]))
	count(exposure.host_debug_port) == 0 with input as fx.review(obj)
}

# --- EXP-003 -------------------------------------------------------------------

_ingress(spec) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": "api", "namespace": "shop"},
	"spec": spec,
}

_rule(port) := {"host": "api.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": port}}}]}}

_tls := [{"hosts": ["api.example.com"], "secretName": "api-tls"}]

test_exp003_routes_to_debug_port_by_number if {
	ing := _ingress({"tls": _tls, "rules": [_rule({"number": 6060})]})
	vs := exposure.ingress_debug_port with input as fx.review(ing) with data.inventory as _inventory
	{v.field | some v in vs} == {"spec.rules[0].http.paths[0].backend"}
}

test_exp003_routes_to_debug_port_by_name if {
	ing := _ingress({"tls": _tls, "defaultBackend": {"service": {"name": "api", "port": {"name": "debug"}}}})
	vs := exposure.ingress_debug_port with input as fx.review(ing) with data.inventory as _inventory
	{v.field | some v in vs} == {"spec.defaultBackend"}
}

test_exp003_application_port_passes if {
	ing := _ingress({"tls": _tls, "rules": [_rule({"number": 80})]})
	count(exposure.ingress_debug_port) == 0 with input as fx.review(ing) with data.inventory as _inventory
}

# Without the Service or its pods in the set, the Ingress's own backend
# port is the evidence.
test_exp003_backend_port_alone_fires if {
	ing := _ingress({"tls": _tls, "rules": [_rule({"number": 6060})], "defaultBackend": {"service": {"name": "api", "port": {"name": "pprof"}}}})
	vs := exposure.ingress_debug_port with input as fx.review(ing)
	{v.msg | some v in vs} == {
		`Ingress "api" routes to Service "api" port 6060, a debug port by its number 6060`,
		`Ingress "api" routes to Service "api" port pprof, a debug port by its name "pprof"`,
	}
}

test_exp003_unknown_service_application_port_passes if {
	ing := _ingress({"tls": _tls, "rules": [_rule({"number": 8080})]})
	count(exposure.ingress_debug_port) == 0 with input as fx.review(ing)
}

# The Service in the set, without its pods, adds its port's evidence.
test_exp003_service_port_evidence if {
	inv := {"namespace": {"shop": {"v1": {"Service": {"api": _service([{"name": "admin", "port": 9000, "targetPort": 6060}])}}}}}
	ing := _ingress({"tls": _tls, "rules": [_rule({"number": 9000})]})
	vs := exposure.ingress_debug_port with input as fx.review(ing) with data.inventory as inv
	{v.msg | some v in vs} == {`Ingress "api" routes to Service "api" port 9000, a debug port by its Service port's targetPort 6060`}
}

# With the pods in the set the pod-based finding says it; no second one.
test_exp003_one_finding_per_backend if {
	ing := _ingress({"tls": _tls, "rules": [_rule({"number": 6060})]})
	count(exposure.ingress_debug_port) == 1 with input as fx.review(ing) with data.inventory as _inventory
}

# --- EXP-004 -------------------------------------------------------------------

test_exp004_no_tls if {
	vs := exposure.ingress_without_tls with input as fx.review(_ingress({"rules": [_rule({"number": 80})]}))
	{v.field | some v in vs} == {"spec"}
}

test_exp004_host_not_covered if {
	ing := _ingress({"tls": [{"hosts": ["www.example.com"]}], "rules": [_rule({"number": 80})]})
	vs := exposure.ingress_without_tls with input as fx.review(ing)
	{v.field | some v in vs} == {"spec.rules[0].host"}
}

test_exp004_tls_passes if {
	count(exposure.ingress_without_tls) == 0 with input as fx.review(_ingress({"tls": _tls, "rules": [_rule({"number": 80})]}))
}

test_exp004_wildcard_covers_one_label if {
	ing := _ingress({"tls": [{"hosts": ["*.example.com"]}], "rules": [_rule({"number": 80}), {"host": "a.b.example.com"}]})
	vs := exposure.ingress_without_tls with input as fx.review(ing)
	{v.field | some v in vs} == {"spec.rules[1].host"}
}

test_exp004_tls_without_hosts_covers_all if {
	ing := _ingress({"tls": [{"secretName": "default"}], "rules": [_rule({"number": 80})]})
	count(exposure.ingress_without_tls) == 0 with input as fx.review(ing)
}
