package intentedit

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// choices reads decisions from the fuzzer's bytes (zeros once they run
// out), so that the fuzzer's mutations change the file's shape.
type choices struct {
	b []byte
	n int
}

func (c *choices) pick(n int) int {
	if n <= 1 {
		return 0
	}
	if c.n >= len(c.b) {
		return 0
	}
	v := int(c.b[c.n])
	c.n++
	return v % n
}

func (c *choices) yes() bool { return c.pick(2) == 1 }

// appGen writes a valid App with comments everywhere a person may put
// them: each comment is a unique token (# cN), so that the test can find
// every one in the edited file.
type appGen struct {
	c        *choices
	b        strings.Builder
	comments []string
	nl       string
	unit     int
}

func (g *appGen) comment() string {
	tok := fmt.Sprintf("# c%d", len(g.comments))
	g.comments = append(g.comments, tok)
	return tok
}

// line writes one line at an indentation, with a comment line before it
// and a line comment after it, each by chance, and sometimes a blank
// line.
func (g *appGen) line(indent int, text string) {
	pad := strings.Repeat(" ", indent)
	switch g.c.pick(6) {
	case 1:
		g.b.WriteString(pad + g.comment() + g.nl)
	case 2:
		g.b.WriteString(g.nl)
	case 3:
		g.b.WriteString(g.comment() + g.nl) // a comment at column 0
	}
	g.b.WriteString(pad + text)
	if g.c.pick(3) == 1 && !strings.HasSuffix(text, ":") || g.c.pick(5) == 1 {
		g.b.WriteString(strings.Repeat(" ", 1+g.c.pick(3)) + g.comment())
	}
	g.b.WriteString(g.nl)
}

var clusterNames = []string{"alpha", "beta", "gamma", "delta", "eu-1", "us-2"}

// seq writes a block sequence's items under a key at indent: each item
// is its lines (the first gets the dash).
func (g *appGen) seq(indent int, items [][]string) {
	dash := indent + g.c.pick(2)*g.unit
	for _, item := range items {
		spaces := 1 + g.c.pick(2)*2
		for i, l := range item {
			if i == 0 {
				g.line(dash, "-"+strings.Repeat(" ", spaces)+l)
			} else {
				g.line(dash+1+spaces, l)
			}
		}
		if g.c.pick(8) == 1 {
			g.b.WriteString(strings.Repeat(" ", dash) + g.comment() + g.nl) // between items
		}
	}
}

func (g *appGen) generate() string {
	g.unit = 2 + 2*g.c.pick(2)
	g.nl = "\n"
	if g.c.pick(8) == 1 {
		g.nl = "\r\n"
	}
	u := g.unit
	if g.c.yes() {
		g.b.WriteString(g.comment() + g.nl)
	}
	if g.c.pick(4) == 1 {
		g.b.WriteString("kind: Other" + g.nl + "---" + g.nl)
	}
	g.line(0, "apiVersion: flotilla.io/v1alpha1")
	g.line(0, "kind: App")
	g.line(0, "metadata:")
	g.line(u, "name: web")
	g.line(0, "spec:")
	parts := []func(){
		func() { g.line(u, "namespace: web") },
		func() {
			g.line(u, "placement:")
			g.line(2*u, "clusters: ["+strings.Join(clusterNames, ", ")+"]")
			g.line(2*u, "replicas:")
			g.line(3*u, "mode: Divided")
			g.line(3*u, "division: StaticWeights")
			var items [][]string
			for i, n := 0, 1+g.c.pick(4); i < n; i++ {
				name := clusterNames[g.c.pick(len(clusterNames))]
				w := fmt.Sprint(1 + g.c.pick(9))
				switch g.c.pick(4) {
				case 0:
					items = append(items, []string{"{clusters: [" + name + "], weight: " + w + "}"})
				case 1:
					items = append(items, []string{"regions: [eu-west-1]", "weight: " + w})
				case 2:
					items = append(items, []string{"weight: " + w, "clusters: [\"" + name + "\"]"})
				default:
					items = append(items, []string{"clusters: [" + name + "]", "weight: " + w})
				}
			}
			if g.c.pick(6) != 1 {
				g.line(3*u, "weights:")
				g.seq(3*u, items)
			}
		},
		func() {
			g.line(u, "spot:")
			g.line(2*u, "allowed: true")
			g.line(2*u, "objective:")
			g.line(3*u, "minReady: 3")
			g.line(3*u, `availability: "99.9"`)
			switch g.c.pick(4) {
			case 0:
			case 1:
				g.line(2*u, "division: []")
			default:
				var items [][]string
				for i, n := 0, 1+g.c.pick(4); i < n; i++ {
					name := clusterNames[g.c.pick(len(clusterNames))]
					if g.c.pick(3) == 0 {
						items = append(items, []string{"{cluster: " + name + ", spot: " + fmt.Sprint(g.c.pick(5)) + "}"})
						continue
					}
					item := []string{"cluster: " + name}
					for _, f := range fields {
						if g.c.yes() {
							item = append(item, f+": "+fmt.Sprint(g.c.pick(5)))
						}
					}
					items = append(items, item)
				}
				g.line(2*u, "division:")
				g.seq(2*u, items)
			}
			if g.c.yes() {
				g.line(2*u, "rebalance:")
				g.line(3*u, "minInterval: 6h")
			}
		},
		func() {
			g.line(u, "rollout:")
			g.line(2*u, "wave: 2")
		},
	}
	// Any order of spec's keys.
	for len(parts) > 0 {
		i := g.c.pick(len(parts))
		parts[i]()
		parts = slices.Delete(parts, i, i+1)
	}
	if g.c.yes() {
		g.b.WriteString(g.comment() + g.nl)
	}
	if g.c.pick(4) == 1 {
		g.b.WriteString("---" + g.nl + "kind: After" + g.nl)
	}
	return g.b.String()
}

// division picks a division from the remaining choices.
func (c *choices) division() []v1alpha1.SpotShare {
	var out []v1alpha1.SpotShare
	for _, name := range clusterNames {
		if c.pick(3) == 0 {
			continue
		}
		out = append(out, v1alpha1.SpotShare{Cluster: name, OnDemand: int32(c.pick(3)), Spot: int32(c.pick(5)), Hedge: int32(c.pick(2)), HedgeSpotOnly: int32(c.pick(2))})
	}
	if len(normalize(out)) == 0 {
		out = append(out, v1alpha1.SpotShare{Cluster: "alpha", Spot: 1})
	}
	return out
}

// FuzzDivision writes a random division into a random valid App full of
// comments: the edited file must still parse, keep every comment, read
// back the division and the weights written, change nothing else the
// App says, and stay the same when the division is written again.
func FuzzDivision(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add(bytes.Repeat([]byte{1}, 200))
	f.Add(bytes.Repeat([]byte{3, 7, 2, 9, 1}, 60))
	f.Add(bytes.Repeat([]byte{255, 0, 128, 5}, 80))
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, in []byte) {
	c := &choices{b: in}
	g := &appGen{c: c}
	src := g.generate()
	division := c.division()
	docs, errs := yamldoc.Parse("app.yaml", []byte(src))
	if len(errs) > 0 {
		t.Fatalf("the generator wrote bad YAML: %v\n%s", errs, src)
	}
	var doc *yamldoc.Document
	for _, d := range docs {
		if bytes.Contains(d.JSON, []byte(`"kind":"App"`)) {
			doc = d
		}
	}
	var before v1alpha1.App
	if err := sigsyaml.Unmarshal(doc.JSON, &before); err != nil {
		t.Fatalf("the generator wrote a bad App: %v\n%s", err, src)
	}
	out, err := Division(Target{File: "app.yaml", Data: []byte(src), Line: doc.Line, Object: "App/web"}, division)
	if err != nil {
		t.Fatalf("%v\n--- file\n%s", err, src)
	}
	after, errs := yamldoc.Parse("app.yaml", out)
	if len(errs) > 0 || len(after) != len(docs) {
		t.Fatalf("the edited file does not parse (%v) or lost a document:\n%s", errs, out)
	}
	for _, tok := range g.comments {
		// The token and a non-digit after it: # c1 is not # c12.
		if n := len(regexpFind(tok, out)); n != 1 {
			t.Fatalf("comment %q appears %d times in the edited file:\n%s\n--- was\n%s", tok, n, out, src)
		}
	}
	var got v1alpha1.App
	for _, d := range after {
		if d.Line == doc.Line || bytes.Contains(d.JSON, []byte(`"kind":"App"`)) {
			if err := sigsyaml.Unmarshal(d.JSON, &got); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(normalize(got.Spec.Spot.Division), normalize(division)) {
		t.Fatalf("division reads back %v, want %v:\n%s", got.Spec.Spot.Division, normalize(division), out)
	}
	totals := map[string]int64{}
	for _, s := range normalize(division) {
		totals[s.Cluster] = total(s)
	}
	for _, w := range got.Spec.Placement.Replicas.Weights {
		if len(w.Clusters) != 1 || totals[w.Clusters[0]] != w.Weight {
			t.Fatalf("weight %+v does not say what the division says:\n%s", w, out)
		}
		delete(totals, w.Clusters[0])
	}
	if len(totals) > 0 {
		t.Fatalf("no weight for %v:\n%s", totals, out)
	}
	// Nothing else changed.
	got.Spec.Spot.Division, before.Spec.Spot.Division = nil, nil
	got.Spec.Placement.Replicas.Weights, before.Spec.Placement.Replicas.Weights = nil, nil
	a, _ := sigsyaml.Marshal(before)
	b, _ := sigsyaml.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Fatalf("the edit changed more than the division and weights:\n%s\n--- was\n%s", b, a)
	}
	again, err := Division(Target{File: "app.yaml", Data: out, Line: doc.Line}, division)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("writing the same division again changed the file (%v):\n%s\n--- first\n%s", err, again, out)
	}
}

// regexpFind finds a comment token not followed by another digit.
func regexpFind(tok string, data []byte) [][]byte {
	var out [][]byte
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(tok))
		if j < 0 {
			return out
		}
		end := i + j + len(tok)
		if end == len(data) || data[end] < '0' || data[end] > '9' {
			out = append(out, data[i+j:end])
		}
		i = end
	}
}
