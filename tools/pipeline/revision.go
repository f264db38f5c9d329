package pipeline

import (
	"context"
	"fmt"

	"github.com/flotilla-gitops/flotilla/tools/gitsnap"
)

// RenderRevision renders the control repository as it is at a Git
// revision (exported with git archive; the checkout is not touched) and
// returns the full commit it resolved to.
func (e *Engine) RenderRevision(ctx context.Context, root, rev string) (*Rendered, string, error) {
	repo, err := gitsnap.Open(ctx, root)
	if err != nil {
		return nil, "", err
	}
	commit, err := repo.Resolve(ctx, rev)
	if err != nil {
		return nil, "", err
	}
	dir, cleanup, err := repo.Export(ctx, commit)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = cleanup() }()
	r, err := e.Render(ctx, dir)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", revLabel(rev, commit), err)
	}
	return r, commit, nil
}
