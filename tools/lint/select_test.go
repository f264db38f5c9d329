package lint

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// latestRule is a second family next to tagRule (images), to select by.
const latestRule = `package flotilla.tags

# METADATA
# title: Image tagged latest
# custom:
#   id: TAG-002
#   severity: warning
#   remediation: Pin a version.
#   scope: object
latest contains v if {
	some i, c in input.review.object.spec.containers
	endswith(c.image, ":latest")
	v := {"msg": sprintf("container %q uses latest", [c.name]), "field": sprintf("spec.containers[%d].image", [i])}
}
`

func TestSelectRestrictsRulesAndTheirExceptions(t *testing.T) {
	p, err := pack(t, map[string]string{"images.rego": tagRule, "tags.rego": latestRule})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(q *Pack) []string {
		var out []string
		for _, r := range q.Rules {
			out = append(out, r.ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		include, exclude []string
		want             []string
	}{
		"everything":       {nil, nil, []string{"IMG-001", "TAG-002"}},
		"by id":            {[]string{"TAG-002"}, nil, []string{"TAG-002"}},
		"by glob":          {[]string{"IMG-*"}, nil, []string{"IMG-001"}},
		"by family":        {[]string{"tags"}, nil, []string{"TAG-002"}},
		"skip":             {nil, []string{"IMG-001"}, []string{"TAG-002"}},
		"include and skip": {[]string{"*"}, []string{"tags"}, []string{"IMG-001"}},
	} {
		t.Run(name, func(t *testing.T) {
			q, err := p.Select(tc.include, tc.exclude)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(q); !slices.Equal(got, tc.want) {
				t.Errorf("rules = %v, want %v", got, tc.want)
			}
		})
	}
	if got := ids(p); len(got) != 2 {
		t.Errorf("Select changed the pack it was called on: %v", got)
	}
	for _, bad := range [][]string{{"SEC-*"}, {"["}} {
		if _, err := p.Select(bad, nil); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("Select(%q) error = %v, want one naming the pattern", bad, err)
		}
	}

	// A Pod that breaks both rules, with an exception for each: with only
	// TAG-002 selected, IMG-001 neither fires nor leaves its exception
	// unused, and TAG-002's exception is used.
	q, err := p.Select([]string{"TAG-002"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	target := pod("both", "busybox:latest", `[{"rule":"IMG-001","reason":"vendor"},{"rule":"TAG-002","reason":"vendor pins latest"},{"rule":"NOPE-1","reason":"typo"}]`)
	rep, err := Run(context.Background(), Options{Pack: q, Targets: []Target{target}, Now: func() time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Rule+" "+f.Message)
	}
	if len(got) != 1 || !strings.Contains(got[0], "EXC-003") || !strings.Contains(got[0], "NOPE-1") {
		t.Errorf("findings = %q, want only the exception naming an unknown rule", got)
	}
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].Rule != "TAG-002" {
		t.Errorf("suppressed = %+v, want TAG-002 accepted", rep.Suppressed)
	}
	for _, r := range rep.Rules {
		if r.ID == "IMG-001" {
			t.Errorf("report lists IMG-001, which did not run")
		}
	}
}
