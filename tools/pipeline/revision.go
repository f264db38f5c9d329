package pipeline

import (
	"context"
	"fmt"

	"github.com/flotilla-gitops/flotilla/tools/gitsnap"
	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/render"
)

// RenderRevision renders the control repository as it is at a Git
// revision (read with git archive; the checkout is not touched) and
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
	r, err := e.renderCommit(ctx, repo, commit, render.Options{}, nil)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", revLabel(rev, commit), err)
	}
	return r, commit, nil
}

// renderCommit renders the tree of a commit, held in memory and jailed
// as a working tree is: its symbolic links are resolved in the tree,
// never by writing it to disk.
func (e *Engine) renderCommit(ctx context.Context, repo *gitsnap.Repo, commit string, ro render.Options, files *intent.Cache) (*Rendered, error) {
	tree, err := repo.Tree(ctx, commit, e.Bounds.FileBytes)
	if err != nil {
		return nil, err
	}
	return e.renderFS(ctx, tree, "", ro, files)
}
