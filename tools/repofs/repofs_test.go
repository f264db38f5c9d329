package repofs

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

// layout is a repository with the links the review used to leave it, as
// both a working tree and a tree in memory: the resolver must give the
// same answers for both.
type layout struct {
	files map[string]string // path -> content
	links map[string]string // path -> target
}

var jail = layout{
	files: map[string]string{
		"fleet.yaml":               "kind: Fleet\n",
		"apps/a/manifests/cm.yaml": "kind: ConfigMap\n",
		"shared/base.yaml":         "kind: Base\n",
		".git/config":              "[http] extraheader = AUTHORIZATION: basic c2VjcmV0\n",
	},
	links: map[string]string{
		// Inside: a file, a folder, a chain.
		"apps/a/manifests/base.yaml": "../../../shared/base.yaml",
		"apps/b":                     "a",
		"s":                          ".",
		"apps/a/via-s.yaml":          "../../s/s/shared/base.yaml",
		// Outside: absolute, lexical, and the chain the review found.
		"apps/a/manifests/passwd.yaml": "/etc/passwd",
		"apps/a/manifests/up.yaml":     "../../../../outside.yaml",
		"e":                            "s/s/../..",
		"apps/a/manifests/leak.yaml":   "../../../e/outside.yaml",
		// A loop, and into .git.
		"loop":                       "loop2",
		"loop2":                      "loop",
		"apps/a/manifests/git.yaml":  "../../../.git/config",
		"apps/a/manifests/dir.yaml":  "../../../shared",
		"apps/a/manifests/gone.yaml": "nothing-here.yaml",
	},
}

// onDisk writes the layout below a fresh folder (the repository is its
// "repo" subfolder, with outside.yaml beside it) and opens it.
func (l layout) onDisk(t *testing.T) (*FS, string) {
	t.Helper()
	top := t.TempDir()
	root := filepath.Join(top, "repo")
	if err := os.WriteFile(filepath.Join(top, "outside.yaml"), []byte("secret: outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for p, data := range l.files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for p, target := range l.links {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := Dir(root, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return fsys, root
}

// inMemory is the layout as a Git revision holds it (no .git).
func (l layout) inMemory() *FS {
	m := fstest.MapFS{}
	for p, data := range l.files {
		if !strings.HasPrefix(p, ".git/") {
			m[p] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
		}
	}
	for p, target := range l.links {
		m[p] = &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
	}
	return Tree(m, 1<<20)
}

func TestResolveSymlinks(t *testing.T) {
	disk, _ := jail.onDisk(t)
	for _, side := range []struct {
		name string
		fsys *FS
	}{{"disk", disk}, {"memory", jail.inMemory()}} {
		t.Run(side.name, func(t *testing.T) {
			for _, tc := range []struct {
				path, want string
				err        error
				msg        string
			}{
				{path: "apps/a/manifests/cm.yaml", want: "kind: ConfigMap\n"},
				{path: "apps/a/manifests/base.yaml", want: "kind: Base\n"},
				{path: "apps/b/manifests/cm.yaml", want: "kind: ConfigMap\n"},
				{path: "apps/a/via-s.yaml", want: "kind: Base\n"},
				{path: "apps/a/manifests/passwd.yaml", err: ErrOutside, msg: "leaves the repository: symbolic link apps/a/manifests/passwd.yaml points to /etc/passwd"},
				{path: "apps/a/manifests/up.yaml", err: ErrOutside, msg: "leaves the repository: symbolic link apps/a/manifests/up.yaml points to ../../../../outside.yaml"},
				{path: "apps/a/manifests/leak.yaml", err: ErrOutside, msg: "leaves the repository: symbolic link e points to s/s/../.."},
				{path: "e/outside.yaml", err: ErrOutside, msg: "leaves the repository: symbolic link e points to s/s/../.."},
				{path: "loop", err: ErrLinkLoop},
				{path: "apps/a/manifests/dir.yaml", err: ErrNotRegular, msg: "is not a regular file: it is a directory"},
				{path: "apps/a/manifests/gone.yaml", err: fs.ErrNotExist},
				{path: "../outside.yaml", err: fs.ErrInvalid},
				{path: "apps/a/manifests/cm.yaml/x", err: syscall.ENOTDIR},
			} {
				got, err := side.fsys.ReadFile(tc.path)
				switch {
				case tc.err == nil && (err != nil || string(got) != tc.want):
					t.Errorf("ReadFile(%s) = %q, %v; want %q", tc.path, got, err, tc.want)
				case tc.err != nil && !errors.Is(err, tc.err):
					t.Errorf("ReadFile(%s) = %q, %v; want %v", tc.path, got, err, tc.err)
				case tc.msg != "" && Message(err) != tc.msg:
					t.Errorf("ReadFile(%s): message %q, want %q", tc.path, Message(err), tc.msg)
				case tc.err != nil && got != nil:
					t.Errorf("ReadFile(%s) returned data with its error", tc.path)
				}
			}
		})
	}
}

// TestGitDirIsNotInTheRepository: a checkout's .git (where CI keeps its
// token) is neither readable nor listed, directly or through a link.
func TestGitDirIsNotInTheRepository(t *testing.T) {
	fsys, _ := jail.onDisk(t)
	for _, p := range []string{".git/config", "apps/a/manifests/git.yaml"} {
		if _, err := fsys.ReadFile(p); !errors.Is(err, ErrGitDir) {
			t.Errorf("ReadFile(%s) = %v, want ErrGitDir", p, err)
		}
	}
	entries, err := fsys.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == ".git" {
			t.Error(".git listed")
		}
	}
	var walked []string
	if err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		walked = append(walked, p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(walked, " "), ".git") {
		t.Errorf("walk reached .git: %v", walked)
	}
}

// TestSpecialFilesAreRefusedWithoutBlocking: a FIFO with no writer would
// block an open forever; a socket or a device is no manifest either.
func TestSpecialFilesAreRefusedWithoutBlocking(t *testing.T) {
	fsys, root := jail.onDisk(t)
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A socket path must be short; listen from inside the folder.
	wd, _ := os.Getwd()
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", "sock.yaml")
	_ = os.Chdir(wd)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	special := map[string]string{"fifo.yaml": "a named pipe (FIFO)", "sock.yaml": "a socket"}
	if err := syscall.Mknod(filepath.Join(root, "null.yaml"), syscall.S_IFCHR|0o644, 1<<8|3); err == nil {
		special["null.yaml"] = "a character device"
	} else {
		t.Logf("no device node (%v): not checked", err)
	}
	for p, kind := range special {
		done := make(chan error, 1)
		go func() {
			_, err := fsys.ReadFile(p)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), kind) {
				t.Errorf("ReadFile(%s) = %v, want %s refused", p, err, kind)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("ReadFile(%s) blocked", p)
		}
		if f, err := fsys.Open(p); !errors.Is(err, ErrNotRegular) {
			t.Errorf("Open(%s) = %v, want refused", p, err)
			if f != nil {
				_ = f.Close()
			}
		}
	}
}

// TestSizeBound: a file over the bound is refused from its size, before
// a read; one at the bound is read whole.
func TestSizeBound(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "at.yaml"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "over.yaml"), make([]byte, 101), 0o644); err != nil {
		t.Fatal(err)
	}
	disk, err := Dir(dir, 100)
	if err != nil {
		t.Fatal(err)
	}
	mem := Tree(fstest.MapFS{
		"at.yaml":   {Data: make([]byte, 100)},
		"over.yaml": {Sys: Omitted{Size: 101}},
	}, 100)
	for name, fsys := range map[string]*FS{"disk": disk, "memory": mem} {
		if data, err := fsys.ReadFile("at.yaml"); err != nil || len(data) != 100 {
			t.Errorf("%s: at the bound: %d bytes, %v", name, len(data), err)
		}
		_, err := fsys.ReadFile("over.yaml")
		if !errors.Is(err, ErrTooLarge) || Message(err) != "file is 101 bytes, over the file size bound of 100 bytes (raise it with --max-file-size)" {
			t.Errorf("%s: over the bound: %v", name, err)
		}
		if _, err := fsys.Open("over.yaml"); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: Open over the bound: %v", name, err)
		}
	}
}

// TestBoundedFileStopsAFileThatGrew: the size was checked, then the file
// grew; reading stops at the bound.
func TestBoundedFileStopsAFileThatGrew(t *testing.T) {
	mem := fstest.MapFS{"f": {Data: make([]byte, 50)}}
	f, err := mem.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	b := &boundedFile{File: f, left: 11, name: "f", max: 10}
	data, err := io.ReadAll(b)
	if !errors.Is(err, ErrTooLarge) || len(data) != 10 {
		t.Errorf("read %d bytes, %v; want 10 and ErrTooLarge", len(data), err)
	}
}

func TestLstatDoesNotFollowTheLastLink(t *testing.T) {
	fsys := jail.inMemory()
	info, err := fsys.Lstat("apps/a/manifests/passwd.yaml")
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat = %v, %v; want the link itself", info, err)
	}
	if _, err := fsys.Stat("apps/a/manifests/passwd.yaml"); !errors.Is(err, ErrOutside) {
		t.Errorf("Stat = %v, want ErrOutside", err)
	}
}
