package lint

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/report"
)

// Scopes of a rule (see policies/README.md).
const (
	ScopeObject    = "object"
	ScopePlacement = "placement"
)

// Source is a folder of policies: *.rego files, tests in *_test.rego.
type Source struct {
	// Name prefixes file names in messages (e.g. "policies").
	Name string
	FS   fs.FS
}

// Rule is one check of the pack, as its METADATA describes it.
type Rule struct {
	ID          string
	Title       string
	Description string
	Severity    report.Severity
	Remediation string
	Scope       string
	Sources     []string
	// Ref is the rule's path, e.g. data.flotilla.go_runtime.gomemlimit_missing.
	Ref ast.Ref
	// Family is the rule's package name (go_runtime).
	Family string
	// File and Line locate the rule's definition.
	File string
	Line int
	// Match lists the kinds of object the rule applies to, in the form of
	// a Gatekeeper Constraint's spec.match.kinds; empty: every kind. The
	// engine evaluates a rule only on objects it matches, as Gatekeeper
	// does, so a rule that reads kind-specific fields costs nothing on the
	// other objects.
	Match []KindMatch
}

// KindMatch selects objects by API group and kind, like an entry of a
// Gatekeeper Constraint's spec.match.kinds: "*" matches any group or kind,
// "" is the core group.
type KindMatch struct {
	APIGroups []string `json:"apiGroups"`
	Kinds     []string `json:"kinds"`
}

// Applies reports whether the rule runs on objects of an API group and
// kind.
func (r *Rule) Applies(group, kind string) bool {
	if len(r.Match) == 0 {
		return true
	}
	for _, m := range r.Match {
		if matchesAny(m.APIGroups, group) && matchesAny(m.Kinds, kind) {
			return true
		}
	}
	return false
}

func matchesAny(list []string, s string) bool {
	return slices.Contains(list, s) || slices.Contains(list, "*")
}

// Report converts the rule for reports.
func (r Rule) Report() report.Rule {
	rr := report.Rule{ID: r.ID, Title: r.Title, Description: r.Description, Severity: r.Severity,
		Remediation: r.Remediation, Family: r.Family, Tags: []string{"scope:" + r.Scope}}
	if len(r.Sources) > 0 {
		rr.HelpURI = r.Sources[0]
	}
	return rr
}

// Pack is a compiled set of policies.
type Pack struct {
	// Rules are sorted by id.
	Rules []Rule
	// Modules are the policies (no tests); TestModules the tests.
	Modules     map[string]*ast.Module
	TestModules map[string]*ast.Module
	// Skipped are the ids of rules the pack defines but Select left out:
	// exceptions naming them are neither unknown nor unused.
	Skipped map[string]bool
	// digest is the SHA-256 of every policy file's name and bytes, tests
	// included: what a result computed by the pack depends on besides
	// the binary and its input (see Engine's result keys).
	digest   [32]byte
	compiler *ast.Compiler
	// prepareMu serializes preparing queries on the compiler (see
	// prepare). A pointer: copies of a Pack share the compiler.
	prepareMu *sync.Mutex
}

// Digest is the SHA-256 of every policy file's name and bytes, tests
// included.
func (p *Pack) Digest() [32]byte { return p.digest }

// prepare prepares a query on the pack's compiler over store. OPA's
// preparation may record the store in the compiler (its path-conflict
// check, a closure over the store). The compiler is shared by every engine
// of the pack: that would keep an engine's whole data (every rendered
// object as an OPA value) alive as long as the pack, and two engines
// preparing at once would race. Queries are prepared one at a time and
// the check is cleared after each; the compiler needs none, its modules
// are compiled.
func (p *Pack) prepare(ctx context.Context, body ast.Body, store storage.Store) (rego.PreparedEvalQuery, error) {
	p.prepareMu.Lock()
	defer p.prepareMu.Unlock()
	q, err := rego.New(rego.ParsedQuery(body), rego.Compiler(p.compiler), rego.Store(store)).PrepareForEval(ctx)
	p.compiler.WithPathConflictsCheck(nil)
	return q, err
}

// LoadPack parses and compiles every policy of the sources and reads the
// rules' metadata. Problems (syntax, compile errors, rules that break the
// conventions) come back together as a diag.List.
func LoadPack(sources ...Source) (*Pack, error) {
	p := &Pack{Modules: map[string]*ast.Module{}, TestModules: map[string]*ast.Module{}, prepareMu: &sync.Mutex{}}
	var errs diag.List
	files := map[string][]byte{}
	for _, src := range sources {
		err := fs.WalkDir(src.FS, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || path.Ext(name) != ".rego" {
				return nil
			}
			data, err := fs.ReadFile(src.FS, name)
			if err != nil {
				return err
			}
			file := path.Join(src.Name, name)
			files[file] = data
			m, err := ast.ParseModuleWithOpts(file, string(data), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
			if err != nil {
				errs = append(errs, regoErrors(file, err)...)
				return nil
			}
			if strings.HasSuffix(name, "_test.rego") {
				p.TestModules[file] = m
			} else {
				p.Modules[file] = m
			}
			return nil
		})
		if err != nil {
			errs = append(errs, &diag.Error{File: src.Name, Msg: err.Error(), Err: err})
		}
	}
	for _, m := range p.Modules {
		errs = append(errs, refusedCalls(m)...)
	}
	for _, m := range p.TestModules {
		errs = append(errs, refusedCalls(m)...)
	}
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	if len(p.Modules) == 0 {
		return nil, fmt.Errorf("no policies (*.rego) found in %s", sourceNames(sources))
	}
	all := make(map[string]*ast.Module, len(p.Modules)+len(p.TestModules))
	for k, m := range p.Modules {
		all[k] = m
	}
	for k, m := range p.TestModules {
		all[k] = m
	}
	c := ast.NewCompiler().WithCapabilities(Capabilities()).WithEnablePrintStatements(false)
	if c.Compile(all); c.Failed() {
		return nil, regoErrors("", c.Errors)
	}
	p.compiler = c
	rules, errs := rulesOf(c)
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	p.Rules = rules
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(files[name]))
		h.Write(files[name])
	}
	h.Sum(p.digest[:0])
	return p, nil
}

// Select returns the pack restricted to the rules whose id or family
// matches some pattern of include (all rules when include is empty) and
// none of exclude. Patterns are globs (path.Match): "SEC-002", "SEC-*",
// "go_runtime". A pattern that matches no rule of the pack is an error,
// so that a typo does not silently lint nothing. The result shares the
// compiled policies with p.
func (p *Pack) Select(include, exclude []string) (*Pack, error) {
	if len(include) == 0 && len(exclude) == 0 {
		return p, nil
	}
	for _, pat := range slices.Concat(include, exclude) {
		if _, err := path.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("rule pattern %q: %w", pat, err)
		}
		if !slices.ContainsFunc(p.Rules, func(r Rule) bool { return r.matches(pat) }) {
			return nil, fmt.Errorf("rule pattern %q matches no rule id or family of the pack", pat)
		}
	}
	matchesAnyOf := func(r Rule, pats []string) bool {
		return slices.ContainsFunc(pats, r.matches)
	}
	q := *p
	q.Rules = nil
	q.Skipped = maps.Clone(p.Skipped)
	if q.Skipped == nil {
		q.Skipped = map[string]bool{}
	}
	for _, r := range p.Rules {
		if (len(include) == 0 || matchesAnyOf(r, include)) && !matchesAnyOf(r, exclude) {
			q.Rules = append(q.Rules, r)
		} else {
			q.Skipped[r.ID] = true
		}
	}
	return &q, nil
}

// matches reports whether a Select pattern names the rule by id or family.
func (r Rule) matches(pattern string) bool {
	id, _ := path.Match(pattern, r.ID)
	family, _ := path.Match(pattern, r.Family)
	return id || family
}

// Applies reports whether some rule of the pack runs on objects of an API
// group and kind.
func (p *Pack) Applies(group, kind string) bool {
	for i := range p.Rules {
		if p.Rules[i].Applies(group, kind) {
			return true
		}
	}
	return false
}

func sourceNames(sources []Source) string {
	var n []string
	for _, s := range sources {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

// rulesOf reads every annotated rule with a custom id, enforcing the pack's
// conventions: a title, a severity and a scope, unique ids, partial-set
// rules.
func rulesOf(c *ast.Compiler) ([]Rule, diag.List) {
	var rules []Rule
	var errs diag.List
	seen := map[string]Rule{}
	for _, a := range c.GetAnnotationSet().Flatten() {
		ann := a.Annotations
		if ann == nil || (ann.Scope != "rule" && ann.Scope != "document") {
			continue
		}
		id, _ := ann.Custom["id"].(string)
		if id == "" {
			continue
		}
		file, line := "", 0
		if a.Location != nil {
			file, line = a.Location.File, a.Location.Row
		}
		fail := func(format string, args ...any) {
			errs = append(errs, &diag.Error{File: file, Line: line, Object: id, Msg: fmt.Sprintf(format, args...)})
		}
		r := Rule{ID: id, Title: ann.Title, Description: strings.TrimSpace(ann.Description), Ref: a.Path, File: file, Line: line}
		r.Remediation, _ = ann.Custom["remediation"].(string)
		r.Scope, _ = ann.Custom["scope"].(string)
		sev, _ := ann.Custom["severity"].(string)
		r.Severity = report.Severity(sev)
		for _, rr := range ann.RelatedResources {
			if rr != nil && rr.Ref.String() != "" {
				r.Sources = append(r.Sources, rr.Ref.String())
			}
		}
		if len(a.Path) >= 2 {
			r.Family = strings.Trim(a.Path[len(a.Path)-2].String(), `"`)
		}
		match, err := matchOf(c.GetAnnotationSet(), a)
		if err != nil {
			fail("%v", err)
			continue
		}
		r.Match = match
		switch {
		case r.Title == "":
			fail("rule has no title")
		case r.Severity != report.Error && r.Severity != report.Warning:
			fail("custom.severity is %q: use error or warning", sev)
		case r.Scope != ScopeObject && r.Scope != ScopePlacement:
			fail("custom.scope is %q: use object or placement", r.Scope)
		case !isPartialSet(c, a.Path):
			fail("%s must be a partial set rule (name contains violation if { ... })", a.Path)
		default:
			if prev, dup := seen[id]; dup {
				fail("rule id %s is also used by %s (%s:%d)", id, prev.Ref, prev.File, prev.Line)
				continue
			}
			seen[id] = r
			rules = append(rules, r)
		}
	}
	slices.SortFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return rules, errs
}

// matchOf reads custom.match of the rule's METADATA, or else of the
// nearest enclosing annotation (document, package) that sets one, so a
// family can declare the kinds of all its rules once.
func matchOf(as *ast.AnnotationSet, a *ast.AnnotationsRef) ([]KindMatch, error) {
	chain := []*ast.AnnotationsRef{a}
	if rule := a.GetRule(); rule != nil {
		chain = as.Chain(rule)
	}
	for _, ref := range chain {
		if ref == nil || ref.Annotations == nil {
			continue
		}
		raw, ok := ref.Annotations.Custom["match"]
		if !ok {
			continue
		}
		data, err := json.Marshal(raw)
		if err != nil {
			return nil, fmt.Errorf("custom.match: %w", err)
		}
		var m struct {
			Kinds []KindMatch `json:"kinds"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("custom.match must be {kinds: [{apiGroups: [...], kinds: [...]}]}: %w", err)
		}
		if len(m.Kinds) == 0 {
			return nil, errors.New("custom.match.kinds is empty: leave custom.match out to match every kind")
		}
		for i, k := range m.Kinds {
			if len(k.APIGroups) == 0 || len(k.Kinds) == 0 {
				return nil, fmt.Errorf("custom.match.kinds[%d] needs apiGroups and kinds (\"*\" matches any; \"\" is the core group)", i)
			}
		}
		return m.Kinds, nil
	}
	return nil, nil
}

func isPartialSet(c *ast.Compiler, ref ast.Ref) bool {
	rules := c.GetRulesExact(ref)
	if len(rules) == 0 {
		return false
	}
	for _, r := range rules {
		if r.Head.RuleKind() != ast.MultiValue {
			return false
		}
	}
	return true
}

// regoErrors turns OPA errors into positioned errors.
func regoErrors(file string, err error) diag.List {
	var out diag.List
	if errs, ok := err.(ast.Errors); ok {
		for _, e := range errs {
			d := &diag.Error{File: file, Msg: e.Message, Err: e}
			if e.Location != nil {
				d.File, d.Line, d.Column = e.Location.File, e.Location.Row, e.Location.Col
			}
			out = append(out, d)
		}
		return out
	}
	return diag.List{&diag.Error{File: file, Msg: err.Error(), Err: err}}
}
