package lint

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/flotilla-gitops/flotilla/tools/diag"
)

// Capabilities are the OPA capabilities every policy flotilla runs is
// compiled with: the pack's, users' --policy folders', and their tests'.
//
// Policies come from the repository, and `flotilla check` runs them on
// pull requests from strangers, on a runner that holds a token. A policy
// must not reach the network, read the environment or the filesystem, or
// give a verdict that depends on when or where it runs. OPA itself marks
// the built-in functions whose result is not a function of their
// arguments as non-deterministic; exactly those are left out:
//
//   - http.send, net.lookup_ip_addr: the network (and DNS);
//   - json.match_schema, json.verify_schema: a schema's $ref is loaded
//     from http:// or file:// URLs;
//   - opa.runtime: the process' environment variables and configuration;
//   - time.now_ns, io.jwt.decode_verify (which reads the clock when no
//     time is given): the clock;
//   - rand.intn, uuid.rfc4122, io.jwt.encode_sign, io.jwt.encode_sign_raw:
//     randomness.
//
// The clock and randomness carry no data out, but a check whose verdict
// changes with the day or the run is not reproducible: a pull request
// passes, and the same tree fails tomorrow. Everything else stays, the
// pure net.cidr_* functions included. AllowNet is empty too (no host), in
// case a later OPA adds a networked built-in it does not mark.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(slices.Clone(caps.Builtins), func(b *ast.Builtin) bool { return b.Nondeterministic })
	caps.AllowNet = []string{}
	return caps
}

// RefusedBuiltins are the names of the built-in functions Capabilities
// leaves out, sorted.
func RefusedBuiltins() []string {
	return slices.Clone(refused())
}

var refused = sync.OnceValue(func() []string {
	var out []string
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		if b.Nondeterministic {
			out = append(out, b.Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
})

// refusedCalls reports every call of a refused built-in in a module (and
// every `with` that would replace one), at its file, line and column. The
// compiler would refuse them too, as an undefined function; this says
// why.
func refusedCalls(m *ast.Module) diag.List {
	var errs diag.List
	report := func(op ast.Ref, loc *ast.Location, how string) {
		name := op.String()
		if _, found := slices.BinarySearch(refused(), name); !found {
			return
		}
		d := &diag.Error{Msg: fmt.Sprintf("%s built-in %s, which flotilla refuses: policies get no network, environment, filesystem, clock or randomness (refused: %s)", how, name, strings.Join(refused(), ", "))}
		if loc != nil {
			d.File, d.Line, d.Column = loc.File, loc.Row, loc.Col
		}
		errs = append(errs, d)
	}
	ast.WalkExprs(m, func(e *ast.Expr) bool {
		if e.IsCall() {
			report(e.Operator(), e.Location, "calls")
		}
		for _, w := range e.With {
			if op, ok := w.Target.Value.(ast.Ref); ok {
				report(op, w.Location, "replaces")
			}
		}
		return false
	})
	ast.WalkTerms(m, func(t *ast.Term) bool {
		if c, ok := t.Value.(ast.Call); ok && len(c) > 0 {
			if op, ok := c[0].Value.(ast.Ref); ok {
				report(op, t.Location, "calls")
			}
		}
		return false
	})
	return errs
}
