package report

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/grade"
)

// weightedRows is a sample with whole weights, so that a row of weight k
// can be written out as k copies of it.
var weightedRows = struct {
	asOf     []datasets.Date
	y, pd, w []float64
}{
	asOf: []datasets.Date{20000, 20000, 20000, 20031, 20031, 20031, 20031},
	y:    []float64{1, 0, 0, 1, 0, 0, 1},
	pd:   []float64{0.03, 0.0002, 0.03, 0.2, 0.2, 0.01, 0.002},
	w:    []float64{1, 10, 10, 1, 10, 3, 2},
}

func weightedCopies() (asOf []datasets.Date, y, pd []float64) {
	s := weightedRows
	for i, k := range s.w {
		for range int(k) {
			asOf, y, pd = append(asOf, s.asOf[i]), append(y, s.y[i]), append(pd, s.pd[i])
		}
	}
	return asOf, y, pd
}

// near compares figures summed in another order: equal to rounding.
func near(got, want Num) bool {
	if math.IsNaN(float64(want)) {
		return math.IsNaN(float64(got))
	}
	return math.Abs(float64(got-want)) <= 1e-12*math.Max(1, math.Abs(float64(want)))
}

func TestMasterScaleWeightedAsCopies(t *testing.T) {
	s := weightedRows
	_, cy, cpd := weightedCopies()
	got := MasterScale(grade.DefaultScale(), s.y, s.pd, s.w)
	want := MasterScale(grade.DefaultScale(), cy, cpd, nil)
	rows := make([]int, len(want))
	for _, p := range s.pd {
		rows[grade.DefaultScale().Grade(p)-1]++
	}
	for k := range want {
		g, w := got[k], want[k]
		if g.N != w.N || g.Defaults != w.Defaults || g.Rows != rows[k] || !near(g.ObservedDR, w.ObservedDR) || !near(g.MeanPD, w.MeanPD) {
			t.Errorf("grade %d: got %+v; want %+v with %d rows, as of the copies", g.Grade, g, w, rows[k])
		}
	}
}

func TestByAsOfWeightedAsCopies(t *testing.T) {
	s := weightedRows
	casOf, cy, cpd := weightedCopies()
	got := ByAsOf(s.asOf, s.y, s.pd, s.w)
	want := ByAsOf(casOf, cy, cpd, nil)
	if len(got) != len(want) {
		t.Fatalf("%d dates; want %d", len(got), len(want))
	}
	for k := range want {
		g, w := got[k], want[k]
		w.Rows = []int{3, 4}[k]
		if g.AsOf != w.AsOf || g.N != w.N || g.Defaults != w.Defaults || g.Rows != w.Rows ||
			!near(g.ObservedDR, w.ObservedDR) || !near(g.MeanPD, w.MeanPD) || !near(g.AUC, w.AUC) {
			t.Errorf("date %s: got %+v; want %+v, as of the copies", g.AsOf, g, w)
		}
	}
}

func TestCurvesWeightedAsCopies(t *testing.T) {
	s := weightedRows
	_, cy, cpd := weightedCopies()
	gotH, wantH := ScoreHistogram(s.y, s.pd, s.w), ScoreHistogram(cy, cpd, nil)
	for k := range wantH.Goods {
		if !near(gotH.Goods[k], wantH.Goods[k]) || !near(gotH.Bads[k], wantH.Bads[k]) {
			t.Errorf("histogram bin %d: goods %v, bads %v; want %v, %v, as of the copies", k, gotH.Goods[k], gotH.Bads[k], wantH.Goods[k], wantH.Bads[k])
		}
	}
	gotKS, wantKS := KSCurves(s.y, s.pd, s.w), KSCurves(cy, cpd, nil)
	for c := range wantKS {
		if !slices.EqualFunc(gotKS[c].X, wantKS[c].X, func(a, b Num) bool { return near(a, b) }) ||
			!slices.EqualFunc(gotKS[c].Y, wantKS[c].Y, func(a, b Num) bool { return near(a, b) }) {
			t.Errorf("KS curve %s = %v, %v; want %v, %v, as of the copies", wantKS[c].Name, gotKS[c].X, gotKS[c].Y, wantKS[c].X, wantKS[c].Y)
		}
	}
}

func TestGradeRowsShowThePopulation(t *testing.T) {
	s := weightedRows
	grades, err := grade.DefaultScale().Grades(s.pd)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := eval.CalibrationByGrade(grades, s.pd, s.y, s.w)
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range GradeRows(rows) {
		e := rows[k]
		if r.Rows != e.N || float64(r.N) != math.Round(e.Weight) || float64(r.Defaults) != math.Round(e.DefaultRate*e.Weight) {
			t.Errorf("grade %d: n %d, defaults %d, rows %d; want the population %v with %v defaults and the rows %d",
				r.Grade, r.N, r.Defaults, r.Rows, e.Weight, e.DefaultRate*e.Weight, e.N)
		}
	}
	plain, err := eval.CalibrationByGrade(grades, s.pd, s.y, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range GradeRows(plain) {
		if r.Rows != 0 || r.N != plain[k].N || r.Defaults != plain[k].Defaults {
			t.Errorf("unweighted grade %d: n %d, defaults %d, rows %d; want %d, %d and no rows", r.Grade, r.N, r.Defaults, r.Rows, plain[k].N, plain[k].Defaults)
		}
	}
}

func TestReportHTMLShowsSampledRows(t *testing.T) {
	s := weightedRows
	r := sampleReport()
	r.MasterScale = MasterScale(grade.DefaultScale(), s.y, s.pd, s.w)
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	// Grades 7 and 9 hold two rows weighing 11: the population first, the rows apart.
	if want := `<td>11 <span class="muted">(2 sampled)</span></td>`; !strings.Contains(b.String(), want) {
		t.Errorf("weighted master scale lacks %q", want)
	}
	if strings.Contains(sampleHTML(t), "sampled") {
		t.Error("unweighted report speaks of sampled rows")
	}
}

func sampleHTML(t *testing.T) string {
	var b bytes.Buffer
	if err := sampleReport().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
