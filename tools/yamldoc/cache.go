package yamldoc

import (
	"crypto/sha256"
	"sync"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
)

// Cache remembers parsed files by name and content, so two revisions of
// one repository read together (a plan renders both) parse each unchanged
// file once. It is safe for concurrent use; a file parsed by two callers
// at once is parsed once, the other waits. The Documents it returns are
// shared between callers: they are read-only.
type Cache struct {
	// Bounds are the input bounds every parse is held to (zero fields:
	// defaults). Set them before the first Parse.
	Bounds bounds.Input

	mu    sync.Mutex
	files map[cacheKey]*parsed
}

type cacheKey struct {
	file string
	sum  [sha256.Size]byte
}

type parsed struct {
	once sync.Once
	docs []*Document
	errs []error
}

// Parse is the package's ParseBounded with the cache's bounds,
// remembered. A nil Cache parses every time, within the default bounds.
func (c *Cache) Parse(file string, data []byte) ([]*Document, []error) {
	if c == nil {
		return Parse(file, data)
	}
	k := cacheKey{file: file, sum: sha256.Sum256(data)}
	c.mu.Lock()
	if c.files == nil {
		c.files = map[cacheKey]*parsed{}
	}
	p := c.files[k]
	if p == nil {
		p = &parsed{}
		c.files[k] = p
	}
	c.mu.Unlock()
	p.once.Do(func() { p.docs, p.errs = ParseBounded(file, data, c.Bounds) })
	return p.docs, p.errs
}
