package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteAUC counts pairs directly: the definition AUC implements.
func bruteAUC(y, s, w []float64) float64 {
	var num, den float64
	for i := range y {
		for j := range y {
			if y[i] != 1 || y[j] != 0 {
				continue
			}
			wij := 1.0
			if w != nil {
				wij = w[i] * w[j]
			}
			den += wij
			switch {
			case s[i] > s[j]:
				num += wij
			case s[i] == s[j]:
				num += wij / 2
			}
		}
	}
	return num / den
}

func TestAUCSmall(t *testing.T) {
	for _, tc := range []struct {
		name     string
		y, s, w  []float64
		want     float64
		wantGini float64
	}{
		{"perfect", []float64{0, 0, 1, 1}, []float64{0.1, 0.2, 0.3, 0.4}, nil, 1, 1},
		{"reversed", []float64{1, 1, 0, 0}, []float64{0.1, 0.2, 0.3, 0.4}, nil, 0, -1},
		{"all tied", []float64{0, 1, 0, 1}, []float64{0.5, 0.5, 0.5, 0.5}, nil, 0.5, 0},
		{"one tie", []float64{0, 1, 0}, []float64{0.2, 0.2, 0.1}, nil, 0.75, 0.5},
		{"weights", []float64{0, 0, 1}, []float64{0.1, 0.3, 0.2}, []float64{3, 1, 1}, 0.75, 0.5},
		{"zero weight ignored", []float64{0, 0, 1}, []float64{0.1, 0.3, 0.2}, []float64{1, 0, 1}, 1, 1},
		{"infinite scores rank", []float64{0, 1}, []float64{math.Inf(-1), math.Inf(1)}, nil, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := AUC(tc.y, tc.s, tc.w); got != tc.want {
				t.Errorf("AUC = %v; want %v", got, tc.want)
			}
			if got := Gini(tc.y, tc.s, tc.w); got != tc.wantGini {
				t.Errorf("Gini = %v; want %v", got, tc.wantGini)
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	y := []float64{0, 1, 0, 1}
	s := []float64{0.1, 0.2, 0.3, 0.4}
	for _, tc := range []struct {
		name    string
		y, s, w []float64
		oneCls  bool
	}{
		{"lengths", y, s[:3], nil, false},
		{"weight length", y, s, []float64{1}, false},
		{"label 2", []float64{0, 2, 0, 1}, s, nil, false},
		{"label NaN", []float64{0, math.NaN(), 0, 1}, s, nil, false},
		{"score NaN", y, []float64{0.1, math.NaN(), 0.3, 0.4}, nil, false},
		{"negative weight", y, s, []float64{1, 1, -1, 1}, false},
		{"NaN weight", y, s, []float64{1, 1, math.NaN(), 1}, false},
		{"infinite weight", y, s, []float64{1, 1, math.Inf(1), 1}, false},
		{"no defaults", []float64{0, 0, 0, 0}, s, nil, true},
		{"no non-defaults", []float64{1, 1, 1, 1}, s, nil, true},
		{"defaults weigh nothing", y, s, []float64{1, 0, 1, 0}, true},
		{"empty", nil, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.y, tc.s, tc.w)
			if err == nil {
				t.Fatal("Check: got no error")
			}
			if got := errors.Is(err, ErrOneClass); got != tc.oneCls {
				t.Errorf("Check: got %v; want ErrOneClass: %v", err, tc.oneCls)
			}
			for name, v := range map[string]float64{
				"AUC":  AUC(tc.y, tc.s, tc.w),
				"Gini": Gini(tc.y, tc.s, tc.w),
			} {
				if !math.IsNaN(v) {
					t.Errorf("%s = %v; want NaN", name, v)
				}
			}
			if tc.w != nil {
				return // the functions below take no weights
			}
			auc, se := DeLong(tc.y, tc.s)
			lo, hi := AUCInterval(tc.y, tc.s, 0.95)
			z, p := AUCDropTest(0.7, tc.y, tc.s)
			for name, v := range map[string]float64{
				"KS": KS(tc.y, tc.s), "DeLong AUC": auc, "DeLong se": se,
				"interval low": lo, "interval high": hi, "drop z": z, "drop p": p,
			} {
				if !math.IsNaN(v) {
					t.Errorf("%s = %v; want NaN", name, v)
				}
			}
			if _, _, _, err := ROC(tc.y, tc.s); err == nil {
				t.Error("ROC: got no error")
			}
			if _, err := KSCurve(tc.y, tc.s, nil); err == nil {
				t.Error("KSCurve: got no error")
			}
		})
	}
}

func TestPDMetricsInvalid(t *testing.T) {
	for _, tc := range []struct {
		name     string
		y, pd, w []float64
	}{
		{"lengths", []float64{0, 1}, []float64{0.1}, nil},
		{"PD above 1", []float64{0, 1}, []float64{0.1, 1.2}, nil},
		{"PD negative", []float64{0, 1}, []float64{-0.1, 0.2}, nil},
		{"PD NaN", []float64{0, 1}, []float64{0.1, math.NaN()}, nil},
		{"label", []float64{0, 3}, []float64{0.1, 0.2}, nil},
		{"no weight", []float64{0, 1}, []float64{0.1, 0.2}, []float64{0, 0}},
		{"empty", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Brier(tc.y, tc.pd, tc.w); !math.IsNaN(got) {
				t.Errorf("Brier = %v; want NaN", got)
			}
			if got := LogLoss(tc.y, tc.pd, tc.w); !math.IsNaN(got) {
				t.Errorf("LogLoss = %v; want NaN", got)
			}
			if tc.w != nil {
				return
			}
			if _, err := Summary(tc.y, tc.pd, nil); err == nil {
				t.Error("Summary: got no error")
			}
			if _, err := Calibration(tc.pd, tc.y, nil); err == nil {
				t.Error("Calibration: got no error")
			}
			if stat, p := HosmerLemeshow(tc.y, tc.pd, nil, 3); !math.IsNaN(stat) || !math.IsNaN(p) {
				t.Errorf("HosmerLemeshow = %v, %v; want NaN", stat, p)
			}
		})
	}
}

func TestBrierLogLoss(t *testing.T) {
	y := []float64{0, 1, 1, 0}
	pd := []float64{0, 1, 0.5, 0.25}
	if got, want := Brier(y, pd, nil), (0+0+0.25+0.0625)/4; got != want {
		t.Errorf("Brier = %v; want %v", got, want)
	}
	want := (-math.Log1p(-LogLossEps) - math.Log(1-LogLossEps) + math.Log(2) - math.Log(0.75)) / 4
	if got := LogLoss(y, pd, nil); math.Abs(got-want) > 1e-15 {
		t.Errorf("LogLoss = %v; want %v", got, want)
	}
	// A certain, wrong PD costs −ln(1e-15), not +Inf.
	if got, want := LogLoss([]float64{1}, []float64{0}, nil), -math.Log(LogLossEps); math.Abs(got-want) > 1e-12 {
		t.Errorf("LogLoss of a certain miss = %v; want %v", got, want)
	}
}

func TestKSAndCurve(t *testing.T) {
	y := []float64{0, 0, 1, 0, 1, 1}
	s := []float64{0.1, 0.2, 0.3, 0.3, 0.5, 0.6}
	// From the top: 0.6 → bads 1/3; 0.5 → 2/3; 0.3 → 1 bad, 1/3 good;
	// 0.2 → 2/3 good; 0.1 → all.
	if got := KS(y, s); math.Abs(got-2.0/3) > 1e-15 {
		t.Errorf("KS = %v; want 2/3", got)
	}
	curve, err := KSCurve(y, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantThr := []float64{0.6, 0.5, 0.3, 0.2, 0.1}
	wantSep := []float64{1.0 / 3, 2.0 / 3, 2.0 / 3, 1.0 / 3, 0}
	wantPop := []float64{1.0 / 6, 2.0 / 6, 4.0 / 6, 5.0 / 6, 1}
	if len(curve) != len(wantThr) {
		t.Fatalf("got %d points; want %d", len(curve), len(wantThr))
	}
	for i, p := range curve {
		if p.Threshold != wantThr[i] || math.Abs(p.Separation-wantSep[i]) > 1e-15 || math.Abs(p.Population-wantPop[i]) > 1e-15 {
			t.Errorf("point %d = %+v; want threshold %v, separation %v, population %v", i, p, wantThr[i], wantSep[i], wantPop[i])
		}
	}
	if _, err := json.Marshal(curve); err != nil {
		t.Errorf("KS curve does not encode: %v", err)
	}
}

func TestROCSmall(t *testing.T) {
	// From the top, thresholds 0.6, 0.5 and 0.4 add one non-default each:
	// the point at 0.5 lies on the straight segment between the others and
	// is dropped. The first threshold is always kept, as scikit-learn does.
	y := []float64{1, 1, 0, 1, 0, 0}
	s := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4}
	fpr, tpr, thr, err := ROC(y, s)
	if err != nil {
		t.Fatal(err)
	}
	wantFPR := []float64{0, 0, 0, 1.0 / 3, 1.0 / 3, 1}
	wantTPR := []float64{0, 1.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1}
	wantThr := []float64{math.Inf(1), 0.9, 0.8, 0.7, 0.6, 0.4}
	if !slices.Equal(fpr, wantFPR) || !slices.Equal(tpr, wantTPR) || !slices.Equal(thr, wantThr) {
		t.Errorf("ROC = %v, %v, %v; want %v, %v, %v", fpr, tpr, thr, wantFPR, wantTPR, wantThr)
	}
}

func TestDeLongEdgeCases(t *testing.T) {
	// One default: the AUC exists, its standard error does not.
	auc, se := DeLong([]float64{0, 0, 1}, []float64{0.1, 0.2, 0.3})
	if auc != 1 || !math.IsNaN(se) {
		t.Errorf("DeLong with one default = %v, %v; want 1, NaN", auc, se)
	}
	// Perfect separation: se is 0, so the drop test is decided outright.
	y := []float64{0, 0, 1, 1}
	s := []float64{0.1, 0.2, 0.3, 0.4}
	auc, se = DeLong(y, s)
	if auc != 1 || se != 0 {
		t.Errorf("DeLong perfect = %v, %v; want 1, 0", auc, se)
	}
	for _, tc := range []struct {
		init, z, p float64
	}{
		{1, 0, 0.5},
		{0.9, math.Inf(-1), 1},
	} {
		z, p := AUCDropTest(tc.init, y, s)
		if z != tc.z || p != tc.p {
			t.Errorf("AUCDropTest(%v) = %v, %v; want %v, %v", tc.init, z, p, tc.z, tc.p)
		}
	}
	for _, init := range []float64{-0.1, 1.1, math.NaN()} {
		if z, p := AUCDropTest(init, y, s); !math.IsNaN(z) || !math.IsNaN(p) {
			t.Errorf("AUCDropTest(%v) = %v, %v; want NaN", init, z, p)
		}
	}
	for _, level := range []float64{0, 1, -0.5, math.NaN()} {
		if lo, hi := AUCInterval(y, s, level); !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("AUCInterval(level %v) = %v, %v; want NaN", level, lo, hi)
		}
	}
}

func TestAUCDropTestDirection(t *testing.T) {
	y, s := syntheticSample(2000, 1)
	auc, se := DeLong(y, s)
	for _, tc := range []struct {
		init    float64
		wantLow bool // a small p: the AUC has dropped
	}{
		{auc + 4*se, true},
		{auc - 4*se, false},
	} {
		z, p := AUCDropTest(tc.init, y, s)
		if math.Abs(z-(tc.init-auc)/se) > 1e-12 {
			t.Errorf("z = %v; want %v", z, (tc.init-auc)/se)
		}
		if (p < 0.001) != tc.wantLow {
			t.Errorf("AUCDropTest(%v) p = %v; want small: %v", tc.init, p, tc.wantLow)
		}
	}
}

func TestJeffreysAndBinomial(t *testing.T) {
	for _, tc := range []struct {
		name  string
		d, n  float64
		pd    float64
		wantJ float64
		wantB float64
	}{
		{"PD 0", 3, 10, 0, 0, 0},
		{"PD 1", 3, 10, 1, 1, 1},
		{"no defaults", 0, 10, 0.1, -1, 1}, // wantJ < 0: not checked
		// Beta(3/2, 1/2) has CDF (2/π)·(asin(√x) − √(x(1−x))).
		{"one of one", 1, 1, 0.25, 2 / math.Pi * (math.Asin(0.5) - math.Sqrt(0.25*0.75)), 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotJ := Jeffreys(tc.d, tc.n, tc.pd)
			if tc.wantJ >= 0 && math.Abs(gotJ-tc.wantJ) > 1e-14 {
				t.Errorf("Jeffreys = %v; want %v", gotJ, tc.wantJ)
			}
			if got := BinomialTest(int(tc.d), int(tc.n), tc.pd); math.Abs(got-tc.wantB) > 1e-14 {
				t.Errorf("BinomialTest = %v; want %v", got, tc.wantB)
			}
		})
	}
	// Beta(1/2, 3/2) by symmetry: 1 − (2/π)·(asin(√½) − ½) at x = ½.
	if got, want := Jeffreys(0, 1, 0.5), 0.5+1/math.Pi; math.Abs(got-want) > 1e-14 {
		t.Errorf("Jeffreys(0, 1, 0.5) = %v; want %v", got, want)
	}
	for _, tc := range []struct{ d, n, pd float64 }{
		{-1, 10, 0.1}, {11, 10, 0.1}, {0, 0, 0.1}, {1, 10, -0.1}, {1, 10, 1.1},
		{math.NaN(), 10, 0.1}, {1, math.Inf(1), 0.1}, {1, 10, math.NaN()},
	} {
		if got := Jeffreys(tc.d, tc.n, tc.pd); !math.IsNaN(got) {
			t.Errorf("Jeffreys(%v, %v, %v) = %v; want NaN", tc.d, tc.n, tc.pd, got)
		}
		if lo, hi := JeffreysInterval(tc.d, tc.n, 0.95); !math.IsNaN(tc.pd) && (!math.IsNaN(lo) || !math.IsNaN(hi)) &&
			(tc.d < 0 || tc.d > tc.n || tc.n <= 0 || math.IsInf(tc.n, 0) || math.IsNaN(tc.d)) {
			t.Errorf("JeffreysInterval(%v, %v) = %v, %v; want NaN", tc.d, tc.n, lo, hi)
		}
		if tc.d == math.Trunc(tc.d) && !math.IsInf(tc.n, 0) {
			if got := BinomialTest(int(tc.d), int(tc.n), tc.pd); !math.IsNaN(got) {
				t.Errorf("BinomialTest(%v, %v, %v) = %v; want NaN", tc.d, tc.n, tc.pd, got)
			}
		}
	}
	lo, hi := JeffreysInterval(0, 50, 0.95)
	if lo != 0 || !(hi > 0 && hi < 0.1) {
		t.Errorf("JeffreysInterval(0, 50) = [%v, %v]; want [0, small]", lo, hi)
	}
	lo, hi = JeffreysInterval(50, 50, 0.95)
	if hi != 1 || !(lo > 0.9) {
		t.Errorf("JeffreysInterval(50, 50) = [%v, %v]; want [near 1, 1]", lo, hi)
	}
}

func TestTrafficLight(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		want Light
	}{
		{1, Green},
		{0.5, Green},
		{math.Nextafter(0.05, 1), Green},
		{0.05, Yellow}, // rejected at exactly 95%
		{0.01, Yellow},
		{math.Nextafter(0.001, 1), Yellow},
		{0.001, Red}, // rejected at exactly 99.9%
		{1e-30, Red},
		{0, Red},
		{math.NaN(), NoLight},
	} {
		if got := TrafficLight(tc.p); got != tc.want {
			t.Errorf("TrafficLight(%v) = %q; want %q", tc.p, got, tc.want)
		}
	}
}

func TestCalibrationByGradeErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		grades []int
		pd, y  []float64
	}{
		{"lengths", []int{1}, []float64{0.1, 0.2}, []float64{0, 1}},
		{"grade 0", []int{0, 1}, []float64{0.1, 0.2}, []float64{0, 1}},
		{"PD", []int{1, 1}, []float64{0.1, 2}, []float64{0, 1}},
		{"label", []int{1, 1}, []float64{0.1, 0.2}, []float64{0, 0.5}},
	} {
		if _, err := CalibrationByGrade(tc.grades, tc.pd, tc.y, nil); err == nil {
			t.Errorf("%s: got no error", tc.name)
		}
	}
}

func TestCalibrationPortfolio(t *testing.T) {
	pd := []float64{0.01, 0.02, 0.03, 0.5}
	y := []float64{0, 0, 1, 1}
	row, err := Calibration(pd, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := gradeRow(0, 4, 2, 0.56)
	if row != want || row.MeanPD != 0.14 || row.DefaultRate != 0.5 {
		t.Errorf("Calibration = %+v; want %+v", row, want)
	}
	rows, err := CalibrationByGrade([]int{3, 3, 3, 3}, pd, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].JeffreysP != row.JeffreysP || rows[0].Grade != 3 {
		t.Errorf("one grade = %+v; want the portfolio row as grade 3", rows)
	}
}

func TestHosmerLemeshow(t *testing.T) {
	// Perfectly calibrated groups: within each PD level, the share of
	// defaults equals the PD, so HL is 0 and p is 1.
	var y, pd []float64
	for _, p := range []float64{0.1, 0.2, 0.3, 0.4, 0.5} {
		for i := range 10 {
			pd = append(pd, p)
			y = append(y, float64(boolInt(float64(i) < p*10)))
		}
	}
	stat, p := HosmerLemeshow(y, pd, nil, 5)
	if math.Abs(stat) > 1e-12 || math.Abs(p-1) > 1e-12 {
		t.Errorf("HosmerLemeshow = %v, %v; want 0, 1", stat, p)
	}
	// A PD of 0 for a group with defaults cannot be right.
	stat, p = HosmerLemeshow([]float64{1, 0, 0, 1, 0, 1}, []float64{0, 0, 0.5, 0.5, 0.6, 0.6}, nil, 3)
	if !math.IsInf(stat, 1) || p != 0 {
		t.Errorf("HosmerLemeshow with PD 0 and defaults = %v, %v; want +Inf, 0", stat, p)
	}
	for _, g := range []int{1, 2, -1, 7} {
		if stat, p := HosmerLemeshow(y[:6], pd[:6], nil, g); !math.IsNaN(stat) || !math.IsNaN(p) {
			t.Errorf("HosmerLemeshow(groups %d) = %v, %v; want NaN", g, stat, p)
		}
	}
	if stat, _ := HosmerLemeshow(y, pd, nil, 0); math.IsNaN(stat) {
		t.Error("HosmerLemeshow(groups 0) = NaN; want the 10-group statistic")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestPSISmall(t *testing.T) {
	// Edges at 0.5: expected splits 2/2, actual 1/3.
	psi, table, err := PSIFromEdges([]float64{0, 0.2, 0.7, 0.9}, []float64{0.1, 0.6, 0.8, 0.9}, []float64{0.5})
	if err != nil {
		t.Fatal(err)
	}
	want := (0.25-0.5)*math.Log(0.25/0.5) + (0.75-0.5)*math.Log(0.75/0.5)
	if math.Abs(psi-want) > 1e-15 || len(table) != 2 {
		t.Errorf("PSI = %v with %d bins; want %v with 2", psi, len(table), want)
	}
	// An empty bin: ½ is added to every count of both samples.
	psi, table, err = PSIFromEdges([]float64{0.1, 0.9}, []float64{0.8, 0.9}, []float64{0.5})
	if err != nil {
		t.Fatal(err)
	}
	e, a := []float64{1.5 / 3, 1.5 / 3}, []float64{0.5 / 3, 2.5 / 3}
	want = (a[0]-e[0])*math.Log(a[0]/e[0]) + (a[1]-e[1])*math.Log(a[1]/e[1])
	if math.Abs(psi-want) > 1e-15 || table[0].Actual != 0 || table[0].ActualShare != a[0] {
		t.Errorf("smoothed PSI = %v, table %+v; want %v", psi, table, want)
	}
	// Missing values get their own bin, last.
	_, table, err = PSI([]float64{1, 2, 3, math.NaN()}, []float64{1, math.NaN(), math.NaN(), 2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	last := table[len(table)-1]
	if !last.Missing || last.Expected != 1 || last.Actual != 2 {
		t.Errorf("missing bin = %+v; want 1 expected, 2 actual", last)
	}
	// Tied values merge cut points: a 0/1 flag has two bins whatever bins says.
	_, table, err = PSI([]float64{0, 0, 0, 1, 1}, []float64{0, 1}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(table) != 2 {
		t.Errorf("flag: got %d bins; want 2", len(table))
	}
	for _, tc := range []struct {
		name     string
		exp, act []float64
		edges    []float64
	}{
		{"empty expected", nil, []float64{1}, nil},
		{"empty actual", []float64{1}, nil, nil},
		{"infinite", []float64{1, math.Inf(1)}, []float64{1}, nil},
		{"edges decrease", []float64{1}, []float64{1}, []float64{2, 1}},
		{"edge NaN", []float64{1}, []float64{1}, []float64{math.NaN()}},
	} {
		if _, _, err := PSIFromEdges(tc.exp, tc.act, tc.edges); err == nil {
			t.Errorf("PSIFromEdges %s: got no error", tc.name)
		}
	}
	if _, _, err := PSI([]float64{1}, []float64{1}, -3); err == nil {
		t.Error("PSI with -3 bins: got no error")
	}
}

func TestPSIBinJSON(t *testing.T) {
	_, table, err := PSI([]float64{1, 2, 3, math.NaN()}, []float64{1, 2, math.NaN()}, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(table)
	if err != nil {
		t.Fatal(err)
	}
	var back []PSIBin
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(table) {
		t.Fatalf("got %d bins back; want %d", len(back), len(table))
	}
	for i := range table {
		g, w := back[i], table[i]
		same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
		if !same(g.Lower, w.Lower) || !same(g.Upper, w.Upper) || g.Missing != w.Missing ||
			g.Expected != w.Expected || g.Actual != w.Actual || g.PSI != w.PSI ||
			g.ExpectedShare != w.ExpectedShare || g.ActualShare != w.ActualShare {
			t.Errorf("bin %d: got %+v; want %+v", i, g, w)
		}
	}
}

func TestStability(t *testing.T) {
	for _, tc := range []struct {
		psi  float64
		want string
	}{
		{0, "stable"}, {0.0999, "stable"}, {0.10, "investigate"}, {0.2499, "investigate"},
		{0.25, "shifted"}, {3, "shifted"}, {math.NaN(), "unknown"},
	} {
		if got := Stability(tc.psi); got != tc.want {
			t.Errorf("Stability(%v) = %q; want %q", tc.psi, got, tc.want)
		}
	}
}

func TestConcentration(t *testing.T) {
	for _, tc := range []struct {
		name        string
		grades      []int
		k           int
		hhi, cv, hi float64
	}{
		{"even", []int{1, 2, 3, 4}, 4, 0.25, 0, 0},
		{"one grade", []int{2, 2, 2}, 4, 1, math.Sqrt(3), 1},
		{"two of four", []int{1, 1, 2, 2}, 4, 0.5, 1, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Herfindahl(tc.grades); math.Abs(got-tc.hhi) > 1e-15 {
				t.Errorf("Herfindahl = %v; want %v", got, tc.hhi)
			}
			cv, hi := HerfindahlECB(tc.grades, tc.k)
			if math.Abs(cv-tc.cv) > 1e-15 || math.Abs(hi-tc.hi) > 1e-15 {
				t.Errorf("HerfindahlECB = %v, %v; want %v, %v", cv, hi, tc.cv, tc.hi)
			}
		})
	}
	if got := Herfindahl(nil); !math.IsNaN(got) {
		t.Errorf("Herfindahl(nil) = %v; want NaN", got)
	}
	for _, tc := range []struct {
		grades []int
		k      int
	}{{[]int{1, 5}, 4}, {[]int{0, 1}, 4}, {[]int{1}, 1}, {nil, 4}} {
		if cv, hi := HerfindahlECB(tc.grades, tc.k); !math.IsNaN(cv) || !math.IsNaN(hi) {
			t.Errorf("HerfindahlECB(%v, %d) = %v, %v; want NaN", tc.grades, tc.k, cv, hi)
		}
	}
}

func TestIV(t *testing.T) {
	// Bin 1: 3 goods, 1 bad; bin 2: 1 good, 3 bads.
	y := []float64{0, 0, 0, 1, 0, 1, 1, 1}
	bins := []int{1, 1, 1, 1, 2, 2, 2, 2}
	want := 2 * (0.75 - 0.25) * math.Log(3)
	if got := IV(y, bins); math.Abs(got-want) > 1e-15 {
		t.Errorf("IV = %v; want %v", got, want)
	}
	// Same bins, no information.
	if got := IV([]float64{0, 1, 0, 1}, []int{1, 1, 2, 2}); got != 0 {
		t.Errorf("IV of an uninformative feature = %v; want 0", got)
	}
	// A pure bin is smoothed, not infinite.
	if got := IV([]float64{0, 0, 1, 1}, []int{1, 1, 2, 2}); math.IsInf(got, 0) || !(got > 0) {
		t.Errorf("IV of a pure split = %v; want finite > 0", got)
	}
	for _, tc := range []struct {
		y    []float64
		bins []int
	}{{[]float64{0, 1}, []int{1}}, {[]float64{0, 0}, []int{1, 2}}, {[]float64{0, 2}, []int{1, 2}}} {
		if got := IV(tc.y, tc.bins); !math.IsNaN(got) {
			t.Errorf("IV(%v, %v) = %v; want NaN", tc.y, tc.bins, got)
		}
	}
}

func TestSummary(t *testing.T) {
	y, pd := syntheticSample(3000, 2)
	m, err := Summary(y, pd, nil)
	if err != nil {
		t.Fatal(err)
	}
	auc, se := DeLong(y, pd)
	lo, hi := AUCInterval(y, pd, SummaryLevel)
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"AUC", m.AUC, AUC(y, pd, nil)},
		{"DeLong AUC", m.AUC, auc},
		{"AUCStdErr", m.AUCStdErr, se},
		{"AUCLow", m.AUCLow, lo},
		{"AUCHigh", m.AUCHigh, hi},
		{"Gini", m.Gini, Gini(y, pd, nil)},
		{"KS", m.KS, KS(y, pd)},
		{"Brier", m.Brier, Brier(y, pd, nil)},
		{"LogLoss", m.LogLoss, LogLoss(y, pd, nil)},
	} {
		if c.got != c.want || math.IsNaN(c.got) {
			t.Errorf("%s = %v; want %v", c.what, c.got, c.want)
		}
	}
	var d int
	for _, v := range y {
		d += int(v)
	}
	if m.N != len(y) || m.Defaults != d || m.DefaultRate != float64(d)/float64(len(y)) {
		t.Errorf("counts = %d, %d, %v; want %d, %d", m.N, m.Defaults, m.DefaultRate, len(y), d)
	}

	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Metrics
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != m {
		t.Errorf("JSON round trip: got %+v; want %+v", back, m)
	}
}

func TestSummaryOneClass(t *testing.T) {
	m, err := Summary([]float64{0, 0, 0}, []float64{0.01, 0.02, 0.03}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(m.AUC) || !math.IsNaN(m.KS) || math.IsNaN(m.Brier) || m.Defaults != 0 {
		t.Errorf("Summary without defaults = %+v; want NaN discrimination, a Brier score", m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Metrics
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.AUC) || back.Brier != m.Brier {
		t.Errorf("JSON %s read back as %+v", b, back)
	}
}

// syntheticSample returns n labels and PDs where the PD is informative.
func syntheticSample(n int, seed uint64) (y, pd []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	y = make([]float64, n)
	pd = make([]float64, n)
	for i := range n {
		z := -3 + rng.NormFloat64()
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
		pd[i] = 1 / (1 + math.Exp(-(z + 0.8*rng.NormFloat64())))
	}
	return y, pd
}

// FuzzAUC checks AUC against its definition (all pairs) and invariants:
// within [0, 1], unchanged by a strictly increasing transform of the
// score, reflected by negating it, equal to DeLong's AUC and to the area
// under ROC's curve; NaN exactly when Check rejects the input.
func FuzzAUC(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{0, 0, 1, 1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Each byte is a row: the high 7 bits its score (so ties are
		// common), the low bit its label; weights cycle through 1, 2, 3.
		if len(b) > 400 {
			b = b[:400] // the pair count below is quadratic
		}
		n := len(b)
		y := make([]float64, n)
		s := make([]float64, n)
		w := make([]float64, n)
		for i, v := range b {
			y[i] = float64(v & 1)
			s[i] = float64(v>>1) / 8
			w[i] = float64(i%3 + 1)
		}
		auc := AUC(y, s, nil)
		if err := Check(y, s, nil); err != nil {
			if !math.IsNaN(auc) {
				t.Fatalf("AUC = %v on invalid input (%v)", auc, err)
			}
			return
		}
		if !(auc >= 0 && auc <= 1) {
			t.Fatalf("AUC = %v", auc)
		}
		if want := bruteAUC(y, s, nil); math.Abs(auc-want) > 1e-12 {
			t.Fatalf("AUC = %v; pairs give %v", auc, want)
		}
		if got, want := AUC(y, s, w), bruteAUC(y, s, w); math.Abs(got-want) > 1e-12 {
			t.Fatalf("weighted AUC = %v; pairs give %v", got, want)
		}
		up := make([]float64, n)
		down := make([]float64, n)
		for i, v := range s {
			up[i] = math.Exp(v) * 3 // increasing, and exact order kept
			down[i] = -v
		}
		if got := AUC(y, up, nil); math.Abs(got-auc) > 1e-12 {
			t.Fatalf("AUC after an increasing transform = %v; want %v", got, auc)
		}
		if got := AUC(y, down, nil); math.Abs(got-(1-auc)) > 1e-12 {
			t.Fatalf("AUC of the negated score = %v; want %v", got, 1-auc)
		}
		if d, _ := DeLong(y, s); d != auc {
			t.Fatalf("DeLong AUC = %v; want %v", d, auc)
		}
		if ks := KS(y, s); !(ks >= 0 && ks <= 1) || math.Abs(KS(y, up)-ks) > 1e-12 {
			t.Fatalf("KS = %v, after transform %v", ks, KS(y, up))
		}
		fpr, tpr, _, err := ROC(y, s)
		if err != nil {
			t.Fatal(err)
		}
		var area float64
		for i := 1; i < len(fpr); i++ {
			area += (fpr[i] - fpr[i-1]) * (tpr[i] + tpr[i-1]) / 2
		}
		if math.Abs(area-auc) > 1e-12 {
			t.Fatalf("area under ROC() = %v; want %v", area, auc)
		}
	})
}

func ExampleSummary() {
	y := []float64{0, 0, 1, 0, 1, 0, 0, 1, 0, 0}
	pd := []float64{0.02, 0.05, 0.30, 0.05, 0.10, 0.01, 0.20, 0.25, 0.03, 0.07}
	m, err := Summary(y, pd, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("AUC %.3f, Gini %.3f, KS %.3f, default rate %.2f, mean PD %.3f\n",
		m.AUC, m.Gini, m.KS, m.DefaultRate, m.MeanPD)
	// Output: AUC 0.952, Gini 0.905, KS 0.857, default rate 0.30, mean PD 0.108
}

func ExampleCalibrationByGrade() {
	grades := []int{1, 1, 1, 1, 2, 2, 2, 2}
	pd := []float64{0.01, 0.01, 0.01, 0.01, 0.05, 0.05, 0.05, 0.05}
	y := []float64{0, 0, 0, 1, 1, 1, 1, 0}
	rows, _ := CalibrationByGrade(grades, pd, y, nil)
	for _, r := range rows {
		fmt.Printf("grade %d: %d/%d defaults, PD %.2f, Jeffreys p %.4f → %s\n",
			r.Grade, r.Defaults, r.N, r.MeanPD, r.JeffreysP, r.Light)
	}
	// Output:
	// grade 1: 1/4 defaults, PD 0.01, Jeffreys p 0.0054 → yellow
	// grade 2: 3/4 defaults, PD 0.05, Jeffreys p 0.0001 → red
}

func benchSample(b *testing.B) (y, s []float64) {
	y, s = syntheticSample(1_000_000, 3)
	b.ReportAllocs()
	return y, s
}

func BenchmarkAUC1M(b *testing.B) {
	y, s := benchSample(b)
	for b.Loop() {
		AUC(y, s, nil)
	}
}

func BenchmarkAUCWeighted1M(b *testing.B) {
	y, s := benchSample(b)
	w := make([]float64, len(y))
	for i := range w {
		w[i] = float64(i%5 + 1)
	}
	for b.Loop() {
		AUC(y, s, w)
	}
}

func BenchmarkDeLong1M(b *testing.B) {
	y, s := benchSample(b)
	for b.Loop() {
		DeLong(y, s)
	}
}

func BenchmarkSummary1M(b *testing.B) {
	y, s := benchSample(b)
	for b.Loop() {
		if _, err := Summary(y, s, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// gradeRow is the unweighted row of n rows with the given defaults and
// sum of PDs.
func gradeRow(grade, n, defaults int, sumPD float64) GradeRow {
	a := gradeAcc{n: n, defaults: defaults, weight: float64(n), defaultWeight: float64(defaults), sum: sumPD}
	return a.row(grade, false)
}
