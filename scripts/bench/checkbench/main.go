// Command checkbench is the logic of scripts/bench/check-vs-peers.sh: it
// generates and renders synthetic fleets, runs `flotilla check` and
// kubeconform + conftest on the same rendered objects side by side, each
// under /usr/bin/time -v, and writes a Markdown report.
//
// For every size, run i runs flotilla, then kubeconform, then conftest,
// before run i+1 starts, so the three see the same machine conditions;
// each figure reported is the median over the runs of that figure.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

type config struct {
	flotilla, kubeconform, conftest string
	schemas, policy                 string
	work, out                       string
	sizes                           []size
	runs                            int
	versions                        string
	timeBin                         string
	maxRSSMB                        int64
	timeout                         time.Duration
}

type size struct {
	label          string
	clusters, apps int
}

func parseSizes(s string) ([]size, error) {
	var out []size
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		label, dims, ok := strings.Cut(f, "=")
		c, a, ok2 := strings.Cut(dims, "x")
		if !ok || !ok2 {
			return nil, fmt.Errorf("size %q: want LABEL=CLUSTERSxAPPS, e.g. 10k=1110x1110", f)
		}
		ci, err1 := strconv.Atoi(c)
		ai, err2 := strconv.Atoi(a)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("size %q: clusters and apps must be integers", f)
		}
		out = append(out, size{label, ci, ai})
	}
	if len(out) == 0 {
		return nil, errors.New("no sizes")
	}
	return out, nil
}

func main() {
	var c config
	var sizes string
	flag.StringVar(&c.flotilla, "flotilla", "bin/flotilla", "the flotilla binary")
	flag.StringVar(&c.kubeconform, "kubeconform", "", "the kubeconform binary")
	flag.StringVar(&c.conftest, "conftest", "", "the conftest binary")
	flag.StringVar(&c.schemas, "schemas", "", "directory of kubeconform schemas (written by kubeschemas)")
	flag.StringVar(&c.policy, "policy", "scripts/bench/conftest/policy", "conftest policy directory")
	flag.StringVar(&c.work, "work", "", "directory for the synthetic fleets (reused when the flotilla binary and size match)")
	flag.StringVar(&c.out, "out", "/tmp/flotilla-bench", "directory for report.md and the tools' outputs")
	flag.StringVar(&sizes, "sizes", "1k=105x105,10k=1110x1110,50k=5550x5550", "LABEL=CLUSTERSxAPPS,...")
	flag.IntVar(&c.runs, "runs", 3, "runs of each command per size (the median is reported)")
	flag.StringVar(&c.versions, "versions", "", "tool versions, as NAME=VERSION,...")
	flag.StringVar(&c.timeBin, "time", "/usr/bin/time", "GNU time")
	flag.Int64Var(&c.maxRSSMB, "max-rss-mb", 12000, "kill a measured command whose RSS exceeds this (MB); it is reported as not finished")
	flag.DurationVar(&c.timeout, "timeout", 20*time.Minute, "kill a measured command that runs longer; it is reported as not finished")
	flag.Parse()
	var err error
	if c.sizes, err = parseSizes(sizes); err == nil {
		err = run(&c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkbench:", err)
		os.Exit(1)
	}
}

func abs(p *string) error {
	a, err := filepath.Abs(*p)
	*p = a
	return err
}

func run(c *config) error {
	for _, p := range []*string{&c.flotilla, &c.kubeconform, &c.conftest, &c.schemas, &c.policy, &c.work, &c.out} {
		if *p == "" {
			return errors.New("-flotilla, -kubeconform, -conftest, -schemas, -policy, -work and -out are required")
		}
		if err := abs(p); err != nil {
			return err
		}
	}
	if c.runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	started := time.Now()
	rep := &report{cfg: c, loadBefore: loadavg(), started: started}
	var err error
	if rep.flotillaSum, err = fileSum(c.flotilla); err != nil {
		return err
	}
	for _, s := range c.sizes {
		dir, info, err := prepareFleet(c, s, rep.flotillaSum)
		if err != nil {
			return fmt.Errorf("fleet %s: %w", s.label, err)
		}
		if s == c.sizes[0] {
			if rep.sanity, err = sanity(c, dir); err != nil {
				return fmt.Errorf("sanity check: %w", err)
			}
		}
		res, err := measure(c, s, dir, info)
		if err != nil {
			return fmt.Errorf("size %s: %w", s.label, err)
		}
		rep.results = append(rep.results, res)
		fmt.Fprintf(os.Stderr, "checkbench: %s done: flotilla %s CPU-s, peers %.2f CPU-s (ratio peer/flotilla %s)\n",
			s.label, res.flotillaCPU(), res.peerCPU(), res.ratioText())
	}
	rep.loadAfter = loadavg()
	rep.elapsed = time.Since(started)
	md := rep.markdown()
	if err := os.WriteFile(filepath.Join(c.out, "report.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	return nil
}

// --- fleets ------------------------------------------------------------------

type fleetInfo struct {
	Objects  int            `json:"objects"`
	Kinds    map[string]int `json:"kinds"`
	Clusters int            `json:"karmadaClusters"` // Karmada's aggregated Cluster: no schema
	Bytes    int64          `json:"bytes"`
	Stamp    string         `json:"stamp"`
}

// prepareFleet generates and renders a fleet, or reuses the one a previous
// run left in the work directory when the flotilla binary and the size
// are the same.
func prepareFleet(c *config, s size, flotillaSum string) (string, *fleetInfo, error) {
	dir := filepath.Join(c.work, fmt.Sprintf("fleet-%dx%d", s.clusters, s.apps))
	stampFile := dir + ".json"
	stamp := fmt.Sprintf("%s %dx%d", flotillaSum, s.clusters, s.apps)
	if data, err := os.ReadFile(stampFile); err == nil {
		var info fleetInfo
		if json.Unmarshal(data, &info) == nil && info.Stamp == stamp {
			if _, err := os.Stat(filepath.Join(dir, "rendered")); err == nil {
				fmt.Fprintf(os.Stderr, "checkbench: reusing %s (%d objects)\n", dir, info.Objects)
				return dir, &info, nil
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", nil, err
	}
	os.Remove(stampFile)
	fmt.Fprintf(os.Stderr, "checkbench: generating %s fleet: %d clusters, %d apps\n", s.label, s.clusters, s.apps)
	if out, err := exec.Command(c.flotilla, "dev", "gen-fleet", dir, "--clusters", strconv.Itoa(s.clusters), "--apps", strconv.Itoa(s.apps)).CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("gen-fleet: %v\n%s", err, out)
	}
	if out, err := exec.Command(c.flotilla, "render", "--repo", dir).CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("render: %v\n%s", err, out)
	}
	info, err := inventory(filepath.Join(dir, "rendered"))
	if err != nil {
		return "", nil, err
	}
	info.Stamp = stamp
	data, _ := json.Marshal(info)
	return dir, info, os.WriteFile(stampFile, data, 0o644)
}

// inventory counts the rendered objects (one per file) by apiVersion/kind.
func inventory(rendered string) (*fleetInfo, error) {
	info := &fleetInfo{Kinds: map[string]int{}}
	err := filepath.WalkDir(rendered, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, _ := f.Stat()
		info.Bytes += st.Size()
		var apiVersion, kind string
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() && (apiVersion == "" || kind == "") {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "apiVersion: "); ok {
				apiVersion = v
			}
			if v, ok := strings.CutPrefix(line, "kind: "); ok {
				kind = v
			}
		}
		info.Objects++
		info.Kinds[apiVersion+" "+kind]++
		if kind == "Cluster" && strings.HasPrefix(apiVersion, "cluster.karmada.io/") {
			info.Clusters++
		}
		return sc.Err()
	})
	return info, err
}

func fileSum(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// --- measuring -------------------------------------------------------------

type sample struct {
	user, sys, wall float64 // seconds
	rssKB           int64
	exit            int
	// killed says why the watchdog stopped the command ("" when it ran
	// to its end); its figures are then what it had used until then.
	killed string
}

func (s sample) cpu() float64 { return s.user + s.sys }

type stat struct{ samples []sample }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func (st stat) med(f func(sample) float64) float64 {
	var xs []float64
	for _, s := range st.samples {
		xs = append(xs, f(s))
	}
	return median(xs)
}

func (st stat) cpu() float64  { return st.med(sample.cpu) }
func (st stat) wall() float64 { return st.med(func(s sample) float64 { return s.wall }) }
func (st stat) rssMB() float64 {
	return st.med(func(s sample) float64 { return float64(s.rssKB) / 1024 })
}
func (st stat) maxRSSMB() float64 {
	var m int64
	for _, s := range st.samples {
		m = max(m, s.rssKB)
	}
	return float64(m) / 1024
}

// dnf is the first sample the watchdog stopped, if any.
func (st stat) dnf() *sample {
	for i := range st.samples {
		if st.samples[i].killed != "" {
			return &st.samples[i]
		}
	}
	return nil
}

func (st stat) cpus() string {
	var parts []string
	for _, s := range st.samples {
		parts = append(parts, fmt.Sprintf("%.2f", s.cpu()))
	}
	return strings.Join(parts, " / ")
}

type result struct {
	size                            size
	info                            *fleetInfo
	flotilla, kubeconform, conftest stat
	// same is flotilla doing the peers' work only: validate and the four
	// rules of the conftest policy on the same rendered files.
	same stat
	// warm is flotilla's whole check after a one-app change, with the
	// results of a check of the fleet before the change.
	warm                  stat
	flotillaSummary       string
	sameSummary           string
	kubeconformSummary    string
	conftestSummary       string
	loadBefore, loadAfter string
	commands              [][]string
}

func (r *result) peerCPU() float64 {
	// Median of the per-run sums: the two peer commands of one run saw
	// the same conditions.
	var xs []float64
	for i := range r.kubeconform.samples {
		xs = append(xs, r.kubeconform.samples[i].cpu()+r.conftest.samples[i].cpu())
	}
	return median(xs)
}

func (r *result) peerWall() float64 {
	var xs []float64
	for i := range r.kubeconform.samples {
		xs = append(xs, r.kubeconform.samples[i].wall+r.conftest.samples[i].wall)
	}
	return median(xs)
}

func (r *result) ratio() float64 { return r.peerCPU() / r.flotilla.cpu() }

// figure formats a median, or what a command that did not finish had
// used ("DNF ≥ x").
func figure(st stat, f func(sample) float64, format string) string {
	if d := st.dnf(); d != nil {
		return "DNF ≥ " + fmt.Sprintf(format, f(*d))
	}
	return fmt.Sprintf(format, st.med(f))
}

func (r *result) flotillaCPU() string { return figure(r.flotilla, sample.cpu, "%.2f") }
func (r *result) flotillaWall() string {
	return figure(r.flotilla, func(s sample) float64 { return s.wall }, "%.2f")
}
func (r *result) flotillaRSS() string {
	return figure(r.flotilla, func(s sample) float64 { return float64(s.rssKB) / 1024 }, "%.0f")
}

// ratioText is peer/flotilla CPU for the whole check.
func (r *result) ratioText() string { return r.ratioTextOf(r.flotilla) }

// sameRatioText is peer/flotilla CPU for the same work.
func (r *result) sameRatioText() string { return r.ratioTextOf(r.same) }

// ratioTextOf is peer CPU over the CPU of a flotilla command; when that
// command did not finish, an upper bound.
func (r *result) ratioTextOf(st stat) string {
	switch {
	case r.kubeconform.dnf() != nil || r.conftest.dnf() != nil:
		return "n/a (a peer did not finish)"
	case st.dnf() != nil:
		return fmt.Sprintf("< %.3f×", r.peerCPU()/st.dnf().cpu())
	}
	return fmt.Sprintf("%.3f×", r.peerCPU()/st.cpu())
}

// sameRules are the rules of scripts/bench/conftest/policy/security.rego,
// by their flotilla ids.
const sameRules = "SEC-002,SEC-003,SEC-005,SEC-006"

// commands returns, for a fleet, the measured commands (run in the fleet
// directory): flotilla's whole check, the peers, and flotilla doing the
// peers' work only (check of plain YAML: validate plus the same rules).
func commands(c *config) (flotilla, kubeconform, conftest, same []string) {
	// Cold: no result of an earlier run (the warm figure is measured
	// apart, see warmAfterOneAppChange).
	flotilla = []string{c.flotilla, "check", "--repo", ".", "--no-cache", "-o", "json"}
	same = []string{c.flotilla, "check", "rendered/", "--no-cache", "--rule", sameRules, "-o", "json"}
	kubeconform = []string{c.kubeconform, "-strict", "-summary",
		"-schema-location", filepath.Join(c.schemas, "{{ .ResourceKind }}{{ .KindSuffix }}.json"),
		"-ignore-missing-schemas", "rendered/"}
	conftest = []string{c.conftest, "test", "--no-color", "-p", c.policy, "rendered/"}
	return
}

func measure(c *config, s size, dir string, info *fleetInfo) (*result, error) {
	r := &result{size: s, info: info, loadBefore: loadavg()}
	fc, kc, cc, sc := commands(c)
	r.commands = [][]string{fc, kc, cc, sc}
	outDir := filepath.Join(c.out, s.label)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	for i := 1; i <= c.runs; i++ {
		fmt.Fprintf(os.Stderr, "checkbench: %s run %d/%d\n", s.label, i, c.runs)
		for _, m := range []struct {
			name string
			argv []string
			ok   []int
			st   *stat
		}{
			// flotilla check exits 1 on findings; conftest on failures.
			{"flotilla", fc, []int{0, 1}, &r.flotilla},
			{"kubeconform", kc, []int{0}, &r.kubeconform},
			{"conftest", cc, []int{0, 1}, &r.conftest},
			{"flotilla-same", sc, []int{0, 1}, &r.same},
		} {
			if m.st.dnf() != nil {
				continue // did not finish once: the next runs would not either
			}
			smp, err := timed(c, dir, m.argv, filepath.Join(outDir, fmt.Sprintf("%s.%d", m.name, i)))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.name, err)
			}
			if smp.killed != "" {
				fmt.Fprintf(os.Stderr, "checkbench: %s %s did not finish: %s\n", s.label, m.name, smp.killed)
				m.st.samples = append(m.st.samples, smp)
				continue
			}
			if !slices.Contains(m.ok, smp.exit) {
				return nil, fmt.Errorf("%s exited %d (see %s)", m.name, smp.exit, filepath.Join(outDir, fmt.Sprintf("%s.%d.err", m.name, i)))
			}
			m.st.samples = append(m.st.samples, smp)
		}
		if r.warm.dnf() == nil && r.flotilla.dnf() == nil {
			smp, err := warmAfterOneAppChange(c, dir, filepath.Join(outDir, fmt.Sprintf("flotilla-warm.%d", i)))
			if err != nil {
				return nil, fmt.Errorf("flotilla-warm: %w", err)
			}
			r.warm.samples = append(r.warm.samples, smp)
		}
	}
	r.loadAfter = loadavg()
	if r.flotilla.dnf() == nil {
		r.flotillaSummary = flotillaSummary(filepath.Join(outDir, "flotilla.1.out"))
	}
	if r.same.dnf() == nil {
		r.sameSummary = flotillaSummary(filepath.Join(outDir, "flotilla-same.1.out"))
	}
	r.kubeconformSummary = lastLine(filepath.Join(outDir, "kubeconform.1.out"))
	r.conftestSummary = lastLine(filepath.Join(outDir, "conftest.1.out"))
	return r, nil
}

// warmAfterOneAppChange measures the check a pull request's CI job runs
// with the cache its base branch's job left: the fleet is checked into a
// fresh cache, one app's workload gets one more replica and is rendered
// (without the cache: the author's machine, not CI), and the check is
// timed with the cache. The fleet is put back as it was.
func warmAfterOneAppChange(c *config, dir, base string) (sample, error) {
	cache := base + ".cache"
	os.RemoveAll(cache)
	defer os.RemoveAll(cache)
	flotilla := func(args ...string) error {
		cmd := exec.Command(c.flotilla, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 && args[0] == "check" {
			return nil // findings
		}
		if err != nil {
			return fmt.Errorf("flotilla %s: %v\n%.2000s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	check := []string{"check", "--repo", ".", "--cache-dir", cache, "-o", "json"}
	if err := flotilla(check...); err != nil {
		return sample{}, err
	}
	workloads, _ := filepath.Glob(filepath.Join(dir, "apps", "*", "manifests", "workload.yaml"))
	if len(workloads) == 0 {
		return sample{}, fmt.Errorf("no apps/*/manifests/workload.yaml in %s", dir)
	}
	slices.Sort(workloads)
	file := workloads[0]
	orig, err := os.ReadFile(file)
	if err != nil {
		return sample{}, err
	}
	replicas := regexp.MustCompile(`(?m)^  replicas: (\d+)$`)
	m := replicas.FindSubmatchIndex(orig)
	if m == nil {
		return sample{}, fmt.Errorf("%s: no spec.replicas", file)
	}
	n, _ := strconv.Atoi(string(orig[m[2]:m[3]]))
	edited := slices.Concat(orig[:m[2]], []byte(strconv.Itoa(n+1)), orig[m[3]:])
	if err := os.WriteFile(file, edited, 0o644); err != nil {
		return sample{}, err
	}
	defer func() {
		os.WriteFile(file, orig, 0o644)
		flotilla("render", "--repo", ".", "--no-cache")
	}()
	if err := flotilla("render", "--repo", ".", "--no-cache"); err != nil {
		return sample{}, err
	}
	smp, err := timed(c, dir, append([]string{c.flotilla}, check...), base)
	if err != nil {
		return sample{}, err
	}
	if smp.killed == "" && smp.exit != 0 && smp.exit != 1 {
		return sample{}, fmt.Errorf("exited %d (see %s.err)", smp.exit, base)
	}
	return smp, nil
}

// timed runs argv in dir under GNU time -v, stdout and stderr to
// base.out / base.err, and parses what time reports.
func timed(c *config, dir string, argv []string, base string) (sample, error) {
	timeFile := base + ".time"
	stdout, err := os.Create(base + ".out")
	if err != nil {
		return sample{}, err
	}
	defer stdout.Close()
	stderr, err := os.Create(base + ".err")
	if err != nil {
		return sample{}, err
	}
	defer stderr.Close()
	cmd := exec.Command(c.timeBin, append([]string{"-v", "-o", timeFile}, argv...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	done := make(chan struct{})
	killed := make(chan string, 1)
	go watchdog(c, cmd.Process.Pid, done, killed)
	err = cmd.Wait()
	close(done)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return sample{}, err
	}
	data, err := os.ReadFile(timeFile)
	if err != nil {
		return sample{}, err
	}
	smp, err := parseTime(data)
	select {
	case why := <-killed:
		smp.killed = why
	default:
	}
	return smp, err
}

// watchdog polls the command GNU time runs (the child of timePid) and
// kills it when its RSS or its run time exceeds the limits.
func watchdog(c *config, timePid int, done <-chan struct{}, killed chan<- string) {
	start := time.Now()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", timePid, timePid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(data))
		if len(f) == 0 {
			continue
		}
		pid, _ := strconv.Atoi(f[0])
		why := ""
		if rss := rssKB(pid); rss > c.maxRSSMB*1024 {
			why = fmt.Sprintf("killed at RSS %.0f MB (limit %d MB) after %.0f s", float64(rss)/1024, c.maxRSSMB, time.Since(start).Seconds())
		} else if time.Since(start) > c.timeout {
			why = fmt.Sprintf("killed after %s (timeout)", c.timeout)
		}
		if why != "" {
			if p, err := os.FindProcess(pid); err == nil && p.Kill() == nil {
				killed <- why
				return
			}
		}
	}
}

func rssKB(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

// parseTime reads GNU time -v output.
func parseTime(data []byte) (sample, error) {
	var s sample
	seen := 0
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if !ok {
			continue
		}
		var err error
		switch k {
		case "User time (seconds)":
			s.user, err = strconv.ParseFloat(v, 64)
			seen++
		case "System time (seconds)":
			s.sys, err = strconv.ParseFloat(v, 64)
			seen++
		case "Maximum resident set size (kbytes)":
			s.rssKB, err = strconv.ParseInt(v, 10, 64)
			seen++
		case "Exit status":
			s.exit, err = strconv.Atoi(v)
			seen++
		case "Elapsed (wall clock) time (h:mm:ss or m:ss)":
			s.wall, err = parseClock(v)
			seen++
		}
		if err != nil {
			return s, fmt.Errorf("time: %q: %w", line, err)
		}
	}
	if seen != 5 {
		return s, fmt.Errorf("time: unexpected output:\n%s", data)
	}
	return s, nil
}

func parseClock(v string) (float64, error) {
	parts := strings.Split(v, ":")
	total := 0.0
	for _, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, err
		}
		total = total*60 + f
	}
	return total, nil
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func lastLine(p string) string {
	data, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// flotillaSummary condenses flotilla's JSON report: objects linted and
// findings per rule.
func flotillaSummary(p string) string {
	data, err := os.ReadFile(p)
	if err != nil {
		return "?"
	}
	var rep struct {
		Objects  int `json:"objects"`
		Findings []struct {
			Rule string `json:"rule"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return "unreadable JSON report: " + err.Error()
	}
	by := map[string]int{}
	for _, f := range rep.Findings {
		by[f.Rule]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(by)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, by[k]))
	}
	s := fmt.Sprintf("%d findings", len(rep.Findings))
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// findingRules lists the rule ids of the findings of a flotilla JSON report.
func findingRules(data []byte) []string {
	var rep struct {
		Findings []struct {
			Rule string `json:"rule"`
		} `json:"findings"`
	}
	if json.Unmarshal(data, &rep) != nil {
		return nil
	}
	var ids []string
	for _, f := range rep.Findings {
		ids = append(ids, f.Rule)
	}
	return ids
}

// --- sanity: the two sides find the same things ------------------------------

// A mutation of a rendered Deployment and the rule both sides must report.
var mutations = []struct {
	rule, name, from, to string
}{
	{"SEC-002", "run-as-root", "runAsNonRoot: true", "runAsNonRoot: false"},
	{"SEC-003", "privilege-escalation", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"},
	{"SEC-005", "no-memory-limit", "            memory: 256Mi\n", ""},
	{"SEC-006", "latest-tag", ":1.0.0\n", ":latest\n"},
}

type sanityResult struct {
	rule                string
	flotilla, conftest  bool
	kubeconformRejects  bool
	kubeconformMutation string
}

// sanity mutates one rendered Deployment of the fleet in ways each of the
// four conftest rules must catch, and checks that flotilla's lint (plain
// YAML mode, same pack) reports the same rule; it also checks that
// kubeconform's strict schemas refuse an unknown field.
func sanity(c *config, fleet string) ([]sanityResult, error) {
	var src string
	_ = filepath.WalkDir(filepath.Join(fleet, "rendered"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && src == "" && strings.HasPrefix(d.Name(), "deployment-") {
			src = p
		}
		return err
	})
	if src == "" {
		return nil, errors.New("no rendered Deployment")
	}
	orig, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(c.out, "sanity")
	os.RemoveAll(dir)
	var out []sanityResult
	for _, m := range mutations {
		d := filepath.Join(dir, m.name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if !bytes.Contains(orig, []byte(m.from)) {
			return nil, fmt.Errorf("%s: %q not in %s", m.name, m.from, src)
		}
		mut := bytes.Replace(orig, []byte(m.from), []byte(m.to), 1)
		if err := os.WriteFile(filepath.Join(d, "deployment.yaml"), mut, 0o644); err != nil {
			return nil, err
		}
		res := sanityResult{rule: m.rule}
		fo, _ := exec.Command(c.flotilla, "lint", d, "-o", "json").Output()
		res.flotilla = slices.Contains(findingRules(fo), m.rule)
		co, _ := exec.Command(c.conftest, "test", "--no-color", "-o", "json", "-p", c.policy, d).Output()
		res.conftest = bytes.Contains(co, []byte(m.rule+" "))
		out = append(out, res)
	}
	// An unknown field deep in the pod template.
	d := filepath.Join(dir, "unknown-field")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, err
	}
	mut := bytes.Replace(orig, []byte("terminationGracePeriodSeconds:"), []byte("terminationGracePeriodSecond:"), 1)
	if err := os.WriteFile(filepath.Join(d, "deployment.yaml"), mut, 0o644); err != nil {
		return nil, err
	}
	_, kc, _, _ := commands(c)
	kc = append(slices.Clone(kc[:len(kc)-1]), d)
	err = exec.Command(kc[0], kc[1:]...).Run()
	// flotilla validate exits 1 on findings (2 would be an input error).
	var ee *exec.ExitError
	ferr := exec.Command(c.flotilla, "validate", d).Run()
	out = append(out, sanityResult{rule: "unknown field", kubeconformRejects: err != nil, kubeconformMutation: "spec.template.spec.terminationGracePeriodSecond",
		flotilla: errors.As(ferr, &ee) && ee.ExitCode() == 1})
	return out, nil
}

// --- report ------------------------------------------------------------------

type report struct {
	cfg                   *config
	started               time.Time
	elapsed               time.Duration
	loadBefore, loadAfter string
	flotillaSum           string
	sanity                []sanityResult
	results               []*result
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func memTotal() string {
	data, _ := os.ReadFile("/proc/meminfo")
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "?"
}

func shellQuote(argv []string) string {
	var parts []string
	for _, a := range argv {
		if strings.ContainsAny(a, " {}$'\"*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# flotilla check vs kubeconform + conftest\n\n")
	p("Started %s, took %s. %d run(s) of each command per size, interleaved (flotilla, kubeconform, conftest, flotilla same-work; then the next run); every figure is the median over the runs. CPU-s = user + sys from GNU time -v; RSS = maximum resident set size.\n\n",
		r.started.UTC().Format(time.RFC3339), r.elapsed.Round(time.Second), r.cfg.runs)
	p("Machine: %d CPUs (nproc), %s, %s, %s/%s. Load average (1/5/15 min) before: %s; after: %s.\n\n",
		runtime.NumCPU(), cpuModel(), memTotal(), runtime.GOOS, runtime.GOARCH, r.loadBefore, r.loadAfter)
	p("Versions: %s; flotilla binary sha256 %s….\n\n", r.cfg.versions, r.flotillaSum)

	p("## Summary\n\n")
	p("| size | objects | flotilla check CPU-s | wall s | peak RSS MB | kubeconform CPU-s | conftest CPU-s | peer total CPU-s | ratio peer/flotilla check | same work: flotilla CPU-s | RSS MB | ratio peer/flotilla | warm check after a one-app change: CPU-s | wall s | RSS MB |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	rss := func(s sample) float64 { return float64(s.rssKB) / 1024 }
	wall := func(s sample) float64 { return s.wall }
	for _, x := range r.results {
		p("| %s | %d | %s | %s | %s | %.2f | %.2f | %.2f | **%s** | %s | %s | **%s** | %s | %s | %s |\n", x.size.label, x.info.Objects,
			x.flotillaCPU(), x.flotillaWall(), x.flotillaRSS(), x.kubeconform.cpu(), x.conftest.cpu(), x.peerCPU(), x.ratioText(),
			figure(x.same, sample.cpu, "%.2f"), figure(x.same, rss, "%.0f"), x.sameRatioText(),
			figure(x.warm, sample.cpu, "%.2f"), figure(x.warm, wall, "%.2f"), figure(x.warm, rss, "%.0f"))
	}
	p("\n*flotilla check* renders the intent (Argo CD ApplicationSet expansion included), compares rendered/, validates, previews Karmada placement, lints with the whole pack and runs its Rego tests. *Same work* is `flotilla check rendered/ --rule %s`: schema validation and the conftest policy's four rules on the same rendered files, nothing else.\n", sameRules)
	p(" *Warm* is the whole check a pull request's job runs with the cache its base branch's job left: one app's workload given one more replica and rendered, then `flotilla check --cache-dir` over the cache of a check of the fleet before the change.\n")
	p("\nGoals (the CI-gate issue; 2 cores): at 10k objects the whole check uses no more CPU than the peers (ratio ≥ 1) and ≤ 400 MB; same work ≥ 2× fewer CPU-s than the peers and less memory than conftest alone; warm check after a one-app change under 1 s wall; at 50k objects ≤ 1.2 GB.\n\n")
	ok := func(b bool) string {
		if b {
			return "met"
		}
		return "NOT met"
	}
	for _, x := range r.results {
		switch x.size.label {
		case "10k":
			p("- 10k whole check: CPU %s (%s), memory %s (%.0f MB peak over the runs).\n",
				ok(x.flotilla.dnf() == nil && x.ratio() >= 1), x.ratioText(), ok(x.flotilla.dnf() == nil && x.flotilla.maxRSSMB() <= 400), x.flotilla.maxRSSMB())
			p("- 10k same work: CPU %s (%s), memory %s (%.0f MB; conftest %.0f MB).\n",
				ok(x.same.dnf() == nil && x.peerCPU()/x.same.cpu() >= 2), x.sameRatioText(), ok(x.same.dnf() == nil && x.same.maxRSSMB() < x.conftest.rssMB()), x.same.maxRSSMB(), x.conftest.rssMB())
			p("- 10k warm check after a one-app change: %s (%s s wall).\n", ok(x.warm.dnf() == nil && len(x.warm.samples) > 0 && x.warm.wall() < 1), figure(x.warm, wall, "%.2f"))
		case "50k":
			p("- 50k whole check memory: %s (%.0f MB peak over the runs).\n", ok(x.flotilla.dnf() == nil && x.flotilla.maxRSSMB() <= 1200), x.flotilla.maxRSSMB())
		}
	}

	for _, x := range r.results {
		p("\n## %s: %d clusters × %d apps → %d rendered objects\n\n", x.size.label, x.size.clusters, x.size.apps, x.info.Objects)
		p("%d files, %.1f MB of YAML; %d of them Karmada Clusters (aggregated API, no CRD: kubeconform skips them with -ignore-missing-schemas, flotilla validates them). Load average before: %s; after: %s.\n\n",
			x.info.Objects, float64(x.info.Bytes)/1e6, x.info.Clusters, x.loadBefore, x.loadAfter)
		p("| command | CPU-s (median) | CPU-s per run | wall s | peak RSS MB | result (run 1) |\n|---|---:|---|---:|---:|---|\n")
		fsum := x.flotillaSummary
		if d := x.flotilla.dnf(); d != nil {
			fsum = "did not finish: " + d.killed
		}
		p("| flotilla check | %s | %s | %s | %s | %s |\n", x.flotillaCPU(), x.flotilla.cpus(), x.flotillaWall(), x.flotillaRSS(), fsum)
		p("| kubeconform | %.2f | %s | %.2f | %.0f | %s |\n", x.kubeconform.cpu(), x.kubeconform.cpus(), x.kubeconform.wall(), x.kubeconform.rssMB(), x.kubeconformSummary)
		p("| conftest | %.2f | %s | %.2f | %.0f | %s |\n", x.conftest.cpu(), x.conftest.cpus(), x.conftest.wall(), x.conftest.rssMB(), x.conftestSummary)
		p("| kubeconform + conftest | %.2f | | %.2f | | |\n", x.peerCPU(), x.peerWall())
		ssum := x.sameSummary
		if d := x.same.dnf(); d != nil {
			ssum = "did not finish: " + d.killed
		}
		p("| flotilla, same work | %s | %s | %s | %s | %s |\n", figure(x.same, sample.cpu, "%.2f"), x.same.cpus(),
			figure(x.same, func(s sample) float64 { return s.wall }, "%.2f"), figure(x.same, func(s sample) float64 { return float64(s.rssKB) / 1024 }, "%.0f"), ssum)
		p("| flotilla check, warm after a one-app change | %s | %s | %s | %s | |\n\n", figure(x.warm, sample.cpu, "%.2f"), x.warm.cpus(),
			figure(x.warm, func(s sample) float64 { return s.wall }, "%.2f"), figure(x.warm, func(s sample) float64 { return float64(s.rssKB) / 1024 }, "%.0f"))
		p("Ratio peer/flotilla CPU-s: **%s**. conftest alone: %.0f documents per CPU-second; kubeconform alone: %.0f; flotilla check: ",
			x.ratioText(), float64(x.info.Objects)/x.conftest.cpu(), float64(x.info.Objects)/x.kubeconform.cpu())
		if d := x.flotilla.dnf(); d != nil {
			p("did not finish (≤ %.0f objects per CPU-second).\n\n", float64(x.info.Objects)/d.cpu())
		} else {
			p("%.0f objects per CPU-second.\n\n", float64(x.info.Objects)/x.flotilla.cpu())
		}
		p("<details><summary>objects by kind</summary>\n\n| apiVersion kind | count |\n|---|---:|\n")
		for _, k := range slices.Sorted(maps.Keys(x.info.Kinds)) {
			p("| %s | %d |\n", k, x.info.Kinds[k])
		}
		p("\n</details>\n")
	}

	p("\n## Equivalence check\n\nOne rendered Deployment of the first fleet, mutated; flotilla's pack (`flotilla lint DIR`, plain YAML) and the conftest policy must both report the rule, and kubeconform's strict schemas and `flotilla validate DIR` must both refuse an unknown field.\n\n")
	p("| mutation | flotilla | conftest / kubeconform |\n|---|---|---|\n")
	yes := func(b bool) string {
		if b {
			return "reported"
		}
		return "**missed**"
	}
	for _, s := range r.sanity {
		if s.kubeconformMutation != "" {
			p("| %s (%s) | `flotilla validate DIR` %s | kubeconform %s |\n", s.rule, s.kubeconformMutation, yes(s.flotilla), yes(s.kubeconformRejects))
			continue
		}
		p("| %s | %s | %s |\n", s.rule, yes(s.flotilla), yes(s.conftest))
	}

	p("\n## Commands (run in each fleet's directory)\n\n```sh\n")
	if len(r.results) > 0 {
		for _, c := range r.results[0].commands {
			p("%s %s\n", r.cfg.timeBin+" -v", shellQuote(c))
		}
	}
	p("```\n\nFleets: `flotilla dev gen-fleet DIR --clusters N --apps M` then `flotilla render --repo DIR`, under %s. Raw outputs and GNU time reports: %s.\n", r.cfg.work, r.cfg.out)
	return b.String()
}
