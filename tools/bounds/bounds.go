package bounds

import (
	"context"
	"fmt"
	"sync"
)

// Input is the set of input bounds. A zero field means its default.
type Input struct {
	// FileBytes bounds the size of any file read from the repository
	// (flag --max-file-size).
	FileBytes int64
	// DocumentBytes bounds one YAML document, between "---" separators
	// (--max-document-size).
	DocumentBytes int64
	// DocumentsPerFile bounds the documents of one YAML file
	// (--max-documents-per-file).
	DocumentsPerFile int
	// Objects bounds the objects one render reads: intent documents plus
	// the apps' manifest objects, after kustomize (--max-objects).
	Objects int
	// Aliases bounds the alias expansions of one YAML document, counted
	// as the converter would expand them: an alias of a node that holds
	// aliases counts them all again (--max-aliases).
	Aliases int
	// AliasBytes bounds the bytes alias expansion adds to one document:
	// the size of every aliased node, once per alias use (--max-alias-bytes).
	AliasBytes int64
	// Depth bounds the nesting of mappings and sequences in one document,
	// aliases expanded (--max-depth).
	Depth int
}

// The defaults. A Kubernetes object is stored whole in etcd, whose request
// limit is 1.5 MiB, so no real manifest document is near DocumentBytes;
// the other defaults leave a large fleet (1,000 clusters, 200 apps) far
// inside them.
const (
	DefaultFileBytes        = 8 << 20
	DefaultDocumentBytes    = 2 << 20
	DefaultDocumentsPerFile = 1000
	DefaultObjects          = 20000
	DefaultAliases          = 1000
	DefaultAliasBytes       = 1 << 20
	DefaultDepth            = 100
)

// Default returns the default bounds.
func Default() Input {
	return Input{
		FileBytes:        DefaultFileBytes,
		DocumentBytes:    DefaultDocumentBytes,
		DocumentsPerFile: DefaultDocumentsPerFile,
		Objects:          DefaultObjects,
		Aliases:          DefaultAliases,
		AliasBytes:       DefaultAliasBytes,
		Depth:            DefaultDepth,
	}
}

// WithDefaults returns in with every zero (or negative) field set to its
// default.
func (in Input) WithDefaults() Input {
	d := Default()
	if in.FileBytes <= 0 {
		in.FileBytes = d.FileBytes
	}
	if in.DocumentBytes <= 0 {
		in.DocumentBytes = d.DocumentBytes
	}
	if in.DocumentsPerFile <= 0 {
		in.DocumentsPerFile = d.DocumentsPerFile
	}
	if in.Objects <= 0 {
		in.Objects = d.Objects
	}
	if in.Aliases <= 0 {
		in.Aliases = d.Aliases
	}
	if in.AliasBytes <= 0 {
		in.AliasBytes = d.AliasBytes
	}
	if in.Depth <= 0 {
		in.Depth = d.Depth
	}
	return in
}

// The command line's flag for each bound; messages name them, so a user
// who needs more knows what to raise.
const (
	FlagFileBytes        = "max-file-size"
	FlagDocumentBytes    = "max-document-size"
	FlagDocumentsPerFile = "max-documents-per-file"
	FlagObjects          = "max-objects"
	FlagAliases          = "max-aliases"
	FlagAliasBytes       = "max-alias-bytes"
	FlagDepth            = "max-depth"
)

// Size formats a byte count for people: 8 MiB, 1.5 KiB, 12 bytes.
func Size(n int64) string {
	switch {
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}

// Tally adds up the objects of work items done in parallel (files, apps)
// in item order, so that the item which crosses the bound — and so the
// error — is the same whatever the schedule. Items report in any order;
// Add waits for the items before. Once an item crossed, Over tells later
// items to skip their work.
type Tally struct {
	limit int
	start int
	mu    sync.Mutex
	// done[i] is closed once item i's running total is known.
	done  []chan struct{}
	total []int
	over  bool
}

// NewTally prepares a tally of n items against limit, starting from
// start objects already counted.
func NewTally(n, start, limit int) *Tally {
	t := &Tally{limit: limit, start: start, done: make([]chan struct{}, n), total: make([]int, n)}
	for i := range t.done {
		t.done[i] = make(chan struct{})
	}
	return t
}

// Over says an item has crossed the bound: work not yet started can be
// skipped, the error is already decided.
func (t *Tally) Over() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.over
}

// Add records item i's count once every earlier item has reported, and
// returns how many objects came before it. crossed is true for the one
// item whose objects take the running total over the bound: its object
// number limit-before (0-based) is the first over. Every item must call
// Add exactly once, even with a count of 0, or later items wait on it
// until ctx ends.
func (t *Tally) Add(ctx context.Context, i, count int) (before int, crossed bool, err error) {
	before = t.start
	if i > 0 {
		select {
		case <-t.done[i-1]:
		case <-ctx.Done():
			return 0, false, ctx.Err()
		}
		before = t.total[i-1]
	}
	t.total[i] = before + count
	if before <= t.limit && t.total[i] > t.limit {
		crossed = true
		t.mu.Lock()
		t.over = true
		t.mu.Unlock()
	}
	close(t.done[i])
	return before, crossed, nil
}
