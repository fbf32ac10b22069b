package report

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/credence-risk/credence/datasets"
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
// bads (y = 1) over 20 common bins, as (weighted: w nil weighs every row
// 1) shares of each; nil when every PD gives the same points.
func ScoreHistogram(y, pd, w []float64) *Histogram {
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
		wi := weightAt(w, i)
		if y[i] == 1 {
			h.Bads[k] += Num(wi)
			bads += wi
		} else {
			h.Goods[k] += Num(wi)
			goods += wi
		}
	}
	for k := range h.Goods {
		if goods > 0 {
			h.Goods[k] /= Num(goods)
		}
		if bads > 0 {
			h.Bads[k] /= Num(bads)
		}
	}
	return h
}

// GradeRows is calibration by grade as the report shows it: on a
// weighted sample N and Defaults are the population the grade stands
// for, rounded, and Rows the sample's rows.
func GradeRows(grades []eval.GradeRow) []GradeRow {
	var out []GradeRow
	for _, g := range grades {
		r := GradeRow{Grade: g.Grade, N: g.N, Defaults: g.Defaults, ObservedDR: Num(g.DefaultRate),
			PD: Num(g.MeanPD), Low: Num(g.DRLow), High: Num(g.DRHigh), Jeffreys: Num(g.JeffreysP), Binomial: Num(g.BinomialP), Light: string(g.Light)}
		if g.Weight > 0 {
			r.Rows = g.N
			r.N, r.Defaults = int(math.Round(g.Population())), int(math.Round(g.PopulationDefaults()))
		}
		out = append(out, r)
	}
	return out
}

// weightAt is row i's weight; nil weights weigh 1.
func weightAt(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// tally accumulates the rows of one table line, weighted.
type tally struct {
	rows                  int
	weight, defaults, sum float64
}

func (t *tally) add(y, pd, w float64) {
	t.rows++
	t.weight += w
	t.defaults += w * y
	t.sum += w * pd
}

// line is a table line's counts and rates: counts of rows unweighted;
// weighted, the population the rows stand for (rounded) and the rows
// apart; rates NaN without weight.
func (t *tally) line(weighted bool) (n, defaults, rows int, dr, meanPD Num) {
	n, defaults = t.rows, int(t.defaults)
	if weighted {
		n, defaults, rows = int(math.Round(t.weight)), int(math.Round(t.defaults)), t.rows
	}
	dr, meanPD = Num(math.NaN()), Num(math.NaN())
	if t.weight > 0 {
		dr, meanPD = Num(t.defaults/t.weight), Num(t.sum/t.weight)
	}
	return n, defaults, rows, dr, meanPD
}

// KSCurves is the KS chart of pd against the outcomes y: the cumulative
// shares of defaults and of non-defaults flagged as the PD threshold
// falls, against the share of the population flagged, each row weighing
// w[i] (w nil: every row weighs 1); nil when it cannot be computed (one
// class only).
func KSCurves(y, pd, w []float64) []Curve {
	pts, err := eval.KSCurve(y, pd, w)
	if err != nil {
		return nil
	}
	pop, def, non := []float64{0}, []float64{0}, []float64{0}
	for _, p := range pts {
		pop, def, non = append(pop, p.Population), append(def, p.Defaults), append(non, p.NonDefaults)
	}
	x, d := Thin(pop, def)
	x2, n := Thin(pop, non)
	return []Curve{{Name: "defaults", X: Nums(x), Y: Nums(d)}, {Name: "non-defaults", X: Nums(x2), Y: Nums(n)}}
}

// PSIBins is a PD's population stability table: each bin's PD range in
// percent (or "missing") with the expected and actual shares.
func PSIBins(psi float64, table []eval.PSIBin) *PSITable {
	t := &PSITable{PSI: Num(psi), Band: eval.Stability(psi)}
	for _, b := range table {
		label := "missing"
		if !b.Missing {
			label = pdRange(b.Lower, b.Upper)
		}
		t.Bins = append(t.Bins, label)
		t.Expected = append(t.Expected, Num(b.ExpectedShare))
		t.Actual = append(t.Actual, Num(b.ActualShare))
	}
	return t
}

// pdRange writes the PD interval (lo, hi] in percent; an open end as
// "up to" or "above".
func pdRange(lo, hi float64) string {
	switch {
	case math.IsInf(lo, -1) || math.IsNaN(lo):
		return "up to " + FormatPercent(hi)
	case math.IsInf(hi, 1) || math.IsNaN(hi):
		return "above " + FormatPercent(lo)
	}
	return "above " + FormatPercent(lo) + " up to " + FormatPercent(hi)
}

// ScaleRow is one grade of the master scale with what a sample holds in
// it.
type ScaleRow struct {
	Grade int    `json:"grade"`
	Name  string `json:"name"`
	// Lower (exclusive, but 0 for grade 1) and Upper bound the grade's PDs.
	Lower Num `json:"pd_lower"`
	Upper Num `json:"pd_upper"`
	// N and Defaults count observations; on a weighted sample they are
	// the population the observations stand for, rounded, and Rows
	// counts the observations.
	N          int `json:"n"`
	Defaults   int `json:"defaults"`
	Rows       int `json:"rows,omitempty"`
	ObservedDR Num `json:"observed_dr"` // null without observations
	MeanPD     Num `json:"mean_pd"`     // null without observations
}

// MasterScale is every grade of scale (the default grade aside) with its
// PD band, the observations in it, their defaults, observed default rate
// and mean PD, each observation weighing w[i] (w nil: every one weighs
// 1), so that a weighted sample shows the population's.
func MasterScale(scale grade.Scale, y, pd, w []float64) []ScaleRow {
	rows := make([]ScaleRow, grade.Bands)
	tallies := make([]tally, grade.Bands)
	for g := 1; g <= grade.Bands; g++ {
		rows[g-1] = ScaleRow{Grade: g, Name: scale.Name(g), Lower: Num(scale.Lower(g)), Upper: Num(scale.Upper[g-1])}
	}
	for i, p := range pd {
		g := scale.Grade(p)
		if g < 1 || g > grade.Bands {
			continue
		}
		tallies[g-1].add(y[i], p, weightAt(w, i))
	}
	for k := range rows {
		r := &rows[k]
		r.N, r.Defaults, r.Rows, r.ObservedDR, r.MeanPD = tallies[k].line(w != nil)
	}
	return rows
}

// PeriodRow is the performance of the observations of one as-of date.
type PeriodRow struct {
	AsOf string `json:"as_of"`
	// N, Defaults and Rows count as ScaleRow's do.
	N          int `json:"n"`
	Defaults   int `json:"defaults"`
	Rows       int `json:"rows,omitempty"`
	ObservedDR Num `json:"observed_dr"`
	MeanPD     Num `json:"mean_pd"`
	AUC        Num `json:"auc"` // null when the date has no defaults or no non-defaults
}

// ByAsOf is the performance of pd on each as-of date, earliest first:
// count, defaults, observed default rate, mean PD and AUC, each
// observation weighing w[i] (w nil: every one weighs 1).
func ByAsOf(asOf []datasets.Date, y, pd, w []float64) []PeriodRow {
	idx := map[datasets.Date][]int{}
	for i, d := range asOf {
		idx[d] = append(idx[d], i)
	}
	dates := make([]datasets.Date, 0, len(idx))
	for d := range idx {
		dates = append(dates, d)
	}
	slices.Sort(dates)
	out := make([]PeriodRow, 0, len(dates))
	for _, d := range dates {
		rows := idx[d]
		ys, ps := make([]float64, len(rows)), make([]float64, len(rows))
		var ws []float64
		if w != nil {
			ws = make([]float64, len(rows))
		}
		r := PeriodRow{AsOf: d.String()}
		var t tally
		defaults := 0
		for k, i := range rows {
			ys[k], ps[k] = y[i], pd[i]
			if w != nil {
				ws[k] = w[i]
			}
			t.add(y[i], pd[i], weightAt(w, i))
			defaults += int(y[i])
		}
		r.N, r.Defaults, r.Rows, r.ObservedDR, r.MeanPD = t.line(w != nil)
		r.AUC = Num(math.NaN())
		if defaults > 0 && defaults < len(rows) {
			r.AUC = Num(eval.AUC(ys, ps, ws))
		}
		out = append(out, r)
	}
	return out
}

// GradeMigration is a grade migration matrix: Matrix[i][j] counts moves
// from Grades[i] to Grades[j].
type GradeMigration struct {
	// Basis says what moved: which observations are paired.
	Basis  string    `json:"basis"`
	Grades []int     `json:"grades"`
	Matrix [][]int64 `json:"matrix"`
	Moves  int64     `json:"moves"`
}

// MigrationByCustomer pairs each customer's consecutive observations
// (by as-of date) and counts the grade moves between them; nil when no
// customer has two observations.
func MigrationByCustomer(ids []string, asOf []datasets.Date, grades []int) *GradeMigration {
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := strings.Compare(ids[a], ids[b]); c != 0 {
			return c
		}
		return int(asOf[a]) - int(asOf[b])
	})
	m := &GradeMigration{Basis: "each customer's consecutive observations (as-of dates)"}
	for g := 1; g <= grade.Bands; g++ {
		m.Grades = append(m.Grades, g)
	}
	m.Matrix = make([][]int64, grade.Bands)
	for i := range m.Matrix {
		m.Matrix[i] = make([]int64, grade.Bands)
	}
	for k := 1; k < len(order); k++ {
		a, b := order[k-1], order[k]
		if ids[a] != ids[b] {
			continue
		}
		from, to := grades[a], grades[b]
		if from < 1 || from > grade.Bands || to < 1 || to > grade.Bands {
			continue
		}
		m.Matrix[from-1][to-1]++
		m.Moves++
	}
	if m.Moves == 0 {
		return nil
	}
	return m
}

// BinLabel writes a scorecard bin for people: a range with its bounds
// rounded to four significant digits ("< 1.5", "[0.7143, 0.8571)", "≥ 30"),
// and the two bins of a yes/no attribute (a feature named "name=value"
// cut once in (0, 1]) as "no" and "yes".
func BinLabel(feature, kind string, lower, upper, value float64, rangeBins int) string {
	switch kind {
	case "missing":
		return "missing"
	case "special":
		return "special value " + shortNumber(value)
	}
	if rangeBins == 2 && strings.Contains(feature, "=") {
		if math.IsInf(lower, -1) && upper > 0 && upper <= 1 {
			return "no"
		}
		if math.IsInf(upper, 1) && lower > 0 && lower <= 1 {
			return "yes"
		}
	}
	switch {
	case math.IsInf(lower, -1) && math.IsInf(upper, 1):
		return "any value"
	case math.IsInf(lower, -1):
		return "< " + shortNumber(upper)
	case math.IsInf(upper, 1):
		return "≥ " + shortNumber(lower)
	}
	return "[" + shortNumber(lower) + ", " + shortNumber(upper) + ")"
}

// shortNumber rounds x to four significant digits, never in exponent
// form below a billion.
func shortNumber(x float64) string {
	if math.Abs(x) >= 1000 {
		return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}
