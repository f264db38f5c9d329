package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/tools/intent"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// TestResolveNameTakesNamesAndFiles: an intent object is named by its name
// or by the file that declares it (relative to the working directory or
// absolute; an app also by its folder); anything else lists what exists.
func TestResolveNameTakesNamesAndFiles(t *testing.T) {
	root := t.TempDir()
	repo := &intent.Repo{Root: root}
	d := &intent.Drill{Source: intent.Source{Doc: &yamldoc.Document{File: "backup/drills/inference-eu-central.yaml"}}}
	d.Name = "inference-eu-central"
	repo.Drills = []*intent.Drill{d}
	a := &intent.App{Source: intent.Source{Doc: &yamldoc.Document{File: "apps/web/app.yaml"}}, Dir: "apps/web"}
	a.Name = "web"
	repo.Apps = []*intent.App{a}

	if err := os.MkdirAll(filepath.Join(root, "backup"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(root, "backup"))
	for _, tc := range []struct {
		kind, arg, want string
		objects         []named
	}{
		{"DrillPlan", "inference-eu-central", "inference-eu-central", drillNames(repo)},
		{"DrillPlan", filepath.Join(root, "backup/drills/inference-eu-central.yaml"), "inference-eu-central", drillNames(repo)},
		{"DrillPlan", "drills/inference-eu-central.yaml", "inference-eu-central", drillNames(repo)},
		{"DrillPlan", "./drills/../drills/inference-eu-central.yaml", "inference-eu-central", drillNames(repo)},
		{"App", "web", "web", appNames(repo)},
		{"App", "../apps/web", "web", appNames(repo)},
		{"App", "../apps/web/", "web", appNames(repo)},
		{"App", "../apps/web/app.yaml", "web", appNames(repo)},
	} {
		got, err := resolveName(repo, tc.kind, tc.arg, tc.objects)
		if err != nil || got != tc.want {
			t.Errorf("%s %q: %q, %v; want %q", tc.kind, tc.arg, got, err, tc.want)
		}
	}
	_, err := resolveName(repo, "DrillPlan", "drills/other.yaml", drillNames(repo))
	if err == nil || !strings.Contains(err.Error(), `no DrillPlan named "drills/other.yaml" or declared in that file (declared: inference-eu-central)`) {
		t.Errorf("unknown drill: %v", err)
	}
	if _, err := resolveName(repo, "App", "/etc/passwd", appNames(repo)); err == nil {
		t.Error("a path outside the repository resolved")
	}
}

// TestPlaceTakesTheAppsFolder: place --app with the app's folder places
// the same app as with its name.
func TestPlaceTakesTheAppsFolder(t *testing.T) {
	repo := copyTree(t, minimalFleet)
	code, byName, errOut := run(t, "place", "--repo", repo, "--app", "web", "-o", "json")
	if code != ExitOK {
		t.Fatalf("place --app web: exit %d\n%s", code, errOut)
	}
	code, byFolder, errOut := run(t, "place", "--repo", repo, "--app", filepath.Join(repo, "apps", "web"), "-o", "json")
	if code != ExitOK {
		t.Fatalf("place --app <folder>: exit %d\n%s", code, errOut)
	}
	if byName != byFolder {
		t.Errorf("place by folder differs from place by name:\n%s\n%s", byFolder, byName)
	}
}
