package lint

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/report"
)

// realExceptions returns the flotilla.io/exceptions annotations written in
// the repository's example fleet and test fleets: the fuzz target's seeds.
func realExceptions(t testing.TB) []string {
	var out []string
	for _, root := range []string{"../../apps", "../../tests/fleets"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil || !bytes.Contains(data, []byte(AnnotationExceptions)) {
				return err
			}
			for _, doc := range strings.Split(string(data), "\n---") {
				var obj struct {
					Metadata struct {
						Annotations map[string]string `json:"annotations"`
					} `json:"metadata"`
				}
				if yaml.Unmarshal([]byte(doc), &obj) == nil {
					if raw, ok := obj.Metadata.Annotations[AnnotationExceptions]; ok {
						out = append(out, raw)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 5 {
		t.Fatalf("found %d exception annotations in the example fleets, want the ones apps/ and tests/fleets/ hold", len(out))
	}
	return out
}

// FuzzExceptions holds the exceptions parser to its promises on any
// annotation text: it never panics; every exception it accepts names a
// rule, gives a reason and has a valid date (expired exactly when the
// date has passed); every element is either accepted or reported, at
// the annotation's position; and what it accepts reads back the same.
func FuzzExceptions(f *testing.F) {
	for _, raw := range realExceptions(f) {
		f.Add(raw)
	}
	for _, raw := range []string{
		`[]`, `null`, `{}`, `[null]`, `[{"rule":"X"}]`, `[{"rule":"X","reason":" "}]`,
		`[{"rule":"X","reason":"r","expires":"2026-02-30"}]`, `[{"rule":"X","reason":"r","expire":"2020-01-01"}]`,
		`[{"rule":"X","reason":"r"}] trailing`, `[{"rule":1}]`, "[{\"rule\":\"X\",\"reason\":\"\\u0000\"}]",
	} {
		f.Add(raw)
	}
	today := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		x := newExceptions(today)
		got := x.parse(raw, "Pod/ns/p", "p.yaml", 3, 5)
		for _, m := range x.malformed {
			if m.Rule != RuleExceptionMalformed || m.Severity != report.Error || m.File != "p.yaml" || m.Line != 3 || m.Column != 5 || m.Object != "Pod/ns/p" || m.Message == "" {
				t.Errorf("malformed finding without its place: %+v", m)
			}
		}
		for _, e := range got {
			if e.Rule == "" || strings.TrimSpace(e.Reason) == "" {
				t.Errorf("accepted without a rule or reason: %+v", e)
			}
			if e.Expires != "" {
				d, err := time.Parse(time.DateOnly, e.Expires)
				if err != nil {
					t.Errorf("accepted with a bad date %q", e.Expires)
				} else if e.expired != d.Before(today.Truncate(24*time.Hour)) {
					t.Errorf("expires %s: expired = %v on %s", e.Expires, e.expired, today.Format(time.DateOnly))
				}
			}
		}
		var elems []json.RawMessage
		if json.Unmarshal([]byte(raw), &elems) != nil {
			if len(got) != 0 {
				t.Errorf("accepted %d exceptions from text that is not a JSON list", len(got))
			}
			if len(x.malformed) != 1 {
				t.Errorf("%d findings for one unreadable annotation", len(x.malformed))
			}
			return
		}
		// Each element is accepted or reported, or the whole list is
		// refused by one finding (a field of the wrong type, an unknown
		// field, text after the list).
		if len(got)+len(x.malformed) != len(elems) && (len(got) != 0 || len(x.malformed) != 1) {
			t.Errorf("%d elements: %d accepted, %d reported", len(elems), len(got), len(x.malformed))
		}
		// What was accepted, written back, reads back the same and clean.
		data, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		y := newExceptions(today)
		again := y.parse(string(data), "Pod/ns/p", "p.yaml", 3, 5)
		if len(y.malformed) != 0 || len(again) != len(got) {
			t.Fatalf("round trip of %s: %d accepted, %+v", data, len(again), y.malformed)
		}
		for i := range got {
			if !reflect.DeepEqual(*again[i], *got[i]) {
				t.Errorf("round trip changed %+v into %+v", *got[i], *again[i])
			}
		}
	})
}

// A misspelt field is an error, not dropped: "expire" would otherwise
// make an exception that never expires.
func TestExceptionWithUnknownFieldIsMalformed(t *testing.T) {
	for _, raw := range []string{
		`[{"rule":"SEC-002","reason":"r","expire":"2020-01-01"}]`,
		`[{"rule":"SEC-002","reason":"r"}] [{"rule":"SEC-003","reason":"r"}]`,
	} {
		x := newExceptions(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		if got := x.parse(raw, "Pod/ns/p", "p.yaml", 3, 5); len(got) != 0 || len(x.malformed) != 1 || x.malformed[0].Rule != RuleExceptionMalformed {
			t.Errorf("%s: accepted %d, findings %+v", raw, len(got), x.malformed)
		}
	}
	x := newExceptions(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if got := x.parse(" [{\"rule\":\"SEC-002\",\"reason\":\"r\",\"expires\":\"2020-01-01\"}]\n", "Pod/ns/p", "p.yaml", 3, 5); len(got) != 1 || !got[0].expired || len(x.malformed) != 0 {
		t.Errorf("a well-formed expired exception: %+v %+v", got, x.malformed)
	}
}
