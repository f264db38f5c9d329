package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderEditedReadsTheEditsNotTheDisk renders the minimal fleet with
// an edited app.yaml held in memory: the render has the edit, the file on
// disk is untouched, and an edit that breaks the intent fails as a render
// of the written file would.
func TestRenderEditedReadsTheEditsNotTheDisk(t *testing.T) {
	eng := sharedEngine(t)
	root := copyTree(t, "../../tests/fleets/minimal")
	file := filepath.Join(root, "apps", "web", "app.yaml")
	was, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(was, []byte("weight: 2\n"), []byte("weight: 7\n"), 1)
	r, err := eng.RenderEdited(context.Background(), root, map[string][]byte{"apps/web/app.yaml": edited})
	if err != nil {
		t.Fatal(err)
	}
	if w := r.Repo.App("web").Spec.Placement.Replicas.Weights[0].Weight; w != 7 {
		t.Errorf("the render reads weight %d, want the edit's 7", w)
	}
	if now, _ := os.ReadFile(file); !bytes.Equal(now, was) {
		t.Error("the file on disk changed")
	}
	_, err = eng.RenderEdited(context.Background(), root, map[string][]byte{"apps/web/app.yaml": bytes.Replace(was, []byte("weight: 2\n"), []byte("weigth: 2\n"), 1)})
	if err == nil || !strings.Contains(err.Error(), "apps/web/app.yaml:") {
		t.Errorf("a broken edit: %v", err)
	}
	if _, err := eng.RenderEdited(context.Background(), root, map[string][]byte{"apps/web/new.yaml": nil}); err == nil {
		t.Error("an edit of a file that does not exist was accepted")
	}
}
