package lint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/report"
)

// AnnotationExceptions holds an object's or an App's exceptions: a JSON list
// of {"rule": "SEC-002", "reason": "...", "expires": "2027-06-30"}.
const AnnotationExceptions = "flotilla.io/exceptions"

// Rule ids of exception findings.
const (
	RuleExceptionExpired   = "EXC-001"
	RuleExceptionUnused    = "EXC-002"
	RuleExceptionMalformed = "EXC-003"
)

func exceptionRules() []report.Rule {
	return []report.Rule{
		{ID: RuleExceptionExpired, Title: "Exception expired", Severity: report.Error, Family: "exceptions",
			Description: "An exception past its expiry date no longer accepts the finding it named; the finding is reported again.",
			Remediation: "Fix the finding, or renew the exception with a new reason and date."},
		{ID: RuleExceptionUnused, Title: "Exception unused", Severity: report.Warning, Family: "exceptions",
			Description: "An exception that accepts nothing hides future findings of its rule without review.",
			Remediation: "Remove the exception."},
		{ID: RuleExceptionMalformed, Title: "Exception malformed", Severity: report.Error, Family: "exceptions",
			Description: "Exceptions need a known rule id and a reason; an expiry date must be YYYY-MM-DD.",
			Remediation: "Write the annotation as a JSON list of {\"rule\", \"reason\", \"expires\"}."},
	}
}

// Exception accepts findings of one rule on an object (or on every object
// of an App).
type Exception struct {
	Rule    string `json:"rule"`
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"`

	owner   string // object ref or App/<name>
	file    string
	line    int
	column  int
	expired bool
	used    bool
}

type exceptions struct {
	today     string
	byObject  map[string][]*Exception
	byApp     map[string][]*Exception
	seenApps  map[string]bool
	order     []*Exception
	malformed []report.Finding
}

func newExceptions(now time.Time) *exceptions {
	return &exceptions{
		today:    now.UTC().Format(time.DateOnly),
		byObject: map[string][]*Exception{}, byApp: map[string][]*Exception{}, seenApps: map[string]bool{},
	}
}

const exceptionField = "metadata.annotations[" + AnnotationExceptions + "]"

// collect reads the exceptions of a target's object and, once per app, of
// its App.
func (x *exceptions) collect(t Target) {
	owner := ref(t.Object)
	if raw, ok := t.Object.GetAnnotations()[AnnotationExceptions]; ok {
		line, col := t.Source.locate(exceptionField)
		x.byObject[owner] = x.parse(raw, owner, t.Source.File, line, col)
	}
	if t.AppName == "" || x.seenApps[t.AppName] {
		return
	}
	x.seenApps[t.AppName] = true
	md, _ := t.App["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	if raw, ok := ann[AnnotationExceptions].(string); ok {
		line, col := t.AppSource.locate(exceptionField)
		x.byApp[t.AppName] = x.parse(raw, "App/"+t.AppName, t.AppSource.File, line, col)
	}
}

func (x *exceptions) parse(raw, owner, file string, line, col int) []*Exception {
	var list []*Exception
	bad := func(format string, args ...any) {
		x.malformed = append(x.malformed, report.Finding{Rule: RuleExceptionMalformed, Severity: report.Error, Category: report.CategoryException,
			Message: fmt.Sprintf(format, args...), File: file, Line: line, Column: col, Object: owner, Field: exceptionField})
	}
	if err := decodeExceptions(raw, &list); err != nil {
		bad("annotation %s is not a JSON list of exceptions: %v", AnnotationExceptions, err)
		return nil
	}
	var out []*Exception
	for i, e := range list {
		if e == nil {
			bad("exception %d is null", i)
			continue
		}
		e.owner, e.file, e.line, e.column = owner, file, line, col
		switch {
		case e.Rule == "":
			bad("exception %d names no rule", i)
			continue
		case strings.TrimSpace(e.Reason) == "":
			bad("exception for %s has no reason: say why the finding is accepted", e.Rule)
			continue
		}
		if e.Expires != "" {
			if _, err := time.Parse(time.DateOnly, e.Expires); err != nil {
				bad("exception for %s: expires %q is not a date (YYYY-MM-DD)", e.Rule, e.Expires)
				continue
			}
			e.expired = e.Expires < x.today
		}
		out = append(out, e)
		x.order = append(x.order, e)
	}
	return out
}

// decodeExceptions decodes the annotation strictly: an unknown field is
// an error, not dropped — a misspelt "expire" would otherwise make an
// exception that never expires.
func decodeExceptions(raw string, list *[]*Exception) error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(list); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("text after the list")
	}
	return nil
}

// match returns the exception that accepts a finding of rule on the
// target, or nil. Expired exceptions accept nothing but count as used
// (their own finding says they expired).
func (x *exceptions) match(t Target, rule string) *Exception {
	for _, list := range [][]*Exception{x.byObject[ref(t.Object)], x.byApp[t.AppName]} {
		for _, e := range list {
			if e.Rule != rule {
				continue
			}
			e.used = true
			if !e.expired {
				return e
			}
		}
	}
	return nil
}

// findings reports malformed, expired and unused exceptions, and
// exceptions naming rules the pack does not have. Exceptions of rules
// Pack.Select left out are not reported.
func (x *exceptions) findings(p *Pack) []report.Finding {
	known := map[string]bool{}
	for _, r := range p.Rules {
		known[r.ID] = true
	}
	out := append([]report.Finding(nil), x.malformed...)
	for _, e := range x.order {
		if p.Skipped[e.Rule] {
			continue // its rule did not run: the exception can be neither used nor unused
		}
		f := report.Finding{Category: report.CategoryException, File: e.file, Line: e.line, Column: e.column, Object: e.owner, Field: exceptionField}
		switch {
		case !known[e.Rule]:
			f.Rule, f.Severity = RuleExceptionMalformed, report.Error
			f.Message = fmt.Sprintf("exception names rule %s, which no loaded policy defines", e.Rule)
		case e.expired:
			f.Rule, f.Severity = RuleExceptionExpired, report.Error
			f.Message = fmt.Sprintf("exception for %s expired on %s (%s)", e.Rule, e.Expires, e.Reason)
		case !e.used:
			f.Rule, f.Severity = RuleExceptionUnused, report.Warning
			f.Message = fmt.Sprintf("exception for %s accepts no finding: remove it", e.Rule)
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}
