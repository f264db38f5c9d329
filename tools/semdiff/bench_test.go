package semdiff

import (
	"strings"
	"testing"
)

// deploymentJSON is a Deployment of the size flotilla plans by the hundred:
// three containers with env, ports, mounts and probes, and volumes.
const deploymentJSON = `{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "4711", "generation": 7,
    "labels": {"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop", "tier": "frontend"},
    "annotations": {"flotilla.io/rollout-wave": "2", "deployment.kubernetes.io/revision": "7"}},
  "spec": {"replicas": 3, "revisionHistoryLimit": 5,
    "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
    "template": {
      "metadata": {"labels": {"app.kubernetes.io/name": "web", "tier": "frontend"}},
      "spec": {
        "serviceAccountName": "web",
        "securityContext": {"runAsNonRoot": true, "fsGroup": 2000},
        "containers": [
          {"name": "web", "image": "registry.example.com/web:1.4.2", "imagePullPolicy": "IfNotPresent",
           "args": ["--listen=:8080", "--metrics=:9090", "--log-format=json"],
           "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
           "env": [{"name": "DB_HOST", "value": "db.shop.svc"}, {"name": "DB_PORT", "value": "5432"},
                   {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                   {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
           "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
           "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
           "livenessProbe": {"httpGet": {"path": "/livez", "port": "http"}, "initialDelaySeconds": 15},
           "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}, {"name": "cache", "mountPath": "/var/cache/web"}],
           "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}},
          {"name": "envoy", "image": "envoyproxy/envoy:v1.30.2", "args": ["-c", "/etc/envoy/envoy.yaml"],
           "ports": [{"name": "proxy", "containerPort": 10000}],
           "volumeMounts": [{"name": "envoy", "mountPath": "/etc/envoy", "readOnly": true}],
           "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
          {"name": "log-shipper", "image": "fluent/fluent-bit:3.0", "env": [{"name": "OUTPUT", "value": "loki"}],
           "volumeMounts": [{"name": "cache", "mountPath": "/var/cache/web", "readOnly": true}]}
        ],
        "volumes": [{"name": "config", "configMap": {"name": "web-config"}},
                    {"name": "envoy", "configMap": {"name": "envoy-config", "items": [{"key": "envoy.yaml", "path": "envoy.yaml"}]}},
                    {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}],
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}]
      }
    }
  },
  "status": {"replicas": 3, "readyReplicas": 3, "observedGeneration": 7}
}`

func BenchmarkDiff(b *testing.B) {
	before := obj(deploymentJSON)
	after := obj(strings.Replace(deploymentJSON, "registry.example.com/web:1.4.2", "registry.example.com/web:1.5.0", 1))
	opts := Options{Ignore: []string{"metadata.resourceVersion", "metadata.generation", "status"}}
	if cs := Diff(before, after, opts); len(cs) != 1 || cs[0].Path != "spec.template.spec.containers[name=web].image" {
		b.Fatalf("unexpected diff:\n%s", dump(cs))
	}
	b.ReportAllocs()
	for b.Loop() {
		Diff(before, after, opts)
	}
}
