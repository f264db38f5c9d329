package termtable

import (
	"bytes"
	"testing"
)

func TestWriteAlignsAndMeasures(t *testing.T) {
	tb := &Table{Header: []string{"APP", "N"}, Rows: [][]string{{"ebpf", "●"}, {"paddle-inference", "13"}}, Right: map[int]bool{1: true}}
	var b bytes.Buffer
	if err := tb.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := "APP                N\nebpf               ●\npaddle-inference  13\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	if got := tb.TotalWidth(); got != 20 {
		t.Errorf("TotalWidth = %d, want 20", got)
	}
	if tb.Fits(19) || !tb.Fits(20) {
		t.Errorf("Fits is wrong around the table width")
	}
}
