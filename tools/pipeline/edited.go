package pipeline

import (
	"context"

	"github.com/flotilla-gitops/flotilla/tools/render"
)

// RenderEdited renders the working tree at root as it will be once the
// given files (repository-relative, slash-separated → new contents) are
// written: the edits are read from memory, nothing is written. A command
// that edits intent renders (and validates) its edits this way first, so
// that a failing render leaves the repository as it was.
func (e *Engine) RenderEdited(ctx context.Context, root string, edits map[string][]byte) (*Rendered, error) {
	tree, err := e.workTree(root)
	if err != nil {
		return nil, err
	}
	if tree, err = tree.With(edits); err != nil {
		return nil, err
	}
	return e.renderFS(ctx, tree, root, render.Options{}, nil)
}
