package mdsplit

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkInvariants asserts what every caller relies on: the bodies are a
// lossless, ordered partition of the report, every posted text fits, the
// parts are numbered 1..n, and valid UTF-8 stays valid.
func checkInvariants(t *testing.T, report string, opts Options, parts []Part) {
	t.Helper()
	limit := opts.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	marker := opts.Marker
	if marker == "" {
		marker = DefaultMarker
	}
	if len(parts) == 0 {
		t.Fatal("no parts")
	}
	n := len(parts)
	var joined strings.Builder
	for i, p := range parts {
		joined.WriteString(p.Body)
		if got := len(p.Text()); got > limit {
			t.Errorf("part %d/%d: Text is %d bytes, limit %d", i+1, n, got, limit)
		}
		if p.Body == "" && report != "" {
			t.Errorf("part %d/%d: empty body", i+1, n)
		}
		if utf8.ValidString(report) && !utf8.ValidString(p.Text()) {
			t.Errorf("part %d/%d: Text is not valid UTF-8", i+1, n)
		}
		wantMarker := fmt.Sprintf("<!-- %s part %d/%d -->\n", marker, i+1, n)
		if !strings.HasPrefix(p.Header, wantMarker) {
			t.Errorf("part %d/%d: header %q does not start with %q", i+1, n, p.Header, wantMarker)
		}
		if n > 1 {
			if want := fmt.Sprintf("part %d of %d**", i+1, n); !strings.Contains(p.Header, want) {
				t.Errorf("part %d/%d: header %q lacks %q", i+1, n, p.Header, want)
			}
		} else if strings.Contains(p.Header, " of ") || p.Footer != "" {
			t.Errorf("single part has decoration: header %q footer %q", p.Header, p.Footer)
		}
		if i+1 < n {
			if want := fmt.Sprintf("_continued in part %d of %d_", i+2, n); !strings.HasSuffix(p.Footer, want) {
				t.Errorf("part %d/%d: footer %q does not end with %q", i+1, n, p.Footer, want)
			}
		} else if p.Footer != "" {
			t.Errorf("last part has footer %q", p.Footer)
		}
	}
	if joined.String() != report {
		t.Errorf("bodies do not concatenate to the report (got %d bytes, want %d)", joined.Len(), len(report))
	}
}

func split(t *testing.T, report string, opts Options) []Part {
	t.Helper()
	parts, err := Split(report, opts)
	if err != nil {
		t.Fatalf("Split: %v", err)
	}
	checkInvariants(t, report, opts, parts)
	return parts
}

func TestSmallReportIsOnePart(t *testing.T) {
	report := "## flotilla plan\n\n<details><summary>prod</summary>\n\n```diff\n+ a\n```\n</details>\n"
	parts := split(t, report, Options{})
	if len(parts) != 1 {
		t.Fatalf("got %d parts, want 1", len(parts))
	}
	p := parts[0]
	if p.Body != report {
		t.Errorf("body = %q, want the report", p.Body)
	}
	if want := "<!-- flotilla-plan part 1/1 -->\n"; p.Header != want || p.Footer != "" {
		t.Errorf("header %q footer %q, want %q and no footer", p.Header, p.Footer, want)
	}
	if p.Text() != p.Header+report {
		t.Errorf("Text() = %q", p.Text())
	}
}

func TestEmptyReport(t *testing.T) {
	parts := split(t, "", Options{Marker: "m"})
	if len(parts) != 1 || parts[0].Body != "" {
		t.Fatalf("got %#v, want one empty part", parts)
	}
}

func TestExactFitIsOnePart(t *testing.T) {
	head := "<!-- flotilla-plan part 1/1 -->\n"
	report := strings.Repeat("x", 500-len(head))
	if parts := split(t, report, Options{Limit: 500}); len(parts) != 1 {
		t.Fatalf("exact fit: got %d parts, want 1", len(parts))
	}
	if parts := split(t, report+"y", Options{Limit: 500}); len(parts) < 2 {
		t.Fatalf("one byte over: got %d parts, want several", len(parts))
	}
}

// section is one stack's collapsible block, as the markdown plan renders it.
func section(k int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>stack-%02d: 12 to add</summary>\n\n```diff\n", k)
	for r := range 12 {
		fmt.Fprintf(&b, "+ resource \"aws_instance\" \"web_%02d_%02d\" { ami = \"ami-123\" }\n", k, r)
	}
	b.WriteString("```\n\n</details>\n\n")
	return b.String()
}

func TestManySectionsCutBeforeDetails(t *testing.T) {
	var b strings.Builder
	b.WriteString("# flotilla plan\n\nSummary: 40 stacks changed.\n\n")
	for k := range 40 {
		b.WriteString(section(k))
	}
	report := b.String()
	const limit = 5000
	opts := Options{Limit: limit, Marker: "flotilla-plan"}
	parts := split(t, report, opts)
	if len(parts) < 4 {
		t.Fatalf("got %d parts for %d bytes, want several", len(parts), len(report))
	}
	secLen := len(section(0))
	for i, p := range parts {
		if i > 0 && !strings.HasPrefix(p.Body, "<details>") {
			t.Errorf("part %d body starts %q, want a cut before <details>", i+1, p.Body[:min(40, len(p.Body))])
		}
		if strings.Contains(p.Header, "<details>") || strings.Contains(p.Footer, "</details>") || strings.Contains(p.Footer, "```") {
			t.Errorf("part %d restores state although cuts are between sections: header %q footer %q", i+1, p.Header, p.Footer)
		}
		// Greedy: a non-last part could not have taken the next section.
		if i+1 < len(parts) && len(p.Text())+secLen <= limit {
			t.Errorf("part %d is only %d bytes; another %d-byte section would fit", i+1, len(p.Text()), secLen)
		}
	}
	if want := fmt.Sprintf("**flotilla plan — part 2 of %d** (continued)\n\n", len(parts)); !strings.HasSuffix(parts[1].Header, want) {
		t.Errorf("part 2 header = %q, want suffix %q", parts[1].Header, want)
	}
	if want := fmt.Sprintf("**flotilla plan — part 1 of %d**\n\n", len(parts)); !strings.HasSuffix(parts[0].Header, want) {
		t.Errorf("part 1 header = %q, want suffix %q", parts[0].Header, want)
	}
}

func TestCutInsideFenceReopensIt(t *testing.T) {
	var b strings.Builder
	b.WriteString("# plan\n\n<details><summary>prod</summary>\n\n```hcl  \n")
	for k := range 200 {
		// "#" lines inside the fence must not count as headings: if they
		// did, cuts would land before them instead of after blank lines.
		fmt.Fprintf(&b, "# aws_instance.web[%d] will be created\n  ami = \"x\"\n\n  tags = {}\n", k)
	}
	b.WriteString("```\n\n</details>\n")
	report := b.String()
	parts := split(t, report, Options{Limit: 1000})
	if len(parts) < 3 {
		t.Fatalf("got %d parts, want several", len(parts))
	}
	for i, p := range parts {
		if i+1 < len(parts) {
			if !strings.HasPrefix(p.Footer, "```\n</details>\n\n_continued") {
				t.Errorf("part %d footer = %q, want it to close the fence then the details", i+1, p.Footer)
			}
		}
		if i == 0 {
			continue
		}
		if want := "(continued)\n\n<details><summary>(continued)</summary>\n\n```hcl\n"; !strings.HasSuffix(p.Header, want) {
			t.Errorf("part %d header = %q, want suffix %q", i+1, p.Header, want)
		}
		if i+1 < len(parts) && !strings.HasPrefix(p.Body, "  tags = {}\n") {
			t.Errorf("part %d body starts %q, want a cut after a blank line", i+1, p.Body[:min(40, len(p.Body))])
		}
	}
}

func TestTildeFenceAndNoDetails(t *testing.T) {
	report := "intro\n~~~~ text {x}\n" + strings.Repeat("line with ``` inside\n", 100) + "~~~~\nafter\n"
	parts := split(t, report, Options{Limit: 600})
	if len(parts) < 2 {
		t.Fatalf("got %d parts", len(parts))
	}
	for i, p := range parts[:len(parts)-1] {
		if !strings.HasPrefix(p.Footer, "~~~~\n\n_continued") {
			t.Errorf("part %d footer = %q", i+1, p.Footer)
		}
		if strings.Contains(p.Footer, "details") {
			t.Errorf("part %d footer closes details that were never open: %q", i+1, p.Footer)
		}
	}
	if !strings.HasSuffix(parts[1].Header, "\n\n~~~~text {x}\n") {
		t.Errorf("part 2 header = %q, want the tilde fence reopened with its info string", parts[1].Header)
	}
}

func TestLongLineSplitsAtRuneBoundaries(t *testing.T) {
	report := strings.Repeat("aé世界😀", 400) // 1+2+3+3+4 = 13 bytes per unit
	const limit = 300
	parts := split(t, report, Options{Limit: limit})
	if len(parts) < 10 {
		t.Fatalf("got %d parts, want over 10 (two-digit n)", len(parts))
	}
	for i, p := range parts {
		if !utf8.ValidString(p.Body) {
			t.Errorf("part %d body is not valid UTF-8: cut inside a rune", i+1)
		}
		// Full parts: at most one rune short of the limit, given the
		// footer's extra newline for a mid-line cut.
		if i+1 < len(parts) && len(p.Text()) < limit-utf8.UTFMax {
			t.Errorf("part %d is %d bytes, want close to %d", i+1, len(p.Text()), limit)
		}
		if i+1 < len(parts) && !strings.HasPrefix(p.Footer, "\n\n_continued") {
			t.Errorf("part %d footer %q should start on a new line after a mid-line cut", i+1, p.Footer)
		}
	}
}

func TestCRLF(t *testing.T) {
	var b strings.Builder
	for k := range 30 {
		fmt.Fprintf(&b, "<details><summary>s%d</summary>\r\n\r\n```go \r\n", k)
		for r := range 10 {
			fmt.Fprintf(&b, "x := %d // %d\r\n", r, k)
		}
		b.WriteString("```\r\n</details>\r\n\r\n")
	}
	b.WriteString("<details><summary>big</summary>\r\n\r\n```go \r\n" + strings.Repeat("x := 1\r\n", 100) + "```\r\n</details>\r\n")
	b.WriteString(strings.Repeat("y", 700) + "\r\n" + strings.Repeat("z", 700))
	report := b.String()
	parts := split(t, report, Options{Limit: 520})
	sawFence := false
	for i, p := range parts {
		if strings.HasSuffix(p.Body, "\r") {
			t.Errorf("part %d body ends between \\r and \\n", i+1)
		}
		if strings.Contains(p.Header, "\r") {
			t.Errorf("part %d header carries a \\r from the report: %q", i+1, p.Header)
		}
		if strings.HasSuffix(p.Header, "```go\n") {
			sawFence = true
		}
	}
	if !sawFence {
		t.Error("no part reopened the ```go fence; want at least one cut inside a block at this limit")
	}
}

func TestCRLFNotSplitAtRuneCut(t *testing.T) {
	// A line just too long for one part whose only ending is "\r\n": the
	// rune cut would prefer to fall between "\r" and "\n" but must not.
	for l := 380; l < 420; l++ {
		report := strings.Repeat("q", l) + "\r\nend"
		parts := split(t, report, Options{Limit: 500})
		for i, p := range parts {
			if strings.HasSuffix(p.Body, "\r") {
				t.Errorf("line %d: part %d ends between \\r and \\n", l, i+1)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	var b strings.Builder
	for k := range 60 {
		b.WriteString(section(k))
		b.WriteString("## note\n\n" + strings.Repeat("ünïcödé ", 50) + "\n\n")
	}
	report := b.String()
	opts := Options{Limit: 3000, Marker: "plan-x"}
	first := split(t, report, opts)
	for range 3 {
		again := split(t, report, opts)
		if !reflect.DeepEqual(first, again) {
			t.Fatal("Split is not deterministic")
		}
	}
}

func TestDefaultLimit(t *testing.T) {
	report := strings.Repeat(section(1), 200000/len(section(1))+1)
	parts := split(t, report, Options{})
	if len(parts) < 4 {
		t.Fatalf("got %d parts for %d bytes at the default limit", len(parts), len(report))
	}
	for i, p := range parts {
		if i > 0 && !strings.HasPrefix(p.Body, "<details>") {
			t.Errorf("part %d starts %q", i+1, p.Body[:20])
		}
	}
}

func TestDeepUnclosedDetailsStillProgresses(t *testing.T) {
	// Restoring 500 open <details> levels cannot fit; Split must degrade
	// the restoration rather than fail or exceed the limit.
	report := strings.Repeat("<details>\n", 500) + strings.Repeat("text\n", 200)
	parts := split(t, report, Options{Limit: 400})
	if len(parts) < 2 {
		t.Fatalf("got %d parts", len(parts))
	}
}

func TestHugeFenceInfoStringStillProgresses(t *testing.T) {
	report := "```" + strings.Repeat("i", 300) + "\n" + strings.Repeat("code\n", 1000) + "```\n"
	parts := split(t, report, Options{Limit: 400})
	if strings.Contains(parts[1].Header, "```") {
		t.Errorf("a 300-byte info string cannot be reopened within 400 bytes, header %q", parts[1].Header)
	}
	// At a roomier limit the same fence is reopened.
	parts = split(t, report, Options{Limit: 3000})
	if !strings.HasSuffix(parts[1].Header, "```"+strings.Repeat("i", 300)+"\n") {
		t.Errorf("fence not reopened at limit 3000: header %q", parts[1].Header)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		report string
		opts   Options
		want   string
	}{
		{"negative limit", "x", Options{Limit: -1}, "negative limit"},
		{"limit too small", strings.Repeat("x", 1000), Options{Limit: 60}, "too small"},
		{"limit below the single header", "", Options{Limit: 5}, "too small"},
		{"marker ends comment", "x", Options{Marker: "a-->b"}, "HTML comment"},
		{"marker with >", "x", Options{Marker: "a>b"}, "HTML comment"},
		{"marker on two lines", "x", Options{Marker: "a\nb"}, "spans lines"},
		{"marker not UTF-8", "x", Options{Marker: "a\xffb"}, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, err := Split(tc.report, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Split = %d parts, %v; want error containing %q", len(parts), err, tc.want)
			}
		})
	}
}

func TestMinimumLimitFromErrorWorks(t *testing.T) {
	// The error names the smallest workable limit for reports of up to
	// nine parts; it must indeed work for such a report, and one byte less
	// must not.
	report := strings.Repeat("é", 42) // too big for one part at the minimum, small enough for nine
	_, err := Split(report, Options{Limit: 60})
	if err == nil {
		t.Fatal("want an error at limit 60")
	}
	var limit, maxParts, fixed, need int
	if _, scanErr := fmt.Sscanf(err.Error(),
		"mdsplit: limit %d bytes is too small to split the report: with up to %d parts, each part needs up to %d bytes of header and footer, so the limit must be at least %d",
		&limit, &maxParts, &fixed, &need); scanErr != nil || maxParts != 9 {
		t.Fatalf("unexpected error text %q: %v", err, scanErr)
	}
	if parts := split(t, report, Options{Limit: need}); len(parts) < 2 {
		t.Fatalf("report fits one part at limit %d; the test needs a multi-part split", need)
	}
	if _, err := Split(report, Options{Limit: need - 1}); err == nil {
		t.Errorf("limit %d (one under the stated minimum) unexpectedly worked", need-1)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("", uint16(0))
	f.Add("hello\n", uint16(200))
	f.Add(section(1)+section(2)+section(3), uint16(600))
	f.Add("# a\n\n```go\n"+strings.Repeat("x := 1\n", 100)+"```\n", uint16(250))
	f.Add(strings.Repeat("aé世界😀", 200), uint16(201))
	f.Add(strings.Repeat("<details>\r\n~~~ info\r\nline\r\n", 40), uint16(300))
	f.Add(strings.Repeat("\xff\xfe\xe4\xb8", 300), uint16(220))
	f.Add(strings.Repeat("q", 390)+"\r\nend", uint16(300))
	f.Fuzz(func(t *testing.T, report string, limit uint16) {
		opts := Options{Limit: 200 + int(limit)%4801}
		parts, err := Split(report, opts)
		if err != nil {
			t.Fatalf("Split(limit %d): %v", opts.Limit, err)
		}
		checkInvariants(t, report, opts, parts)
	})
}
