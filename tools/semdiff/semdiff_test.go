package semdiff

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// js decodes a JSON literal as unstructured.Unstructured holds it (numbers
// as float64).
func js(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(fmt.Sprintf("bad test JSON %q: %v", s, err))
	}
	return v
}

func obj(s string) map[string]any { return js(s).(map[string]any) }

func dump(cs []Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  %s %s before=%#v after=%#v masked=%v\n", c.Op, c.Path, c.Before, c.After, c.Masked)
	}
	return b.String()
}

func checkDiff(t *testing.T, before, after map[string]any, opts Options, want []Change) {
	t.Helper()
	got := Diff(before, after, opts)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff:\ngot\n%swant\n%s", dump(got), dump(want))
	}
}

func TestDiff(t *testing.T) {
	deploy := func(containers string) map[string]any {
		return obj(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
			"spec":{"replicas":3,"template":{"spec":{"containers":` + containers + `}}}}`)
	}
	app := `{"name":"app","image":"nginx:1.25","ports":[{"containerPort":8080},{"containerPort":9090}],
		"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}`
	appReordered := `{"env":[{"name":"B","value":"2"},{"name":"A","value":"1"}],"image":"nginx:1.25",
		"ports":[{"containerPort":9090},{"containerPort":8080}],"name":"app"}`
	sidecar := `{"name":"sidecar","image":"envoy:1.30"}`
	service := func(ports string) map[string]any {
		return obj(`{"apiVersion":"v1","kind":"Service","spec":{"ports":` + ports + `}}`)
	}

	tests := []struct {
		name          string
		before, after map[string]any
		opts          Options
		want          []Change
	}{
		{
			name:   "keyed items reordered at every level is no change",
			before: deploy(`[` + app + `,` + sidecar + `]`),
			after:  deploy(`[` + sidecar + `,` + appReordered + `]`),
		},
		{
			name:   "container image change is named by container",
			before: deploy(`[` + sidecar + `,` + app + `]`),
			after:  deploy(`[` + strings.Replace(app, "nginx:1.25", "nginx:1.27", 1) + `,` + sidecar + `]`),
			want: []Change{{Path: "spec.template.spec.containers[name=app].image", Op: Changed,
				Before: "nginx:1.25", After: "nginx:1.27"}},
		},
		{
			name: "a weight moving is named by its cluster, in Karmada's list and in flotilla's",
			before: obj(`{"spec":{"placement":{"replicaScheduling":{"weightPreference":{"staticWeightList":[
				{"targetCluster":{"clusterNames":["cloud-a"]},"weight":6},{"targetCluster":{"clusterNames":["cloud-b"]},"weight":4}]}}},
				"weights":[{"clusters":["cloud-a"],"weight":6},{"clusters":["cloud-b","cloud-c"],"weight":4}]}}`),
			after: obj(`{"spec":{"placement":{"replicaScheduling":{"weightPreference":{"staticWeightList":[
				{"targetCluster":{"clusterNames":["cloud-b"]},"weight":4},{"targetCluster":{"clusterNames":["cloud-a"]},"weight":5}]}}},
				"weights":[{"clusters":["cloud-a"],"weight":6},{"clusters":["cloud-b","cloud-c"],"weight":3}]}}`),
			want: []Change{
				{Path: "spec.placement.replicaScheduling.weightPreference.staticWeightList[targetCluster.clusterNames=cloud-a].weight", Op: Changed, Before: float64(6), After: float64(5)},
				{Path: `spec.weights[clusters="cloud-b,cloud-c"].weight`, Op: Changed, Before: float64(4), After: float64(3)},
			},
		},
		{
			name:   "service targetPort change is named by port",
			before: service(`[{"port":80,"targetPort":8080},{"port":443,"targetPort":8443}]`),
			after:  service(`[{"port":443,"targetPort":8443},{"port":80,"targetPort":"http"}]`),
			want: []Change{{Path: "spec.ports[port=80].targetPort", Op: Changed,
				Before: float64(8080), After: "http"}},
		},
		{
			name:   "port and protocol form a compound key, protocol defaulting to TCP",
			before: service(`[{"port":53,"protocol":"UDP","targetPort":53},{"port":53,"protocol":"TCP","targetPort":53}]`),
			after:  service(`[{"port":53,"targetPort":5353},{"port":53,"protocol":"UDP","targetPort":53}]`),
			want: []Change{
				{Path: "spec.ports[port=53,protocol=TCP].protocol", Op: Removed, Before: "TCP"},
				{Path: "spec.ports[port=53,protocol=TCP].targetPort", Op: Changed, Before: float64(53), After: float64(5353)},
			},
		},
		{
			name:   "added and removed containers: added in after-order, removed last",
			before: deploy(`[{"name":"old","image":"busybox"},` + app + `]`),
			after:  deploy(`[` + sidecar + `,` + app + `]`),
			want: []Change{
				{Path: "spec.template.spec.containers[name=sidecar]", Op: Added, After: js(sidecar)},
				{Path: "spec.template.spec.containers[name=old]", Op: Removed, Before: js(`{"name":"old","image":"busybox"}`)},
			},
		},
		{
			name:   "containerPort key when ports have no name",
			before: deploy(`[` + app + `]`),
			after:  deploy(`[` + strings.Replace(app, `{"containerPort":9090}`, `{"containerPort":9090,"hostPort":19090}`, 1) + `]`),
			want: []Change{{Path: "spec.template.spec.containers[name=app].ports[containerPort=9090].hostPort",
				Op: Added, After: float64(19090)}},
		},
		{
			name: "numerically equal values are equal whatever their Go type",
			before: map[string]any{"spec": map[string]any{"replicas": int64(3), "a": 2, "b": float64(1.5), "c": int64(1 << 60),
				"ports": []any{map[string]any{"port": int64(80)}, map[string]any{"port": 443}}}},
			after: map[string]any{"spec": map[string]any{"replicas": float64(3), "a": int64(2), "b": json.Number("1.5"), "c": json.Number("1152921504606846976"),
				"ports": []any{map[string]any{"port": float64(443)}, map[string]any{"port": float64(80)}}}},
		},
		{
			name:   "numbers that differ are a change",
			before: map[string]any{"spec": map[string]any{"replicas": int64(3), "big": int64(1<<53 + 1)}},
			after:  map[string]any{"spec": map[string]any{"replicas": 3.5, "big": float64(1 << 53)}},
			want: []Change{
				{Path: "spec.big", Op: Changed, Before: int64(1<<53 + 1), After: float64(1 << 53)},
				{Path: "spec.replicas", Op: Changed, Before: int64(3), After: 3.5},
			},
		},
		{
			name: "ignored paths never produce changes, not even inside an added subtree",
			before: obj(`{"metadata":{"name":"web","resourceVersion":"1","managedFields":[{"manager":"a"}],
				"annotations":{"deployment.kubernetes.io/revision":"1"}},"status":{"replicas":1},
				"spec":{"template":{"spec":{"containers":[]}}}}`),
			after: obj(`{"metadata":{"name":"web","resourceVersion":"2","managedFields":[{"manager":"b"}],
				"annotations":{"deployment.kubernetes.io/revision":"2"}},"status":{"replicas":3},
				"spec":{"template":{"spec":{"containers":[{"name":"app","terminationMessagePath":"/dev/termination-log"}]}}}}`),
			opts: Options{Ignore: []string{"metadata.resourceVersion", "metadata.managedFields", "status",
				`metadata.annotations["deployment.kubernetes.io/revision"]`,
				"spec.template.spec.containers.terminationMessagePath"}},
			want: []Change{{Path: "spec.template.spec.containers[name=app]", Op: Added, After: js(`{"name":"app"}`)}},
		},
		{
			name:   "an unreadable ignore entry ignores nothing",
			before: obj(`{"spec":{"containers":[{"name":"app","image":"a"}]}}`),
			after:  obj(`{"spec":{"containers":[{"name":"app","image":"b"}]}}`),
			opts:   Options{Ignore: []string{"spec.containers[name=app].image", "", `spec["unterminated`}},
			want:   []Change{{Path: "spec.containers[name=app].image", Op: Changed, Before: "a", After: "b"}},
		},
		{
			name: "keys that are not identifiers are quoted",
			before: obj(`{"metadata":{"labels":{"app.kubernetes.io/name":"web","my-label":"x","-lead":"1","with space":"a","80":"n"},
				"annotations":{}}}`),
			after: obj(`{"metadata":{"labels":{"app.kubernetes.io/name":"api","my-label":"y","-lead":"2","with space":"b","80":"m"},
				"annotations":{"flotilla.io/rollout-wave":"2"}}}`),
			want: []Change{
				{Path: `metadata.annotations["flotilla.io/rollout-wave"]`, Op: Added, After: "2"},
				{Path: `metadata.labels["-lead"]`, Op: Changed, Before: "1", After: "2"},
				{Path: `metadata.labels["80"]`, Op: Changed, Before: "n", After: "m"},
				{Path: `metadata.labels["app.kubernetes.io/name"]`, Op: Changed, Before: "web", After: "api"},
				{Path: `metadata.labels.my-label`, Op: Changed, Before: "x", After: "y"},
				{Path: `metadata.labels["with space"]`, Op: Changed, Before: "a", After: "b"},
			},
		},
		{
			name:   "scalar lists are compared by index, extra items at the end",
			before: obj(`{"spec":{"args":["--a","--b","--c"],"command":["sh","-c"]}}`),
			after:  obj(`{"spec":{"args":["--a","--b","--d","--e"],"command":["-c","sh"]}}`),
			want: []Change{
				{Path: "spec.args[2]", Op: Changed, Before: "--c", After: "--d"},
				{Path: "spec.args[3]", Op: Added, After: "--e"},
				{Path: "spec.command[0]", Op: Changed, Before: "sh", After: "-c"},
				{Path: "spec.command[1]", Op: Changed, Before: "-c", After: "sh"},
			},
		},
		{
			name: "set-like scalar lists in another order are no change",
			before: obj(`{"metadata":{"finalizers":["a","b"]},"spec":{"clusterNames":["m1","m2"],"exclude":["x","y"],
				"securityContext":{"capabilities":{"add":["NET_ADMIN","SYS_TIME"],"drop":["NET_RAW","ALL"]}},
				"affinity":{"matchExpressions":[{"key":"zone","operator":"In","values":["a","b","c"]}]}}}`),
			after: obj(`{"metadata":{"finalizers":["b","a"]},"spec":{"clusterNames":["m2","m1"],"exclude":["y","x"],
				"securityContext":{"capabilities":{"add":["SYS_TIME","NET_ADMIN"],"drop":["ALL","NET_RAW"]}},
				"affinity":{"matchExpressions":[{"values":["c","a","b"],"operator":"In","key":"zone"}]}}}`),
		},
		{
			name:   "a set-like list with other values is compared by index",
			before: obj(`{"capabilities":{"drop":["NET_RAW"]}}`),
			after:  obj(`{"capabilities":{"drop":["ALL","NET_RAW"]}}`),
			want: []Change{
				{Path: "capabilities.drop[0]", Op: Changed, Before: "NET_RAW", After: "ALL"},
				{Path: "capabilities.drop[1]", Op: Added, After: "NET_RAW"},
			},
		},
		{
			name:   "a null entry is the same as an absent one",
			before: obj(`{"metadata":{"name":"a","creationTimestamp":null},"spec":{"x":null}}`),
			after:  obj(`{"metadata":{"name":"a"},"spec":{}}`),
		},
		{
			name:   "a change of type reports both values",
			before: obj(`{"spec":{"x":{"a":1},"y":[1],"z":"s"}}`),
			after:  obj(`{"spec":{"x":"a","y":{"a":1},"z":[true]}}`),
			want: []Change{
				{Path: "spec.x", Op: Changed, Before: js(`{"a":1}`), After: "a"},
				{Path: "spec.y", Op: Changed, Before: js(`[1]`), After: js(`{"a":1}`)},
				{Path: "spec.z", Op: Changed, Before: "s", After: js(`[true]`)},
			},
		},
		{
			name:   "duplicate names fall back to the next merge key",
			before: obj(`{"volumeMounts":[{"name":"data","mountPath":"/a"},{"name":"data","mountPath":"/b","readOnly":true}]}`),
			after:  obj(`{"volumeMounts":[{"name":"data","mountPath":"/b","readOnly":false},{"name":"data","mountPath":"/a"}]}`),
			want:   []Change{{Path: "volumeMounts[mountPath=/b].readOnly", Op: Changed, Before: true, After: false}},
		},
		{
			name:   "odd merge key values are quoted in the selector",
			before: obj(`{"items":[{"key":"80","v":1},{"key":"a,b","v":1}]}`),
			after:  obj(`{"items":[{"key":"a,b","v":2},{"key":"80","v":2}]}`),
			want: []Change{
				{Path: `items[key="a,b"].v`, Op: Changed, Before: float64(1), After: float64(2)},
				{Path: `items[key="80"].v`, Op: Changed, Before: float64(1), After: float64(2)},
			},
		},
		{
			name:   "lists of maps without a merge key are compared by index",
			before: obj(`{"rules":[{"a":1},{"a":2}],"mixed":[{"name":"x"},"y"]}`),
			after:  obj(`{"rules":[{"a":1},{"a":3}],"mixed":["y",{"name":"x"}]}`),
			want: []Change{
				{Path: "mixed[0]", Op: Changed, Before: js(`{"name":"x"}`), After: "y"},
				{Path: "mixed[1]", Op: Changed, Before: "y", After: js(`{"name":"x"}`)},
				{Path: "rules[1].a", Op: Changed, Before: float64(2), After: float64(3)},
			},
		},
		{
			name:   "a removed list item is reported whole",
			before: obj(`{"spec":{"tolerations":[{"key":"a","effect":"NoSchedule"},{"key":"b"}]}}`),
			after:  obj(`{"spec":{"tolerations":[{"key":"b"}]}}`),
			want: []Change{{Path: "spec.tolerations[key=a]", Op: Removed,
				Before: js(`{"key":"a","effect":"NoSchedule"}`)}},
		},
		{
			name:   "nil before: whole-object adds are left to the caller",
			before: nil,
			after:  obj(`{"kind":"ConfigMap"}`),
		},
		{
			name:   "nil after: whole-object deletes are left to the caller",
			before: obj(`{"kind":"ConfigMap"}`),
			after:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDiff(t, tt.before, tt.after, tt.opts, tt.want)
		})
	}
}

func TestDiffDoesNotAliasInput(t *testing.T) {
	before := obj(`{"spec":{}}`)
	after := obj(`{"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}}`)
	cs := Diff(before, after, Options{})
	if len(cs) != 1 {
		t.Fatalf("want one change, got\n%s", dump(cs))
	}
	cs[0].After.(map[string]any)["metadata"] = "mutated"
	if _, ok := after["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any); !ok {
		t.Error("mutating a Change's value changed the input object")
	}
}

func secret(data string) map[string]any {
	return obj(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"type":"Opaque"` + data + `}`)
}

// assertNoLeak fails if any change, as a string or as JSON, holds one of the
// secret values.
func assertNoLeak(t *testing.T, cs []Change, secrets ...string) {
	t.Helper()
	for _, c := range cs {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(c.String(), s) || strings.Contains(string(b), s) {
				t.Errorf("change leaks %q: %s / %s", s, c, b)
			}
		}
	}
}

func TestMasking(t *testing.T) {
	const (
		oldPass = "aHVudGVyMg=="
		newPass = "c2VjcmV0Mg=="
		oldKey  = "b2xkLWtleQ=="
		token   = "plain-token-123"
		more    = "bW9yZS1kYXRh"
	)
	tests := []struct {
		name          string
		before, after map[string]any
		opts          Options
		want          []Change
	}{
		{
			name:   "changed, added and removed Secret values are masked",
			before: secret(`,"data":{"password":"` + oldPass + `","old":"` + oldKey + `"}`),
			after:  secret(`,"data":{"password":"` + newPass + `"},"stringData":{"token":"` + token + `"}`),
			want: []Change{
				{Path: "data.old", Op: Removed, Before: MaskedValue, Masked: true},
				{Path: "data.password", Op: Changed, Before: MaskedValue, After: MaskedValue, Masked: true},
				{Path: "stringData.token", Op: Added, After: MaskedValue, Masked: true},
			},
		},
		{
			name:   "data added in one piece is split into masked keys",
			before: secret(``),
			after:  secret(`,"data":{"password":"` + newPass + `","more":"` + more + `"}`),
			want: []Change{
				{Path: "data.more", Op: Added, After: MaskedValue, Masked: true},
				{Path: "data.password", Op: Added, After: MaskedValue, Masked: true},
			},
		},
		{
			name:   "data removed in one piece is split into masked keys",
			before: secret(`,"data":{"password":"` + oldPass + `","weird key":"` + oldKey + `"}`),
			after:  secret(``),
			want: []Change{
				{Path: "data.password", Op: Removed, Before: MaskedValue, Masked: true},
				{Path: `data["weird key"]`, Op: Removed, Before: MaskedValue, Masked: true},
			},
		},
		{
			name:   "data changed to another type is masked",
			before: secret(`,"data":{"password":"` + oldPass + `"}`),
			after:  secret(`,"data":"` + newPass + `"`),
			want:   []Change{{Path: "data", Op: Changed, Before: MaskedValue, After: MaskedValue, Masked: true}},
		},
		{
			name:   "the last-applied annotation of a Secret is masked",
			before: secret(`,"data":{"password":"` + oldPass + `"}`),
			after: func() map[string]any {
				s := secret(`,"data":{"password":"` + oldPass + `"}`)
				s["metadata"].(map[string]any)["annotations"] = map[string]any{
					lastAppliedAnnotation: `{"data":{"password":"` + newPass + `"}}`, "team": "db"}
				return s
			}(),
			want: []Change{
				{Path: `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`, Op: Added, After: MaskedValue, Masked: true},
				{Path: "metadata.annotations.team", Op: Added, After: "db"},
			},
		},
		{
			name:   "a Secret turned into a ConfigMap still masks what it held",
			before: secret(`,"data":{"password":"` + oldPass + `"}`),
			after:  obj(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"db"},"type":"Opaque","data":{"password":"` + newPass + `"}}`),
			want: []Change{
				{Path: "data.password", Op: Changed, Before: MaskedValue, After: MaskedValue, Masked: true},
				{Path: "kind", Op: Changed, Before: "Secret", After: "ConfigMap"},
			},
		},
		{
			name:   "a custom Sensitive sees list selectors and masks inside an added container",
			before: obj(`{"spec":{"containers":[]}}`),
			after: obj(`{"spec":{"containers":[{"name":"app","image":"pg:16",
				"env":[{"name":"USER","value":"app"},{"name":"PASSWORD","value":"` + newPass + `"}]}]}}`),
			opts: Options{Sensitive: func(_ map[string]any, path []string) bool {
				n := len(path)
				return n >= 2 && path[n-2] == "[name=PASSWORD]" && path[n-1] == "value"
			}},
			want: []Change{
				{Path: "spec.containers[name=app].env[name=USER]", Op: Added, After: js(`{"name":"USER","value":"app"}`)},
				{Path: "spec.containers[name=app].env[name=PASSWORD].name", Op: Added, After: "PASSWORD"},
				{Path: "spec.containers[name=app].env[name=PASSWORD].value", Op: Added, After: MaskedValue, Masked: true},
				{Path: "spec.containers[name=app].image", Op: Added, After: "pg:16"},
				{Path: "spec.containers[name=app].name", Op: Added, After: "app"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDiff(t, tt.before, tt.after, tt.opts, tt.want)
			assertNoLeak(t, Diff(tt.before, tt.after, tt.opts), oldPass, newPass, oldKey, token, more)
		})
	}
}

func TestDefaultSensitive(t *testing.T) {
	s := secret(``)
	cm := obj(`{"apiVersion":"v1","kind":"ConfigMap"}`)
	other := obj(`{"apiVersion":"example.com/v1","kind":"Secret"}`)
	for _, tc := range []struct {
		obj  map[string]any
		path []string
		want bool
	}{
		{s, []string{"data"}, true},
		{s, []string{"data", "password"}, true},
		{s, []string{"stringData", "x"}, true},
		{s, []string{"metadata", "annotations", lastAppliedAnnotation}, true},
		{s, []string{"metadata", "annotations", "team"}, false},
		{s, []string{"metadata", "name"}, false},
		{s, []string{"type"}, false},
		{s, nil, false},
		{cm, []string{"data", "password"}, false},
		{other, []string{"data", "password"}, false},
		{nil, []string{"data"}, false},
	} {
		if got := DefaultSensitive(tc.obj, tc.path); got != tc.want {
			t.Errorf("DefaultSensitive(%v, %q) = %v, want %v", tc.obj["kind"], tc.path, got, tc.want)
		}
	}
}

func TestChangeString(t *testing.T) {
	long := map[string]any{"name": "sidecar", "image": "registry.example.com/platform/envoy-proxy:v1.30.2-distroless",
		"args": []any{"--config", "/etc/envoy/envoy.yaml", "--log-level", "info"}}
	for _, tc := range []struct {
		c    Change
		want string
	}{
		{Change{Path: "spec.replicas", Op: Changed, Before: int64(3), After: float64(5)}, "~ spec.replicas: 3 → 5"},
		{Change{Path: "spec.template.spec.containers[name=sidecar]", Op: Added,
			After: map[string]any{"name": "sidecar", "image": "envoy:1.30"}},
			`+ spec.template.spec.containers[name=sidecar]: {"image":"envoy:1.30","name":"sidecar"}`},
		{Change{Path: "metadata.labels.tier", Op: Removed, Before: "web"}, `- metadata.labels.tier: "web"`},
		{Change{Path: "spec.args", Op: Changed, Before: []any{"a"}, After: nil}, `~ spec.args: ["a"] → null`},
		{Change{Path: "data.password", Op: Changed, Before: MaskedValue, After: MaskedValue, Masked: true},
			"~ data.password: (sensitive value changed)"},
		{Change{Path: "data.token", Op: Added, After: MaskedValue, Masked: true}, "+ data.token: (sensitive value added)"},
		{Change{Path: "data.token", Op: Removed, Before: MaskedValue, Masked: true}, "- data.token: (sensitive value removed)"},
		// Masked wins over whatever a caller left in the values.
		{Change{Path: "data.token", Op: Changed, Before: "hunter2", After: "hunter3", Masked: true},
			"~ data.token: (sensitive value changed)"},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("String() =\n%s\nwant\n%s", got, tc.want)
		}
	}

	s := Change{Path: "spec.template.spec.containers[name=sidecar]", Op: Added, After: long}.String()
	value := strings.TrimPrefix(s, "+ spec.template.spec.containers[name=sidecar]: ")
	if !strings.HasSuffix(value, "…") || utf8.RuneCountInString(value) != valueWidth || !strings.HasPrefix(value, `{"args":["--config"`) {
		t.Errorf("a long value is not cut to %d runes ending in …: %q", valueWidth, value)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v     any
		limit int
		want  string
	}{
		{nil, 80, "null"},
		{"<a&b>", 80, `"<a&b>"`},
		{"abcdefgh", 5, `"abc…`},
		{"abcdefgh", 10, `"abcdefgh"`},
		{"abcdefgh", 0, `"abcdefgh"`},
		{"ééééé", 4, `"éé…`},
		{"x", 1, "…"},
		{map[string]any{"b": 1, "a": []any{true, 2.5}}, 0, `{"a":[true,2.5],"b":1}`},
		{int64(1 << 60), 0, "1152921504606846976"},
	} {
		if got := FormatValue(tc.v, tc.limit); got != tc.want {
			t.Errorf("FormatValue(%#v, %d) = %q, want %q", tc.v, tc.limit, got, tc.want)
		}
	}
}

func TestParseIgnore(t *testing.T) {
	for in, want := range map[string][]string{
		"status":                        {"status"},
		"metadata.resourceVersion":      {"metadata", "resourceVersion"},
		`metadata.annotations["a.b/c"]`: {"metadata", "annotations", "a.b/c"},
		`["x.y"].z`:                     {"x.y", "z"},
		`a["q\"uote"]`:                  {"a", `q"uote`},
		"spec.containers[0].image":      nil,
		`a["open`:                       nil,
		"":                              nil,
	} {
		if got := parseIgnore(in); !reflect.DeepEqual(got, want) {
			t.Errorf("parseIgnore(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDeterminism runs Diff concurrently on inputs with many keys and keyed
// items, so that any dependence on map iteration order or shared state (the
// race detector watches) shows as a differing result.
func TestDeterminism(t *testing.T) {
	before, after := bigPair(40)
	opts := Options{Ignore: []string{"status"}}
	first := Diff(before, after, opts)
	if len(first) < 40 {
		t.Fatalf("the pair should differ in many places, got %d changes", len(first))
	}
	for i := 1; i < len(first); i++ {
		if first[i-1].Path == first[i].Path {
			t.Fatalf("duplicate path %s", first[i].Path)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				if got := Diff(before, after, opts); !reflect.DeepEqual(got, first) {
					t.Errorf("Diff is not deterministic:\n%s\nvs\n%s", dump(got), dump(first))
					return
				}
			}
		})
	}
	wg.Wait()
	// Rebuilt maps (other hash seeds, other insertion order) give the same.
	b2, a2 := bigPair(40)
	if got := Diff(b2, a2, opts); !reflect.DeepEqual(got, first) {
		t.Errorf("rebuilt inputs give another result")
	}
}

func bigPair(n int) (before, after map[string]any) {
	build := func(version string, reverse bool) map[string]any {
		labels := map[string]any{}
		var containers []any
		for i := range n {
			k := i
			if reverse {
				k = n - 1 - i
			}
			labels[fmt.Sprintf("example.com/l%02d", k)] = fmt.Sprintf("%s-%d", version, k%3)
			containers = append(containers, map[string]any{
				"name":  fmt.Sprintf("c%02d", k),
				"image": fmt.Sprintf("img-%02d:%s", k, version),
				"env":   []any{map[string]any{"name": "X", "value": version}, map[string]any{"name": "Y", "value": "y"}},
			})
		}
		return map[string]any{"metadata": map[string]any{"labels": labels},
			"spec": map[string]any{"containers": containers}, "status": map[string]any{"v": version}}
	}
	return build("v1", false), build("v2", true)
}

func TestEqual(t *testing.T) {
	obj := func() map[string]any {
		return map[string]any{"a": []any{int64(1), 2.5, "x", true, nil, map[string]any{"b": int64(3)}}, "c": map[string]any{}}
	}
	if !Equal(obj(), obj()) {
		t.Error("equal objects differ")
	}
	if !Equal(map[string]any{"n": int64(2)}, map[string]any{"n": 2.0}) {
		t.Error("2 and 2.0 are the same JSON number")
	}
	for i, other := range []any{
		map[string]any{"a": []any{int64(1), 2.5, "x", true, nil, map[string]any{"b": int64(4)}}, "c": map[string]any{}},
		map[string]any{"a": []any{int64(1), 2.5, "x", true, nil}, "c": map[string]any{}},
		map[string]any{"a": []any{int64(1), 2.5, "x", false, nil, map[string]any{"b": int64(3)}}, "c": map[string]any{}},
		map[string]any{"a": []any{int64(1), 2.5, "x", true, nil, map[string]any{"b": int64(3)}}, "d": map[string]any{}},
		map[string]any{"a": []any{int64(1), 2.5, "x", true, "", map[string]any{"b": int64(3)}}, "c": map[string]any{}},
		map[string]any{"a": "x", "c": map[string]any{}},
	} {
		if Equal(obj(), other) || Equal(other, obj()) {
			t.Errorf("case %d: different objects compare equal", i)
		}
	}
}
