package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha1 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// objectKey identifies an object across API versions.
type objectKey struct {
	Group, Kind, Namespace, Name string
}

func keyOf(apiVersion, kind, namespace, name string) objectKey {
	gv, _ := schema.ParseGroupVersion(apiVersion)
	return objectKey{Group: gv.Group, Kind: kind, Namespace: namespace, Name: name}
}

// addedObjects lists what the aborted revision added: templates its
// policies claim and policies it has, that the previous revision does not
// have. Sorted: templates (bindings order), then policies.
func addedObjects(ctx context.Context, c client.Client, st *State, previous []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	had := map[objectKey]bool{}
	for _, u := range previous {
		had[keyOf(u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName())] = true
	}
	bs, err := listBindings(ctx, c, st.Policies)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	add := func(apiVersion, kind, namespace, name string) {
		if had[keyOf(apiVersion, kind, namespace, name)] {
			return
		}
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetNamespace(namespace)
		u.SetName(name)
		out = append(out, u)
	}
	for _, b := range bs {
		add(b.Resource.APIVersion, b.Resource.Kind, b.Resource.Namespace, b.Resource.Name)
	}
	for _, p := range st.Policies {
		add(policyv1alpha1.SchemeGroupVersion.String(), p.Kind, p.Namespace, p.Name)
	}
	return out, nil
}

// waitWorksCurrent waits until Karmada has rendered every binding's current
// template into the Work of each of its clusters: the Work's manifest
// carries the template generation it was built from. For kinds without a
// generation (ConfigMaps, Services), it waits until the binding has seen
// the template's current resourceVersion, the closest signal Karmada gives.
func waitWorksCurrent(ctx context.Context, c client.Client, policies []PolicyRef, timeout time.Duration) error {
	var lagging string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		bs, err := listBindings(ctx, c, policies)
		if err != nil {
			return false, err
		}
		for _, b := range bs {
			tmpl := &unstructured.Unstructured{}
			tmpl.SetAPIVersion(b.Resource.APIVersion)
			tmpl.SetKind(b.Resource.Kind)
			if err := c.Get(ctx, client.ObjectKey{Namespace: b.Resource.Namespace, Name: b.Resource.Name}, tmpl); apierrors.IsNotFound(err) {
				continue // being deleted with its binding
			} else if err != nil {
				return false, err
			}
			if tmpl.GetGeneration() == 0 {
				if b.Resource.ResourceVersion != tmpl.GetResourceVersion() {
					lagging = b.Ref + ": the binding has not seen the template's resourceVersion " + tmpl.GetResourceVersion()
					return false, nil
				}
				continue
			}
			for _, cl := range b.Clusters {
				gen, err := workGeneration(ctx, c, b.Resource, cl)
				if err != nil {
					return false, err
				}
				if gen != tmpl.GetGeneration() {
					lagging = fmt.Sprintf("%s: the Work for %s holds template generation %d, the template is at %d", b.Object, cl, gen, tmpl.GetGeneration())
					return false, nil
				}
			}
		}
		lagging = ""
		return true, nil
	})
	if err != nil && lagging != "" {
		return fmt.Errorf("%s after %s: %w", lagging, timeout, err)
	}
	return err
}

// workGeneration reads the template generation the Work of a resource for
// a cluster was rendered from (-1 when there is no Work yet).
func workGeneration(ctx context.Context, c client.Client, r workv1alpha2.ObjectReference, cluster string) (int64, error) {
	w := &workv1alpha1.Work{}
	key := client.ObjectKey{Namespace: names.GenerateExecutionSpaceName(cluster), Name: names.GenerateWorkName(r.Kind, r.Name, r.Namespace)}
	if err := c.Get(ctx, key, w); apierrors.IsNotFound(err) {
		return -1, nil
	} else if err != nil {
		return 0, fmt.Errorf("read Work/%s/%s: %w", key.Namespace, key.Name, err)
	}
	if len(w.Spec.Workload.Manifests) == 0 {
		return -1, nil
	}
	m := struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}{}
	if err := json.Unmarshal(w.Spec.Workload.Manifests[0].Raw, &m); err != nil {
		return 0, fmt.Errorf("decode the manifest of Work/%s/%s: %w", key.Namespace, key.Name, err)
	}
	g, err := strconv.ParseInt(m.Metadata.Annotations[workv1alpha2.ResourceTemplateGenerationAnnotationKey], 10, 64)
	if err != nil {
		return -1, nil
	}
	return g, nil
}
