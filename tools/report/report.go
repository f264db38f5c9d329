package report

import (
	"cmp"
	"slices"
)

// Severity of a finding.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Categories say which stage found something.
const (
	CategoryLint       = "lint"
	CategoryValidate   = "validate"
	CategoryRender     = "render"
	CategoryPolicyTest = "policy-test"
	CategoryException  = "exception"
)

// Finding is one problem, at the place a user should change.
type Finding struct {
	// Rule is the rule id (GO-001, VALIDATE, ...).
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Category string   `json:"category"`
	// Message says what is wrong, naming the container, port, cluster...
	Message string `json:"message"`
	// File is the source to edit (manifest, intent, policy), repository-relative.
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Object is Kind/ns/name of the object concerned.
	Object string `json:"object,omitempty"`
	// Field is the field path inside the object.
	Field string `json:"field,omitempty"`
	// Rendered is the rendered file the object was written to, if any.
	Rendered string `json:"rendered,omitempty"`
	// Exception is the reason the finding is accepted, when an exception
	// covers it (such findings are reported as suppressed).
	Exception string `json:"exception,omitempty"`
	// Input marks an input error: the file cannot be read as written (YAML
	// syntax, an unknown or duplicate field, a value of the wrong type),
	// which is exit code 2 rather than 1.
	Input bool `json:"input,omitempty"`
}

// Rule describes a rule for formats that list rules (SARIF, JUnit).
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Severity    Severity `json:"severity"`
	Remediation string   `json:"remediation,omitempty"`
	// HelpURI is the first source of the rule's rationale.
	HelpURI string   `json:"helpUri,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	// Family groups rules (a policy file, or a stage).
	Family string `json:"family"`
}

// Report is the outcome of a run.
type Report struct {
	// Tool and Version name the producer (for SARIF).
	Tool    string `json:"-"`
	Version string `json:"-"`
	// Findings are active problems; Suppressed are covered by exceptions.
	Findings   []Finding `json:"findings"`
	Suppressed []Finding `json:"suppressed"`
	// Rules are every rule that ran, found something or not.
	Rules []Rule `json:"rules"`
	// Objects is how many objects were checked.
	Objects int `json:"objects"`
	// Skipped are files left out on purpose (plain YAML: Helm templates,
	// kustomizations, --exclude), each with why.
	Skipped []Skipped `json:"skipped,omitempty"`
}

// Skipped is a file a run left out, and why.
type Skipped struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Compare orders findings by file, position, object, rule and message.
func Compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		cmp.Compare(a.Object, b.Object),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Field, b.Field),
		cmp.Compare(a.Message, b.Message),
	)
}

// Sort orders findings and rules deterministically.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Findings, Compare)
	slices.SortStableFunc(r.Suppressed, Compare)
	slices.SortStableFunc(r.Rules, func(a, b Rule) int { return cmp.Compare(a.ID, b.ID) })
	r.Rules = slices.CompactFunc(r.Rules, func(a, b Rule) bool { return a.ID == b.ID })
}

// Count returns the number of active findings of a severity.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// InputErrors counts the findings that are input errors.
func (r *Report) InputErrors() int {
	n := 0
	for _, f := range r.Findings {
		if f.Input {
			n++
		}
	}
	return n
}

// Failed reports whether the findings fail the run: any error, or any
// warning when failOn is Warning.
func (r *Report) Failed(failOn Severity) bool {
	if r.Count(Error) > 0 {
		return true
	}
	return failOn == Warning && r.Count(Warning) > 0
}
