package overrides

import (
	"context"
	"fmt"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// policyReader serves Karmada's override manager the three reads it makes
// (Get Cluster, List ClusterOverridePolicies, List OverridePolicies of a
// namespace) from memory. controller-runtime's fake client answers the
// same reads through a JSON round trip of every stored object per call,
// which cost seconds per plan on a thousand-cluster fleet; typed deep
// copies keep the manager free to modify what it is given, as it may with
// a real cache's answers.
//
// Any other call reaches the embedded nil client and panics: the override
// manager makes none, and a new Karmada release that starts to must fail
// loudly in the tests rather than read nothing.
type policyReader struct {
	client.Client
	clusters map[string]*clusterv1alpha1.Cluster
	cops     []policyv1alpha1.ClusterOverridePolicy
	ops      map[string][]policyv1alpha1.OverridePolicy
}

func (r *policyReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	c, ok := obj.(*clusterv1alpha1.Cluster)
	if !ok {
		return fmt.Errorf("override manager reads %T, which flotilla does not serve", obj)
	}
	kc := r.clusters[key.Name]
	if kc == nil {
		return apierrors.NewNotFound(clusterv1alpha1.Resource("clusters"), key.Name)
	}
	kc.DeepCopyInto(c)
	return nil
}

func (r *policyReader) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := &client.ListOptions{}
	lo.ApplyOptions(opts)
	switch l := list.(type) {
	case *policyv1alpha1.ClusterOverridePolicyList:
		l.Items = make([]policyv1alpha1.ClusterOverridePolicy, len(r.cops))
		for i := range r.cops {
			r.cops[i].DeepCopyInto(&l.Items[i])
		}
	case *policyv1alpha1.OverridePolicyList:
		var src []policyv1alpha1.OverridePolicy
		if lo.Namespace != "" {
			src = r.ops[lo.Namespace]
		} else {
			for _, ops := range r.ops {
				src = append(src, ops...)
			}
		}
		l.Items = make([]policyv1alpha1.OverridePolicy, len(src))
		for i := range src {
			src[i].DeepCopyInto(&l.Items[i])
		}
	default:
		return fmt.Errorf("override manager lists %T, which flotilla does not serve", list)
	}
	return nil
}
