package validate

import (
	"cmp"
	"context"
	"encoding/json"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/resultcache"
)

// Finding is one reason an API server would refuse a rendered object.
type Finding struct {
	// Rendered is the rendered file (rendered/...).
	Rendered string `json:"rendered"`
	// Source is the intent or manifest position the object came from; its
	// Field and Msg say what is wrong.
	Source diag.Error `json:"source"`
	// Type is the validator's error type (FieldValueRequired,
	// UnknownField, ...).
	Type string `json:"type"`
}

// InputError says the object cannot be read as written — an unknown or
// duplicate field, a value of the wrong type, a body that does not decode
// (the API server's 400 Bad Request) — rather than read and found invalid
// (422 Invalid). Flotilla exits 2 on input errors and 1 on findings, for
// manifests and intent alike.
func (f Finding) InputError() bool {
	switch f.Type {
	case apischema.TypeUnknownField, apischema.TypeDuplicateField, apischema.TypeBadRequest, TypeUnreadable,
		// A custom resource's value of the wrong type, which the server
		// finds by schema (422) where a built-in kind's fails to decode.
		string(field.ErrorTypeTypeInvalid):
		return true
	}
	return false
}

// TypeUnreadable is the Type of a finding about a file or document that
// could not be read as objects at all (plain YAML: syntax, no kind).
const TypeUnreadable = "Unreadable"

// Error formats the finding with both positions (one when the object was
// not rendered).
func (f Finding) Error() string {
	if f.Rendered == "" || f.Rendered == f.Source.File {
		return f.Source.Error()
	}
	return f.Source.Error() + " [" + f.Rendered + "]"
}

// Options configure Objects.
type Options struct {
	// Parallelism bounds concurrent validation; 0 means GOMAXPROCS.
	Parallelism int
	// Results, when set, remembers each object's verdict by its JSON and
	// Schemas (package resultcache): an object validated before by the
	// same binary against the same schemas is not validated again.
	Results *resultcache.Bundle
	// Schemas identifies what the validator serves beyond the binary's
	// own schemas (the CRDs taken from the input), for Results' keys.
	Schemas []byte
}

// Objects validates every rendered object. Findings are in the order of
// the objects (rendered path), then of the validator, at any parallelism.
func Objects(ctx context.Context, v *apischema.Validator, objs []*render.Object, opts Options) ([]Finding, error) {
	per := make([][]Finding, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	n := opts.Parallelism
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	g.SetLimit(n)
	for i, o := range objs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			fes := validateObject(gctx, v, o, opts)
			for _, fe := range fes {
				f := finding(o, fe)
				if fe.Type == apischema.TypeUnknownField {
					f.Source.Msg += v.FieldHint(o.Object.GroupVersionKind(), fe.Field)
				}
				per[i] = append(per[i], f)
			}
			// In the order of the source, as a reader meets them.
			slices.SortStableFunc(per[i], func(a, b Finding) int {
				return cmp.Or(cmp.Compare(a.Source.Line, b.Source.Line), cmp.Compare(a.Source.Column, b.Source.Column))
			})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Finding
	for _, fs := range per {
		out = append(out, fs...)
	}
	return out, nil
}

// validateObject is v.Validate, answered from opts.Results when it can be.
// The key is the object as the validator reads it (its JSON), the schemas
// beyond the binary's, and the stage's format.
func validateObject(ctx context.Context, v *apischema.Validator, o *render.Object, opts Options) []apischema.FieldError {
	if opts.Results == nil {
		return v.Validate(ctx, o.Object)
	}
	body, err := json.Marshal(o.Object.Object)
	if err != nil {
		return v.Validate(ctx, o.Object) // which says why
	}
	key := resultcache.NewKey([]byte("validate/1"), opts.Schemas, body)
	if b, ok := opts.Results.Get(key); ok {
		var fes []apischema.FieldError
		if json.Unmarshal(b, &fes) == nil {
			return fes
		}
	}
	fes := v.ValidateEncoded(ctx, o.Object, body)
	if b, err := json.Marshal(fes); err == nil {
		opts.Results.Put(key, b)
	}
	return fes
}

// finding maps a validator error onto the source: for hand-written
// manifests the field is located inside the source document; for generated
// objects the position is the intent field they derive from.
func finding(o *render.Object, fe apischema.FieldError) Finding {
	src := diag.Error{File: o.Origin.File, Object: o.Ref(), Field: fe.Field, Msg: message(fe)}
	src.Line, src.Column = o.Origin.Locate(fe.Field)
	return Finding{Rendered: o.Path, Source: src, Type: fe.Type}
}

// message keeps the validator's text, minus the field path it starts with
// (the finding names the field itself).
func message(fe apischema.FieldError) string {
	msg := fe.Message
	if fe.Field != "" && len(msg) > len(fe.Field)+2 && msg[:len(fe.Field)+2] == fe.Field+": " {
		return msg[len(fe.Field)+2:]
	}
	return msg
}
