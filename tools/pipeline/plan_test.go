package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	flotilla "github.com/flotilla-gitops/flotilla"
	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/mdsplit"
	"github.com/flotilla-gitops/flotilla/tools/pipeline"
	"github.com/flotilla-gitops/flotilla/tools/plan"
)

var updatePlans = flag.Bool("update-plans", false, "rewrite tests/plans/*.golden from the current output (review the diff!)")

const planFixtures = "../../tests/plans"

// exampleIntent is what of the example repository a plan reads.
var exampleIntent = []string{"fleet.yaml", "clusters", "apps", "edge", "backup", "policies"}

// planRepo makes a Git repository of the example fleet with the fixture's
// base/ files committed, then applies the fixture's head edits to the
// working tree.
func planRepo(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range exampleIntent {
		src := filepath.Join(exampleRepo, p)
		st, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		if st.IsDir() {
			if err := os.CopyFS(filepath.Join(root, p), os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
		} else if data, err := os.ReadFile(src); err != nil || os.WriteFile(filepath.Join(root, p), data, 0o644) != nil {
			t.Fatal(err)
		}
	}
	var head []txtar.File
	for _, f := range ar.Files {
		if name, ok := strings.CutPrefix(f.Name, "base/"); ok {
			applyFile(t, root, txtar.File{Name: name, Data: f.Data})
		} else {
			head = append(head, f)
		}
	}
	git(t, root, "init", "-q", "-b", "main")
	git(t, root, "add", ".")
	git(t, root, "commit", "-q", "-m", "base")
	for _, f := range head {
		applyFile(t, root, f)
	}
	return root
}

// applyFile writes a file, deletes it ("DELETE"), or edits it
// ("edit/PATH": "- old" lines replaced by the "+ new" lines that follow,
// each old text found exactly once).
func applyFile(t *testing.T, root string, f txtar.File) {
	t.Helper()
	if name, ok := strings.CutPrefix(f.Name, "edit/"); ok {
		p := filepath.Join(root, filepath.FromSlash(name))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var old, new []string
		for _, l := range strings.Split(strings.TrimRight(string(f.Data), "\n"), "\n") {
			switch {
			case strings.HasPrefix(l, "- "):
				old = append(old, l[2:])
			case strings.HasPrefix(l, "+ "):
				new = append(new, l[2:])
			default:
				t.Fatalf("%s: line %q is neither '- old' nor '+ new'", f.Name, l)
			}
		}
		o, n := strings.Join(old, "\n"), strings.Join(new, "\n")
		if c := strings.Count(string(data), o); c != 1 {
			t.Fatalf("%s: %q found %d times, want once", f.Name, o, c)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), o, n, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	writeOrDelete(t, root, f)
}

// samePlan fails the test unless the changed-only plan fast equals the
// full plan (matrix already narrowed to the fast plan's apps), writing
// both as JSON for a diff.
func samePlan(t *testing.T, name string, fast, full *plan.Plan) {
	t.Helper()
	f := *fast
	f.Apps = nil
	a, _ := json.MarshalIndent(&f, "", " ")
	b, _ := json.MarshalIndent(full, "", " ")
	if !bytes.Equal(a, b) {
		_ = os.WriteFile(filepath.Join(os.TempDir(), "plan-fast-"+name+".json"), a, 0o644)
		_ = os.WriteFile(filepath.Join(os.TempDir(), "plan-full-"+name+".json"), b, 0o644)
		t.Errorf("changed-only plan (apps %v) differs from the full plan (both written to %s/plan-{fast,full}-%s.json)", fast.Apps, os.TempDir(), name)
	}
}

// git runs git in dir as a fixed test identity.
func git(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=flotilla-test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestPlanFixtures is the golden test of `flotilla plan`: each fixture
// changes the example fleet one way; the text plan is reviewed output
// (tests/plans/NAME.golden), the changed-only fast path must give the very
// plan a full comparison gives, and the Markdown must split losslessly.
func TestPlanFixtures(t *testing.T) {
	eng := sharedEngine(t)
	pack, err := lint.LoadPack(lint.Source{Name: "policies", FS: flotilla.DefaultPolicies()})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }
	cases, err := filepath.Glob(filepath.Join(planFixtures, "*.txtar"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no fixtures in %s: %v", planFixtures, err)
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(c)
			if err != nil {
				t.Fatal(err)
			}
			root := planRepo(t, ar)
			opts := pipeline.PlanOptions{Root: root, Base: "main", Lint: pack, Now: now}
			p, err := eng.Plan(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			if err := plan.WriteText(&text, p, plan.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(text.String(), p.Base, "main")
			golden := filepath.Join(planFixtures, name+".golden")
			if *updatePlans {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-plans, then review)", err)
			}
			if got != string(want) {
				t.Errorf("plan differs from %s (run with -update-plans and review the diff):\n%s", golden, got)
			}

			opts.Full = true
			full, err := eng.Plan(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if p.Apps != nil {
				// The fast plan's matrix holds only the changed apps.
				m := *full.Matrix
				m.Apps = slices.DeleteFunc(slices.Clone(m.Apps), func(a string) bool { return !slices.Contains(p.Apps, a) })
				m.Cells = slices.DeleteFunc(slices.Clone(m.Cells), func(c plan.Cell) bool { return !slices.Contains(p.Apps, c.App) })
				full.Matrix = &m
				samePlan(t, name, p, full)
				// Without linting, the fast path also places only the
				// changed apps and the platform objects they reach.
				opts.Full, opts.Lint = false, nil
				unlinted, err := eng.Plan(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				full.Findings = nil
				samePlan(t, name+"-unlinted", unlinted, full)
			}

			var md strings.Builder
			if err := plan.WriteMarkdown(&md, p, plan.MarkdownOptions{MaxNames: 8}); err != nil {
				t.Fatal(err)
			}
			parts, err := mdsplit.Split(md.String(), mdsplit.Options{Limit: 1500, Marker: "flotilla-plan"})
			if err != nil {
				t.Fatal(err)
			}
			var joined strings.Builder
			for _, part := range parts {
				if len(part.Text()) > 1500 {
					t.Errorf("part of %d bytes over the 1500 limit", len(part.Text()))
				}
				joined.WriteString(part.Body)
			}
			if joined.String() != md.String() {
				t.Error("markdown parts do not join back into the report")
			}
		})
	}
}

// TestPlanHTMLInChromium renders a plan's HTML page in headless Chromium
// (Debian's chromium package, installed by scripts/install-chromium.sh)
// and checks the screenshot: the page is drawn, and the placement matrix
// shows its replica-move colour. The screenshot is kept for people to
// look at; its path is logged.
func TestPlanHTMLInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("FLOTILLA_REQUIRE_CHROMIUM") != "" {
			t.Fatal("chromium not found (scripts/install-chromium.sh installs it)")
		}
		t.Skip("chromium not installed; `make test` installs it")
	}
	ar, err := txtar.ParseFile(filepath.Join(planFixtures, "placement-change.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := sharedEngine(t).Plan(context.Background(), pipeline.PlanOptions{Root: planRepo(t, ar), Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "plan.html")
	var html bytes.Buffer
	if err := plan.WriteHTML(&html, p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, html.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(os.TempDir(), "flotilla-plan-screenshot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + filepath.Join(dir, "profile")}
	cmd := exec.CommandContext(ctx, browser, append(common, "--window-size=1300,900", "--screenshot="+shot, "file://"+page)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium screenshot: %v\n%s", err, out)
	}
	t.Logf("screenshot of the plan page: %s", shot)
	dom, err := exec.CommandContext(ctx, browser, append(common, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	// The matrix labels its columns' rollout waves (they are in wave order).
	for _, want := range []string{`<svg id="matrix"`, "2→5", "dr-standby-lost", ">wave 1</text>", ">wave 3</text>", "rollout-wave order"} {
		if !bytes.Contains(dom, []byte(want)) {
			t.Errorf("page as Chromium parsed it lacks %q", want)
		}
	}

	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	var ink, moved int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if r < 200 || g < 200 || bl < 200 {
				ink++
			}
			// #54aeff, the colour of a cell whose replicas move.
			if absDiff(r, 0x54) < 12 && absDiff(g, 0xae) < 12 && absDiff(bl, 0xff) < 12 {
				moved++
			}
		}
	}
	if total := b.Dx() * b.Dy(); ink < total/100 {
		t.Errorf("screenshot nearly blank: %d of %d pixels drawn", ink, total)
	}
	if moved < 200 {
		t.Errorf("screenshot shows %d pixels of the replica-move colour; the matrix should show the moved cells", moved)
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestRenderRevisionEqualsTheCheckout renders the example fleet from a Git
// revision held in memory (kustomize apps included, through kustomize's
// in-memory file system) and from the checkout on disk: every rendered
// object must be the same, in the same file.
func TestRenderRevisionEqualsTheCheckout(t *testing.T) {
	eng := sharedEngine(t)
	root := planRepo(t, &txtar.Archive{})
	ctx := context.Background()
	disk, err := eng.Render(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	mem, commit, err := eng.RenderRevision(ctx, root, "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(commit) != 40 {
		t.Errorf("commit %q is not a full hash", commit)
	}
	if len(mem.Output.Objects) != len(disk.Output.Objects) {
		t.Fatalf("%d objects from the revision, %d from the checkout", len(mem.Output.Objects), len(disk.Output.Objects))
	}
	kustomized := false
	for i, d := range disk.Output.Objects {
		m := mem.Output.Objects[i]
		if m.Path != d.Path || !reflect.DeepEqual(m.Object.Object, d.Object.Object) {
			t.Errorf("%s differs:\nrevision %v\ncheckout %v", d.Path, m.Object.Object, d.Object.Object)
		}
		kustomized = kustomized || strings.HasSuffix(d.Origin.File, "kustomization.yaml")
	}
	if !kustomized {
		t.Error("the example fleet should hold a kustomize app for this test to cover")
	}
}
