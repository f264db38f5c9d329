package plan

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
)

//go:embed html.tmpl
var htmlTemplate string

// maxMatrixCells bounds the placement picture: past it, only apps and
// clusters the change touches are drawn (the JSON keeps everything).
const maxMatrixCells = 6000

// picture is the matrix as drawn.
type picture struct {
	Width, Height int
	Columns       []pictureColumn
	Rows          []pictureRow
	Cells         []pictureCell
	// Waves label each run of columns of one rollout wave, with a line
	// between runs: the columns are in wave order, and say so.
	Waves   []pictureWave
	Trimmed string
}

type pictureWave struct {
	X, Width int
	Label    string
	// Line is where the separator before this run goes (0: none).
	Line int
}

type pictureColumn struct {
	X    int
	Name string
}

type pictureRow struct {
	Y    int
	Name string
}

type pictureCell struct {
	X, Y  int
	State string
	Text  string
	Title string
}

const (
	cellW, cellH = 58, 26
	labelW       = 190
	headerH      = 150
)

func drawMatrix(p *Plan) *picture {
	m := p.Matrix
	if m == nil || len(m.Cells) == 0 {
		return nil
	}
	apps, clusters := m.Apps, m.Clusters
	trimmed := ""
	if len(apps)*len(clusters) > maxMatrixCells {
		touched := map[string]bool{}
		for _, t := range p.Targets {
			touched[t.Name] = true
		}
		clusters = slices.DeleteFunc(slices.Clone(clusters), func(c string) bool { return !touched[c] })
		apps = slices.DeleteFunc(slices.Clone(apps), func(a string) bool { return !slices.Contains(p.Summary.AppsTouched, a) })
		for len(apps)*len(clusters) > maxMatrixCells && len(clusters) > 1 {
			clusters = clusters[:len(clusters)/2]
		}
		trimmed = fmt.Sprintf("Showing %d of %d apps and %d of %d clusters (those the change touches); the JSON plan has every cell.", len(apps), len(m.Apps), len(clusters), len(m.Clusters))
	}
	col, row := map[string]int{}, map[string]int{}
	pic := &picture{Trimmed: trimmed}
	wave := map[string]int{}
	for i, c := range m.Clusters {
		if i < len(m.Waves) {
			wave[c] = m.Waves[i]
		}
	}
	for i, c := range clusters {
		col[c] = i
		pic.Columns = append(pic.Columns, pictureColumn{X: labelW + i*cellW + cellW/2, Name: c})
		if n := len(pic.Waves); n == 0 || wave[clusters[i-1]] != wave[c] {
			w := pictureWave{X: labelW + i*cellW, Label: fmt.Sprintf("wave %d", wave[c])}
			if n > 0 {
				w.Line = w.X - 1
			}
			pic.Waves = append(pic.Waves, w)
		}
		pic.Waves[len(pic.Waves)-1].Width += cellW
	}
	for i, a := range apps {
		row[a] = i
		pic.Rows = append(pic.Rows, pictureRow{Y: headerH + i*cellH + cellH/2 + 4, Name: a})
	}
	for _, c := range m.Cells {
		ci, ok1 := col[c.Cluster]
		ri, ok2 := row[c.App]
		if !ok1 || !ok2 {
			continue
		}
		pic.Cells = append(pic.Cells, pictureCell{X: labelW + ci*cellW, Y: headerH + ri*cellH, State: c.State(), Text: cellText(c),
			Title: fmt.Sprintf("%s on %s: %s (%s)", c.App, c.Cluster, cellText(c), c.State())})
	}
	pic.Width = labelW + len(clusters)*cellW + 140 // room for the last slanted label
	pic.Height = headerH + len(apps)*cellH + 10
	return pic
}

func cellText(c Cell) string {
	v := func(n int32) string {
		switch n {
		case -1:
			return "●"
		case 0:
			return "·"
		}
		return strconv.Itoa(int(n))
	}
	if c.Before == c.After {
		return v(c.After)
	}
	return v(c.Before) + "→" + v(c.After)
}

// WriteHTML writes a self-contained report page: summary, risks, the
// placement matrix picture (apps × clusters, replicas, colour for change)
// and the per-cluster diffs. No script, no external resource.
func WriteHTML(w io.Writer, p *Plan) error {
	t, err := template.New("plan").Funcs(template.FuncMap{
		"names": func(l []string) string { return names(l, 12) },
		"half":  func(n int) int { return n / 2 },
		"sign": func(action string) string {
			switch action {
			case Added:
				return "+"
			case Removed:
				return "−"
			}
			return "~"
		},
		"title":  func(g Group) string { return g.Title(12) },
		"counts": func(chs []ObjectChange) string { return countsText(counts(chs)) },
		"join":   strings.Join,
		"none":   orNone,
		"source": findingSource,
	}).Parse(htmlTemplate)
	if err != nil {
		return err
	}
	return t.Execute(w, struct {
		P       *Plan
		Matrix  *picture
		Groups  []Group
		Replica []ReplicaRow
	}{p, drawMatrix(p), p.Groups(), p.ReplicaRows()})
}
