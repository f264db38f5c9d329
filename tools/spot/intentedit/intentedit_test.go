package intentedit

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	goldenfile "github.com/flotilla-gitops/flotilla/tools/internal/golden"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got, *update)
}

var commentRE = regexp.MustCompile(`#[^\n]*`)

// comments lists the comments of a file: every '#' to the end of its line
// (the test files have no '#' inside a value).
func comments(data []byte) []string {
	var out []string
	for _, m := range commentRE.FindAll(data, -1) {
		out = append(out, strings.TrimSpace(string(m)))
	}
	slices.Sort(out)
	return out
}

// appDoc finds the App document of a file.
func appDoc(t *testing.T, file string, data []byte) *yamldoc.Document {
	t.Helper()
	docs, errs := yamldoc.Parse(file, data)
	if len(errs) > 0 {
		t.Fatalf("%s does not parse: %v", file, errs)
	}
	for _, d := range docs {
		if bytes.Contains(d.JSON, []byte(`"kind":"App"`)) {
			return d
		}
	}
	t.Fatalf("%s has no App", file)
	return nil
}

func readBack(t *testing.T, file string, data []byte) v1alpha1.App {
	t.Helper()
	var app v1alpha1.App
	if err := sigsyaml.Unmarshal(appDoc(t, file, data).JSON, &app); err != nil {
		t.Fatal(err)
	}
	return app
}

func TestDivisionKeepsCommentsAndLayout(t *testing.T) {
	cases := []struct {
		file     string
		division []v1alpha1.SpotShare
	}{
		{"comments.yaml", []v1alpha1.SpotShare{
			{Cluster: "a", OnDemand: 1, Spot: 3},
			{Cluster: "b", Spot: 1, HedgeSpotOnly: 1},
			{Cluster: "c", Spot: 1, Hedge: 1},
			{Cluster: "d"}, // no replicas: its entry goes
		}},
		{"nodivision.yaml", []v1alpha1.SpotShare{{Cluster: "west", Spot: 2, Hedge: 1}, {Cluster: "east", OnDemand: 1}}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			doc := appDoc(t, c.file, data)
			target := Target{File: c.file, Data: data, Line: doc.Line, Object: "App/x"}
			out, err := Division(target, c.division)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(c.file, ".yaml")+".golden.yaml", out)
			// Every comment is still there, and only the new block's own
			// comment is added.
			before, after := comments(data), comments(out)
			for _, cm := range before {
				i := slices.Index(after, cm)
				if i < 0 {
					t.Errorf("comment %q lost", cm)
					continue
				}
				after = slices.Delete(after, i, i+1)
			}
			for _, cm := range after {
				if !strings.Contains(cm, "Written by `flotilla spot rebalance`") {
					t.Errorf("comment %q appeared", cm)
				}
			}
			app := readBack(t, c.file, out)
			if got, want := normalize(app.Spec.Spot.Division), normalize(c.division); !slices.Equal(got, want) {
				t.Errorf("division reads back %v, want %v", got, want)
			}
			// Written again, the same division changes nothing.
			again, err := Division(Target{File: c.file, Data: out, Line: doc.Line}, c.division)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("a second write changed the file (err %v):\n%s", err, again)
			}
		})
	}
}

func TestDivisionCRLF(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "comments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	division := []v1alpha1.SpotShare{{Cluster: "a", Spot: 4}, {Cluster: "e", OnDemand: 2}}
	out, err := Division(Target{File: "crlf.yaml", Data: crlf, Line: 2}, division)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
		t.Errorf("line endings mixed:\n%q", out)
	}
	if got := normalize(readBack(t, "crlf.yaml", out).Spec.Spot.Division); !slices.Equal(got, normalize(division)) {
		t.Errorf("division reads back %v", got)
	}
}

func TestDivisionErrors(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"flow spot", "apiVersion: flotilla.io/v1alpha1\nkind: App\nmetadata: {name: x}\nspec:\n  placement:\n    replicas:\n      weights: []\n  spot: {allowed: true}\n",
			"f.yaml:8:9: App/x: spec.spot: is written in flow style ({...}); rebalancing edits block style only"},
		{"no replicas", "apiVersion: flotilla.io/v1alpha1\nkind: App\nmetadata: {name: x}\nspec:\n  placement:\n    clusters: [a]\n  spot:\n    allowed: true\n",
			"f.yaml:6:5: App/x: spec.placement.replicas: missing: rebalancing writes below it"},
		{"spot not a mapping", "apiVersion: flotilla.io/v1alpha1\nkind: App\nmetadata: {name: x}\nspec:\n  spot: yes\n",
			"f.yaml:5:3: App/x: spec.spot: is not a mapping"},
		{"division not a list", "apiVersion: flotilla.io/v1alpha1\nkind: App\nmetadata: {name: x}\nspec:\n  placement:\n    replicas:\n      mode: Divided\n  spot:\n    division: 3\n",
			"f.yaml:9:15: App/x: spec.spot.division: is not a list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Division(Target{File: "f.yaml", Data: []byte(c.doc), Line: 1, Object: "App/x"}, []v1alpha1.SpotShare{{Cluster: "a", Spot: 1}})
			var d *diag.Error
			if !errors.As(err, &d) || d.Error() != c.want {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
