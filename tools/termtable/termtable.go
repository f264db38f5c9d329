package termtable

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// DefaultWidth is used when the output is not a terminal and COLUMNS is not
// set.
const DefaultWidth = 120

// Width returns the width to lay tables out for: the terminal's, else
// $COLUMNS, else DefaultWidth.
func Width(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 20 {
		return c
	}
	return DefaultWidth
}

// Table is rows of cells under a header. Right lists the columns to align
// right (numbers).
type Table struct {
	Header []string
	Rows   [][]string
	Right  map[int]bool
}

const gap = 2

// Widths returns each column's width.
func (t *Table) Widths() []int {
	widths := make([]int, len(t.Header))
	for i, h := range t.Header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	return widths
}

// TotalWidth is the width of the whole table.
func (t *Table) TotalWidth() int {
	total := 0
	for _, w := range t.Widths() {
		total += w + gap
	}
	return max(0, total-gap)
}

// Fits reports whether the table fits in width columns.
func (t *Table) Fits(width int) bool { return t.TotalWidth() <= width }

// Write prints the table.
func (t *Table) Write(w io.Writer) error {
	widths := t.Widths()
	line := func(cells []string) string {
		var b strings.Builder
		for i := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			pad := widths[i] - utf8.RuneCountInString(c)
			if t.Right[i] {
				b.WriteString(strings.Repeat(" ", pad))
				b.WriteString(c)
			} else {
				b.WriteString(c)
				if i < len(widths)-1 {
					b.WriteString(strings.Repeat(" ", pad))
				}
			}
			if i < len(widths)-1 {
				b.WriteString(strings.Repeat(" ", gap))
			}
		}
		return strings.TrimRight(b.String(), " ")
	}
	if _, err := fmt.Fprintln(w, line(t.Header)); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if _, err := fmt.Fprintln(w, line(r)); err != nil {
			return err
		}
	}
	return nil
}
