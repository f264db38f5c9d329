package mdsplit

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// DefaultLimit stays a little under GitHub's 65,536-character comment
	// cap so that a poster has headroom (and because the cap counts
	// characters while we count bytes, bytes being the stricter measure).
	DefaultLimit = 65000

	// DefaultMarker is used when Options.Marker is empty, so callers that
	// do not care still get comments they can find again.
	DefaultMarker = "flotilla-plan"

	// title is the visible heading of multi-part comments.
	title = "flotilla plan"

	// detailsOpen reopens a <details> element that a previous part had to
	// close. The blank line lets GitHub render Markdown inside it.
	detailsOpen = "<details><summary>(continued)</summary>\n\n"
	// detailsClose closes a <details> element at the end of a part.
	detailsClose = "</details>\n"

	// minProgress is the body budget that must be guaranteed for every
	// part: one rune of the longest UTF-8 encoding, so a cut can always be
	// made at a rune boundary.
	minProgress = utf8.UTFMax

	// minFillDivisor: a section or blank-line cut is only taken if the part
	// is at least 1/minFillDivisor full, so preferring structure never
	// costs more than doubling the number of comments.
	minFillDivisor = 2
)

// Part is one comment.
type Part struct {
	// Header is the hidden marker comment, the visible "part i of n" line
	// (multi-part reports only) and any reopening of a code fence or
	// <details> element that the previous part's Footer closed.
	Header string
	// Body is a contiguous slice of the original report. The Bodies of all
	// parts, in order, concatenate to the report exactly.
	Body string
	// Footer closes what Body left open (a code fence, <details>) and points
	// to the next part. It is empty for the last part, which ends exactly
	// where the report ends.
	Footer string
}

// Text is Header + Body + Footer: what is posted.
func (p Part) Text() string { return p.Header + p.Body + p.Footer }

// Options configures Split.
type Options struct {
	// Limit is the maximum size in bytes of each part's Text(). Zero means
	// DefaultLimit.
	Limit int
	// Marker identifies the report's comments. Every header starts with
	// "<!-- {Marker} part i/n -->" so a poster can find and update its own
	// previous comments in place. Empty means DefaultMarker. It must be
	// valid UTF-8 on one line and must not contain "--" or ">", which would
	// end the HTML comment early and leak into the rendered comment.
	Marker string
}

// Split cuts report into parts whose Text() are each at most Limit bytes and
// whose Bodies concatenated equal report exactly, in order.
//
// A report that fits is one part with the marker comment as its only header
// and no footer. Split fails only on invalid options or when Limit is too
// small to hold the header and footer of a multi-part comment plus one rune
// of the report; it never truncates.
func Split(report string, opts Options) ([]Part, error) {
	limit := opts.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 {
		return nil, fmt.Errorf("mdsplit: negative limit %d", limit)
	}
	marker := opts.Marker
	if marker == "" {
		marker = DefaultMarker
	}
	if err := checkMarker(marker); err != nil {
		return nil, err
	}

	// The common case: everything fits in one comment.
	single := header(marker, 1, 1, reopen{})
	if len(single)+len(report) <= limit {
		return []Part{{Header: single, Body: report}}, nil
	}

	s := newSplitter(report, limit, marker)
	// n is unknown until the report is cut, so reserve room for an n of
	// width digits; if n comes out wider, cut again with more room. width
	// only grows and n is bounded by len(report), so this terminates.
	// Every part carries less than limit bytes of the report, so n is
	// above len(report)/limit: no narrower width can be accepted, and
	// starting there saves whole cuts of large reports. The start depends
	// only on the input, so the result stays deterministic.
	for width := digits(max(1, len(report)/limit)); ; {
		starts, err := s.cut(width)
		if err != nil {
			return nil, err
		}
		if w := digits(len(starts)); w > width {
			width = w
			continue
		}
		return s.render(starts, width)
	}
}

func checkMarker(m string) error {
	switch {
	case !utf8.ValidString(m):
		return errors.New("mdsplit: marker is not valid UTF-8")
	case strings.ContainsAny(m, "\r\n"):
		return fmt.Errorf("mdsplit: marker %q spans lines", m)
	case strings.Contains(m, "--"), strings.Contains(m, ">"):
		return fmt.Errorf("mdsplit: marker %q would end the HTML comment early (contains \"--\" or \">\")", m)
	}
	return nil
}

// state is what is open at a position of the report: a fenced code block
// (fence is the exact run of backticks or tildes that opened it, info its
// info string) inside depth nested <details> elements.
type state struct {
	fence string
	info  string
	depth int
}

// reopen is how much of a state a cut actually restores (see
// splitter.restore): whether the fence is closed and reopened, and how many
// <details> levels.
type reopen struct {
	fence, info string
	details     int
}

func (r reopen) open() string {
	var b strings.Builder
	for range r.details {
		b.WriteString(detailsOpen)
	}
	if r.fence != "" {
		b.WriteString(r.fence)
		b.WriteString(r.info)
		b.WriteByte('\n')
	}
	return b.String()
}

func (r reopen) close() string {
	var b strings.Builder
	if r.fence != "" {
		b.WriteString(r.fence)
		b.WriteByte('\n')
	}
	for range r.details {
		b.WriteString(detailsClose)
	}
	return b.String()
}

func (r reopen) closeLen() int {
	n := r.details * len(detailsClose)
	if r.fence != "" {
		n += len(r.fence) + 1
	}
	return n
}

// header renders part i of n. n == 1 is the single-part form: the marker
// alone, because a visible "part 1 of 1" would only be noise.
func header(marker string, i, n int, r reopen) string {
	is, ns := strconv.Itoa(i), strconv.Itoa(n)
	h := "<!-- " + marker + " part " + is + "/" + ns + " -->\n"
	if n == 1 {
		return h + r.open()
	}
	h += "**" + title + " — part " + is + " of " + ns + "**"
	if i > 1 {
		h += " (continued)"
	}
	return h + "\n\n" + r.open()
}

// footer renders the footer of a non-last part whose body ends with a
// newline or not, closing r and pointing at part next of n.
func footer(next, n int, r reopen, endsNL bool) string {
	f := ""
	if !endsNL {
		// Closing fences and the pointer must start on their own line.
		f = "\n"
	}
	return f + r.close() + "\n_continued in part " + strconv.Itoa(next) + " of " + strconv.Itoa(n) + "_"
}

// Line flags, computed once per line.
const (
	// flagSection marks a line that starts a section (a top-level <details>
	// or an ATX heading outside any fence): the best place to cut before.
	flagSection = 1 << iota
	// flagAfterBlank marks a line that follows a blank line.
	flagAfterBlank
)

type splitter struct {
	report string
	limit  int
	marker string

	// lineStart[j] is the offset of line j; lineState[j] the state before
	// it; lineFlags[j] its flags. Lines end after '\n'.
	lineStart []int
	lineState []state
	lineFlags []uint8
}

func newSplitter(report string, limit int, marker string) *splitter {
	s := &splitter{report: report, limit: limit, marker: marker}
	var st state
	prevBlank := false
	for off := 0; off < len(report); {
		end := strings.IndexByte(report[off:], '\n')
		next := len(report)
		if end >= 0 {
			next = off + end + 1
		}
		line := strings.TrimSuffix(strings.TrimSuffix(report[off:next], "\n"), "\r")

		var fl uint8
		if st.fence == "" && startsSection(line) {
			fl |= flagSection
		}
		if prevBlank {
			fl |= flagAfterBlank
		}
		s.lineStart = append(s.lineStart, off)
		s.lineState = append(s.lineState, st)
		s.lineFlags = append(s.lineFlags, fl)

		st = advance(st, line)
		prevBlank = strings.Trim(line, " \t") == ""
		off = next
	}
	return s
}

// lineOf returns the index of the line containing offset off.
func (s *splitter) lineOf(off int) int {
	return sort.Search(len(s.lineStart), func(j int) bool { return s.lineStart[j] > off }) - 1
}

// stateAt is the state at a cut at off. A cut in the middle of a line keeps
// the state from before that line: the line has not been completed, and
// in practice only long lines inside blocks are cut mid-way.
func (s *splitter) stateAt(off int) state {
	if off >= len(s.report) || len(s.lineStart) == 0 {
		return state{}
	}
	return s.lineState[s.lineOf(off)]
}

// budgets derives, for an assumed width of n, the worst-case header and
// footer sizes without any restoration and the restoration budget.
//
// The restoration budget bounds what restoring one state may cost (reopen
// in the next header plus close in this footer). A part reopens its start
// state and closes its end state, so it spends at most twice the budget;
// keeping that at two thirds of what is left after the fixed decoration
// guarantees at least a third for the body, and that must hold one rune.
func (s *splitter) budgets(width int) (restoreBudget int, err error) {
	nw := widest(width)
	fixed := len(header(s.marker, nw, nw, reopen{})) + len(footer(nw, nw, reopen{}, false))
	avail := s.limit - fixed
	restoreBudget = avail / 3
	if avail-2*restoreBudget < minProgress {
		need := minProgress
		for need-2*(need/3) < minProgress {
			need++
		}
		return 0, fmt.Errorf("mdsplit: limit %d bytes is too small to split the report: with up to %d parts, each part needs up to %d bytes of header and footer, so the limit must be at least %d",
			s.limit, nw, fixed, fixed+need)
	}
	return restoreBudget, nil
}

// restore decides what of st is closed and reopened around a cut. The fence
// comes first because an unreopened fence garbles the rest of the block;
// <details> only affect folding. Anything beyond the budget is left as is:
// the bodies stay lossless, only the rendering of that cut degrades.
func restore(st state, budget int) reopen {
	var r reopen
	if st.fence != "" {
		cost := 2*len(st.fence) + len(st.info) + 2
		if cost <= budget {
			r.fence, r.info = st.fence, st.info
			budget -= cost
		}
	}
	r.details = min(st.depth, budget/(len(detailsOpen)+len(detailsClose)))
	return r
}

// cut returns the start offsets of the parts, assuming n has width digits.
func (s *splitter) cut(width int) ([]int, error) {
	budget, err := s.budgets(width)
	if err != nil {
		return nil, err
	}
	nw := widest(width) // stands in for n: same width, so same sizes
	var starts []int
	for pos, i := 0, 1; ; i++ {
		starts = append(starts, pos)
		h := len(header(s.marker, i, nw, restore(s.stateAt(pos), budget)))
		if h+len(s.report)-pos <= s.limit {
			return starts, nil // the rest fits: last part, no footer
		}
		end, ok := s.next(pos, h, i+1, nw, budget)
		if !ok {
			// budgets guarantees room for one rune, so this is a bug,
			// but an error beats a loop or a truncated plan.
			return nil, fmt.Errorf("mdsplit: no cut fits part %d at offset %d within %d bytes", i, pos, s.limit)
		}
		pos = end
	}
}

// next finds where the part starting at pos (header size h) ends: the last
// fitting cut of the most preferred kind.
func (s *splitter) next(pos, h, nextPart, nw, budget int) (int, bool) {
	base := len(footer(nextPart, nw, reopen{}, true))
	fits := func(end int) bool {
		r := restore(s.stateAt(end), budget)
		f := base + r.closeLen()
		if s.report[end-1] != '\n' {
			f++
		}
		return h+(end-pos)+f <= s.limit
	}
	// No cut beyond maxEnd can fit, whatever its footer.
	maxEnd := min(pos+s.limit-h-base, len(s.report)-1)
	if maxEnd <= pos {
		return 0, false
	}

	// Line starts, best kind first, last fitting first. Section and
	// blank-line cuts must leave the part at least half full: otherwise a
	// short heading followed by a section longer than a part would be
	// posted as a near-empty comment, and that section gets cut inside
	// anyway. Any line end is still preferred to cutting a line.
	top := s.lineOf(maxEnd)
	for _, tier := range []struct {
		want   uint8
		minEnd int
	}{
		{flagSection, pos + (maxEnd-pos)/minFillDivisor},
		{flagAfterBlank, pos + (maxEnd-pos)/minFillDivisor},
		{0, pos + 1},
	} {
		for j := top; j >= 0 && s.lineStart[j] >= tier.minEnd && s.lineStart[j] > pos; j-- {
			if s.lineFlags[j]&tier.want == tier.want && fits(s.lineStart[j]) {
				return s.lineStart[j], true
			}
		}
	}

	// A single line longer than a part: the last rune boundary that fits,
	// walking runes forward from pos (a boundary) so that boundaries agree
	// with a decoder even on invalid UTF-8. Splitting "\r\n" is a last
	// resort.
	best, bestCRLF := -1, -1
	for end := pos; end < maxEnd; {
		_, size := utf8.DecodeRuneInString(s.report[end:])
		end += size
		if end > maxEnd || !fits(end) {
			continue
		}
		if s.report[end-1] == '\r' && s.report[end] == '\n' {
			bestCRLF = end
		} else {
			best = end
		}
	}
	switch {
	case best > 0:
		return best, true
	case bestCRLF > 0:
		return bestCRLF, true
	}
	return 0, false
}

// render builds the parts from their start offsets with the real n. It must
// use the width the cut was made with: the restoration budget depends on it,
// and a larger budget here could restore more than the cut made room for.
func (s *splitter) render(starts []int, width int) ([]Part, error) {
	n := len(starts)
	budget, err := s.budgets(width)
	if err != nil {
		return nil, err
	}
	parts := make([]Part, n)
	for i, start := range starts {
		end := len(s.report)
		if i+1 < n {
			end = starts[i+1]
		}
		p := Part{
			Header: header(s.marker, i+1, n, restore(s.stateAt(start), budget)),
			Body:   s.report[start:end],
		}
		if i+1 < n {
			p.Footer = footer(i+2, n, restore(s.stateAt(end), budget), strings.HasSuffix(p.Body, "\n"))
		}
		if l := len(p.Header) + len(p.Body) + len(p.Footer); l > s.limit {
			return nil, fmt.Errorf("mdsplit: part %d of %d is %d bytes, over the %d-byte limit", i+1, n, l, s.limit)
		}
		parts[i] = p
	}
	return parts, nil
}

// widest is the largest number with w digits, used in place of the unknown
// part count when sizing headers and footers.
func widest(w int) int {
	n := 9
	for ; w > 1; w-- {
		n = n*10 + 9
	}
	return n
}

func digits(n int) int { return len(strconv.Itoa(n)) }

// advance returns the state after line (without its line ending).
func advance(st state, line string) state {
	if st.fence != "" {
		if closesFence(line, st.fence) {
			st.fence, st.info = "", ""
		}
		return st
	}
	if fence, info, ok := opensFence(line); ok {
		st.fence, st.info = fence, info
		return st
	}
	lower := asciiLower(line)
	st.depth += countOpenTags(lower) - strings.Count(lower, "</details>")
	st.depth = max(st.depth, 0)
	return st
}

// trimIndent drops up to three leading spaces, as CommonMark allows before
// fences, headings and HTML blocks.
func trimIndent(line string) string {
	for k := 0; k < 3 && strings.HasPrefix(line, " "); k++ {
		line = line[1:]
	}
	return line
}

// opensFence reports whether line opens a fenced code block and returns the
// fence run and the info string.
func opensFence(line string) (fence, info string, ok bool) {
	line = trimIndent(line)
	if line == "" || (line[0] != '`' && line[0] != '~') {
		return "", "", false
	}
	n := runLen(line, line[0])
	if n < 3 {
		return "", "", false
	}
	info = strings.Trim(line[n:], " \t")
	if line[0] == '`' && strings.Contains(info, "`") {
		return "", "", false // inline code, not a fence
	}
	return line[:n], info, true
}

// closesFence reports whether line closes a block opened by fence: the same
// character, at least as many, nothing after but blanks.
func closesFence(line, fence string) bool {
	line = trimIndent(line)
	n := runLen(line, fence[0])
	return n >= len(fence) && strings.Trim(line[n:], " \t") == ""
}

func runLen(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// startsSection reports whether a line (outside fences) starts a <details>
// element or is an ATX heading.
func startsSection(line string) bool {
	line = trimIndent(line)
	if hasTag(asciiLower(line), "<details") {
		return true
	}
	n := runLen(line, '#')
	return n >= 1 && n <= 6 && (n == len(line) || line[n] == ' ' || line[n] == '\t')
}

// hasTag reports whether s starts with the tag name (and not a longer one).
func hasTag(s, tag string) bool {
	if !strings.HasPrefix(s, tag) {
		return false
	}
	rest := s[len(tag):]
	return rest == "" || strings.ContainsRune(" \t>/", rune(rest[0]))
}

// countOpenTags counts "<details" opening tags in a lower-cased line.
func countOpenTags(s string) int {
	n := 0
	for {
		k := strings.Index(s, "<details")
		if k < 0 {
			return n
		}
		if hasTag(s[k:], "<details") {
			n++
		}
		s = s[k+len("<details"):]
	}
}

// asciiLower lower-cases ASCII letters only, leaving other bytes (including
// invalid UTF-8) untouched, which is all tag matching needs.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
