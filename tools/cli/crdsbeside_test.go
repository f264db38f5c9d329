package cli

import (
	"strings"
	"testing"
)

// TestCRDsBesideTheirCustomResources: a folder shipping its CRD beside its
// custom resources has them validated by that CRD (unknown fields with a
// did-you-mean, wrong types); --crd brings CRDs from elsewhere; and
// --ignore-missing-schemas turns "no schema" into a listed skip.
func TestCRDsBesideTheirCustomResources(t *testing.T) {
	const dir = "testdata/crdsbeside/manifests"
	guestbook := []string{
		dir + `/guestbook.yaml:16:3: Guestbook/demo/typo: spec.replica: unknown field "spec.replica" (did you mean "replicas"?)`,
		dir + `/guestbook.yaml:17:3: Guestbook/demo/typo: spec.title: Invalid value: "integer": spec.title in body must be of type string`,
	}
	for _, c := range []struct {
		name    string
		args    []string
		want    []string
		wantNot string
		summary string
	}{
		{"the CRD beside", nil, append(guestbook, dir+"/widget.yaml:2:1: Widget/demo/w: kind: no schema for example.com/v1, Kind=Widget"), "", "3 validation findings (2 input errors) in 4 objects"},
		{"--crd", []string{"--crd", "testdata/crdsbeside/crds"}, append(guestbook, dir+"/widget.yaml:7:3: Widget/demo/w: spec.size: Invalid value: 2: spec.size in body should be less than or equal to 1"), "no schema", "3 validation findings (2 input errors) in 4 objects"},
		{"--ignore-missing-schemas", []string{"--ignore-missing-schemas"}, append(guestbook, "skipped "+dir+"/widget.yaml:2: Widget/demo/w: not validated, no schema for example.com/v1, Kind=Widget (--ignore-missing-schemas)"), "kind: no schema", "2 validation findings (2 input errors) in 4 objects"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"validate", dir}, c.args...)...)
			if code != ExitInput {
				t.Errorf("exit %d, want %d\n%s%s", code, ExitInput, out, errOut)
			}
			for _, w := range append(c.want, c.summary) {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks\n  %s\nin:\n%s", w, out)
				}
			}
			if c.wantNot != "" && strings.Contains(out, c.wantNot) {
				t.Errorf("output says %q:\n%s", c.wantNot, out)
			}
			if strings.Contains(out, "Guestbook/demo/main") {
				t.Errorf("the valid custom resource is reported:\n%s", out)
			}
		})
	}
}
