package apischema

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	clusterapis "github.com/karmada-io/karmada/pkg/apis/cluster"
	"github.com/karmada-io/karmada/pkg/apis/cluster/mutation"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadafeatures "github.com/karmada-io/karmada/pkg/features"
	clusterregistry "github.com/karmada-io/karmada/pkg/registry/cluster"
	karmadavalidation "github.com/karmada-io/karmada/pkg/util/validation"
	"github.com/karmada-io/karmada/pkg/webhook/clusteroverridepolicy"
	"github.com/karmada-io/karmada/pkg/webhook/clusterpropagationpolicy"
	"github.com/karmada-io/karmada/pkg/webhook/overridepolicy"
	"github.com/karmada-io/karmada/pkg/webhook/propagationpolicy"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	webhookerrors "k8s.io/apiserver/pkg/admission/plugin/webhook/errors"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

var pointerRE = regexp.MustCompile(`0x[0-9a-f]+`)

// karmadaWebhookTolerationSeconds is karmada-webhook's default for
// --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds.
const karmadaWebhookTolerationSeconds = 300

// karmadaClusterStrategy is Karmada's Cluster strategy
// (pkg/registry/cluster) with one change: PrepareForCreate reads the
// CustomizedClusterResourceModeling gate from Karmada's own feature gate
// (features.FeatureGate, which holds Karmada's defaults) instead of
// utilfeature.DefaultMutableFeatureGate, where only the main function of
// karmada-aggregated-apiserver registers Karmada's gates; registering them
// there ourselves would change process-wide state. The body is otherwise
// the original's, calling Karmada's own mutation functions.
type karmadaClusterStrategy struct {
	clusterregistry.Strategy
}

func (karmadaClusterStrategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	cluster := obj.(*clusterapis.Cluster)
	cluster.Status = clusterapis.ClusterStatus{}

	cluster.Generation = 1

	if karmadafeatures.FeatureGate.Enabled(karmadafeatures.CustomizedClusterResourceModeling) {
		if len(cluster.Spec.ResourceModels) == 0 {
			mutation.SetDefaultClusterResourceModels(cluster)
		} else {
			mutation.StandardizeClusterResourceModels(cluster.Spec.ResourceModels)
		}
	}
}

// webhookStep is one admission webhook of Karmada's
// (Mutating|Validating)WebhookConfiguration, served in-process by the
// handler karmada-webhook registers for it.
type webhookStep struct {
	// name is the webhook's name in the configuration; the apiserver
	// quotes it in denials.
	name    string
	handler admission.Handler
	// explain recomputes the field.ErrorList behind a denial by running
	// the Karmada validation the handler ran on the same decoded object,
	// so the denial can be reported per field.
	explain func(raw []byte) field.ErrorList
}

type karmadaHooks struct {
	mutating, validating []*webhookStep
}

// karmadaWebhooks returns the handlers karmada-webhook
// (cmd/webhook/app/webhook.go) registers for the policy resources, keyed
// by the resource their configuration rules match
// (charts/karmada/templates/_karmada_webhook_configuration.tpl).
// ClusterOverridePolicy has no mutating webhook there.
func karmadaWebhooks() map[schema.GroupVersionResource]karmadaHooks {
	// karmada-webhook decodes with a scheme holding every Karmada and
	// Kubernetes type (pkg/util/gclient); the policy types are all these
	// handlers decode.
	s := runtime.NewScheme()
	if err := policyv1alpha1.Install(s); err != nil {
		// Install only fails on conflicting registrations, impossible in
		// a fresh scheme.
		panic(err)
	}
	decoder := admission.NewDecoder(s)

	explainPropagation := func(newObj func() runtime.Object, spec func(runtime.Object) policyv1alpha1.PropagationSpec) func([]byte) field.ErrorList {
		return func(raw []byte) field.ErrorList {
			obj := newObj()
			if err := decoder.DecodeRaw(runtime.RawExtension{Raw: raw}, obj); err != nil {
				return nil
			}
			return karmadavalidation.ValidatePropagationSpec(spec(obj))
		}
	}
	explainOverride := func(newObj func() runtime.Object, spec func(runtime.Object) *policyv1alpha1.OverrideSpec) func([]byte) field.ErrorList {
		return func(raw []byte) field.ErrorList {
			obj := newObj()
			if err := decoder.DecodeRaw(runtime.RawExtension{Raw: raw}, obj); err != nil {
				return nil
			}
			return karmadavalidation.ValidateOverrideSpec(spec(obj))
		}
	}
	pp := explainPropagation(func() runtime.Object { return &policyv1alpha1.PropagationPolicy{} },
		func(o runtime.Object) policyv1alpha1.PropagationSpec {
			return o.(*policyv1alpha1.PropagationPolicy).Spec
		})
	cpp := explainPropagation(func() runtime.Object { return &policyv1alpha1.ClusterPropagationPolicy{} },
		func(o runtime.Object) policyv1alpha1.PropagationSpec {
			return o.(*policyv1alpha1.ClusterPropagationPolicy).Spec
		})
	op := explainOverride(func() runtime.Object { return &policyv1alpha1.OverridePolicy{} },
		func(o runtime.Object) *policyv1alpha1.OverrideSpec { return &o.(*policyv1alpha1.OverridePolicy).Spec })
	cop := explainOverride(func() runtime.Object { return &policyv1alpha1.ClusterOverridePolicy{} },
		func(o runtime.Object) *policyv1alpha1.OverrideSpec {
			return &o.(*policyv1alpha1.ClusterOverridePolicy).Spec
		})

	gvr := func(resource string) schema.GroupVersionResource {
		return policyv1alpha1.SchemeGroupVersion.WithResource(resource)
	}
	return map[schema.GroupVersionResource]karmadaHooks{
		gvr("propagationpolicies"): {
			mutating: []*webhookStep{{name: "propagationpolicy.karmada.io",
				handler: propagationpolicy.NewMutatingHandler(karmadaWebhookTolerationSeconds, karmadaWebhookTolerationSeconds, decoder)}},
			validating: []*webhookStep{{name: "propagationpolicy.karmada.io",
				handler: &propagationpolicy.ValidatingAdmission{Decoder: decoder}, explain: pp}},
		},
		gvr("clusterpropagationpolicies"): {
			mutating: []*webhookStep{{name: "clusterpropagationpolicy.karmada.io",
				handler: clusterpropagationpolicy.NewMutatingHandler(karmadaWebhookTolerationSeconds, karmadaWebhookTolerationSeconds, decoder)}},
			validating: []*webhookStep{{name: "clusterpropagationpolicy.karmada.io",
				handler: &clusterpropagationpolicy.ValidatingAdmission{Decoder: decoder}, explain: cpp}},
		},
		gvr("overridepolicies"): {
			mutating: []*webhookStep{{name: "overridepolicy.karmada.io",
				handler: &overridepolicy.MutatingAdmission{Decoder: decoder}}},
			validating: []*webhookStep{{name: "overridepolicy.karmada.io",
				handler: &overridepolicy.ValidatingAdmission{Decoder: decoder}, explain: op}},
		},
		gvr("clusteroverridepolicies"): {
			validating: []*webhookStep{{name: "clusteroverridepolicy.karmada.io",
				handler: &clusteroverridepolicy.ValidatingAdmission{Decoder: decoder}, explain: cop}},
		},
	}
}

// call sends a CREATE AdmissionRequest for obj to the handler the way
// controller-runtime's webhook server does (Handle, then
// Response.Complete), without HTTP.
func (w *webhookStep) call(ctx context.Context, k *kind, raw []byte, obj runtime.Object, namespace string) (resp admission.Response) {
	defer func() {
		// controller-runtime's webhook turns a handler panic into a 500.
		if r := recover(); r != nil {
			resp = admission.Errored(http.StatusInternalServerError, fmt.Errorf("panic: %v", r))
		}
	}()
	name := ""
	if m, err := meta.Accessor(obj); err == nil {
		name = m.GetName()
	}
	dryRun := true
	gvk := metav1.GroupVersionKind{Group: k.gvk.Group, Version: k.gvk.Version, Kind: k.gvk.Kind}
	gvr := metav1.GroupVersionResource{Group: k.resource.Group, Version: k.resource.Version, Resource: k.resource.Resource}
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:             types.UID("apischema"),
		Kind:            gvk,
		Resource:        gvr,
		RequestKind:     &gvk,
		RequestResource: &gvr,
		Name:            name,
		Namespace:       namespace,
		Operation:       admissionv1.Create,
		Object:          runtime.RawExtension{Raw: raw},
		DryRun:          &dryRun,
		Options:         runtime.RawExtension{Raw: []byte(`{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1","dryRun":["All"],"fieldValidation":"Strict"}`)},
	}}
	resp = w.handler.Handle(ctx, req)
	if err := resp.Complete(req); err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return resp
}

// mutate runs a mutating webhook and applies its JSON patch as the
// apiserver's mutating dispatcher does: patch the object's JSON, decode it
// again, default it.
func (w *webhookStep) mutate(ctx context.Context, k *kind, obj runtime.Object, namespace string) (runtime.Object, []FieldError) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, createError(err)
	}
	resp := w.call(ctx, k, raw, obj, namespace)
	if !resp.Allowed {
		return nil, w.denied(resp, raw)
	}
	if len(resp.Patch) == 0 {
		return obj, nil
	}
	if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		return nil, w.internal(fmt.Errorf("unsupported patch type %v", resp.PatchType))
	}
	patch, err := jsonpatch.DecodePatch(resp.Patch)
	if err != nil {
		return nil, w.internal(err)
	}
	if len(patch) == 0 {
		return obj, nil
	}
	patched, err := patch.Apply(raw)
	if err != nil {
		return nil, w.internal(err)
	}
	out, err := k.reDecode(patched)
	if err != nil {
		return nil, w.internal(err)
	}
	return out, nil
}

// validate runs a validating webhook on obj.
func (w *webhookStep) validate(ctx context.Context, k *kind, obj runtime.Object, namespace string) []FieldError {
	raw, err := json.Marshal(obj)
	if err != nil {
		return createError(err)
	}
	if resp := w.call(ctx, k, raw, obj, namespace); !resp.Allowed {
		return w.denied(resp, raw)
	}
	return nil
}

// denied reports a webhook's refusal. The apiserver's message is
// webhookerrors.ToStatusErr's `admission webhook "<name>" denied the
// request: <message>`; when the message is a Karmada field.ErrorList
// aggregate, each field error is reported on its own.
func (w *webhookStep) denied(resp admission.Response, raw []byte) []FieldError {
	origin := OriginAdmission + w.name
	var result *metav1.Status
	if resp.Result != nil {
		result = resp.Result.DeepCopy()
	}
	if w.explain != nil && result != nil && result.Message != "" {
		// Invalid values that are structs holding pointers print their
		// addresses, which differ between the two runs.
		if list := w.explain(raw); len(list) > 0 && pointerRE.ReplaceAllString(list.ToAggregate().Error(), "0x") == pointerRE.ReplaceAllString(result.Message, "0x") {
			return fieldErrors(list, origin)
		}
	}
	status := webhookerrors.ToStatusErr(w.name, result)
	return []FieldError{{Type: TypeAdmissionDenied, Message: status.Error(), Origin: origin}}
}

func (w *webhookStep) internal(err error) []FieldError {
	return []FieldError{{Type: string(field.ErrorTypeInternal), Message: fmt.Sprintf("Internal error occurred: admission webhook %q: %v", w.name, err), Origin: OriginAdmission + w.name}}
}
