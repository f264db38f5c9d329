package apischema_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
)

// problem is one error a test wants: its field, type and a part of its
// message.
type problem struct{ field, typ, msg string }

func wantProblems(t *testing.T, got []apischema.FieldError, want []problem) {
	t.Helper()
	var have []problem
	for _, e := range got {
		have = append(have, problem{e.Field, e.Type, e.Message})
	}
	if len(have) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(have), len(want), dump(got))
	}
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h problem) bool {
			return h.field == w.field && h.typ == w.typ && strings.Contains(h.msg, w.msg)
		}) {
			t.Errorf("no error on %s (%s) saying %q:\n%s", w.field, w.typ, w.msg, dump(got))
		}
	}
}

// A manifest with several mistakes gets every one in one run: the create
// path stops at the first value of the wrong type (and forgets the unknown
// fields it saw), so the validator lists them as server-side apply does —
// and keeps doing so when an unknown field would stop apply's walk of a
// map early, whatever the map's order.
func TestEveryTypeErrorInOneRun(t *testing.T) {
	v := validator(t)
	body := []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: two
  revisionHistoryLimt: 5
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      automountServiceAccountToken: nope
      containers:
        - name: web
          image: nginx
          imagePullPolicyy: Always
          ports:
            - containerPort: "http"
`)
	want := []problem{
		{"spec.replicas", apischema.TypeBadRequest, `expected numeric (int or float), got string "two"`},
		{"spec.revisionHistoryLimt", apischema.TypeUnknownField, `unknown field "spec.revisionHistoryLimt"`},
		{"spec.template.spec.automountServiceAccountToken", apischema.TypeBadRequest, `expected boolean, got string "nope"`},
		{`spec.template.spec.containers[name="web"].imagePullPolicyy`, apischema.TypeUnknownField, "unknown field"},
		{`spec.template.spec.containers[name="web"].ports[containerPort="http",protocol="TCP"].containerPort`, apischema.TypeBadRequest, `got string "http"`},
	}
	// Map order is random: every run must find all of them.
	for range 20 {
		wantProblems(t, v.ValidateRaw(context.Background(), body), want)
		wantProblems(t, v.Validate(context.Background(), decodeYAML(t, body)), want)
		if t.Failed() {
			return
		}
	}
}

// Unknown fields alone end a strict create; the same request with
// fieldValidation=Warn goes on, and what it refuses next is reported in
// the same run — for built-in kinds and custom resources alike.
func TestUnknownFieldsAndInvalidValuesInOneRun(t *testing.T) {
	v := validator(t)
	deployment := []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: -1
  revisionHistoryLimt: 5
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
`)
	wantProblems(t, v.ValidateRaw(context.Background(), deployment), []problem{
		{"spec.revisionHistoryLimt", apischema.TypeUnknownField, `unknown field "spec.revisionHistoryLimt"`},
		{"spec.replicas", "FieldValueInvalid", "must be greater than or equal to 0"},
	})
	backup := []byte(`apiVersion: velero.io/v1
kind: Backup
metadata:
  name: nightly
  namespace: velero
spec:
  includedNamespace: [shop]
  ttl: 72
`)
	wantProblems(t, v.ValidateRaw(context.Background(), backup), []problem{
		{"spec.includedNamespace", apischema.TypeUnknownField, `unknown field "spec.includedNamespace"`},
		{"spec.ttl", "FieldValueTypeInvalid", "must be of type string"},
	})
}

func TestFieldHint(t *testing.T) {
	v := validator(t)
	for _, c := range []struct {
		gvk  schema.GroupVersionKind
		path string
		want string
	}{
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, "spec.revisionHistoryLimt", `(did you mean "revisionHistoryLimit"?)`},
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, "spec.template.spec.containers[0].imagePullPolicyy", `(did you mean "imagePullPolicy"?)`},
		{schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "Backup"}, "spec.includedNamespace", `(did you mean "includedNamespaces"?)`},
		{schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "Schedule"}, "spec.template.ttll", `(did you mean "ttl"?)`},
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, "spec.zzzzzzzz", ""},
		{schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Nope"}, "spec.a", ""},
	} {
		if got := v.FieldHint(c.gvk, c.path); strings.TrimSpace(got) != c.want {
			t.Errorf("FieldHint(%s, %s) = %q, want %q", c.gvk.Kind, c.path, got, c.want)
		}
	}
}

// A Secret value that is not base64 fails the create path's whole decode
// with no field; the validator names each bad key at its line.
func TestBadBase64NamesTheKey(t *testing.T) {
	v := validator(t)
	body := []byte(`apiVersion: v1
kind: Secret
metadata:
  name: s
  namespace: shop
data:
  good: aGVsbG8=
  tls.key: not*base64
  worse: "%%%"
`)
	wantProblems(t, v.ValidateRaw(context.Background(), body), []problem{
		{"data[tls.key]", apischema.TypeBadRequest, "illegal base64 data at input byte 3: Secret.data values are base64"},
		{"data[worse]", apischema.TypeBadRequest, "illegal base64 data at input byte 0"},
	})
}
