package lint

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	flotilla "github.com/flotilla-gitops/flotilla"
	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/report"
)

const tagRule = `package flotilla.images

# METADATA
# title: Image without a tag
# description: Tagless images move.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/containers/images/
# custom:
#   id: IMG-001
#   severity: error
#   remediation: Pin a tag.
#   scope: object
untagged contains v if {
	some i, c in input.review.object.spec.containers
	not contains(c.image, ":")
	v := {"msg": sprintf("container %q has no tag", [c.name]), "field": sprintf("spec.containers[%d].image", [i])}
}
`

func pack(t *testing.T, files map[string]string) (*Pack, error) {
	t.Helper()
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return LoadPack(Source{Name: "p", FS: m})
}

func TestLoadPackReadsRuleMetadata(t *testing.T) {
	p, err := pack(t, map[string]string{"images.rego": tagRule})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 1 {
		t.Fatalf("rules = %+v", p.Rules)
	}
	r := p.Rules[0]
	if r.ID != "IMG-001" || r.Severity != report.Error || r.Scope != ScopeObject || r.Family != "images" ||
		r.Remediation != "Pin a tag." || r.Sources[0] != "https://kubernetes.io/docs/concepts/containers/images/" || r.File != "p/images.rego" {
		t.Errorf("rule = %+v", r)
	}
}

func TestLoadPackRejectsBrokenConventions(t *testing.T) {
	for name, tc := range map[string]struct {
		src, want string
	}{
		"no severity":          {strings.Replace(tagRule, "severity: error", "severity: fatal", 1), `custom.severity is "fatal"`},
		"no scope":             {strings.Replace(tagRule, "scope: object", "scope: cluster", 1), `custom.scope is "cluster"`},
		"complete rule":        {strings.Replace(tagRule, "untagged contains v if", "untagged := v if", 1), "must be a partial set rule"},
		"syntax":               {strings.Replace(tagRule, "some i, c in", "some i, c in in", 1), "p/images.rego:14:12: unexpected in keyword"},
		"duplicate id":         {tagRule + strings.ReplaceAll(tagRule[strings.Index(tagRule, "# METADATA"):], "untagged", "untagged2"), "rule id IMG-001 is also used"},
		"no title":             {strings.Replace(tagRule, "# title: Image without a tag\n", "", 1), "rule has no title"},
		"match without kinds":  {strings.Replace(tagRule, "#   scope: object\n", "#   scope: object\n#   match:\n#     kinds: []\n", 1), "p/images.rego:15: IMG-001: custom.match.kinds is empty"},
		"match without groups": {strings.Replace(tagRule, "#   scope: object\n", "#   scope: object\n#   match:\n#     kinds:\n#       - kinds: [Pod]\n", 1), "custom.match.kinds[0] needs apiGroups and kinds"},
		"match with a typo":    {strings.Replace(tagRule, "#   scope: object\n", "#   scope: object\n#   match:\n#     kind:\n#       - kinds: [Pod]\n", 1), `unknown field "kind"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pack(t, map[string]string{"images.rego": tc.src})
			var list diag.List
			if !errors.As(err, &list) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a diag.List containing %q", err, tc.want)
			}
		})
	}
}

func pod(name, image, annotations string) Target {
	u := &unstructured.Unstructured{}
	obj := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": name, "namespace": "ns"},
		"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": image}}}}
	if annotations != "" {
		obj["metadata"].(map[string]any)["annotations"] = map[string]any{AnnotationExceptions: annotations}
	}
	u.Object = obj
	return Target{Object: u, Source: Position{File: name + ".yaml", Line: 1}}
}

func TestExceptions(t *testing.T) {
	p, err := pack(t, map[string]string{"images.rego": tagRule})
	if err != nil {
		t.Fatal(err)
	}
	appTarget := pod("app-pod", "busybox", "")
	appTarget.AppName = "web"
	appTarget.App = map[string]any{"metadata": map[string]any{"name": "web", "annotations": map[string]any{
		AnnotationExceptions: `[{"rule":"IMG-001","reason":"vendor image","expires":"2030-01-01"}]`}}}
	appTarget.AppSource = Position{File: "apps/web/app.yaml", Line: 3}
	targets := []Target{
		pod("accepted", "busybox", `[{"rule":"IMG-001","reason":"mirror pins by digest at pull","expires":"2027-01-01"}]`),
		pod("expired", "busybox", `[{"rule":"IMG-001","reason":"temporary","expires":"2026-01-01"}]`),
		pod("unused", "busybox:1.36", `[{"rule":"IMG-001","reason":"not needed"}]`),
		pod("noreason", "busybox:1.36", `[{"rule":"IMG-001","reason":"  "}]`),
		pod("baddate", "busybox:1.36", `[{"rule":"IMG-001","reason":"x","expires":"next week"}]`),
		pod("unknownrule", "busybox:1.36", `[{"rule":"NOPE-9","reason":"x"}]`),
		pod("notjson", "busybox:1.36", `not json`),
		appTarget,
	}
	rep, err := Run(context.Background(), Options{Pack: p, Targets: targets, Now: func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Rule+" "+f.Object+" "+f.File)
	}
	want := []string{
		"EXC-003 Pod/ns/baddate baddate.yaml",
		"EXC-001 Pod/ns/expired expired.yaml",
		"IMG-001 Pod/ns/expired expired.yaml",
		"EXC-003 Pod/ns/noreason noreason.yaml",
		"EXC-003 Pod/ns/notjson notjson.yaml",
		"EXC-003 Pod/ns/unknownrule unknownrule.yaml",
		"EXC-002 Pod/ns/unused unused.yaml",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rep.Suppressed) != 2 || rep.Suppressed[0].Object != "Pod/ns/accepted" || rep.Suppressed[1].Exception != "vendor image" {
		t.Errorf("suppressed = %+v", rep.Suppressed)
	}
}

// TestEvaluationIsDeterministic lints the repository's example manifests as
// plain YAML with the real pack at several parallelisms.
func TestEvaluationIsDeterministic(t *testing.T) {
	p, err := LoadPack(Source{Name: "policies", FS: flotilla.DefaultPolicies()})
	if err != nil {
		t.Fatal(err)
	}
	set, err := PlainTargets([]string{"../../apps"}, PlainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	targets := set.Targets
	var first []byte
	for _, par := range []int{1, 4, 2} {
		rep, err := Run(context.Background(), Options{Pack: p, Targets: targets, Parallelism: par, Now: func() time.Time { return time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rep)
		if first == nil {
			first = b
			continue
		}
		if string(b) != string(first) {
			t.Fatalf("parallelism %d changed the report", par)
		}
	}
}

// TestPlainYAMLPlacementRulesAreSilent lints YAML that is not a Flotilla
// repository: object rules fire, placement rules have nothing to say.
func TestPlainYAMLPlacementRulesAreSilent(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "d.yaml"), []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      containers:
        - name: web
          image: nginx:latest
          securityContext:
            privileged: true
            capabilities:
              add: [BPF]
`), 0o644)
	p, err := LoadPack(Source{Name: "policies", FS: flotilla.DefaultPolicies()})
	if err != nil {
		t.Fatal(err)
	}
	set, err := PlainTargets([]string{dir}, PlainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	targets := set.Targets
	rep, err := Run(context.Background(), Options{Pack: p, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	scope := map[string]string{}
	for _, r := range p.Rules {
		scope[r.ID] = r.Scope
	}
	rules := map[string]bool{}
	for _, f := range rep.Findings {
		rules[f.Rule] = true
		if scope[f.Rule] == ScopePlacement {
			t.Errorf("placement rule %s fired on plain YAML: %s", f.Rule, f.Message)
		}
		if f.File != filepath.ToSlash(filepath.Join(dir, "d.yaml")) || f.Line < 1 {
			t.Errorf("finding without source position: %+v", f)
		}
	}
	for _, want := range []string{"SEC-006", "EBPF-001", "SEC-001"} {
		if !rules[want] {
			t.Errorf("%s did not fire on plain YAML; got %v", want, rules)
		}
	}
	// The image finding points at the image line (17), not the object.
	for _, f := range rep.Findings {
		if f.Rule == "SEC-006" && f.Line != 17 {
			t.Errorf("SEC-006 at line %d, want 17 (the image field)", f.Line)
		}
	}
}

// crossRule finds pods whose name another pod's "peer" annotation names
// but that does not exist: it reads the inventory, as cross-object rules
// do.
const crossRule = `package flotilla.peers

# METADATA
# title: Peer missing
# description: The named peer pod does not exist.
# related_resources:
#   - ref: https://example.com/peers
# custom:
#   id: PEER-001
#   severity: error
#   remediation: Add the peer.
#   scope: object
missing contains v if {
	peer := input.review.object.metadata.annotations.peer
	not data.inventory.namespace.ns.v1.Pod[peer]
	v := {"msg": sprintf("peer %q missing", [peer]), "field": "metadata.annotations.peer"}
}
`

// TestContextOnlyTargets: context-only targets are seen by cross-object
// rules but never linted, and their exceptions are not reported unused.
func TestContextOnlyTargets(t *testing.T) {
	p, err := pack(t, map[string]string{"images.rego": tagRule, "peers.rego": crossRule})
	if err != nil {
		t.Fatal(err)
	}
	linted := pod("linted", "busybox:1.36", "")
	linted.Object.SetAnnotations(map[string]string{"peer": "context"})
	context1 := pod("context", "busybox", `[{"rule":"PEER-001","reason":"never used"}]`)
	context1.ContextOnly = true
	rep, err := Run(context.Background(), Options{Pack: p, Targets: []Target{linted, context1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 0 || rep.Objects != 1 {
		t.Fatalf("objects %d, findings %+v; want 1 object linted and none found", rep.Objects, rep.Findings)
	}
	// Without the context, the peer is missing.
	rep, err = Run(context.Background(), Options{Pack: p, Targets: []Target{linted}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != "PEER-001" {
		t.Fatalf("findings %+v; want the missing peer", rep.Findings)
	}
}

// TestPlainTargetsReadThroughTheJail: plain YAML paths are untrusted like
// a repository — a link out of the folder named, a FIFO and a file over
// the size bound are errors naming the file, and the good file is still
// read.
func TestPlainTargetsReadThroughTheJail(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.yaml")
	if err := os.WriteFile(secret, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaked}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "good.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "leak.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(strings.Repeat("#", 2048)), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := PlainTargets([]string{dir}, PlainOptions{Bounds: bounds.Input{FileBytes: 1024}})
	if err != nil {
		t.Fatal(err)
	}
	// Each refusal is a problem of the set; the good file is still read.
	list := set.Problems
	if len(set.Targets) != 1 || set.Targets[0].Object.GetName() != "good" {
		t.Errorf("the readable file was not read: %d targets", len(set.Targets))
	}
	got := map[string]string{}
	for _, e := range list {
		got[filepath.Base(e.File)] = e.Msg
	}
	for file, want := range map[string]string{"leak.yaml": "leaves the repository", "pipe.yaml": "not a regular file", "big.yaml": "over the file size bound"} {
		if !strings.Contains(got[file], want) {
			t.Errorf("%s: %q, want it to say %q (all: %v)", file, got[file], want, got)
		}
	}
	if len(list) != 3 {
		t.Errorf("%d errors, want 3: %v", len(list), list)
	}
}
