package apischema_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
)

// corpusCase is one file of testdata/invalid: the rendered object and what
// a real apiserver must answer, from its `# want...:` header lines.
type corpusCase struct {
	file      string
	body      []byte
	wantField string
	wantType  string
	want      string
	// wantApply, for a value of the wrong type, is what a server-side
	// apply answers (and the offline message holds): the create path
	// stops at the first such value with encoding/json's message, while
	// the validator lists every one as server-side apply does.
	wantApply string
}

func readCorpus(t testing.TB, dir string) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files in testdata/%s", dir)
	}
	var out []corpusCase
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := corpusCase{file: f, body: body}
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "#") {
				break
			}
			key, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ":")
			if !ok {
				continue
			}
			val = strings.TrimSpace(val)
			switch key {
			case "want-field":
				c.wantField = val
			case "want-type":
				c.wantType = val
			case "want":
				c.want = val
			case "want-apply":
				c.wantApply = val
			}
		}
		out = append(out, c)
	}
	return out
}

func decodeYAML(t testing.TB, body []byte) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := sigsyaml.Unmarshal(body, &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestCorpusInvalid checks every rendered-but-invalid object of
// testdata/invalid: the request body as a real server receives it must be
// refused on the wanted field, with the wanted message.
func TestCorpusInvalid(t *testing.T) {
	v := validator(t)
	cases := readCorpus(t, "invalid")
	if len(cases) < 14 {
		t.Fatalf("want at least 14 invalid objects, have %d", len(cases))
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			if c.want == "" || !strings.Contains(string(c.body), "# want-field:") {
				t.Fatalf("%s: missing `# want-field:` / `# want:` header", c.file)
			}
			want := cmp.Or(c.wantApply, c.want)
			check := func(how string, errs []apischema.FieldError) {
				t.Helper()
				for _, e := range errs {
					if e.Field == c.wantField && strings.Contains(e.Message, want) && (c.wantType == "" || e.Type == c.wantType) {
						return
					}
				}
				t.Errorf("%s: want an error on %q (type %q) containing %q, got:\n%s", how, c.wantField, c.wantType, want, dump(errs))
			}
			check("ValidateRaw", v.ValidateRaw(context.Background(), c.body))
			// A decoded object has lost its duplicate keys; everything
			// else must be found through Validate as well.
			if c.wantType != apischema.TypeDuplicateField {
				check("Validate", v.Validate(context.Background(), decodeYAML(t, c.body)))
			}
		})
	}
}

// TestCorpusValid checks that realistic objects of every kind flotilla
// renders pass, as raw bodies and as decoded objects.
func TestCorpusValid(t *testing.T) {
	v := validator(t)
	for _, c := range readCorpus(t, "valid") {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			if errs := v.ValidateRaw(context.Background(), c.body); len(errs) > 0 {
				t.Errorf("ValidateRaw: %s", dump(errs))
			}
			if errs := v.Validate(context.Background(), decodeYAML(t, c.body)); len(errs) > 0 {
				t.Errorf("Validate: %s", dump(errs))
			}
		})
	}
}

func dump(errs []apischema.FieldError) string {
	if len(errs) == 0 {
		return "  (no errors)"
	}
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  field=" + e.Field + " type=" + e.Type + " origin=" + e.Origin + "\n    " + e.Message + "\n")
	}
	return b.String()
}
