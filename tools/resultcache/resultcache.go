package resultcache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Key is the SHA-256 of a stage's inputs.
type Key [sha256.Size]byte

// NewKey hashes the parts, each with its length (so "ab"+"c" and
// "a"+"bc" differ).
func NewKey(parts ...[]byte) Key {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, p := range parts {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write(p)
	}
	var k Key
	h.Sum(k[:0])
	return k
}

// magic starts every bundle file; the number is the format's version.
const magic = "flotilla-result-cache 1\n"

// MaxBundleBytes bounds a bundle file: a larger one is ignored unread.
const MaxBundleBytes = 1 << 30

// Store is the cache folder of one binary, as one run uses it: each
// stage's bundle is loaded once, shared by everything the run does, and
// saved once (Save).
type Store struct {
	root     string
	dir      string
	identity string

	mu      sync.Mutex
	bundles map[string]*Bundle
}

// Open returns the store for the binary with the given identity under
// root, creating its folder (0700).
func Open(root, identity string) (*Store, error) {
	if identity == "" {
		return nil, errors.New("result cache: no binary identity")
	}
	sum := sha256.Sum256([]byte(identity))
	results := filepath.Join(root, "results")
	dir := filepath.Join(results, hex.EncodeToString(sum[:16]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("result cache: %w", err)
	}
	now := time.Now()
	_ = os.Chtimes(dir, now, now)
	trim(results, filepath.Base(dir), now.Add(-Unused))
	return &Store{root: root, dir: dir, identity: identity, bundles: map[string]*Bundle{}}, nil
}

// Unused is how long the folder of a binary that has not run stays: every
// build of flotilla (and every test binary) gets a folder of its own.
const Unused = 7 * 24 * time.Hour

// trim removes the folders of binaries that have not run since before,
// as Go's build cache trims itself. Errors leave a folder for next time.
func trim(results, keep string, before time.Time) {
	entries, err := os.ReadDir(results)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Name() == keep || !e.IsDir() {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
			os.RemoveAll(filepath.Join(results, e.Name()))
		}
	}
}

// Dir is the store's folder: this binary's, under Root.
func (s *Store) Dir() string { return s.dir }

// Root is the folder Open was given, the one a CI job caches.
func (s *Store) Root() string { return s.root }

// Bundle returns the stage's bundle, loaded on first use. A nil Store
// gives a nil Bundle: every Get misses and nothing is saved.
func (s *Store) Bundle(stage string) *Bundle {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bundles[stage]; b != nil {
		return b
	}
	b := &Bundle{path: filepath.Join(s.dir, stage+".bundle"), stage: stage, identity: s.identity, used: map[Key][]byte{}}
	b.old, b.Ignored = read(b.path, stage, s.identity)
	s.bundles[stage] = b
	return b
}

// Save writes every bundle the run used (see Bundle.Save), stage by
// stage; the errors are joined. A nil Store saves nothing.
func (s *Store) Save() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, stage := range slices.Sorted(maps.Keys(s.bundles)) {
		errs = append(errs, s.bundles[stage].Save())
	}
	return errors.Join(errs...)
}

// Stats are the hits and misses of each stage the run used, by stage.
func (s *Store) Stats() map[string][2]int {
	out := map[string][2]int{}
	if s == nil {
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for stage, b := range s.bundles {
		h, m := b.Stats()
		out[stage] = [2]int{h, m}
	}
	return out
}

// Bundle is one stage's results. It is safe for concurrent use.
type Bundle struct {
	path, stage, identity string
	// Ignored says why the bundle on disk was not used ("" when it was,
	// or when there was none).
	Ignored string

	mu           sync.Mutex
	old          map[Key][]byte // as read
	used         map[Key][]byte // read or added by this run
	hits, misses int
	puts         int
}

// Get returns the result stored under k.
func (b *Bundle) Get(k Key) ([]byte, bool) {
	if b == nil {
		return nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.used[k]
	if !ok {
		v, ok = b.old[k]
	}
	if ok {
		b.used[k] = v
		b.hits++
	} else {
		b.misses++
	}
	return v, ok
}

// Put stores v under k; v must not be changed afterwards.
func (b *Bundle) Put(k Key, v []byte) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used[k] = v
	b.puts++
}

// Stats are the hits and misses of Get so far.
func (b *Bundle) Stats() (hits, misses int) {
	if b == nil {
		return 0, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits, b.misses
}

// Save writes the entries this run used or added, replacing the bundle
// on disk in one rename (a reader sees the old file or the new one).
func (b *Bundle) Save() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	if b.puts == 0 && len(b.used) == len(b.old) {
		// Every entry read back and none added: the file on disk is
		// this run's working set already.
		b.mu.Unlock()
		return nil
	}
	body := encode(b.used)
	b.mu.Unlock()
	sum := sha256.Sum256(body)
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s%s\n%s\n%x\n", magic, b.stage, b.identity, sum)
	out.Write(body)
	tmp, err := os.CreateTemp(filepath.Dir(b.path), ".tmp-"+b.stage+"-*")
	if err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	_, err = tmp.Write(out.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), b.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("result cache: %w", err)
	}
	return nil
}

// encode lays the entries out in key order: key, length, value.
func encode(m map[Key][]byte) []byte {
	var buf bytes.Buffer
	var n [binary.MaxVarintLen64]byte
	for _, k := range slices.SortedFunc(maps.Keys(m), func(a, b Key) int { return bytes.Compare(a[:], b[:]) }) {
		buf.Write(k[:])
		buf.Write(n[:binary.PutUvarint(n[:], uint64(len(m[k])))])
		buf.Write(m[k])
	}
	return buf.Bytes()
}

// read loads a bundle, or says why it cannot be trusted.
func read(path, stage, identity string) (map[Key][]byte, string) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ""
	}
	if err != nil {
		return nil, err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() > MaxBundleBytes {
		return nil, "not a regular file within the size bound"
	}
	r := bufio.NewReader(f)
	line := func() string {
		s, _ := r.ReadString('\n')
		return s
	}
	if line() != magic {
		return nil, "not a bundle of this format"
	}
	if line() != stage+"\n" || line() != identity+"\n" {
		return nil, "written for another stage or binary"
	}
	want := line()
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, err.Error()
	}
	if sum := sha256.Sum256(body); fmt.Sprintf("%x\n", sum) != want {
		return nil, "checksum mismatch"
	}
	m, err := decode(body)
	if err != nil {
		return nil, err.Error()
	}
	return m, ""
}

func decode(body []byte) (map[Key][]byte, error) {
	m := map[Key][]byte{}
	for len(body) > 0 {
		if len(body) < sha256.Size {
			return nil, errors.New("truncated entry")
		}
		var k Key
		copy(k[:], body)
		body = body[sha256.Size:]
		n, w := binary.Uvarint(body)
		if w <= 0 || n > uint64(len(body)-w) {
			return nil, errors.New("bad entry length")
		}
		body = body[w:]
		m[k] = body[:n:n]
		body = body[n:]
	}
	return m, nil
}
