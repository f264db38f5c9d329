// Package depprobe imports every engine package flotilla relies on, so that
// `go mod tidy` keeps them while the real packages are being written.
package depprobe

import (
	_ "github.com/argoproj/argo-cd/v2/applicationset/controllers/template"
	_ "github.com/argoproj/argo-cd/v2/applicationset/generators"
	_ "github.com/argoproj/argo-cd/v2/applicationset/services"
	_ "github.com/argoproj/argo-cd/v2/applicationset/utils"
	_ "github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	_ "github.com/fluxcd/pkg/apis/meta"
	_ "github.com/fluxcd/pkg/git/gogit"
	_ "github.com/fluxcd/pkg/kustomize"
	_ "github.com/fluxcd/pkg/runtime/conditions"
	_ "github.com/fluxcd/pkg/ssa"
	_ "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	_ "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	_ "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	_ "github.com/karmada-io/karmada/pkg/scheduler/core"
	_ "github.com/karmada-io/karmada/pkg/scheduler/framework/plugins"
	_ "github.com/karmada-io/karmada/pkg/util/validation"
	_ "github.com/kubeedge/api/apis/apps/v1alpha1"
	_ "github.com/open-policy-agent/opa/v1/ast"
	_ "github.com/open-policy-agent/opa/v1/rego"
	_ "github.com/open-policy-agent/opa/v1/tester"
	_ "github.com/spf13/cobra"
	_ "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	_ "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	_ "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	_ "k8s.io/kubernetes/pkg/apis/apps/validation"
	_ "k8s.io/kubernetes/pkg/apis/core/validation"
	_ "k8s.io/kubernetes/pkg/generated/openapi"
	_ "sigs.k8s.io/controller-runtime/pkg/client/fake"
)
