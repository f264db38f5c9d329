package apischema

import (
	"fmt"
	"reflect"

	clusterinstall "github.com/karmada-io/karmada/pkg/apis/cluster/install"
	searchinstall "github.com/karmada-io/karmada/pkg/apis/search/install"
	clusterregistry "github.com/karmada-io/karmada/pkg/registry/cluster"
	searchregistry "github.com/karmada-io/karmada/pkg/registry/search"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdregistry "k8s.io/apiextensions-apiserver/pkg/registry/customresourcedefinition"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	regapiservice "k8s.io/kube-aggregator/pkg/registry/apiservice"
	"k8s.io/kubernetes/pkg/apis/admissionregistration"
	admissionregistrationv1 "k8s.io/kubernetes/pkg/apis/admissionregistration/v1"
	"k8s.io/kubernetes/pkg/apis/apps"
	appsv1 "k8s.io/kubernetes/pkg/apis/apps/v1"
	"k8s.io/kubernetes/pkg/apis/autoscaling"
	autoscalingv1 "k8s.io/kubernetes/pkg/apis/autoscaling/v1"
	autoscalingv2 "k8s.io/kubernetes/pkg/apis/autoscaling/v2"
	"k8s.io/kubernetes/pkg/apis/batch"
	batchv1 "k8s.io/kubernetes/pkg/apis/batch/v1"
	"k8s.io/kubernetes/pkg/apis/certificates"
	certificatesv1 "k8s.io/kubernetes/pkg/apis/certificates/v1"
	"k8s.io/kubernetes/pkg/apis/coordination"
	coordinationv1 "k8s.io/kubernetes/pkg/apis/coordination/v1"
	"k8s.io/kubernetes/pkg/apis/core"
	corev1 "k8s.io/kubernetes/pkg/apis/core/v1"
	"k8s.io/kubernetes/pkg/apis/discovery"
	discoveryv1 "k8s.io/kubernetes/pkg/apis/discovery/v1"
	"k8s.io/kubernetes/pkg/apis/events"
	eventsv1 "k8s.io/kubernetes/pkg/apis/events/v1"
	"k8s.io/kubernetes/pkg/apis/flowcontrol"
	flowcontrolv1 "k8s.io/kubernetes/pkg/apis/flowcontrol/v1"
	flowcontrolv1beta3 "k8s.io/kubernetes/pkg/apis/flowcontrol/v1beta3"
	"k8s.io/kubernetes/pkg/apis/networking"
	networkingv1 "k8s.io/kubernetes/pkg/apis/networking/v1"
	"k8s.io/kubernetes/pkg/apis/node"
	nodev1 "k8s.io/kubernetes/pkg/apis/node/v1"
	"k8s.io/kubernetes/pkg/apis/policy"
	policyv1 "k8s.io/kubernetes/pkg/apis/policy/v1"
	"k8s.io/kubernetes/pkg/apis/rbac"
	rbacv1 "k8s.io/kubernetes/pkg/apis/rbac/v1"
	"k8s.io/kubernetes/pkg/apis/scheduling"
	schedulingv1 "k8s.io/kubernetes/pkg/apis/scheduling/v1"
	"k8s.io/kubernetes/pkg/apis/storage"
	storagev1 "k8s.io/kubernetes/pkg/apis/storage/v1"
	regmutatingwebhook "k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingwebhookconfiguration"
	regvap "k8s.io/kubernetes/pkg/registry/admissionregistration/validatingadmissionpolicy"
	regvapbinding "k8s.io/kubernetes/pkg/registry/admissionregistration/validatingadmissionpolicybinding"
	regvalidatingwebhook "k8s.io/kubernetes/pkg/registry/admissionregistration/validatingwebhookconfiguration"
	regcontrollerrevision "k8s.io/kubernetes/pkg/registry/apps/controllerrevision"
	regdaemonset "k8s.io/kubernetes/pkg/registry/apps/daemonset"
	regdeployment "k8s.io/kubernetes/pkg/registry/apps/deployment"
	regreplicaset "k8s.io/kubernetes/pkg/registry/apps/replicaset"
	regstatefulset "k8s.io/kubernetes/pkg/registry/apps/statefulset"
	reghpa "k8s.io/kubernetes/pkg/registry/autoscaling/horizontalpodautoscaler"
	regcronjob "k8s.io/kubernetes/pkg/registry/batch/cronjob"
	regjob "k8s.io/kubernetes/pkg/registry/batch/job"
	regcsr "k8s.io/kubernetes/pkg/registry/certificates/certificates"
	reglease "k8s.io/kubernetes/pkg/registry/coordination/lease"
	regconfigmap "k8s.io/kubernetes/pkg/registry/core/configmap"
	regendpoint "k8s.io/kubernetes/pkg/registry/core/endpoint"
	regevent "k8s.io/kubernetes/pkg/registry/core/event"
	reglimitrange "k8s.io/kubernetes/pkg/registry/core/limitrange"
	regnamespace "k8s.io/kubernetes/pkg/registry/core/namespace"
	regnode "k8s.io/kubernetes/pkg/registry/core/node"
	regpv "k8s.io/kubernetes/pkg/registry/core/persistentvolume"
	regpvc "k8s.io/kubernetes/pkg/registry/core/persistentvolumeclaim"
	regpod "k8s.io/kubernetes/pkg/registry/core/pod"
	regpodtemplate "k8s.io/kubernetes/pkg/registry/core/podtemplate"
	regrc "k8s.io/kubernetes/pkg/registry/core/replicationcontroller"
	regresourcequota "k8s.io/kubernetes/pkg/registry/core/resourcequota"
	regsecret "k8s.io/kubernetes/pkg/registry/core/secret"
	regservice "k8s.io/kubernetes/pkg/registry/core/service"
	regserviceaccount "k8s.io/kubernetes/pkg/registry/core/serviceaccount"
	regendpointslice "k8s.io/kubernetes/pkg/registry/discovery/endpointslice"
	regflowschema "k8s.io/kubernetes/pkg/registry/flowcontrol/flowschema"
	regplc "k8s.io/kubernetes/pkg/registry/flowcontrol/prioritylevelconfiguration"
	regingress "k8s.io/kubernetes/pkg/registry/networking/ingress"
	regingressclass "k8s.io/kubernetes/pkg/registry/networking/ingressclass"
	regnetworkpolicy "k8s.io/kubernetes/pkg/registry/networking/networkpolicy"
	regruntimeclass "k8s.io/kubernetes/pkg/registry/node/runtimeclass"
	regpdb "k8s.io/kubernetes/pkg/registry/policy/poddisruptionbudget"
	regclusterrole "k8s.io/kubernetes/pkg/registry/rbac/clusterrole"
	regclusterrolebinding "k8s.io/kubernetes/pkg/registry/rbac/clusterrolebinding"
	regrole "k8s.io/kubernetes/pkg/registry/rbac/role"
	regrolebinding "k8s.io/kubernetes/pkg/registry/rbac/rolebinding"
	regpriorityclass "k8s.io/kubernetes/pkg/registry/scheduling/priorityclass"
	regcsidriver "k8s.io/kubernetes/pkg/registry/storage/csidriver"
	regcsinode "k8s.io/kubernetes/pkg/registry/storage/csinode"
	regcsistoragecapacity "k8s.io/kubernetes/pkg/registry/storage/csistoragecapacity"
	regstorageclass "k8s.io/kubernetes/pkg/registry/storage/storageclass"
	regvolumeattachment "k8s.io/kubernetes/pkg/registry/storage/volumeattachment"
)

// kube is the source of the kinds kube-apiserver serves.
const kube = "kube-apiserver"

// typedKinds are the kinds served from Go types: Kubernetes' built-in
// kinds and Karmada's aggregated Cluster.
type typedKinds struct {
	scheme *runtime.Scheme
	kinds  []*kind
}

// typedDef is one served kind: its REST resource and the registry
// strategy the real apiserver's storage for it is built with.
type typedDef struct {
	gv       schema.GroupVersion
	kind     string
	resource string
	strategy rest.RESTCreateStrategy
	source   string
}

// newTypedScheme registers, into a scheme of our own, what the group
// install packages (k8s.io/kubernetes/pkg/apis/<group>/install) register
// into legacyscheme.Scheme: the internal types and the served versions
// with their defaulting and conversion functions. The install packages
// are not imported because their init() would fill the global
// legacyscheme.Scheme.
func newTypedScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		core.AddToScheme, corev1.AddToScheme,
		apps.AddToScheme, appsv1.AddToScheme,
		batch.AddToScheme, batchv1.AddToScheme,
		policy.AddToScheme, policyv1.AddToScheme,
		networking.AddToScheme, networkingv1.AddToScheme,
		rbac.AddToScheme, rbacv1.AddToScheme,
		autoscaling.AddToScheme, autoscalingv1.AddToScheme, autoscalingv2.AddToScheme,
		scheduling.AddToScheme, schedulingv1.AddToScheme,
		storage.AddToScheme, storagev1.AddToScheme,
		admissionregistration.AddToScheme, admissionregistrationv1.AddToScheme,
		coordination.AddToScheme, coordinationv1.AddToScheme,
		discovery.AddToScheme, discoveryv1.AddToScheme,
		node.AddToScheme, nodev1.AddToScheme,
		events.AddToScheme, eventsv1.AddToScheme,
		certificates.AddToScheme, certificatesv1.AddToScheme,
		flowcontrol.AddToScheme, flowcontrolv1.AddToScheme, flowcontrolv1beta3.AddToScheme,
		apiregistration.AddToScheme, apiregistrationv1.AddToScheme,
		apiextensionsinternal.AddToScheme, apiextensionsv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	// Karmada's aggregated apiserver scheme (pkg/apis/cluster/scheme):
	// clusterinstall.Install is a plain function, no init side effect.
	clusterinstall.Install(s)
	// karmada-search's scheme (pkg/apis/search/install), likewise.
	searchinstall.Install(s)
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return s, nil
}

func typedDefs(s *runtime.Scheme) []typedDef {
	gv := func(group, version string) schema.GroupVersion {
		return schema.GroupVersion{Group: group, Version: version}
	}
	core := gv("", "v1")
	apps := gv("apps", "v1")
	batch := gv("batch", "v1")
	networking := gv("networking.k8s.io", "v1")
	rbac := gv("rbac.authorization.k8s.io", "v1")
	admission := gv("admissionregistration.k8s.io", "v1")
	storage := gv("storage.k8s.io", "v1")
	return []typedDef{
		{core, "ConfigMap", "configmaps", regconfigmap.Strategy, kube},
		{core, "Secret", "secrets", regsecret.Strategy, kube},
		{core, "Namespace", "namespaces", regnamespace.Strategy, kube},
		{core, "ServiceAccount", "serviceaccounts", regserviceaccount.Strategy, kube},
		{core, "Service", "services", regservice.Strategy, kube},
		{core, "Pod", "pods", regpod.Strategy, kube},
		{core, "PodTemplate", "podtemplates", regpodtemplate.Strategy, kube},
		{core, "ReplicationController", "replicationcontrollers", regrc.Strategy, kube},
		{core, "PersistentVolumeClaim", "persistentvolumeclaims", regpvc.Strategy, kube},
		{core, "PersistentVolume", "persistentvolumes", regpv.Strategy, kube},
		{core, "LimitRange", "limitranges", reglimitrange.Strategy, kube},
		{core, "ResourceQuota", "resourcequotas", regresourcequota.Strategy, kube},
		{core, "Endpoints", "endpoints", regendpoint.Strategy, kube},
		{apps, "Deployment", "deployments", regdeployment.Strategy, kube},
		{apps, "DaemonSet", "daemonsets", regdaemonset.Strategy, kube},
		{apps, "StatefulSet", "statefulsets", regstatefulset.Strategy, kube},
		{apps, "ReplicaSet", "replicasets", regreplicaset.Strategy, kube},
		{apps, "ControllerRevision", "controllerrevisions", regcontrollerrevision.Strategy, kube},
		{batch, "Job", "jobs", regjob.Strategy, kube},
		{batch, "CronJob", "cronjobs", regcronjob.Strategy, kube},
		{gv("policy", "v1"), "PodDisruptionBudget", "poddisruptionbudgets", regpdb.Strategy, kube},
		{networking, "Ingress", "ingresses", regingress.Strategy, kube},
		{networking, "IngressClass", "ingressclasses", regingressclass.Strategy, kube},
		{networking, "NetworkPolicy", "networkpolicies", regnetworkpolicy.Strategy, kube},
		// RBAC objects are stored through policybased.Storage, which in
		// addition checks that the requester holds every permission it
		// grants; a cluster admin always does.
		{rbac, "Role", "roles", regrole.Strategy, kube},
		{rbac, "ClusterRole", "clusterroles", regclusterrole.Strategy, kube},
		{rbac, "RoleBinding", "rolebindings", regrolebinding.Strategy, kube},
		{rbac, "ClusterRoleBinding", "clusterrolebindings", regclusterrolebinding.Strategy, kube},
		{gv("autoscaling", "v1"), "HorizontalPodAutoscaler", "horizontalpodautoscalers", reghpa.Strategy, kube},
		{gv("autoscaling", "v2"), "HorizontalPodAutoscaler", "horizontalpodautoscalers", reghpa.Strategy, kube},
		{gv("scheduling.k8s.io", "v1"), "PriorityClass", "priorityclasses", regpriorityclass.Strategy, kube},
		{storage, "StorageClass", "storageclasses", regstorageclass.Strategy, kube},
		{storage, "CSIDriver", "csidrivers", regcsidriver.Strategy, kube},
		{admission, "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", regvalidatingwebhook.Strategy, kube},
		{admission, "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", regmutatingwebhook.Strategy, kube},
		// A nil authorizer skips the paramKind/paramRef read check, which a
		// cluster admin passes anyway.
		{admission, "ValidatingAdmissionPolicy", "validatingadmissionpolicies", regvap.NewStrategy(nil, nil), kube},
		{admission, "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", regvapbinding.NewStrategy(nil, nil, nil), kube},
		{gv("coordination.k8s.io", "v1"), "Lease", "leases", reglease.Strategy, kube},
		{gv("discovery.k8s.io", "v1"), "EndpointSlice", "endpointslices", regendpointslice.Strategy, kube},
		{gv("node.k8s.io", "v1"), "RuntimeClass", "runtimeclasses", regruntimeclass.Strategy, kube},
		{apiextensionsv1.SchemeGroupVersion, "CustomResourceDefinition", "customresourcedefinitions", crdregistry.NewStrategy(s), kube},
		// Not a CRD: served by karmada-aggregated-apiserver from Go types,
		// with this strategy (pkg/registry/cluster/storage).
		{gv("cluster.karmada.io", "v1alpha1"), "Cluster", "clusters", karmadaClusterStrategy{clusterregistry.NewStrategy(s)}, "karmada-aggregated-apiserver"},
		// Not a CRD either: karmada-search serves it from Go types, with
		// this strategy (pkg/registry/search/storage).
		{gv("search.karmada.io", "v1alpha1"), "ResourceRegistry", "resourceregistries", searchregistry.NewStrategy(s), "karmada-search"},
		// Kinds a cluster's own components write more than people do,
		// but which public repositories hold (node fixtures, events,
		// CSI drivers' objects, API priority and fairness, certificate
		// requests, aggregated API registrations).
		{core, "Node", "nodes", regnode.Strategy, kube},
		{core, "Event", "events", regevent.Strategy, kube},
		// events.k8s.io Events are stored as core Events, through the same
		// strategy.
		{gv("events.k8s.io", "v1"), "Event", "events", regevent.Strategy, kube},
		{storage, "CSINode", "csinodes", regcsinode.Strategy, kube},
		{storage, "CSIStorageCapacity", "csistoragecapacities", regcsistoragecapacity.Strategy, kube},
		{storage, "VolumeAttachment", "volumeattachments", regvolumeattachment.Strategy, kube},
		{gv("certificates.k8s.io", "v1"), "CertificateSigningRequest", "certificatesigningrequests", regcsr.Strategy, kube},
		{gv("flowcontrol.apiserver.k8s.io", "v1"), "FlowSchema", "flowschemas", regflowschema.Strategy, kube},
		{gv("flowcontrol.apiserver.k8s.io", "v1"), "PriorityLevelConfiguration", "prioritylevelconfigurations", regplc.Strategy, kube},
		{gv("flowcontrol.apiserver.k8s.io", "v1beta3"), "FlowSchema", "flowschemas", regflowschema.Strategy, kube},
		{gv("flowcontrol.apiserver.k8s.io", "v1beta3"), "PriorityLevelConfiguration", "prioritylevelconfigurations", regplc.Strategy, kube},
		// Served by the aggregator inside kube-apiserver (kube-aggregator's
		// own storage and strategy).
		{gv("apiregistration.k8s.io", "v1"), "APIService", "apiservices", regapiservice.NewStrategy(s), "kube-apiserver (kube-aggregator)"},
	}
}

// newTypedKinds prepares, for every typed kind, the request scope an
// apiserver built on k8s.io/apiserver installs: the CodecFactory's strict
// JSON and YAML serializers decoding to the internal (hub) version with
// defaulting and conversion, and the registry strategy.
func newTypedKinds() (*typedKinds, error) {
	s, err := newTypedScheme()
	if err != nil {
		return nil, err
	}
	codecs := serializer.NewCodecFactory(s)
	var strictJSON, strictYAML runtime.Decoder
	for _, info := range codecs.SupportedMediaTypes() {
		switch info.MediaType {
		case runtime.ContentTypeJSON:
			strictJSON = info.StrictSerializer
		case runtime.ContentTypeYAML:
			strictYAML = info.StrictSerializer
		}
	}
	if strictJSON == nil || strictYAML == nil {
		return nil, fmt.Errorf("codec factory offers no strict JSON/YAML serializer")
	}

	out := &typedKinds{scheme: s}
	types := newTypeChecker(s)
	for _, d := range typedDefs(s) {
		gvk := d.gv.WithKind(d.kind)
		if !s.Recognizes(gvk) {
			return nil, fmt.Errorf("%s is not registered", gvk)
		}
		hub := schema.GroupVersion{Group: d.gv.Group, Version: runtime.APIVersionInternal}
		internalGVK := hub.WithKind(d.kind)
		if _, err := s.New(internalGVK); err != nil {
			return nil, fmt.Errorf("%s: %w", gvk, err)
		}
		var tc *typeChecker
		if d.source == kube {
			tc = types
		}
		versioned, err := s.New(gvk)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", gvk, err)
		}
		out.kinds = append(out.kinds, &kind{
			types:       tc,
			fieldHint:   typedFieldHint(reflect.TypeOf(versioned).Elem()),
			gvk:         gvk,
			resource:    d.gv.WithResource(d.resource),
			namespaced:  d.strategy.NamespaceScoped(),
			source:      d.source,
			jsonDecoder: codecs.DecoderToVersion(strictJSON, hub),
			yamlDecoder: codecs.DecoderToVersion(strictYAML, hub),
			newHub: func() runtime.Object {
				o, _ := s.New(internalGVK) // checked above
				return o
			},
			typer:       s,
			strategy:    d.strategy,
			beginCreate: beginCreateHook(gvk.GroupKind()),
		})
	}
	return out, nil
}

// beginCreateHook restates the parts of a storage's BeginCreate hook that
// change what validation sees. Building the real storages needs an etcd
// backend, so their code cannot be called here.
func beginCreateHook(gk schema.GroupKind) func(runtime.Object) {
	if gk == (schema.GroupKind{Kind: "Service"}) {
		return serviceBeginCreate
	}
	return nil
}

// serviceBeginCreate restates the create branch of normalizeClusterIPs in
// k8s.io/kubernetes/pkg/registry/core/service/storage (storage.go), which
// REST.beginCreate runs before validation: a client that sets only the
// singular clusterIP (headless services: "None") gets the plural filled
// in. The IP and port allocation that follows leaves empty fields to be
// allocated and never turns a valid object invalid, so it is not restated.
func serviceBeginCreate(obj runtime.Object) {
	svc, ok := obj.(*core.Service)
	if !ok {
		return
	}
	if len(svc.Spec.ClusterIP) > 0 && len(svc.Spec.ClusterIPs) == 0 {
		svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	}
}
