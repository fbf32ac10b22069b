package eval

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

// reference is testdata/reference.json, written by make_reference.py with
// scikit-learn and scipy.
type reference struct {
	Samples map[string]*sampleRef
	Tests   []struct {
		Defaults, N int
		PD          float64
		Jeffreys    float64
		Binomial    float64
		CI95, CI90  [2]float64
	}
	PSI struct {
		Expected, Actual         []*float64 // null: NaN
		GradesExpected           []int      `json:"grades_expected"`
		GradesActual             []int      `json:"grades_actual"`
		Deciles, Quintiles, Same psiRef
		NoMissing                psiRef `json:"no_missing"`
		Grades, Edges            psiRef
	}
}

type sampleRef struct {
	Y, Score, PD, W []float64
	Grades          []int
	AUC             float64
	AUCWeighted     float64 `json:"auc_weighted"`
	KS              float64
	ROC             struct{ FPR, TPR, Thresholds []float64 }
	DeLong          struct{ AUC, SE float64 }
	CI95            [2]float64
	Drop            []struct{ Init, Z, P float64 }
	Brier           float64
	BrierWeighted   float64 `json:"brier_weighted"`
	LogLoss         float64 `json:"log_loss"`
	LogLossWeighted float64 `json:"log_loss_weighted"`
	HL10            [2]float64
	HL5             *[2]float64
	Calibration     []GradeRow
	Herfindahl      struct {
		K           int
		HHI, CV, HI float64
	}
	IV float64
}

type psiRef struct {
	Bins          int
	Edges         []float64
	PSI           float64
	Expected      []int
	Actual        []int
	ExpectedShare []float64 `json:"expected_share"`
	ActualShare   []float64 `json:"actual_share"`
	Terms         []float64
}

func loadReference(t testing.TB) *reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Samples) == 0 || len(ref.Tests) == 0 || len(ref.PSI.Expected) == 0 {
		t.Fatal("reference.json is incomplete")
	}
	return &ref
}

func nanFloats(p []*float64) []float64 {
	out := make([]float64, len(p))
	for i, v := range p {
		out[i] = math.NaN()
		if v != nil {
			out[i] = *v
		}
	}
	return out
}

func ints(v []int) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// near reports whether got is within tol of want, absolutely or relative
// to want, whichever is looser.
func near(got, want, tol float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return got == want || (math.IsNaN(got) && math.IsNaN(want))
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// nearRel compares relatively, for p-values far in a tail.
func nearRel(got, want, tol float64) bool {
	return got == want || math.Abs(got-want) <= tol*math.Abs(want)
}

func sampleNames(ref *reference) []string {
	names := make([]string, 0, len(ref.Samples))
	for n := range ref.Samples {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Sums here and in numpy run in different orders: 1e-12 leaves room for
// that rounding and no more.
const sumTol = 1e-12

func TestDiscriminationMatchesReference(t *testing.T) {
	ref := loadReference(t)
	for _, name := range sampleNames(ref) {
		s := ref.Samples[name]
		t.Run(name, func(t *testing.T) {
			if got := AUC(s.Y, s.Score, nil); !near(got, s.AUC, sumTol) {
				t.Errorf("AUC = %v; want %v", got, s.AUC)
			}
			if got := AUC(s.Y, s.Score, s.W); !near(got, s.AUCWeighted, sumTol) {
				t.Errorf("weighted AUC = %v; want %v", got, s.AUCWeighted)
			}
			if got := Gini(s.Y, s.Score, nil); !near(got, 2*s.AUC-1, sumTol) {
				t.Errorf("Gini = %v; want %v", got, 2*s.AUC-1)
			}
			if got := KS(s.Y, s.Score); !near(got, s.KS, sumTol) {
				t.Errorf("KS = %v; want %v", got, s.KS)
			}
			auc, se := DeLong(s.Y, s.Score)
			if !near(auc, s.DeLong.AUC, sumTol) || !near(se, s.DeLong.SE, sumTol) {
				t.Errorf("DeLong = %v, %v; want %v, %v", auc, se, s.DeLong.AUC, s.DeLong.SE)
			}
			// gonum's and scipy's normal quantiles agree to ~1e-16.
			lo, hi := AUCInterval(s.Y, s.Score, 0.95)
			if !near(lo, s.CI95[0], 1e-10) || !near(hi, s.CI95[1], 1e-10) {
				t.Errorf("AUCInterval = [%v, %v]; want %v", lo, hi, s.CI95)
			}
			for _, d := range s.Drop {
				z, p := AUCDropTest(d.Init, s.Y, s.Score)
				if !near(z, d.Z, 1e-10) || !near(p, d.P, 1e-10) {
					t.Errorf("AUCDropTest(%v) = %v, %v; want %v, %v", d.Init, z, p, d.Z, d.P)
				}
			}
			fpr, tpr, thr, err := ROC(s.Y, s.Score)
			if err != nil {
				t.Fatal(err)
			}
			if len(fpr) != len(s.ROC.FPR) || len(tpr) != len(fpr) || len(thr) != len(fpr) {
				t.Fatalf("ROC: got %d points; want %d", len(fpr), len(s.ROC.FPR))
			}
			if !math.IsInf(thr[0], 1) || !slices.Equal(thr[1:], s.ROC.Thresholds) {
				t.Errorf("ROC thresholds = %v; want +Inf then %v", thr, s.ROC.Thresholds)
			}
			for i := range fpr {
				if !near(fpr[i], s.ROC.FPR[i], sumTol) || !near(tpr[i], s.ROC.TPR[i], sumTol) {
					t.Errorf("ROC point %d = (%v, %v); want (%v, %v)", i, fpr[i], tpr[i], s.ROC.FPR[i], s.ROC.TPR[i])
				}
			}
		})
	}
}

func TestCalibrationMatchesReference(t *testing.T) {
	ref := loadReference(t)
	for _, name := range sampleNames(ref) {
		s := ref.Samples[name]
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct {
				what      string
				got, want float64
			}{
				{"Brier", Brier(s.Y, s.PD, nil), s.Brier},
				{"weighted Brier", Brier(s.Y, s.PD, s.W), s.BrierWeighted},
				{"LogLoss", LogLoss(s.Y, s.PD, nil), s.LogLoss},
				{"weighted LogLoss", LogLoss(s.Y, s.PD, s.W), s.LogLossWeighted},
				{"IV", IV(s.Y, s.Grades), s.IV},
				{"Herfindahl", Herfindahl(s.Grades), s.Herfindahl.HHI},
			} {
				if !near(c.got, c.want, sumTol) {
					t.Errorf("%s = %v; want %v", c.what, c.got, c.want)
				}
			}
			cv, hi := HerfindahlECB(s.Grades, s.Herfindahl.K)
			if !near(cv, s.Herfindahl.CV, sumTol) || !near(hi, s.Herfindahl.HI, sumTol) {
				t.Errorf("HerfindahlECB = %v, %v; want %v, %v", cv, hi, s.Herfindahl.CV, s.Herfindahl.HI)
			}
			// The chi-square tail comes from gonum's incomplete gamma,
			// which agrees with scipy's to about 1e-12 relative.
			stat, p := HosmerLemeshow(s.Y, s.PD, nil, 10)
			if !near(stat, s.HL10[0], sumTol) || !nearRel(p, s.HL10[1], 1e-10) {
				t.Errorf("HosmerLemeshow(10) = %v, %v; want %v", stat, p, s.HL10)
			}
			if s.HL5 != nil {
				stat, p := HosmerLemeshow(s.Y, s.PD, nil, 5)
				if !near(stat, s.HL5[0], sumTol) || !nearRel(p, s.HL5[1], 1e-10) {
					t.Errorf("HosmerLemeshow(5) = %v, %v; want %v", stat, p, *s.HL5)
				}
			}
			rows, err := CalibrationByGrade(s.Grades, s.PD, s.Y, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(s.Calibration) {
				t.Fatalf("got %d grades; want %d", len(rows), len(s.Calibration))
			}
			for i, got := range rows {
				want := s.Calibration[i]
				if got.Grade != want.Grade || got.N != want.N || got.Defaults != want.Defaults || got.Light != want.Light {
					t.Errorf("grade row %d = %+v; want %+v", i, got, want)
					continue
				}
				// gonum's incomplete beta and its inverse agree with
				// scipy's (Boost) to about 1e-11 relative, far tails
				// included.
				if !near(got.DefaultRate, want.DefaultRate, sumTol) || !near(got.MeanPD, want.MeanPD, sumTol) ||
					!nearRel(got.JeffreysP, want.JeffreysP, betaTol) || !nearRel(got.BinomialP, want.BinomialP, betaTol) ||
					!nearRel(got.DRLow, want.DRLow, betaTol) || !nearRel(got.DRHigh, want.DRHigh, betaTol) {
					t.Errorf("grade %d:\n got %+v\nwant %+v", got.Grade, got, want)
				}
			}
		})
	}
}

// betaTol is how closely gonum's regularised incomplete beta function and
// its inverse match scipy's (Boost) in relative terms, tails included.
const betaTol = 1e-10

func TestTestsMatchReference(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.Tests {
		d, n := float64(c.Defaults), float64(c.N)
		if got := Jeffreys(d, n, c.PD); !nearRel(got, c.Jeffreys, betaTol) {
			t.Errorf("Jeffreys(%d, %d, %v) = %v; want %v", c.Defaults, c.N, c.PD, got, c.Jeffreys)
		}
		if got := BinomialTest(c.Defaults, c.N, c.PD); !nearRel(got, c.Binomial, betaTol) {
			t.Errorf("BinomialTest(%d, %d, %v) = %v; want %v", c.Defaults, c.N, c.PD, got, c.Binomial)
		}
		for _, ci := range []struct {
			level float64
			want  [2]float64
		}{{0.95, c.CI95}, {0.90, c.CI90}} {
			lo, hi := JeffreysInterval(d, n, ci.level)
			if !nearRel(lo, ci.want[0], betaTol) || !nearRel(hi, ci.want[1], betaTol) {
				t.Errorf("JeffreysInterval(%d, %d, %v) = [%v, %v]; want %v", c.Defaults, c.N, ci.level, lo, hi, ci.want)
			}
		}
	}
}

func TestPSIMatchesReference(t *testing.T) {
	ref := loadReference(t)
	exp, act := nanFloats(ref.PSI.Expected), nanFloats(ref.PSI.Actual)
	noMissing := func(x []float64, v float64) []float64 {
		out := slices.Clone(x)
		for i := range out {
			if math.IsNaN(out[i]) {
				out[i] = v
			}
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		exp, act []float64
		want     psiRef
		edges    bool
	}{
		{"deciles", exp, act, ref.PSI.Deciles, false},
		{"quintiles", exp, act, ref.PSI.Quintiles, false},
		{"same", exp, exp, ref.PSI.Same, false},
		{"no missing", noMissing(exp, 0.5), noMissing(act, -0.5), ref.PSI.NoMissing, false},
		{"grades", ints(ref.PSI.GradesExpected), ints(ref.PSI.GradesActual), ref.PSI.Grades, false},
		{"edges", exp, act, ref.PSI.Edges, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var psi float64
			var table []PSIBin
			var err error
			if tc.edges {
				psi, table, err = PSIFromEdges(tc.exp, tc.act, tc.want.Edges)
			} else {
				psi, table, err = PSI(tc.exp, tc.act, tc.want.Bins)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !near(psi, tc.want.PSI, sumTol) {
				t.Errorf("PSI = %v; want %v", psi, tc.want.PSI)
			}
			if len(table) != len(tc.want.Expected) {
				t.Fatalf("got %d bins; want %d", len(table), len(tc.want.Expected))
			}
			for i, b := range table {
				if b.Expected != tc.want.Expected[i] || b.Actual != tc.want.Actual[i] ||
					!near(b.ExpectedShare, tc.want.ExpectedShare[i], sumTol) ||
					!near(b.ActualShare, tc.want.ActualShare[i], sumTol) ||
					!near(b.PSI, tc.want.Terms[i], sumTol) {
					t.Errorf("bin %d = %+v; want counts %d, %d, shares %v, %v, term %v", i, b,
						tc.want.Expected[i], tc.want.Actual[i], tc.want.ExpectedShare[i], tc.want.ActualShare[i], tc.want.Terms[i])
				}
				if i < len(tc.want.Edges) && b.Upper != tc.want.Edges[i] {
					t.Errorf("bin %d upper = %v; want %v", i, b.Upper, tc.want.Edges[i])
				}
			}
		})
	}
}
