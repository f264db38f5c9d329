package appset

import (
	"context"
	"strings"
	"testing"
)

// fleet.yaml's repoURL may carry a token as userinfo: the refusal of a
// generator over another repository names both URLs without it.
func TestOtherRepositoryRefusedWithoutCredentials(t *testing.T) {
	tree := &Tree{RepoURL: "https://flotilla:ours-0123456789@git.example.com/fleet.git"}
	_, err := tree.GetFiles(context.Background(), "https://x:theirs-0123456789@git.example.com/other.git", "", "*", false, false)
	if err == nil {
		t.Fatal("a generator over another repository was answered")
	}
	if msg := err.Error(); strings.Contains(msg, "0123456789") || !strings.Contains(msg, "https://***@git.example.com/other.git") {
		t.Errorf("message: %s", msg)
	}
	if _, err := tree.GetDirectories(context.Background(), "https://git.example.com/other.git", "", false, false); err == nil {
		t.Error("GetDirectories answered for another repository")
	}
}
