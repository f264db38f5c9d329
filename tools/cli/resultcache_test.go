package cli

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/fleetgen"
)

// TestWarmRunsEqualColdRuns applies a random sequence of changes to a
// generated fleet — objects edited, apps and clusters added and removed,
// a cluster fact that placement-aware rules read, a policy of the user's
// own, the cache itself corrupted — and after each one holds `check` with
// the result cache to the exact output and exit code of `check
// --no-cache`, and a cached `render` to the bytes an uncached render
// writes. FLOTILLA_CACHE_SEED replays a sequence.
func TestWarmRunsEqualColdRuns(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FLOTILLA_CACHE_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("FLOTILLA_CACHE_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	root := filepath.Join(t.TempDir(), "fleet")
	if err := fleetgen.Generate(root, fleetgen.Options{Clusters: 6, Apps: 8, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	policies := t.TempDir()
	writePolicy(t, policies, "info")
	m := &mutator{t: t, root: root, rng: rng, cache: cache, policies: policies}

	if code, _, errs := runIn(root, "render", "--cache-dir", cache); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, errs)
	}
	m.compare("the generated fleet")
	m.compare("nothing changed") // every result reused
	if !m.reusedAll {
		t.Fatalf("a second run over unchanged files reused nothing: %s", m.lastCacheLine)
	}
	// Each kind of result at least once, whatever the draw: a validation
	// that fails and then passes again, a new app's preview.
	m.compare(m.setReplicas("app-0001", -1))
	m.compare(m.setReplicas("app-0001", 3))
	m.compare(m.addApp())
	steps := []func() string{m.editReplicas, m.editImage, m.addApp, m.removeApp, m.addCluster, m.removeCluster, m.changeCapacityType, m.changePolicy, m.corruptCache, m.render}
	for range 12 {
		what := steps[rng.IntN(len(steps))]()
		m.compare(what)
	}
}

type mutator struct {
	t             *testing.T
	root          string
	rng           *rand.Rand
	cache         string
	policies      string
	withPolicy    bool
	added         int
	reusedAll     bool
	lastCacheLine string
}

// compare runs check cold and warm and holds them equal.
func (m *mutator) compare(after string) {
	m.t.Helper()
	args := []string{"check", "-o", "json"}
	if m.withPolicy {
		args = append(args, "--policy", m.policies)
	}
	coldCode, cold, coldErr := runIn(m.root, append(args, "--no-cache")...)
	warmCode, warm, warmErr := runIn(m.root, append(args, "--cache-dir", m.cache, "--progress")...)
	if coldCode != warmCode || cold != warm {
		m.t.Fatalf("after %s: cold exit %d, warm exit %d; outputs differ:\n--- cold\n%.3000s\n%s\n--- warm\n%.3000s\n%s", after, coldCode, warmCode, cold, coldErr, warm, warmErr)
	}
	m.lastCacheLine = ""
	for _, l := range strings.Split(warmErr, "\n") {
		if strings.HasPrefix(l, "cache ") {
			m.lastCacheLine = l
		}
	}
	m.reusedAll = false
	if sm := regexp.MustCompile(`(\d+) of (\d+) ApplicationSet expansions reused, (\d+) of (\d+) validations reused, (\d+) of (\d+) policy evaluations reused, (\d+) of (\d+) policy test runs reused`).FindStringSubmatch(m.lastCacheLine); sm != nil {
		m.reusedAll = sm[1] == sm[2] && sm[3] == sm[4] && sm[3] != "0" && sm[5] == sm[6] && sm[5] != "0" && sm[7] == sm[8] && sm[7] != "0"
	}
	m.t.Logf("after %s: exit %d, %d bytes; %s", after, coldCode, len(cold), m.lastCacheLine)
}

func (m *mutator) apps() []string {
	entries, _ := os.ReadDir(filepath.Join(m.root, "apps"))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func (m *mutator) clusters() []string {
	entries, _ := os.ReadDir(filepath.Join(m.root, "clusters"))
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "cloud-") {
			out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	return out
}

func (m *mutator) pick(list []string) string { return list[m.rng.IntN(len(list))] }

func (m *mutator) rewrite(path string, f func(string) string) {
	m.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(f(string(data))), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

func (m *mutator) editReplicas() string {
	// A negative count is a validation finding.
	return m.setReplicas(m.pick(m.apps()), m.rng.IntN(23)-2)
}

func (m *mutator) setReplicas(app string, n int) string {
	m.rewrite(filepath.Join(m.root, "apps", app, "manifests", "workload.yaml"), func(s string) string {
		return regexp.MustCompile(`replicas: \d+`).ReplaceAllString(s, fmt.Sprintf("replicas: %d", n))
	})
	return fmt.Sprintf("replicas of %s set to %d", app, n)
}

func (m *mutator) editImage() string {
	app := m.pick(m.apps())
	tag := fmt.Sprintf("1.%d", m.rng.IntN(50))
	m.rewrite(filepath.Join(m.root, "apps", app, "manifests", "workload.yaml"), func(s string) string {
		return regexp.MustCompile(`image: ([^:\s]+):\S+`).ReplaceAllString(s, "image: ${1}:"+tag)
	})
	return fmt.Sprintf("image tag of %s set to %s", app, tag)
}

func (m *mutator) addApp() string {
	src := m.pick(m.apps())
	m.added++
	name := fmt.Sprintf("app-9%03d", m.added)
	from := filepath.Join(m.root, "apps", src)
	to := filepath.Join(m.root, "apps", name)
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		m.t.Fatal(err)
	}
	filepath.WalkDir(to, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			m.rewrite(p, func(s string) string { return strings.ReplaceAll(s, src, name) })
		}
		return nil
	})
	return "app " + name + " added (a copy of " + src + ")"
}

func (m *mutator) removeApp() string {
	apps := m.apps()
	if len(apps) < 3 {
		return m.addApp()
	}
	app := m.pick(apps)
	if err := os.RemoveAll(filepath.Join(m.root, "apps", app)); err != nil {
		m.t.Fatal(err)
	}
	return "app " + app + " removed"
}

func (m *mutator) addCluster() string {
	src := m.pick(m.clusters())
	m.added++
	name := fmt.Sprintf("cloud-9%03d", m.added)
	data, err := os.ReadFile(filepath.Join(m.root, "clusters", src+".yaml"))
	if err != nil {
		m.t.Fatal(err)
	}
	out := strings.ReplaceAll(string(data), src, name)
	if err := os.WriteFile(filepath.Join(m.root, "clusters", name+".yaml"), []byte(out), 0o644); err != nil {
		m.t.Fatal(err)
	}
	return "cluster " + name + " added (a copy of " + src + ")"
}

// removeCluster removes a cluster. One an app or partner still names is
// an intent error, which both runs must report alike; it is compared so,
// then put back, so later steps work on a fleet that renders.
func (m *mutator) removeCluster() string {
	cs := m.clusters()
	if len(cs) < 4 {
		return m.addCluster()
	}
	c := m.pick(cs)
	path := filepath.Join(m.root, "clusters", c+".yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		m.t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		m.t.Fatal(err)
	}
	if !strings.HasPrefix(c, "cloud-9") {
		m.compare("cluster " + c + " removed")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			m.t.Fatal(err)
		}
		return "cluster " + c + " put back"
	}
	return "cluster " + c + " removed"
}

func (m *mutator) changeCapacityType() string {
	c := m.pick(m.clusters())
	typ := m.pick([]string{"on-demand", "spot", "mixed"})
	m.rewrite(filepath.Join(m.root, "clusters", c+".yaml"), func(s string) string {
		s = regexp.MustCompile(`(?m)^    type: \S+`).ReplaceAllString(s, "    type: "+typ)
		s = regexp.MustCompile(`(?m)^    spotPercent: \d+\n`).ReplaceAllString(s, "")
		if typ == "mixed" {
			s = strings.Replace(s, "    type: mixed\n", "    type: mixed\n    spotPercent: 40\n", 1)
		}
		return s
	})
	return "capacity type of " + c + " set to " + typ
}

func (m *mutator) changePolicy() string {
	level := m.pick([]string{"info", "debug", "trace"})
	writePolicy(m.t, m.policies, level)
	m.withPolicy = !m.withPolicy || m.rng.IntN(2) == 0
	return fmt.Sprintf("a policy of the user's own flags LOG_LEVEL %s (used: %v)", level, m.withPolicy)
}

// corruptCache damages one stage's bundle: flipped, truncated, emptied
// or replaced with another stage's.
func (m *mutator) corruptCache() string {
	bundles, _ := filepath.Glob(filepath.Join(m.cache, "results", "*", "*.bundle"))
	if len(bundles) == 0 {
		return "no bundle to corrupt yet"
	}
	slices.Sort(bundles)
	b := m.pick(bundles)
	data, err := os.ReadFile(b)
	if err != nil {
		m.t.Fatal(err)
	}
	how := m.pick([]string{"a flipped byte", "truncated", "emptied", "swapped"})
	switch how {
	case "a flipped byte":
		data[m.rng.IntN(len(data))] ^= 0x20
	case "truncated":
		data = data[:m.rng.IntN(len(data))]
	case "emptied":
		data = nil
	case "swapped":
		other := m.pick(bundles)
		if data, err = os.ReadFile(other); err != nil {
			m.t.Fatal(err)
		}
	}
	if err := os.WriteFile(b, data, 0o600); err != nil {
		m.t.Fatal(err)
	}
	return "cache bundle " + filepath.Base(b) + " " + how
}

// render brings rendered/ up to date with the cache, then an uncached
// render must find it so.
func (m *mutator) render() string {
	code, _, errs := runIn(m.root, "render", "--cache-dir", m.cache)
	if code == 0 {
		if c, out, e := runIn(m.root, "render", "--check", "--no-cache"); c != 0 {
			m.t.Fatalf("a cached render wrote what an uncached one does not: exit %d\n%s%s", c, out, e)
		}
	}
	return fmt.Sprintf("render with the cache (exit %d: %s)", code, firstLine(errs))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func writePolicy(t *testing.T, dir, level string) {
	t.Helper()
	rule := fmt.Sprintf(`package flotilla.teamloglevel

# METADATA
# title: No %[1]s logging
# custom:
#   id: TEAM-001
#   severity: warning
#   scope: object
#   match:
#     kinds:
#       - apiGroups: [""]
#         kinds: [ConfigMap]
loglevel contains v if {
	input.review.object.kind == "ConfigMap"
	input.review.object.data.LOG_LEVEL == %[1]q
	v := {"msg": sprintf("ConfigMap %%s logs at %[1]s", [input.review.object.metadata.name]), "field": "data.LOG_LEVEL"}
}
`, level)
	if err := os.WriteFile(filepath.Join(dir, "loglevel.rego"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	// A test that passes only while the rule flags "info": the policy
	// tests' outcome changes with the policy.
	test := `package flotilla.teamloglevel_test

import data.flotilla.teamloglevel

test_info_is_flagged if {
	count(teamloglevel.loglevel) == 1 with input as {"review": {"object": {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"LOG_LEVEL": "info"}}}}
}
`
	if err := os.WriteFile(filepath.Join(dir, "loglevel_test.rego"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
}
