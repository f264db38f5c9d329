package pipeline

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/lint"
	"github.com/flotilla-gitops/flotilla/tools/render"
	"github.com/flotilla-gitops/flotilla/tools/report"
	"github.com/flotilla-gitops/flotilla/tools/validate"
)

// Plain is a set of plain Kubernetes YAML files, not a Flotilla
// repository: what kubeconform and conftest read. It is read once and
// serves both validate and lint. Nothing is rendered or placed, so
// placement-aware rules have nothing to say.
type Plain struct {
	Targets []lint.Target
	// Objects are the same objects for validation; each object is its own
	// source (Path and Origin.File are the file it was read from).
	Objects []*render.Object
	// Problems are the input errors met reading: files and documents that
	// are not Kubernetes objects. Reading went on past each.
	Problems diag.List
	// Skipped are the files left out on purpose, with why.
	Skipped []lint.Skipped
	// Files counts the files read.
	Files int
	// CRDs are the CustomResourceDefinitions of PlainOptions.CRDs, served
	// for validation (those among Objects are served too).
	CRDs []*unstructured.Unstructured
}

// PlainOptions configure LoadPlain: what to leave out.
type PlainOptions struct {
	// Exclude are globs of files and folders to leave out.
	Exclude []string
	// HelmTemplates reads Helm charts' templates/ too.
	HelmTemplates bool
	// CRDs are more files or folders of CustomResourceDefinitions to
	// validate custom resources with (--crd); they are not checked
	// themselves.
	CRDs []string
}

// LoadPlain reads every *.yaml, *.yml and *.json file under paths (files
// or folders; hidden folders skipped) through the repository jail, within
// the engine's input bounds. What cannot be read is in Problems, naming
// file and line; the error is for a path that does not exist.
func (e *Engine) LoadPlain(paths []string, opts PlainOptions) (*Plain, error) {
	set, err := lint.PlainTargets(paths, lint.PlainOptions{Bounds: e.Bounds, Exclude: opts.Exclude, HelmTemplates: opts.HelmTemplates})
	if err != nil {
		return nil, err
	}
	p := &Plain{Targets: set.Targets, Objects: make([]*render.Object, len(set.Targets)), Problems: set.Problems, Skipped: set.Skipped, Files: set.Files}
	if len(opts.CRDs) > 0 {
		crds, err := lint.PlainTargets(opts.CRDs, lint.PlainOptions{Bounds: e.Bounds})
		if err != nil {
			return nil, fmt.Errorf("--crd: %w", err)
		}
		p.Problems = append(p.Problems, crds.Problems...)
		for _, t := range crds.Targets {
			if t.Object.GroupVersionKind() != apischema.CRDKind {
				p.Problems = append(p.Problems, &diag.Error{File: t.Source.File, Line: t.Source.Line, Object: t.Object.GetKind() + "/" + t.Object.GetName(),
					Msg: "--crd reads CustomResourceDefinitions only; this is a " + t.Object.GetKind()})
				continue
			}
			p.CRDs = append(p.CRDs, t.Object)
		}
		p.Problems = p.Problems.Sort()
	}
	for i, t := range set.Targets {
		p.Objects[i] = &render.Object{
			Object: t.Object,
			Path:   t.Source.File,
			Origin: render.Origin{File: t.Source.File, Line: t.Source.Line, Doc: t.Source.Doc, Fields: t.Source.Fields},
		}
	}
	return p, nil
}

// ValidatePlain checks every object of p against the engines' schemas, as
// Validate does for a repository's rendered objects.
func (e *Engine) ValidatePlain(ctx context.Context, p *Plain) ([]validate.Finding, error) {
	return e.validate(ctx, p.Objects, p.CRDs)
}

// LintPlain runs pack over every object of p (now: the clock exceptions
// expire against, nil for time.Now).
func (e *Engine) LintPlain(ctx context.Context, p *Plain, pack *lint.Pack, now func() time.Time) (*report.Report, error) {
	return lint.Run(ctx, lint.Options{Pack: pack, Targets: p.Targets, Now: now, Parallelism: e.Parallelism, Results: e.bundle(StageLint)})
}
