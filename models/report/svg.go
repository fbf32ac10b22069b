package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts are drawn as inline SVG so a report is one file that opens
// anywhere, offline. Every chart labels both axes with their unit, puts
// its ticks on round numbers (1-2-5 steps) and its legend below the plot,
// where it cannot cover the data.

const (
	chartW, chartH = 440.0, 330.0
	padL, padR     = 58.0, 14.0
	padT, padB     = 14.0, 70.0
)

var palette = []string{"#1f5fa8", "#d9822b", "#3a9e4f", "#b8322f", "#7b4fa0", "#6b6b6b"}

type plot struct {
	b                      strings.Builder
	xmin, xmax, ymin, ymax float64
}

func newPlot(class string, xmin, xmax, ymin, ymax float64) *plot {
	p := &plot{xmin: xmin, xmax: xmax, ymin: ymin, ymax: ymax}
	if p.xmax <= p.xmin {
		p.xmax = p.xmin + 1
	}
	if p.ymax <= p.ymin {
		p.ymax = p.ymin + 1
	}
	fmt.Fprintf(&p.b, `<svg class="chart %s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img">`,
		class, chartW, chartH, chartW, chartH)
	fmt.Fprintf(&p.b, `<rect x="%g" y="%g" width="%g" height="%g" fill="#fff" stroke="#bbb"/>`, padL, padT, chartW-padL-padR, chartH-padT-padB)
	return p
}

func (p *plot) x(v float64) float64 {
	return padL + (v-p.xmin)/(p.xmax-p.xmin)*(chartW-padL-padR)
}

func (p *plot) y(v float64) float64 {
	return chartH - padB - (v-p.ymin)/(p.ymax-p.ymin)*(chartH-padT-padB)
}

// axes draws the grid, the tick labels and the axis titles; a nil
// format leaves that axis's ticks to the caller.
func (p *plot) axes(xlabel, ylabel string, xticks, yticks []float64, xfmt, yfmt func(float64) string) {
	for _, t := range xticks {
		fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, p.x(t), padT, p.x(t), chartH-padB)
		fmt.Fprintf(&p.b, `<text class="tick" x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`, p.x(t), chartH-padB+13, xfmt(t))
	}
	for _, t := range yticks {
		fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, padL, p.y(t), chartW-padR, p.y(t))
		fmt.Fprintf(&p.b, `<text class="tick" x="%.1f" y="%.1f" font-size="10" text-anchor="end">%s</text>`, padL-4, p.y(t)+3, yfmt(t))
	}
	fmt.Fprintf(&p.b, `<text class="axis" x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text>`, (padL+chartW-padR)/2, chartH-padB+30, template.HTMLEscapeString(xlabel))
	fmt.Fprintf(&p.b, `<text class="axis" x="12" y="%.1f" font-size="11" text-anchor="middle" transform="rotate(-90 12 %.1f)">%s</text>`,
		(padT+chartH-padB)/2, (padT+chartH-padB)/2, template.HTMLEscapeString(ylabel))
}

// legendItem is one legend entry: a line, a box or a dot in a colour.
type legendItem struct {
	name, color, mark string // mark: "line", "box", "dot", "ring"
}

// legend lays its items out in rows below the axis title, outside the
// plot.
func (p *plot) legend(items []legendItem) {
	x, y := padL, chartH-padB+48
	for _, it := range items {
		w := 22 + 6.2*float64(len([]rune(it.name)))
		if x+w > chartW && x > padL {
			x, y = padL, y+14
		}
		switch it.mark {
		case "box":
			fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="10" height="8" fill="%s"/>`, x, y-7, it.color)
		case "dot":
			fmt.Fprintf(&p.b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`, x+5, y-3, it.color)
		case "ring":
			fmt.Fprintf(&p.b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="#fff" stroke="%s" stroke-width="1.5"/>`, x+5, y-3, it.color)
		case "dash":
			fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3"/>`, x, y-3, x+14, y-3, it.color)
		default:
			fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="14" height="3" fill="%s"/>`, x, y-4, it.color)
		}
		fmt.Fprintf(&p.b, `<text class="legend" x="%.1f" y="%.1f" font-size="10">%s</text>`, x+18, y, template.HTMLEscapeString(it.name))
		x += w
	}
}

func (p *plot) done() template.HTML {
	p.b.WriteString(`</svg>`)
	return template.HTML(p.b.String())
}

// niceStep is the 1, 2 or 5 × 10^k step that cuts span into about n
// intervals.
func niceStep(span float64, n int) float64 {
	if !(span > 0) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(max(n, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// niceTicks returns round ticks (multiples of a 1-2-5 step) covering
// [lo, hi] in about n intervals, with the range they span.
func niceTicks(lo, hi float64, n int) (ticks []float64, from, to float64) {
	if !(hi > lo) {
		hi = lo + 1
	}
	step := niceStep(hi-lo, n)
	from, to = math.Floor(lo/step+1e-9)*step, math.Ceil(hi/step-1e-9)*step
	for k := 0; ; k++ {
		t := from + float64(k)*step
		if t > to+step/2 {
			break
		}
		ticks = append(ticks, roundTo(t, step))
	}
	return ticks, from, to
}

// roundTo removes the float noise of k·step.
func roundTo(x, step float64) float64 {
	d := max(0, -int(math.Floor(math.Log10(step)))+1)
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', d, 64), 64)
	return v
}

// decimals is how many decimals print a multiple of step exactly.
func decimals(step float64) int {
	for d := 0; d < 8; d++ {
		if s := step * math.Pow(10, float64(d)); math.Abs(s-math.Round(s)) < 1e-6 {
			return d
		}
	}
	return 8
}

// percentFormat labels shares that are multiples of step as percentages.
func percentFormat(step float64) func(float64) string {
	d := decimals(100 * step)
	return func(v float64) string { return strconv.FormatFloat(100*v, 'f', d, 64) + "%" }
}

// numberFormat labels multiples of step.
func numberFormat(step float64) func(float64) string {
	d := decimals(step)
	return func(v float64) string { return strconv.FormatFloat(v, 'f', d, 64) }
}

// lineChart draws curves of shares on the unit square (ROC with its
// diagonal), both axes in percent.
func lineChart(cs []Curve, xlabel, ylabel string, diagonal bool) template.HTML {
	p := newPlot("line", 0, 1, 0, 1)
	t, _, _ := niceTicks(0, 1, 5)
	p.axes(xlabel, ylabel, t, t, percentFormat(0.2), percentFormat(0.2))
	var items []legendItem
	if diagonal {
		fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 3"/>`, p.x(0), p.y(0), p.x(1), p.y(1))
	}
	for i, c := range cs {
		var pts []string
		for k := range c.X {
			x, y := float64(c.X[k]), float64(c.Y[k])
			if math.IsNaN(x) || math.IsNaN(y) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x(x), p.y(y)))
		}
		fmt.Fprintf(&p.b, `<polyline class="series" fill="none" stroke="%s" stroke-width="1.6" points="%s"/>`, palette[i%len(palette)], strings.Join(pts, " "))
		items = append(items, legendItem{c.Name, palette[i%len(palette)], "line"})
	}
	if diagonal {
		items = append(items, legendItem{"random ranking", "#999", "dash"})
	}
	p.legend(items)
	return p.done()
}

// logDecades are the PD levels the calibration chart may mark.
var logDecades = []float64{1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1}

// calibrationChart draws the observed default rate of each grade with its
// Jeffreys interval against the grade's PD, on a log scale labelled in
// percent. A grade without defaults has an observed rate of 0, which a log
// scale cannot place: it is drawn as an open ring on the bottom axis and
// labelled "0", its interval running up from there.
func calibrationChart(rows []GradeRow) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	lo, hi := 1.0, 0.0
	for _, r := range rows {
		for _, v := range []Num{r.PD, r.Low, r.High, r.ObservedDR} {
			if x := float64(v); x > 0 && !math.IsNaN(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if !(hi > 0) {
		lo, hi = 1e-3, 1
	}
	lo = math.Pow(10, math.Floor(math.Log10(math.Max(lo, 1e-5))))
	hi = math.Pow(10, math.Ceil(math.Log10(math.Min(hi, 1))))
	if hi <= lo {
		lo = hi / 10
	}
	p := newPlot("calibration", 0.5, float64(len(rows))+0.5, math.Log10(lo), math.Log10(hi))
	var yt []float64
	for _, d := range logDecades {
		if d >= lo*0.999 && d <= hi*1.001 {
			yt = append(yt, math.Log10(d))
		}
	}
	p.axes("grade", "default rate (log scale)", nil, yt, nil, func(e float64) string {
		v := math.Pow(10, e)
		return strconv.FormatFloat(100*v, 'f', max(0, -int(math.Round(e))-2), 64) + "%"
	})
	floor := math.Log10(lo)
	logOf := func(v Num) float64 { return math.Log10(math.Max(float64(v), lo)) }
	zero := false
	for i, r := range rows {
		x := float64(i + 1)
		fmt.Fprintf(&p.b, `<text class="tick" x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%d</text>`, p.x(x), chartH-padB+13, r.Grade)
		low := logOf(r.Low)
		if !(float64(r.Low) > 0) {
			low = floor
		}
		fmt.Fprintf(&p.b, `<line class="interval" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`,
			p.x(x), p.y(low), p.x(x), p.y(logOf(r.High)), palette[0])
		if float64(r.ObservedDR) > 0 {
			fmt.Fprintf(&p.b, `<circle class="observed" cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>grade %d: observed %s</title></circle>`,
				p.x(x), p.y(logOf(r.ObservedDR)), palette[0], r.Grade, FormatPercent(float64(r.ObservedDR)))
		} else {
			zero = true
			fmt.Fprintf(&p.b, `<circle class="observed none" cx="%.1f" cy="%.1f" r="3.5" fill="#fff" stroke="%s" stroke-width="1.5"><title>grade %d: no defaults (observed 0%%)</title></circle>`,
				p.x(x), p.y(floor), palette[0], r.Grade)
			fmt.Fprintf(&p.b, `<text class="zero" x="%.1f" y="%.1f" font-size="9" fill="%s">0</text>`, p.x(x)+5, p.y(floor)-4, palette[0])
		}
		fmt.Fprintf(&p.b, `<rect class="predicted" x="%.1f" y="%.1f" width="12" height="3" fill="%s"><title>grade %d: PD %s</title></rect>`,
			p.x(x)-6, p.y(logOf(r.PD))-1.5, palette[1], r.Grade, FormatPercent(float64(r.PD)))
	}
	items := []legendItem{{"observed default rate (Jeffreys 95%)", palette[0], "dot"}, {"predicted PD", palette[1], "line"}}
	if zero {
		items = append(items, legendItem{"no defaults: 0%, drawn on the axis", palette[0], "ring"})
	}
	p.legend(items)
	return p.done()
}

// histogramChart draws the score distributions of goods and bads, the
// y axis as the percentage of each group.
func histogramChart(h *Histogram) template.HTML {
	if h == nil || len(h.Edges) < 2 {
		return ""
	}
	top := 0.0
	for i := range h.Goods {
		top = math.Max(top, math.Max(float64(h.Goods[i]), float64(h.Bads[i])))
	}
	xt, xmin, xmax := niceTicks(float64(h.Edges[0]), float64(h.Edges[len(h.Edges)-1]), 5)
	yt, _, ytop := niceTicks(0, top, 4)
	p := newPlot("histogram", xmin, xmax, 0, ytop)
	p.axes(h.Label, "share of the group", xt, yt, numberFormat(xt[1]-xt[0]), percentFormat(yt[1]-yt[0]))
	for s, shares := range [][]Num{h.Goods, h.Bads} {
		for i := range shares {
			x0, x1 := p.x(float64(h.Edges[i])), p.x(float64(h.Edges[i+1]))
			w := (x1 - x0) / 2
			fmt.Fprintf(&p.b, `<rect class="bin" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" opacity="0.8"/>`,
				x0+float64(s)*w, p.y(float64(shares[i])), w, p.y(0)-p.y(float64(shares[i])), palette[s])
		}
	}
	p.legend([]legendItem{{"non-defaults", palette[0], "box"}, {"defaults", palette[1], "box"}})
	return p.done()
}

// barChart draws ranked values as horizontal bars, each with its value.
func barChart(rs []Ranked, limit int, unit string) template.HTML {
	if len(rs) == 0 {
		return ""
	}
	rs = rs[:min(len(rs), limit)]
	top := 0.0
	for _, r := range rs {
		top = math.Max(top, float64(r.Value))
	}
	if top <= 0 {
		top = 1
	}
	h := 16.0*float64(len(rs)) + 34
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img">`, chartW+160, h, chartW+160, h)
	for i, r := range rs {
		y := 10 + 16*float64(i)
		w := math.Max(0, float64(r.Value)) / top * (chartW - 80)
		fmt.Fprintf(&b, `<text x="196" y="%.1f" font-size="10" text-anchor="end">%s</text>`, y+9, template.HTMLEscapeString(r.Feature))
		fmt.Fprintf(&b, `<rect class="bar" x="200" y="%.1f" width="%.1f" height="11" fill="%s"/>`, y, w, palette[0])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10">%s</text>`, 204+w, y+9, strconv.FormatFloat(float64(r.Value), 'g', 3, 64))
	}
	fmt.Fprintf(&b, `<text class="axis" x="%g" y="%g" font-size="11" text-anchor="middle">%s</text>`, 200+(chartW-80)/2, h-6, template.HTMLEscapeString(unit))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// GradeShareChart draws the share of rows in each grade as columns on a
// percent axis with round ticks, the columns of grade red in red (the
// default grade), each labelled with its share.
func GradeShareChart(grades []int, rows []int64, shares []Num, red int) template.HTML {
	top := 0.0
	for _, s := range shares {
		if x := float64(s); x > top {
			top = x
		}
	}
	if !(top > 0) {
		return ""
	}
	yt, _, ytop := niceTicks(0, top, 4)
	p := newPlot("grades", 0.5, float64(len(grades))+0.5, 0, ytop)
	p.axes("grade (1 = lowest risk)", "share of rows", nil, yt, nil, percentFormat(yt[1]-yt[0]))
	slot := p.x(1.5) - p.x(0.5)
	for i, g := range grades {
		x := p.x(float64(i + 1))
		share := float64(shares[i])
		if math.IsNaN(share) {
			share = 0
		}
		fill := palette[0]
		if g == red {
			fill = palette[3]
		}
		fmt.Fprintf(&p.b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>grade %d: %s rows (%s)</title></rect>`,
			x-slot*0.35, p.y(share), slot*0.7, p.y(0)-p.y(share), fill, g, FormatAmount(float64(rows[i])), FormatPercent(share))
		fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle">%.1f%%</text>`, x, p.y(share)-3, 100*share)
		fmt.Fprintf(&p.b, `<text class="tick" x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%d</text>`, x, chartH-padB+13, g)
	}
	p.legend([]legendItem{{"rows in the grade", palette[0], "box"}, {fmt.Sprintf("grade %d: in default", red), palette[3], "box"}})
	return p.done()
}

// MigrationTable renders a grade migration matrix (matrix[i][j] counts
// from grades[i] to grades[j]) with each cell shaded by its share of the
// row: blue on the diagonal, green for upgrades (to a lower grade), red
// for downgrades, and the totals of rows and columns.
func MigrationTable(grades []int, matrix [][]int64) template.HTML {
	var b strings.Builder
	b.WriteString(`<table class="migration"><tr><th>from \ to</th>`)
	for _, g := range grades {
		fmt.Fprintf(&b, `<th>%d</th>`, g)
	}
	b.WriteString(`<th>total</th></tr>`)
	cols := make([]int64, len(grades))
	for i, from := range grades {
		var total int64
		for _, n := range matrix[i] {
			total += n
		}
		fmt.Fprintf(&b, `<tr><th>%d</th>`, from)
		for j, to := range grades {
			n := matrix[i][j]
			cols[j] += n
			share := 0.0
			if total > 0 {
				share = float64(n) / float64(total)
			}
			rgb := "31,95,168"
			switch {
			case to < from:
				rgb = "58,158,79"
			case to > from:
				rgb = "184,50,47"
			}
			fmt.Fprintf(&b, `<td style="background:rgba(%s,%.2f)" title="%.1f%% of grade %d">%s</td>`, rgb, 0.08+0.72*share, 100*share, from, FormatAmount(float64(n)))
		}
		fmt.Fprintf(&b, `<td>%s</td></tr>`, FormatAmount(float64(total)))
	}
	b.WriteString(`<tr><th>total</th>`)
	var all int64
	for _, n := range cols {
		all += n
		fmt.Fprintf(&b, `<td>%s</td>`, FormatAmount(float64(n)))
	}
	fmt.Fprintf(&b, `<td>%s</td></tr></table>`, FormatAmount(float64(all)))
	return template.HTML(b.String())
}
