package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCLIConventions: the flags platform engineers expect of a CLI —
// --version, --color auto|always|never over NO_COLOR — and one wording
// for an output format a command does not offer.
func TestCLIConventions(t *testing.T) {
	run := func(env map[string]string, args ...string) (int, string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := Run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(k string) string { return env[k] }})
		return code, out.String(), errOut.String()
	}
	if code, out, _ := run(nil, "--version"); code != 0 || out != "flotilla "+version+"\n" {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	const esc = "\x1b["
	noColor := map[string]string{"NO_COLOR": "1"}
	for _, c := range []struct {
		env   map[string]string
		color string
		want  bool
	}{
		{nil, "always", true},
		{noColor, "always", true}, // an explicit flag beats the environment
		{nil, "never", false},
		{nil, "auto", false}, // not a terminal
		{noColor, "auto", false},
	} {
		code, out, errOut := run(c.env, "--repo", minimalFleet, "--color", c.color, "lint")
		if code > 1 {
			t.Fatalf("lint --color %s: exit %d: %s", c.color, code, errOut)
		}
		if got := strings.Contains(out, esc); got != c.want {
			t.Errorf("lint --color %s (env %v): coloured %v, want %v\n%s", c.color, c.env, got, c.want, out)
		}
	}
	if code, _, errOut := run(nil, "--color", "sometimes", "version"); code != ExitInput || !strings.Contains(errOut, "use auto, always or never") {
		t.Errorf("--color sometimes: exit %d, %s", code, errOut)
	}
	_, _, planErr := run(nil, "--repo", minimalFleet, "-o", "yaml", "plan", "--full")
	_, _, lintErr := run(nil, "--repo", minimalFleet, "-o", "yaml", "lint")
	for _, e := range []string{planErr, lintErr} {
		if !strings.HasPrefix(e, `error: unknown output format "yaml" (use one of: text, `) {
			t.Errorf("format error worded differently: %q", e)
		}
	}
}

// TestCheckReportsEachStageAsItEnds: with --progress (the default on a
// terminal) check writes each stage's line to stderr as the stage ends,
// in order, and stdout keeps its summary for a file or a pipe.
func TestCheckReportsEachStageAsItEnds(t *testing.T) {
	code, out, errOut := run(t, "check", "--repo", minimalFleet, "--progress")
	if code > 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var stages []string
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		stages = append(stages, strings.Fields(l)[0])
		if !strings.Contains(out, l+"\n") {
			t.Errorf("stdout lacks the stage line %q", l)
		}
	}
	if strings.Join(stages, " ") != "render validate lint policies cache" {
		t.Errorf("stderr stages %v\n%s", stages, errOut)
	}
	if _, _, errOut := run(t, "check", "--repo", minimalFleet); errOut != "" {
		t.Errorf("without --progress and off a terminal, check wrote to stderr:\n%s", errOut)
	}
}
