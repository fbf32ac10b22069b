package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Charts are drawn as inline SVG so a report is one file that opens
// anywhere, offline.

const (
	chartW, chartH = 420.0, 300.0
	padL, padR     = 52.0, 14.0
	padT, padB     = 14.0, 40.0
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

func (p *plot) axes(xlabel, ylabel string, xticks, yticks []float64, xfmt, yfmt string) {
	for _, t := range xticks {
		fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, p.x(t), padT, p.x(t), chartH-padB)
		fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`, p.x(t), chartH-padB+13, fmt.Sprintf(xfmt, t))
	}
	for _, t := range yticks {
		fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, padL, p.y(t), chartW-padR, p.y(t))
		fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end">%s</text>`, padL-4, p.y(t)+3, fmt.Sprintf(yfmt, t))
	}
	fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text>`, (padL+chartW-padR)/2, chartH-6, template.HTMLEscapeString(xlabel))
	fmt.Fprintf(&p.b, `<text x="12" y="%.1f" font-size="11" text-anchor="middle" transform="rotate(-90 12 %.1f)">%s</text>`,
		(padT+chartH-padB)/2, (padT+chartH-padB)/2, template.HTMLEscapeString(ylabel))
}

func (p *plot) legend(names []string) {
	for i, n := range names {
		y := padT + 14 + float64(i)*14
		fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="10" height="3" fill="%s"/>`, chartW-padR-130, y-4, palette[i%len(palette)])
		fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" font-size="10">%s</text>`, chartW-padR-116, y, template.HTMLEscapeString(n))
	}
}

func (p *plot) done() template.HTML {
	p.b.WriteString(`</svg>`)
	return template.HTML(p.b.String())
}

func ticks(lo, hi float64, n int) []float64 {
	out := make([]float64, n+1)
	for i := range out {
		out[i] = lo + (hi-lo)*float64(i)/float64(n)
	}
	return out
}

// lineChart draws curves on the unit square (ROC with its diagonal).
func lineChart(cs []Curve, xlabel, ylabel string, diagonal bool) template.HTML {
	p := newPlot("line", 0, 1, 0, 1)
	p.axes(xlabel, ylabel, ticks(0, 1, 5), ticks(0, 1, 5), "%.1f", "%.1f")
	if diagonal {
		fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 3"/>`, p.x(0), p.y(0), p.x(1), p.y(1))
	}
	var names []string
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
		names = append(names, c.Name)
	}
	p.legend(names)
	return p.done()
}

// calibrationChart draws the observed default rate of each grade with its
// Jeffreys interval against the grade's PD, on a log scale.
func calibrationChart(rows []GradeRow) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	lo, hi := 1.0, 1e-6
	for _, r := range rows {
		for _, v := range []Num{r.PD, r.Low, r.High, r.ObservedDR} {
			if x := float64(v); x > 0 && !math.IsNaN(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	lo, hi = math.Floor(math.Log10(math.Max(lo, 1e-5))), math.Ceil(math.Log10(math.Min(math.Max(hi, 1e-4), 1)))
	if hi <= lo {
		hi = lo + 1
	}
	p := newPlot("calibration", 0.5, float64(len(rows))+0.5, lo, hi)
	var yt []float64
	for e := lo; e <= hi; e++ {
		yt = append(yt, e)
	}
	p.axes("grade", "default rate (log scale)", nil, yt, "%.0f", "1e%.0f")
	log := func(v Num) float64 { return math.Log10(math.Max(float64(v), math.Pow(10, lo))) }
	for i, r := range rows {
		x := float64(i + 1)
		fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%d</text>`, p.x(x), chartH-padB+13, r.Grade)
		fmt.Fprintf(&p.b, `<line class="interval" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`,
			p.x(x), p.y(log(r.Low)), p.x(x), p.y(log(r.High)), palette[0])
		fmt.Fprintf(&p.b, `<circle class="observed" cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>grade %d: observed %.4f%%</title></circle>`,
			p.x(x), p.y(log(r.ObservedDR)), palette[0], r.Grade, 100*float64(r.ObservedDR))
		fmt.Fprintf(&p.b, `<rect class="predicted" x="%.1f" y="%.1f" width="10" height="3" fill="%s"><title>grade %d: PD %.4f%%</title></rect>`,
			p.x(x)-5, p.y(log(r.PD))-1.5, palette[1], r.Grade, 100*float64(r.PD))
	}
	p.legend([]string{"observed (Jeffreys 95%)", "predicted PD"})
	return p.done()
}

// histogramChart draws the score distributions of goods and bads.
func histogramChart(h *Histogram) template.HTML {
	if h == nil || len(h.Edges) < 2 {
		return ""
	}
	top := 0.0
	for i := range h.Goods {
		top = math.Max(top, math.Max(float64(h.Goods[i]), float64(h.Bads[i])))
	}
	xmin, xmax := float64(h.Edges[0]), float64(h.Edges[len(h.Edges)-1])
	p := newPlot("histogram", xmin, xmax, 0, top*1.1)
	p.axes(h.Label, "share", ticks(xmin, xmax, 5), ticks(0, top*1.1, 4), "%.3g", "%.2f")
	for s, shares := range [][]Num{h.Goods, h.Bads} {
		for i := range shares {
			x0, x1 := p.x(float64(h.Edges[i])), p.x(float64(h.Edges[i+1]))
			w := (x1 - x0) / 2
			fmt.Fprintf(&p.b, `<rect class="bin" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" opacity="0.8"/>`,
				x0+float64(s)*w, p.y(float64(shares[i])), w, p.y(0)-p.y(float64(shares[i])), palette[s])
		}
	}
	p.legend([]string{"non-defaults", "defaults"})
	return p.done()
}

// barChart draws ranked values as horizontal bars.
func barChart(rs []Ranked, limit int) template.HTML {
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
	h := 16.0*float64(len(rs)) + 20
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img">`, chartW+160, h, chartW+160, h)
	for i, r := range rs {
		y := 10 + 16*float64(i)
		w := math.Max(0, float64(r.Value)) / top * (chartW - 60)
		fmt.Fprintf(&b, `<text x="196" y="%.1f" font-size="10" text-anchor="end">%s</text>`, y+9, template.HTMLEscapeString(r.Feature))
		fmt.Fprintf(&b, `<rect class="bar" x="200" y="%.1f" width="%.1f" height="11" fill="%s"/>`, y, w, palette[0])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10">%.4g</text>`, 204+w, y+9, float64(r.Value))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
