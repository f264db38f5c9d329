package pipeline

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/render"
)

func renderedOf(t *testing.T, objs map[string]string) *Rendered {
	t.Helper()
	out := &render.Output{}
	for _, key := range slices.Sorted(maps.Keys(objs)) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(objs[key]), &u.Object); err != nil {
			t.Fatal(err)
		}
		app, _, _ := strings.Cut(key, "/") // "app/x" names the owner, "/x" the platform
		out.Objects = append(out.Objects, &render.Object{Object: u, App: app, Plane: "global"})
	}
	return &Rendered{Output: out}
}

const (
	bslYAML      = `{apiVersion: velero.io/v1, kind: BackupStorageLocation, metadata: {name: default, namespace: velero}, spec: {provider: aws}}`
	scheduleYAML = `{apiVersion: velero.io/v1, kind: Schedule, metadata: {name: other, namespace: velero}, spec: {schedule: "@daily"}}`
	opByName     = `{apiVersion: policy.karmada.io/v1alpha1, kind: OverridePolicy, metadata: {name: mine, namespace: velero},
  spec: {resourceSelectors: [{apiVersion: velero.io/v1, kind: Schedule, name: mine}], overrideRules: []}}`
	opAll = `{apiVersion: policy.karmada.io/v1alpha1, kind: OverridePolicy, metadata: {name: mine, namespace: velero},
  spec: {overrideRules: []}}`
	appsetBase = `{apiVersion: argoproj.io/v1alpha1, kind: ApplicationSet, metadata: {name: apps, namespace: argocd}, spec: {generators: [{list: {elements: [{app: a}]}}]}}`
	appsetHead = `{apiVersion: argoproj.io/v1alpha1, kind: ApplicationSet, metadata: {name: apps, namespace: argocd}, spec: {generators: [{list: {elements: [{app: a}, {app: b}]}}]}}`
)

func TestPlatformReach(t *testing.T) {
	cases := []struct {
		name       string
		base, head map[string]string
		want       []string // nil with ok false: fall back to a full plan
		ok         bool
	}{{
		name: "unchanged platform objects stay out",
		base: map[string]string{"/bsl": bslYAML, "a/op": opByName},
		head: map[string]string{"/bsl": bslYAML},
		want: []string{"OverridePolicy/velero/mine"}, ok: true,
	}, {
		name: "a platform object the app's intent feeds is in",
		base: map[string]string{"/bsl": bslYAML, "/set": appsetBase},
		head: map[string]string{"/bsl": bslYAML, "/set": appsetHead},
		want: []string{"ApplicationSet/argocd/apps"}, ok: true,
	}, {
		name: "a changed policy reaches the platform objects it selects",
		base: map[string]string{"/bsl": bslYAML},
		head: map[string]string{"/bsl": bslYAML, "a/op": opAll},
		want: []string{"BackupStorageLocation/velero/default", "OverridePolicy/velero/mine"}, ok: true,
	}, {
		name: "a changed policy selecting another app's object needs a full plan",
		base: map[string]string{"/bsl": bslYAML, "b/sched": scheduleYAML},
		head: map[string]string{"/bsl": bslYAML, "b/sched": scheduleYAML, "a/op": opAll},
		ok:   false,
	}, {
		name: "a policy selecting by name leaves the other app alone",
		base: map[string]string{"/bsl": bslYAML, "b/sched": scheduleYAML},
		head: map[string]string{"/bsl": bslYAML, "b/sched": scheduleYAML, "a/op": opByName},
		want: []string{"OverridePolicy/velero/mine"}, ok: true,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reach, ok := platformReach(renderedOf(t, c.base), renderedOf(t, c.head), []string{"a"})
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if got := slices.Sorted(maps.Keys(reach)); !slices.Equal(got, c.want) {
				t.Errorf("reach = %v, want %v", got, c.want)
			}
		})
	}
}

func TestAffectedApps(t *testing.T) {
	for _, c := range []struct {
		changed []string
		want    []string // nil: anything may be affected
	}{
		{[]string{"apps/web/app.yaml", "apps/api/manifests/d.yaml", "apps/web/manifests/s.yaml"}, []string{"api", "web"}},
		{[]string{"README.md", "docs/x.txt", "rendered/p/apps/web/x.yaml", "backup/drills/d.yaml"}, []string{}},
		{[]string{"apps/web/app.yaml", "clusters/a.yaml"}, nil},
		{[]string{"backup/locations/default.yaml"}, nil},
		{[]string{"apps/README"}, nil},
	} {
		got := AffectedApps(c.changed)
		if (got == nil) != (c.want == nil) || !slices.Equal(got, c.want) {
			t.Errorf("AffectedApps(%v) = %#v, want %#v", c.changed, got, c.want)
		}
	}
}
