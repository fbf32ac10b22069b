package eval

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// weightedCase is a sample with whole weights, so that it can be written
// out as copies: a row of weight k is the row k times.
type weightedCase struct {
	name   string
	grades []int
	y, pd  []float64
	w      []float64
}

var weightedCases = []weightedCase{
	{
		name:   "two grades",
		grades: []int{1, 1, 2, 2, 2, 1},
		y:      []float64{0, 1, 0, 1, 0, 0},
		pd:     []float64{0.01, 0.05, 0.2, 0.3, 0.25, 0.02},
		w:      []float64{3, 1, 2, 1, 4, 9},
	},
	{
		name:   "case-control",
		grades: []int{1, 2, 3, 1, 2, 3, 3, 2},
		y:      []float64{1, 1, 1, 0, 0, 0, 0, 0},
		pd:     []float64{0.3, 0.1, 0.6, 0.05, 0.1, 0.4, 0.7, 0.15},
		w:      []float64{1, 1, 1, 10, 10, 10, 10, 10},
	},
	{
		name:   "ties and a weightless row",
		grades: []int{1, 1, 1, 2, 2, 2},
		y:      []float64{0, 1, 0, 1, 0, 1},
		pd:     []float64{0.1, 0.1, 0.1, 0.5, 0.5, 0.9},
		w:      []float64{2, 3, 0, 1, 5, 4},
	},
}

// copies writes out each row of c as many times as it weighs.
func (c weightedCase) copies() (grades []int, y, pd []float64) {
	for i, w := range c.w {
		for range int(w) {
			grades, y, pd = append(grades, c.grades[i]), append(y, c.y[i]), append(pd, c.pd[i])
		}
	}
	return grades, y, pd
}

func TestSummaryWeightedAsCopies(t *testing.T) {
	for _, c := range weightedCases {
		t.Run(c.name, func(t *testing.T) {
			_, cy, cpd := c.copies()
			got, err := Summary(c.y, c.pd, c.w)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Summary(cy, cpd, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.N != len(c.y) || got.Weight != float64(len(cy)) {
				t.Errorf("N, Weight = %d, %v; want the rows %d and the copies %d", got.N, got.Weight, len(c.y), len(cy))
			}
			// Sums in another order: equal to rounding.
			const tol = 1e-12
			for _, f := range []struct {
				name      string
				got, want float64
			}{
				{"DefaultRate", got.DefaultRate, want.DefaultRate},
				{"MeanPD", got.MeanPD, want.MeanPD},
				{"AUC", got.AUC, want.AUC},
				{"Gini", got.Gini, want.Gini},
				{"KS", got.KS, want.KS},
				{"Brier", got.Brier, want.Brier},
				{"LogLoss", got.LogLoss, want.LogLoss},
				{"JeffreysP", got.JeffreysP, want.JeffreysP},
			} {
				if !near(f.got, f.want, tol) {
					t.Errorf("%s = %v; want %v, as of the copies", f.name, f.got, f.want)
				}
			}
		})
	}
}

func TestCalibrationWeightedAsCopies(t *testing.T) {
	// The binomial test rounds the weighted counts, which are whole here.
	const tol = 1e-12
	same := func(t *testing.T, got, want GradeRow) {
		t.Helper()
		if got.Weight != float64(want.N) || got.Grade != want.Grade || got.Light != want.Light {
			t.Errorf("grade %d: Weight %v, light %s; want %d, %s", got.Grade, got.Weight, got.Light, want.N, want.Light)
		}
		if got.Population() != float64(want.N) || !near(got.PopulationDefaults(), float64(want.Defaults), tol) {
			t.Errorf("grade %d: population %v with %v defaults; want %d with %d", got.Grade, got.Population(), got.PopulationDefaults(), want.N, want.Defaults)
		}
		for _, f := range []struct {
			name      string
			got, want float64
		}{
			{"DefaultRate", got.DefaultRate, want.DefaultRate},
			{"MeanPD", got.MeanPD, want.MeanPD},
			{"JeffreysP", got.JeffreysP, want.JeffreysP},
			{"BinomialP", got.BinomialP, want.BinomialP},
			{"DRLow", got.DRLow, want.DRLow},
			{"DRHigh", got.DRHigh, want.DRHigh},
		} {
			if !near(f.got, f.want, tol) {
				t.Errorf("grade %d: %s = %v; want %v, as of the copies", got.Grade, f.name, f.got, f.want)
			}
		}
	}
	for _, c := range weightedCases {
		t.Run(c.name, func(t *testing.T) {
			cg, cy, cpd := c.copies()
			got, err := CalibrationByGrade(c.grades, c.pd, c.y, c.w)
			if err != nil {
				t.Fatal(err)
			}
			want, err := CalibrationByGrade(cg, cpd, cy, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d grades; want %d", len(got), len(want))
			}
			for k := range got {
				same(t, got[k], want[k])
			}
			gotAll, err := Calibration(c.pd, c.y, c.w)
			if err != nil {
				t.Fatal(err)
			}
			wantAll, err := Calibration(cpd, cy, nil)
			if err != nil {
				t.Fatal(err)
			}
			same(t, gotAll, wantAll)
		})
	}
}

func TestCalibrationRoundsForBinomial(t *testing.T) {
	// 2.4 defaults among 9.6 weigh as 2 among 10 in the binomial test.
	row, err := Calibration([]float64{0.2, 0.2}, []float64{1, 0}, []float64{2.4, 7.2})
	if err != nil {
		t.Fatal(err)
	}
	if want := BinomialTest(2, 10, 0.2); row.BinomialP != want {
		t.Errorf("BinomialP = %v; want %v", row.BinomialP, want)
	}
	if want := Jeffreys(2.4, 9.6, 0.2); row.JeffreysP != want {
		t.Errorf("JeffreysP = %v; want %v, on the weighted counts", row.JeffreysP, want)
	}
}

func TestHosmerLemeshowWeightedAsCopies(t *testing.T) {
	// Whole weights summing to a multiple of the groups: the equal-weight
	// cut is array_split's cut of the copies.
	tests := []struct {
		name   string
		y, pd  []float64
		w      []float64
		groups int
	}{
		{"rows on the cuts", []float64{0, 1, 0, 1, 0, 1}, []float64{0.05, 0.1, 0.2, 0.4, 0.6, 0.8}, []float64{3, 2, 4, 1, 5, 3}, 3},
		{"whole groups", []float64{0, 0, 1, 0, 1, 1}, []float64{0.1, 0.15, 0.3, 0.35, 0.7, 0.9}, []float64{2, 2, 2, 2, 2, 2}, 3},
		{"case-control", []float64{1, 0, 1, 0, 0, 1, 0, 0}, []float64{0.02, 0.03, 0.2, 0.1, 0.4, 0.5, 0.6, 0.05}, []float64{1, 5, 1, 5, 5, 1, 5, 7}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := weightedCase{grades: make([]int, len(tc.y)), y: tc.y, pd: tc.pd, w: tc.w}
			_, cy, cpd := c.copies()
			stat, p := HosmerLemeshow(tc.y, tc.pd, tc.w, tc.groups)
			wantStat, wantP := HosmerLemeshow(cy, cpd, nil, tc.groups)
			if !near(stat, wantStat, 1e-12) || !near(p, wantP, 1e-12) {
				t.Errorf("HosmerLemeshow = %v, %v; want %v, %v, as of the copies", stat, p, wantStat, wantP)
			}
		})
	}
}

func TestWeightedQuantileEdgesAsCopies(t *testing.T) {
	x := []float64{5, 1, math.NaN(), 3, 2, 8, 4, 7}
	w := []float64{1, 4, 2, 0, 3, 2, 5, 1}
	var cx []float64
	for i, k := range w {
		for range int(k) {
			cx = append(cx, x[i])
		}
	}
	for _, bins := range []int{2, 3, 4, 10} {
		got, want := WeightedQuantileEdges(x, w, bins), QuantileEdges(cx, bins)
		if !slices.Equal(got, want) {
			t.Errorf("%d bins: WeightedQuantileEdges = %v; want %v, as of the copies", bins, got, want)
		}
	}
	if got := WeightedQuantileEdges([]float64{1, 2}, []float64{0, 0}, 4); got != nil {
		t.Errorf("no weight: edges %v; want nil", got)
	}
}

func TestWeightedOnesAreUnweighted(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 500
	y, pd, ones := make([]float64, n), make([]float64, n), make([]float64, n)
	grades := make([]int, n)
	for i := range n {
		pd[i] = r.Float64() * 0.3
		if r.Float64() < pd[i] {
			y[i] = 1
		}
		ones[i] = 1
		grades[i] = 1 + int(pd[i]*30)
	}
	plain, err := Summary(y, pd, nil)
	if err != nil {
		t.Fatal(err)
	}
	weighted, err := Summary(y, pd, ones)
	if err != nil {
		t.Fatal(err)
	}
	if weighted.Weight != float64(n) {
		t.Errorf("Weight = %v; want %d", weighted.Weight, n)
	}
	weighted.Weight = 0
	if weighted != plain {
		t.Errorf("Summary with unit weights = %+v; want %+v", weighted, plain)
	}
	s1, p1 := HosmerLemeshow(y, pd, nil, 10)
	s2, p2 := HosmerLemeshow(y, pd, ones, 10)
	if s1 != s2 || p1 != p2 {
		t.Errorf("HosmerLemeshow with unit weights = %v, %v; want %v, %v", s2, p2, s1, p1)
	}
	if e1, e2 := QuantileEdges(pd, 10), WeightedQuantileEdges(pd, ones, 10); !slices.Equal(e1, e2) {
		t.Errorf("WeightedQuantileEdges with unit weights = %v; want %v", e2, e1)
	}
	g1, err := CalibrationByGrade(grades, pd, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := CalibrationByGrade(grades, pd, y, ones)
	if err != nil {
		t.Fatal(err)
	}
	for k := range g2 {
		g2[k].Weight = 0
	}
	if !slices.Equal(g1, g2) {
		t.Errorf("CalibrationByGrade with unit weights = %+v; want %+v", g2, g1)
	}
}

// TestSummaryCaseControl samples a tenth of the non-defaults of a
// synthetic population, each kept with weight 10, and every default: the
// weighted default rate and mean PD estimate the population's, where the
// sample's own are inflated.
func TestSummaryCaseControl(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	const n, keep = 200_000, 0.1
	var popY, popPD, y, pd, w []float64
	for range n {
		p := 0.002 + 0.08*r.Float64()*r.Float64()
		d := 0.0
		if r.Float64() < p {
			d = 1
		}
		popY, popPD = append(popY, d), append(popPD, p)
		if d == 1 || r.Float64() < keep {
			wi := 1.0
			if d == 0 {
				wi = 1 / keep
			}
			y, pd, w = append(y, d), append(pd, p), append(w, wi)
		}
	}
	pop, err := Summary(popY, popPD, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Summary(y, pd, w)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Summary(y, pd, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The weighted figures vary with the draw of non-defaults: about 1%
	// of the population's at this size; 5% leaves room while the
	// unweighted sample's, several times too high, stays far outside.
	const tol = 0.05
	if math.Abs(got.DefaultRate/pop.DefaultRate-1) > tol || math.Abs(got.MeanPD/pop.MeanPD-1) > tol {
		t.Errorf("weighted DefaultRate %v, MeanPD %v; want the population's %v, %v within %v", got.DefaultRate, got.MeanPD, pop.DefaultRate, pop.MeanPD, tol)
	}
	if plain.DefaultRate < 2*pop.DefaultRate {
		t.Errorf("unweighted sample DefaultRate %v; want it inflated well above the population's %v", plain.DefaultRate, pop.DefaultRate)
	}
	if math.Abs(got.Weight/n-1) > tol {
		t.Errorf("Weight %v; want about the population %d", got.Weight, n)
	}
	// One weight per class: the AUC is the unweighted one.
	if !near(got.AUC, plain.AUC, 1e-12) {
		t.Errorf("weighted AUC %v; want the unweighted %v", got.AUC, plain.AUC)
	}
}

func TestMetricsJSONWeight(t *testing.T) {
	old := []byte(`{"n":3,"defaults":1,"default_rate":0.5,"mean_pd":0.1,"auc":null,"auc_se":null,"auc_low":null,"auc_high":null,"gini":null,"ks":null,"brier":0.1,"log_loss":0.2,"jeffreys_p":0.3}`)
	var m Metrics
	if err := json.Unmarshal(old, &m); err != nil {
		t.Fatal(err)
	}
	if m.Weight != 0 || m.N != 3 {
		t.Errorf("decoded %+v; want N 3 and no weight", m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(old) {
		t.Errorf("unweighted JSON = %s; want %s, without a weight key", b, old)
	}
	m.Weight = 30.5
	b, _ = json.Marshal(m)
	var back Metrics
	if err := json.Unmarshal(b, &back); err != nil || back.Weight != 30.5 {
		t.Errorf("round trip of weight 30.5 = %v (%v) from %s", back.Weight, err, b)
	}
}
