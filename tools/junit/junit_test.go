package junit

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// A case's time attribute is there when set, even at 0 s (a drill phase
// that took no time), and absent when not (lint's rules are not timed);
// Tally counts failures and skips from the cases.
func TestWriteTimeAndTally(t *testing.T) {
	s := Suite{Name: "s", Cases: []Case{
		{Name: "timed", Classname: "c", Time: Seconds(0)},
		{Name: "untimed", Classname: "c", Failure: Failed("boom")},
		{Name: "skipped", Classname: "c", Time: Seconds(1.5), Skipped: &Skipped{Message: "preview"}},
	}}
	s.Tally()
	var b bytes.Buffer
	if err := Write(&b, &s); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{xml.Header, `<testsuite name="s" tests="3" failures="1" skipped="1">`,
		`<testcase name="timed" classname="c" time="0"></testcase>`,
		`<testcase name="untimed" classname="c">`, `<failure message="boom">boom</failure>`,
		`<testcase name="skipped" classname="c" time="1.5">`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "</testsuite>\n") {
		t.Errorf("output does not end in a newline:\n%q", out)
	}
	var back Suite
	if err := xml.Unmarshal(b.Bytes(), &back); err != nil || back.Tests != 3 || back.Cases[2].Skipped == nil || *back.Cases[2].Time != 1.5 {
		t.Errorf("read back: %+v %v", back, err)
	}
}

// Suites nests suites as <testsuite> elements under <testsuites>.
func TestWriteSuites(t *testing.T) {
	doc := Suites{Name: "flotilla", Tests: 1, Suites: []Suite{{Name: "fam", Tests: 1, Cases: []Case{{Name: "R-1", Classname: "fam", SystemOut: "warnings"}}}}}
	var b bytes.Buffer
	if err := Write(&b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<testsuites name="flotilla" tests="1" failures="0">`, `<testsuite name="fam" tests="1" failures="0">`, `<system-out>warnings</system-out>`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
