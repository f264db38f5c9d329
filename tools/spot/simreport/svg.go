package simreport

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/flotilla-gitops/flotilla/tools/spot/sim"
)

// palette gives each policy a colour (by its position in the report).
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#d95f02", "#7570b3", "#e7298a"}

const (
	width     = 980
	plotLeft  = 90
	plotRight = 30
)

// SVG draws the report's picture: cost against availability for every
// policy with the oracle's frontier, and one app's timeline.
func SVG(w io.Writer, r *sim.Result) error {
	var b bytes.Buffer
	rows := timelineSeries(r)
	// The timeline starts below the plot and below the legend beside it
	// (a line per policy and the frontier's).
	y := max(600, 70+8+36*len(r.Policies)+20+30)
	height := y
	if len(rows) > 0 {
		height += 60 + 130*len(rows)
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="17" font-weight="bold">Spot policies on the same traces: cost against availability</text>`+"\n", plotLeft)
	fmt.Fprintf(&b, `<text x="%d" y="48" fill="#555">%s</text>`+"\n", plotLeft, esc(fmt.Sprintf("%d apps, %.1f days from %s, one-minute ticks; lower and further left is better", r.Apps, r.Days, r.Start.UTC().Format("2006-01-02"))))
	scatter(&b, r, 70, 440)
	if len(rows) > 0 {
		timeline(&b, r, rows, y)
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func esc(s string) string { return html.EscapeString(s) }

// scatter draws panel one between top and top+h.
func scatter(b *bytes.Buffer, r *sim.Result, top, h int) {
	plotW := width - plotLeft - plotRight - 190 // room for the legend
	x0, y0, y1 := float64(plotLeft), float64(top+h), float64(top)
	// X: minutes with fewer than N ready, log scale.
	const floor = 1e-4
	umax := 1e-2
	for _, p := range r.Policies {
		umax = math.Max(umax, 1-p.ReadyShare)
	}
	decades := int(math.Ceil(math.Log10(umax / floor)))
	xOf := func(u float64) float64 {
		u = math.Max(u, floor)
		return x0 + float64(plotW)*math.Log10(u/floor)/float64(decades)
	}
	// Y: cost as a share of on-demand.
	cmax := 1.0
	for _, p := range r.Policies {
		cmax = math.Max(cmax, p.CostVsOnDemand)
	}
	cmax = math.Ceil(cmax*10+0.5) / 10
	yOf := func(c float64) float64 { return y0 - (y0-y1)*c/cmax }
	// Grid and axes.
	for i := 0; i <= decades; i++ {
		u := floor * math.Pow(10, float64(i))
		x := xOf(u)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", x, y0, x, y1)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x, y0+18, esc(trimPct(100*u)))
	}
	for c := 0.0; c <= cmax+1e-9; c += 0.1 {
		y := yOf(c)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", x0, y, x0+float64(plotW), y)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%.0f %%</text>`+"\n", x0-8, y+4, 100*c)
	}
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="none" stroke="#333"/>`+"\n", x0, y1, plotW, y0-y1)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x0+float64(plotW)/2, y0+40,
		esc("app-minutes with fewer than N replicas ready (%, log scale; 0 drawn at 0.01 %)"))
	fmt.Fprintf(b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", x0-55, (y0+y1)/2, esc("cost (% of on-demand only)"))
	// The objective: the oracle leaves exactly the share the targets allow.
	for _, p := range r.Policies {
		if p.Policy == sim.Oracle {
			x := xOf(1 - p.ReadyShare)
			fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 4"/>`+"\n", x, y0, x, y1)
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="#777" text-anchor="middle">%s</text>`+"\n", x, y1-6, esc("objective: N ready "+trimPct(100*p.ReadyShare)))
		}
	}
	// The oracle's frontier.
	if len(r.Frontier) > 0 {
		var pts []string
		for _, f := range r.Frontier {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(1-f.ReadyShare), yOf(f.CostVsOnDemand)))
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="#222" stroke-width="1.5" stroke-dasharray="6 3"/>`+"\n", strings.Join(pts, " "))
	}
	// Each flotilla policy's own curve, when it ran at other targets: the
	// policy and its variants (policy@target).
	for _, base := range []sim.Policy{sim.Flotilla, sim.FlotillaDynamicHedge} {
		var curve []sim.PolicyResult
		for _, p := range r.Policies {
			if p.Policy == base || strings.HasPrefix(string(p.Policy), string(base)+"@") {
				curve = append(curve, p)
			}
		}
		if len(curve) <= 1 {
			continue
		}
		sort.SliceStable(curve, func(i, j int) bool { return curve[i].ReadyShare < curve[j].ReadyShare })
		var pts []string
		for _, p := range curve {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(1-p.ReadyShare), yOf(p.CostVsOnDemand)))
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", strings.Join(pts, " "), colour(r, base))
	}
	// Points and legend.
	lx, ly := x0+float64(plotW)+20, y1+8
	for i, p := range r.Policies {
		x, y := xOf(1-p.ReadyShare), yOf(p.CostVsOnDemand)
		c := palette[i%len(palette)]
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="6" fill="%s" stroke="#222"><title>%s</title></circle>`+"\n", x, y, c,
			esc(fmt.Sprintf("%s: cost %.1f %% of on-demand, N ready %s of app-minutes", p.Policy, 100*p.CostVsOnDemand, trimPct(100*p.ReadyShare))))
		// A policy at another target is labelled with the target, in its
		// curve's colour (the legend names it).
		if base, target, ok := strings.Cut(string(p.Policy), "@"); ok {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="10" fill="%s">%s</text>`+"\n", x+8, y+14, colour(r, sim.Policy(base)), esc(target))
		} else {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="11">%s</text>`+"\n", x+9, y-7, esc(string(p.Policy)))
		}
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s" stroke="#222"/>`+"\n", lx, ly+float64(i)*36, c)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", lx+12, ly+float64(i)*36+4, esc(string(p.Policy)))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="10" fill="#555">%s</text>`+"\n", lx+12, ly+float64(i)*36+17,
			esc(fmt.Sprintf("%.1f %% cost, %s N ready", 100*p.CostVsOnDemand, trimPct(100*p.ReadyShare))))
	}
	n := len(r.Policies)
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222" stroke-width="1.5" stroke-dasharray="6 3"/>`+"\n", lx-6, ly+float64(n)*36, lx+6, ly+float64(n)*36)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", lx+12, ly+float64(n)*36+4, esc("oracle frontier"))
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="10" fill="#555">%s</text>`+"\n", lx+12, ly+float64(n)*36+17, esc("least cost for each availability"))
}

func trimPct(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " %"
}

func colour(r *sim.Result, p sim.Policy) string {
	for i, x := range r.Policies {
		if x.Policy == p {
			return palette[i%len(palette)]
		}
	}
	return "#000"
}

// timelineSeries picks the timeline rows: flotilla first, then the other
// policies that move replicas (at most four).
func timelineSeries(r *sim.Result) []sim.TimelineSeries {
	if r.Timeline == nil {
		return nil
	}
	order := []sim.Policy{sim.Flotilla, sim.SpotHedge, sim.Karpenter, sim.Dynamic}
	var out []sim.TimelineSeries
	for _, p := range order {
		for _, s := range r.Timeline.Series {
			if s.Policy == p {
				out = append(out, s)
			}
		}
	}
	return out
}

// timeline draws one row per series from top.
func timeline(b *bytes.Buffer, r *sim.Result, rows []sim.TimelineSeries, top int) {
	t := r.Timeline
	plotW := float64(width - plotLeft - plotRight - 60)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>`+"\n", plotLeft, top, esc(fmt.Sprintf("%s (N = %d): fewest ready replicas per %d min, and the share of them on spot", t.App, t.Replicas, t.BucketMinutes)))
	ymax := t.Replicas + 1
	for _, s := range rows {
		for _, v := range s.MinReady {
			ymax = max(ymax, v)
		}
	}
	days := r.Days
	for i, s := range rows {
		y1 := float64(top + 30 + i*130)
		y0 := y1 + 95
		x0 := float64(plotLeft)
		n := len(s.MinReady)
		xOf := func(i int) float64 { return x0 + plotW*float64(i)/float64(max(n, 1)) }
		yOf := func(v float64) float64 { return y0 - (y0-y1)*v/float64(ymax) }
		// Spot share, as a light area on its own 0-100 % scale.
		var area []string
		area = append(area, fmt.Sprintf("%.1f,%.1f", x0, y0))
		for j, v := range s.SpotShare {
			area = append(area, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", xOf(j), y0-(y0-y1)*v, xOf(j+1), y0-(y0-y1)*v))
		}
		area = append(area, fmt.Sprintf("%.1f,%.1f", xOf(n), y0))
		fmt.Fprintf(b, `<polygon points="%s" fill="%s" fill-opacity="0.18" stroke="none"/>`+"\n", strings.Join(area, " "), "#59a14f")
		// Fewest ready, as steps.
		var pts []string
		for j, v := range s.MinReady {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", xOf(j), yOf(float64(v)), xOf(j+1), yOf(float64(v))))
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.2"/>`+"\n", strings.Join(pts, " "), colour(r, s.Policy))
		// N.
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="5 3"/>`+"\n", x0, yOf(float64(t.Replicas)), x0+plotW, yOf(float64(t.Replicas)))
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", x0, y1, plotW, y0-y1)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-weight="bold">%s</text>`+"\n", x0+6, y1+14, esc(string(s.Policy)))
		for v := 0; v <= ymax; v += max(1, ymax/4) {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end" font-size="10">%d</text>`+"\n", x0-6, yOf(float64(v))+3, v)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="10" fill="#3a7a30">100 %% spot</text>`+"\n", x0+plotW+4, y1+8)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="10" fill="#3a7a30">0 %%</text>`+"\n", x0+plotW+4, y0)
		step := 1
		for _, st := range []int{1, 2, 5, 10, 20, 50} {
			step = st
			if days/float64(st) <= 12 {
				break
			}
		}
		for d := 0; float64(d) <= days; d += step {
			x := x0 + plotW*float64(d)/days
			fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", x, y0, x, y0+4)
			if i == len(rows)-1 {
				fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%d</text>`+"\n", x, y0+16, d)
			}
		}
		if i == len(rows)-1 {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x0+plotW/2, y0+32,
				esc("days since the start of the replay; line: fewest replicas ready (red dashes: N); green: share of ready replicas on spot"))
		}
		fmt.Fprintf(b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle" font-size="10">%s</text>`+"\n", x0-30, (y0+y1)/2, esc("replicas"))
	}
}
