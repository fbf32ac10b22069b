package report

import (
	"math"

	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/grade"
)

// CurvePoints caps the points of a drawn curve.
const CurvePoints = 200

// Thin keeps at most CurvePoints points of a curve, always the ends.
func Thin(x, y []float64) ([]float64, []float64) {
	if len(x) <= CurvePoints {
		return x, y
	}
	step := float64(len(x)-1) / float64(CurvePoints-1)
	ox, oy := make([]float64, CurvePoints), make([]float64, CurvePoints)
	for i := range ox {
		k := int(math.Round(float64(i) * step))
		ox[i], oy[i] = x[k], y[k]
	}
	return ox, oy
}

// ScoreHistogram is the distribution of the points of goods (y = 0) and
// bads (y = 1) over 20 common bins, as shares of each; nil when every PD
// gives the same points.
func ScoreHistogram(y, pd []float64) *Histogram {
	const bins = 20
	points := grade.DefaultPoints()
	pts := make([]float64, len(pd))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range pd {
		pts[i] = points.Score(p)
		lo, hi = math.Min(lo, pts[i]), math.Max(hi, pts[i])
	}
	if !(hi > lo) {
		return nil
	}
	h := &Histogram{Label: "score (points)", Edges: make([]Num, bins+1), Goods: make([]Num, bins), Bads: make([]Num, bins)}
	for i := range h.Edges {
		h.Edges[i] = Num(lo + (hi-lo)*float64(i)/bins)
	}
	var goods, bads float64
	for i, s := range pts {
		k := min(int((s-lo)/(hi-lo)*bins), bins-1)
		if y[i] == 1 {
			h.Bads[k]++
			bads++
		} else {
			h.Goods[k]++
			goods++
		}
	}
	for k := range h.Goods {
		h.Goods[k] /= Num(max(goods, 1))
		h.Bads[k] /= Num(max(bads, 1))
	}
	return h
}

// GradeRows is calibration by grade as the report shows it.
func GradeRows(grades []eval.GradeRow) []GradeRow {
	var out []GradeRow
	for _, g := range grades {
		out = append(out, GradeRow{Grade: g.Grade, N: g.N, Defaults: g.Defaults, ObservedDR: Num(g.DefaultRate),
			PD: Num(g.MeanPD), Low: Num(g.DRLow), High: Num(g.DRHigh), Jeffreys: Num(g.JeffreysP), Binomial: Num(g.BinomialP), Light: string(g.Light)})
	}
	return out
}
