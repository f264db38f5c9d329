package apischema_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
)

// want is one expected error: exact field, type and origin, and a
// substring of the message ("" for any).
type want struct {
	field, typ, origin, msg string
}

type tableCase struct {
	name string
	obj  string // one YAML (or JSON) request body
	want []want // nil: the object must pass
}

// runTable validates each case's body and requires exactly the wanted
// errors, in order.
func runTable(t *testing.T, v *apischema.Validator, cases []tableCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := v.ValidateRaw(context.Background(), []byte(strings.TrimLeft(c.obj, "\n")))
			ok := len(got) == len(c.want)
			for i := 0; ok && i < len(got); i++ {
				w, g := c.want[i], got[i]
				ok = g.Field == w.field && g.Type == w.typ && (w.origin == "" || g.Origin == w.origin) && strings.Contains(g.Message, w.msg)
			}
			if !ok {
				t.Errorf("want %v\ngot:\n%s", c.want, dump(got))
			}
		})
	}
}

const (
	oStrategy = apischema.OriginStrategy
	oDecode   = apischema.OriginDecode
	oRequest  = apischema.OriginRequest
)

func TestBuiltinKinds(t *testing.T) {
	runTable(t, validator(t), []tableCase{
		{name: "deployment valid", obj: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
`},
		{name: "deployment negative replicas and bad name", obj: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: Web, namespace: shop}
spec:
  replicas: -1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
`, want: []want{
			{"metadata.name", "FieldValueInvalid", oStrategy, `Invalid value: "Web": a lowercase RFC 1123 subdomain`},
			{"spec.replicas", "FieldValueInvalid", oStrategy, "must be greater than or equal to 0"},
		}},
		{name: "job restartPolicy Always", obj: `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Always
      containers: [{name: m, image: busybox}]
`, want: []want{
			{"spec.template.spec.restartPolicy", "FieldValueRequired", oStrategy, `valid values: "OnFailure", "Never"`},
		}},
		{name: "statefulset bad podManagementPolicy", obj: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  podManagementPolicy: Sometimes
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16}]
`, want: []want{
			{"spec.podManagementPolicy", "FieldValueInvalid", oStrategy, `must be 'OrderedReady' or 'Parallel'`},
		}},
		{name: "secret bad key", obj: `
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: shop}
stringData: {"bad key": x}
`, want: []want{
			{"data[bad key]", "FieldValueInvalid", oStrategy, "a valid config key must consist of alphanumeric characters"},
		}},
		{name: "service externalName with ports is fine, bad type is not", obj: `
apiVersion: v1
kind: Service
metadata: {name: s, namespace: shop}
spec:
  type: Balancer
  ports: [{port: 80}]
`, want: []want{
			{"spec.type", "FieldValueNotSupported", oStrategy, `Unsupported value: "Balancer"`},
		}},
		{name: "pdb minAvailable and maxUnavailable", obj: `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: p, namespace: shop}
spec:
  minAvailable: 1
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
`, want: []want{
			{"spec", "FieldValueInvalid", oStrategy, "minAvailable and maxUnavailable cannot be both set"},
		}},
		{name: "ingress without backend rules", obj: `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, namespace: shop}
spec: {}
`, want: []want{
			{"spec", "FieldValueInvalid", oStrategy, "either `defaultBackend` or `rules` must be specified"},
		}},
		{name: "clusterrolebinding without roleRef name", obj: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ""}
`, want: []want{
			{"roleRef.name", "FieldValueRequired", oStrategy, ""},
		}},
		{name: "cluster-scoped with namespace is cleared, not refused", obj: `
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high, namespace: shop}
value: 1000
`},
		{name: "CRD without versions", obj: `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions: []
`, want: []want{
			{"spec.versions", "FieldValueInvalid", oStrategy, "must have exactly one version marked as storage version"},
			{"status.storedVersions", "FieldValueInvalid", oStrategy, "must have at least one stored version"},
		}},
		{name: "unknown field in JSON body", obj: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"shop"},"dta":{"a":"b"}}`,
			want: []want{{"dta", apischema.TypeUnknownField, oDecode, `unknown field "dta"`}}},
		{name: "duplicate field in JSON body", obj: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","name":"d"}}`,
			want: []want{{"metadata.name", apischema.TypeDuplicateField, oDecode, `duplicate field "metadata.name"`}}},
		{name: "malformed JSON", obj: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}`,
			want: []want{{"", apischema.TypeBadRequest, oRequest, ""}}},
		{name: "quantity that does not parse", obj: `
apiVersion: v1
kind: LimitRange
metadata: {name: l, namespace: shop}
spec:
  limits: [{type: Container, max: {cpu: lots}}]
`, want: []want{
			{"", apischema.TypeBadRequest, oDecode, "LimitRange in version \"v1\" cannot be handled as a LimitRange: quantities must match the regular expression"},
		}},
	})
}

func TestKarmadaCluster(t *testing.T) {
	runTable(t, validator(t), []tableCase{
		{name: "push cluster", obj: `
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: member1}
spec:
  syncMode: Push
  apiEndpoint: https://10.0.0.1:6443
  secretRef: {namespace: karmada-cluster, name: member1}
status:
  kubernetesVersion: v1.31.3
`},
		{name: "name longer than 48", obj: `
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: a-cluster-name-that-is-much-longer-than-karmada-allows}
spec: {syncMode: Pull}
`, want: []want{
			{"metadata.name", "FieldValueInvalid", oStrategy, "must be no more than 48 characters"},
		}},
		{name: "missing syncMode and secretRef namespace", obj: `
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: member2}
spec:
  apiEndpoint: https://10.0.0.2:6443
  secretRef: {name: member2}
`, want: []want{
			{"spec.syncMode", "FieldValueRequired", oStrategy, ""},
			{"spec.syncMode", "FieldValueNotSupported", oStrategy, `supported values: "Pull", "Push"`},
			{"spec.secretRef.namespace", "FieldValueRequired", oStrategy, ""},
		}},
		{name: "taint without effect", obj: `
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: member3}
spec:
  syncMode: Pull
  taints: [{key: flotilla.io/spot}]
`, want: []want{
			{"spec.taints[0].effect", "FieldValueRequired", oStrategy, ""},
		}},
		{name: "strict decoding into the Go type", obj: `
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: member4}
spec: {syncMode: Pull, syncmode: Push}
`, want: []want{
			{"spec.syncmode", apischema.TypeUnknownField, oDecode, `unknown field "spec.syncmode"`},
		}},
	})
}

func TestKarmadaPolicyWebhooks(t *testing.T) {
	pp := func(placement string) string {
		return `
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement:
` + placement
	}
	runTable(t, validator(t), []tableCase{
		// Passing at all proves the mutating webhook ran: the validating
		// one refuses any policy without the permanent-id label it sets.
		{name: "propagation policy valid", obj: pp(`
    clusterAffinity: {clusterNames: [member1]}
`)},
		// The second constraint has neither spreadByField nor
		// spreadByLabel: the mutating webhook makes it a cluster
		// constraint, which is what the region constraint requires.
		{name: "mutating webhook defaults a spread constraint", obj: pp(`
    spreadConstraints:
    - {spreadByField: region, maxGroups: 2}
    - {maxGroups: 3}
`)},
		{name: "region spread without cluster spread", obj: pp(`
    spreadConstraints:
    - {spreadByField: region, maxGroups: 2}
`), want: []want{
			{"spec.placement.spreadConstraints", "FieldValueInvalid", "admission:propagationpolicy.karmada.io", "the cluster spread constraint must be enabled"},
		}},
		{name: "spreadByField and spreadByLabel", obj: pp(`
    spreadConstraints:
    - {spreadByField: cluster, spreadByLabel: zone, maxGroups: 2}
`), want: []want{
			{"spec.placement.spreadConstraints[0]", "FieldValueInvalid", "admission:propagationpolicy.karmada.io", "spreadByLabel should not co-exist with spreadByField"},
		}},
		{name: "schema runs before webhooks", obj: pp(`
    replicaScheduling: {replicaSchedulingType: Halved}
`), want: []want{
			{"spec.placement.replicaScheduling.replicaSchedulingType", "FieldValueNotSupported", oStrategy, `supported values: "Duplicated", "Divided"`},
		}},
		{name: "cluster propagation policy affinity names", obj: `
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: crds}
spec:
  resourceSelectors: [{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition}]
  placement:
    clusterAffinities:
    - {affinityName: primary, clusterNames: [a]}
    - {affinityName: primary, clusterNames: [b]}
`, want: []want{
			{"spec.placement.clusterAffinities", "FieldValueInvalid", "admission:clusterpropagationpolicy.karmada.io", "each affinity term in a policy must have a unique name"},
		}},
		{name: "override policy remove with value", obj: `
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: o, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  overrideRules:
  - targetCluster: {clusterNames: [member1]}
    overriders:
      fieldOverrider:
      - fieldPath: /data/config.yaml
        yaml: [{subPath: /a, operator: remove, value: 1}]
`, want: []want{
			{"spec.overrideRules[0].overriders.fieldOverrider[0].yaml[0].value", "FieldValueInvalid", "admission:overridepolicy.karmada.io", "value is not allowed for remove operation"},
		}},
		{name: "cluster override policy bad annotation", obj: `
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: co}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  overrideRules:
  - overriders:
      annotationsOverrider:
      - {operator: add, value: {"bad key!": x}}
`, want: []want{
			{"spec.overrideRules[0].overriders.annotationsOverrider[0].value", "FieldValueInvalid", "admission:clusteroverridepolicy.karmada.io", "name part must consist of alphanumeric characters"},
		}},
		{name: "cluster-scoped policy with a namespace is cleared", obj: `
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: co2, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
`},
	})
}

// widgetCRD exercises what the embedded CRDs do not: CEL rules, structural
// defaults, list-map keys, embedded resources, the status subresource and
// an unserved version.
const widgetCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.flotilla.io
spec:
  group: test.flotilla.io
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: self.minReplicas <= self.maxReplicas
              message: minReplicas must not exceed maxReplicas
            properties:
              minReplicas: {type: integer, default: 2}
              maxReplicas: {type: integer}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer, minimum: 1}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            properties:
              phase: {type: string, enum: [Ready]}
  - name: v1alpha1
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

func widgetValidator(t *testing.T) *apischema.Validator {
	t.Helper()
	v, err := apischema.New(apischema.Options{ExtraCRDs: []fs.FS{fstest.MapFS{"widget.yaml": {Data: []byte(widgetCRD)}}}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCustomResources(t *testing.T) {
	v := widgetValidator(t)
	widget := func(spec string) string {
		return `
apiVersion: test.flotilla.io/v1
kind: Widget
metadata: {name: w, namespace: shop}
spec:
` + spec
	}
	runTable(t, v, []tableCase{
		{name: "valid", obj: widget(`
  maxReplicas: 3
  ports: [{name: http, port: 80}, {name: grpc, port: 90}]
  template: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
`)},
		// minReplicas defaults to 2 before the CEL rule runs.
		{name: "CEL rule sees the structural default", obj: widget(`
  maxReplicas: 1
`), want: []want{
			{"spec", "FieldValueInvalid", oStrategy, "minReplicas must not exceed maxReplicas"},
		}},
		{name: "list-map duplicate key", obj: widget(`
  maxReplicas: 3
  ports: [{name: http, port: 80}, {name: http, port: 81}]
`), want: []want{
			{"spec.ports[1]", "FieldValueDuplicate", oStrategy, `Duplicate value: map[string]interface {}{"name":"http"}`},
		}},
		// A required-field error blocks CEL, as on the server.
		{name: "schema errors block CEL", obj: widget(`
  maxReplicas: 1
  ports: [{port: 0}]
`), want: []want{
			{"spec.ports[0].port", "FieldValueInvalid", oStrategy, "should be greater than or equal to 1"},
			{"spec.ports[0].name", "FieldValueRequired", oStrategy, ""},
			{"", "FieldValueInvalid", oStrategy, "some validation rules were not checked because the object was invalid"},
		}},
		{name: "embedded resource metadata", obj: widget(`
  maxReplicas: 3
  template: {apiVersion: v1, kind: ConfigMap, metadata: {name: a/b}}
`), want: []want{
			{"spec.template.metadata.name", "FieldValueInvalid", oStrategy, `Invalid value: "a/b": may not contain '/'`},
		}},
		{name: "unknown fields, nested and in metadata", obj: widget(`
  maxReplicas: 3
  replicas: 3
  ports: [{name: http, protocol: TCP}]
`), want: []want{
			{"spec.ports[0].protocol", apischema.TypeUnknownField, oDecode, `unknown field "spec.ports[0].protocol"`},
			{"spec.replicas", apischema.TypeUnknownField, oDecode, `unknown field "spec.replicas"`},
		}},
		{name: "unknown metadata field", obj: `
apiVersion: test.flotilla.io/v1
kind: Widget
metadata: {name: w, namespace: shop, labelz: {a: b}}
spec: {maxReplicas: 3}
`, want: []want{
			{"metadata.labelz", apischema.TypeUnknownField, oDecode, `unknown field "metadata.labelz"`},
		}},
		// The status subresource: status is dropped on create, so an
		// invalid status is no error.
		{name: "status is dropped on create", obj: widget(`
  maxReplicas: 3
status: {phase: Broken}
`)},
		{name: "missing name", obj: `
apiVersion: test.flotilla.io/v1
kind: Widget
metadata: {namespace: shop}
spec: {maxReplicas: 3}
`, want: []want{
			{"metadata.name", "FieldValueRequired", oStrategy, "name or generateName is required"},
			{"", "FieldValueInvalid", oStrategy, "some validation rules were not checked"},
		}},
		{name: "generateName is accepted", obj: `
apiVersion: test.flotilla.io/v1
kind: Widget
metadata: {generateName: w-, namespace: shop}
spec: {maxReplicas: 3}
`},
		{name: "wrong type", obj: widget(`
  maxReplicas: "3"
`), want: []want{
			{"spec.maxReplicas", "FieldValueTypeInvalid", oStrategy, `spec.maxReplicas in body must be of type integer: "string"`},
			{"", "FieldValueInvalid", oStrategy, "some validation rules were not checked"},
		}},
		{name: "duplicate key in YAML", obj: widget(`
  maxReplicas: 3
  maxReplicas: 4
`), want: []want{
			{"spec.maxReplicas", apischema.TypeDuplicateField, oDecode, `line 7: key "maxReplicas" already set in map`},
		}},
		{name: "duplicate key in JSON", obj: `{"apiVersion":"test.flotilla.io/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"maxReplicas":3,"maxReplicas":4}}`,
			want: []want{
				{"spec.maxReplicas", apischema.TypeDuplicateField, oDecode, `duplicate field "spec.maxReplicas"`},
			}},
		{name: "unserved version", obj: `
apiVersion: test.flotilla.io/v1alpha1
kind: Widget
metadata: {name: w, namespace: shop}
`, want: []want{
			{"kind", apischema.TypeNoSchema, oRequest, "no schema for test.flotilla.io/v1alpha1, Kind=Widget (served versions of Widget.test.flotilla.io: [v1])"},
		}},
	})
}

func TestUnknownKind(t *testing.T) {
	runTable(t, validator(t), []tableCase{
		{name: "unknown group", obj: `
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g}
`, want: []want{{"kind", apischema.TypeNoSchema, oRequest, "no schema for example.com/v1, Kind=Gadget"}}},
		{name: "beta version not served by v1.31", obj: `
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: c}
`, want: []want{{"kind", apischema.TypeNoSchema, oRequest, "served versions of CronJob.batch: [v1]"}}},
		{name: "no kind", obj: `
apiVersion: v1
metadata: {name: g}
`, want: []want{{"kind", "FieldValueRequired", oRequest, ""}}},
	})
}

func TestKnown(t *testing.T) {
	v := validator(t)
	for gvk, known := range map[schema.GroupVersionKind]bool{
		{Group: "apps", Version: "v1", Kind: "Deployment"}:                           true,
		{Group: "apps", Version: "v1beta1", Kind: "Deployment"}:                      false,
		{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}:       true,
		{Group: "cluster.karmada.io", Version: "v1alpha1", Kind: "Cluster"}:          true,
		{Group: "policy.karmada.io", Version: "v1alpha1", Kind: "PropagationPolicy"}: true,
		{Group: "work.karmada.io", Version: "v1alpha2", Kind: "ResourceBinding"}:     true,
		{Group: "velero.io", Version: "v1", Kind: "Schedule"}:                        true,
		{Group: "argoproj.io", Version: "v1alpha1", Kind: "ApplicationSet"}:          true,
		{Group: "apps.kubeedge.io", Version: "v1alpha1", Kind: "NodeGroup"}:          true,
		{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"}:      true,
		{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}:      false,
	} {
		if got := v.Known(gvk); got != known {
			t.Errorf("Known(%s) = %v, want %v", gvk, got, known)
		}
	}
}
