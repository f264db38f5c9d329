package lint

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"golang.org/x/sync/errgroup"
)

// Violation is what one rule reported for one object.
type Violation struct {
	Rule  *Rule
	Msg   string
	Field string
}

// Engine evaluates a pack over inputs. It is safe for concurrent use.
type Engine struct {
	pack  *Pack
	query rego.PreparedEvalQuery
	// keys[i] is the result key of pack.Rules[i].
	keys []string
}

// NewEngine prepares one query that evaluates every rule of the pack,
// with data (e.g. {"inventory": ..., "flotilla": {"fleet": ...}}) in the
// store. Preparing compiles the query plan once; every object reuses it.
func NewEngine(ctx context.Context, pack *Pack, data map[string]any) (*Engine, error) {
	e := &Engine{pack: pack}
	var b strings.Builder
	b.WriteString("x := {")
	for i, r := range pack.Rules {
		key := fmt.Sprintf("r%d", i)
		e.keys = append(e.keys, key)
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: %s", key, r.Ref.String())
	}
	b.WriteString("}")
	q, err := rego.New(
		rego.Query(b.String()),
		rego.Compiler(pack.compiler),
		rego.Store(inmem.NewFromObjectWithOpts(data, inmem.OptRoundTripOnWrite(false))),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare policy query: %w", err)
	}
	e.query = q
	return e, nil
}

// Eval runs every rule on one input value.
func (e *Engine) Eval(ctx context.Context, input ast.Value) ([]Violation, error) {
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("policy query returned %d results, want 1", len(rs))
	}
	out, ok := rs[0].Bindings["x"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("policy query returned %T", rs[0].Bindings["x"])
	}
	var vs []Violation
	for i, key := range e.keys {
		set, _ := out[key].([]any)
		for _, v := range set {
			viol := Violation{Rule: &e.pack.Rules[i]}
			switch t := v.(type) {
			case string:
				viol.Msg = t
			case map[string]any:
				viol.Msg, _ = t["msg"].(string)
				viol.Field, _ = t["field"].(string)
			default:
				viol.Msg = fmt.Sprint(t)
			}
			vs = append(vs, viol)
		}
	}
	return vs, nil
}

// EvalAll evaluates every input, at most parallelism at a time (0: one per
// CPU). Results are in input order whatever the scheduling.
func (e *Engine) EvalAll(ctx context.Context, inputs []ast.Value, parallelism int) ([][]Violation, error) {
	if parallelism <= 0 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	out := make([][]Violation, len(inputs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism)
	for i := range inputs {
		g.Go(func() error {
			vs, err := e.Eval(gctx, inputs[i])
			if err != nil {
				return fmt.Errorf("input %d: %w", i, err)
			}
			out[i] = vs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
