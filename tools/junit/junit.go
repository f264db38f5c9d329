package junit

import (
	"encoding/xml"
	"io"
)

// Suites is a <testsuites> document: lint's report, a suite per rule
// family.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is a <testsuite>, on its own (a drill's phases and objectives) or
// inside Suites.
type Suite struct {
	XMLName  xml.Name `xml:"testsuite"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr,omitempty"`
	Cases    []Case   `xml:"testcase"`
}

// Case is a <testcase>. Time is in seconds; nil leaves the attribute out
// (lint's cases are not timed, a drill phase of 0 s still says so).
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      *float64 `xml:"time,attr,omitempty"`
	Failure   *Failure `xml:"failure,omitempty"`
	Skipped   *Skipped `xml:"skipped,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

// Failure is a failed case: Message is the one line CI shows, Text the
// whole story.
type Failure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Skipped is a case not run, with why.
type Skipped struct {
	Message string `xml:"message,attr"`
}

// Failed is a failure whose text is its message.
func Failed(msg string) *Failure { return &Failure{Message: msg, Text: msg} }

// Seconds is a case's Time.
func Seconds(s float64) *float64 { return &s }

// Tally sets the suite's counts from its cases.
func (s *Suite) Tally() {
	s.Tests, s.Failures, s.Skipped = len(s.Cases), 0, 0
	for _, tc := range s.Cases {
		if tc.Failure != nil {
			s.Failures++
		}
		if tc.Skipped != nil {
			s.Skipped++
		}
	}
}

// Write writes doc (a *Suites or a *Suite) as an indented XML document
// ending in a newline.
func Write(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
