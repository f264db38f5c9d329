package intent

import (
	"context"
	"crypto/sha256"
	"io/fs"
	"sync"

	"github.com/flotilla-gitops/flotilla/tools/diag"
)

// Cache remembers loaded files (parsed, validated against the schema and
// decoded) by path and content, so two revisions of one repository loaded
// together (a plan loads both) do each unchanged file's work once. Safe
// for concurrent use; a file loaded by two callers at once is loaded once.
// Use one Cache with one schema and one set of bounds.
//
// The intent objects of a cached file are shared by every Repo loaded
// with the cache: Repo objects are read-only after Load (render and the
// checks only read them), and the race detector holds the plan tests to
// it. Use one Cache with one schema.
type Cache struct {
	mu    sync.Mutex
	files map[cacheKey]*cachedFile
}

type cacheKey struct {
	path string
	sum  [sha256.Size]byte
}

type cachedFile struct {
	once sync.Once
	res  fileResult
}

// loadFile loads a file through the cache (a nil Cache loads every time).
func (c *Cache) loadFile(ctx context.Context, fsys fs.FS, f fileKind, opts Options) fileResult {
	if c == nil {
		return loadFile(ctx, fsys, f, opts)
	}
	data, err := readFile(fsys, f.path)
	if err != nil {
		return fileResult{errs: diag.List{err}}
	}
	k := cacheKey{path: f.path, sum: sha256.Sum256(data)}
	c.mu.Lock()
	if c.files == nil {
		c.files = map[cacheKey]*cachedFile{}
	}
	e := c.files[k]
	if e == nil {
		e = &cachedFile{}
		c.files[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.res = loadData(ctx, data, f, opts) })
	return e.res
}
