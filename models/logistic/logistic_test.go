package logistic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/internal/modeltest"
)

type fitted struct {
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	PD        []float64 `json:"pd"`
}

type reference struct {
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"`
	Scale    []float64 `json:"scale"`
	fitted             // scikit-learn's
	Gradient float64   `json:"sklearn_gradient"`
	Optimum  struct {
		fitted
		Curvature float64 `json:"min_curvature"`
	} `json:"optimum"`
}

func fit(t testing.TB, cfg Config, d *models.Dataset) *Model {
	t.Helper()
	m, err := Trainer{cfg}.Fit(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m.(*Model)
}

// TestMatchesScikitLearn compares the fit with scikit-learn's on the same
// data (testdata/make_reference.py), and with the exact optimum of the
// same objective found there by Newton's method.
//
// Coefficients are at most |gradient| / (smallest curvature) from the
// optimum. scikit-learn stops with a gradient of 8e-5 against a smallest
// curvature of 32 (both in reference.json): up to 3e-6 away, so it is
// held to 1e-5. Solve stops at a gradient of 1e-10 on the objective
// divided by C·n = 300, i.e. 3e-8 on scikit-learn's scale: within 1e-9,
// so it is held to 1e-8 of the optimum. PDs move less than coefficients
// (|dp/dz| <= 1/4 and standardised features are O(1)), under the same
// bounds.
func TestMatchesScikitLearn(t *testing.T) {
	d := modeltest.ReadCSV(t, "testdata/data.csv")
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ref.Features, d.X.Names) {
		t.Fatalf("reference features %q; data has %q", ref.Features, d.X.Names)
	}
	m := fit(t, Config{C: 1, MaxIter: 5000}, d)
	if ok, it := m.Converged(); !ok {
		t.Errorf("fit did not converge in %d iterations", it)
	}
	// Means and scales are plain sums: they agree to rounding.
	for j := range ref.Features {
		if !close(m.mean[j], ref.Mean[j], 1e-12) {
			t.Errorf("mean[%s] = %.17g; want %.17g", ref.Features[j], m.mean[j], ref.Mean[j])
		}
		if !close(m.scale[j], ref.Scale[j], 1e-12) {
			t.Errorf("scale[%s] = %.17g; want %.17g", ref.Features[j], m.scale[j], ref.Scale[j])
		}
	}
	pds := make([]float64, d.X.Rows)
	m.PDs(d.X, pds)
	for _, tc := range []struct {
		name string
		want fitted
		tol  float64
	}{
		{"scikit-learn", ref.fitted, 1e-5},
		{"optimum", ref.Optimum.fitted, 1e-8},
	} {
		var worst, worstPD float64
		for j := range tc.want.Coef {
			diff := math.Abs(m.coef[j] - tc.want.Coef[j])
			worst = max(worst, diff)
			if diff > tc.tol {
				t.Errorf("coef[%s] = %.10f; %s %.10f", ref.Features[j], m.coef[j], tc.name, tc.want.Coef[j])
			}
		}
		diff := math.Abs(m.intercept - tc.want.Intercept)
		worst = max(worst, diff)
		if diff > tc.tol {
			t.Errorf("intercept = %.10f; %s %.10f", m.intercept, tc.name, tc.want.Intercept)
		}
		for i, want := range tc.want.PD {
			diff := math.Abs(pds[i] - want)
			worstPD = max(worstPD, diff)
			if diff > tc.tol {
				t.Errorf("row %d: PD = %.10f; %s %.10f", i+1, pds[i], tc.name, want)
			}
		}
		t.Logf("largest difference from %s: coefficients %.2g, PDs %.2g (tolerance %g)", tc.name, worst, worstPD, tc.tol)
	}
}

// close reports whether a and b agree to rel relative (or absolute, near
// zero) difference.
func close(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestMissingIsMean(t *testing.T) {
	m := fit(t, Config{}, modeltest.ReadCSV(t, "testdata/data.csv"))
	x := []float64{20000, 40, 0.5, 1}
	for j := range x {
		missing := slices.Clone(x)
		missing[j] = math.NaN()
		atMean := slices.Clone(x)
		atMean[j] = m.mean[j]
		if got, want := m.PD(missing), m.PD(atMean); !close(got, want, 1e-14) {
			t.Errorf("%s missing: PD = %v; want %v (PD at the mean)", m.features[j], got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	d := modeltest.ReadCSV(t, "testdata/data.csv")
	m := fit(t, DefaultConfig(), d)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("re-encoded model differs:\n%s\n%s", b, b2)
	}
	if back.Family() != "logistic" || !slices.Equal(back.Features(), d.X.Names) {
		t.Errorf("decoded family %q, features %q", back.Family(), back.Features())
	}
	want, got := make([]float64, d.X.Rows), make([]float64, d.X.Rows)
	m.PDs(d.X, want)
	back.PDs(d.X, got)
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("row %d: decoded PD = %v; want %v bit for bit", i+1, got[i], want[i])
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	valid := `{"family":"logistic","version":1,"features":["a"],"mean":[0],"scale":[1],"coef":[1],"intercept":0,"config":{"c":1,"max_iter":1},"iterations":1,"converged":true}`
	if _, err := Decode([]byte(valid)); err != nil {
		t.Fatalf("Decode(valid) = %v", err)
	}
	for _, tc := range []struct{ name, json string }{
		{"family", `{"family":"gbdt","version":1,"features":[],"mean":[],"scale":[],"coef":[],"intercept":0}`},
		{"version", `{"family":"logistic","version":2,"features":[],"mean":[],"scale":[],"coef":[],"intercept":0}`},
		{"lengths", `{"family":"logistic","version":1,"features":["a"],"mean":[],"scale":[1],"coef":[1],"intercept":0}`},
		{"zero scale", `{"family":"logistic","version":1,"features":["a"],"mean":[0],"scale":[0],"coef":[1],"intercept":0}`},
		{"duplicate", `{"family":"logistic","version":1,"features":["a","a"],"mean":[0,0],"scale":[1,1],"coef":[1,1],"intercept":0}`},
		{"unknown field", `{"family":"logistic","version":1,"features":[],"mean":[],"scale":[],"coef":[],"intercept":0,"extra":1}`},
		{"trailing", valid + `{}`},
		{"not json", `coef: 1`},
	} {
		if _, err := Decode([]byte(tc.json)); err == nil {
			t.Errorf("%s: Decode succeeded; want an error", tc.name)
		}
	}
}

func TestReasons(t *testing.T) {
	m := &Model{
		features:  []string{"a", "b", "c", "d"},
		mean:      []float64{0, 10, 0, 0},
		scale:     []float64{1, 2, 1, 1},
		coef:      []float64{0.5, 1, -1, 2},
		intercept: -2,
	}
	// Effects: a 0.5·2 = 1, b 1·(14−10)/2 = 2, c −1·1 < 0, d missing.
	x := []float64{2, 14, 1, math.NaN()}
	got := m.Reasons(x, 3)
	want := []models.Reason{{Feature: "b", Value: 14, Effect: 2}, {Feature: "a", Value: 2, Effect: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("Reasons = %v; want %v", got, want)
	}
	if got := m.Reasons(x, 1); len(got) != 1 || got[0].Feature != "b" {
		t.Errorf("Reasons(n=1) = %v; want only b", got)
	}
	var sum float64
	for _, r := range m.Reasons(x, 10) {
		sum += r.Effect
	}
	if lo := m.LogOdds(x); !close(lo, m.intercept+sum-1, 1e-15) {
		t.Errorf("log-odds %v; want intercept + effects = %v", lo, m.intercept+sum-1)
	}
}

func TestFitRejects(t *testing.T) {
	good := modeltest.ReadCSV(t, "testdata/data.csv")
	allZero := good.Subset([]int{0, 2, 3})
	for _, tc := range []struct {
		name string
		cfg  Config
		d    *models.Dataset
	}{
		{"one class", Config{}, allZero},
		{"negative C", Config{C: -1}, good},
		{"negative MaxIter", Config{MaxIter: -1}, good},
		{"no data", Config{}, nil},
		{"bad label", Config{}, &models.Dataset{X: models.NewMatrix(1, []string{"a"}), Y: []float64{2}}},
	} {
		if _, err := (Trainer{tc.cfg}).Fit(context.Background(), tc.d, nil); err == nil {
			t.Errorf("%s: Fit succeeded; want an error", tc.name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Trainer{}).Fit(ctx, good, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Fit with a cancelled context: %v; want context.Canceled", err)
	}
}

func TestWeightsAreRepeats(t *testing.T) {
	d := modeltest.ReadCSV(t, "testdata/data.csv")
	// Weight 2 on the first 50 rows fits as those rows twice.
	w := make([]float64, d.X.Rows)
	idx := make([]int, 0, d.X.Rows+50)
	for i := range w {
		w[i] = 1
		idx = append(idx, i)
		if i < 50 {
			w[i] = 2
			idx = append(idx, i)
		}
	}
	weighted := &models.Dataset{X: d.X, Y: d.Y, W: w}
	a := fit(t, Config{MaxIter: 5000}, weighted)
	b := fit(t, Config{MaxIter: 5000}, d.Subset(idx))
	for j := range a.coef {
		if !close(a.coef[j], b.coef[j], 1e-7) || !close(a.mean[j], b.mean[j], 1e-12) || !close(a.scale[j], b.scale[j], 1e-12) {
			t.Errorf("%s: weighted coef %v, mean %v, scale %v; repeated rows %v, %v, %v",
				a.features[j], a.coef[j], a.mean[j], a.scale[j], b.coef[j], b.mean[j], b.scale[j])
		}
	}
}

// TestTaiwanCV is the baseline's quality on real data: 5-fold
// cross-validated AUC on the 23 raw UCI Taiwan columns. scikit-learn's
// pipeline scores 0.7218 there; 0.70 leaves room for fold assignment
// while failing a broken fit (a coefficient sign flip or lost scaling
// drops it below 0.65).
func TestTaiwanCV(t *testing.T) {
	d := modeltest.Taiwan(t)
	auc := modeltest.CrossValidate(t, d, 5, func(train *models.Dataset) models.Model { return fit(t, DefaultConfig(), train) })
	t.Logf("logistic baseline, UCI Taiwan raw columns, 5-fold CV AUC = %.4f (scikit-learn: 0.7218)", auc)
	if auc < 0.70 {
		t.Errorf("CV AUC = %.4f; want >= 0.70", auc)
	}
}

func FuzzDecode(f *testing.F) {
	d := modeltest.ReadCSV(f, "testdata/data.csv")
	m := fit(f, DefaultConfig(), d)
	b, err := json.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"family":"logistic","version":1,"features":["a"],"mean":[0],"scale":[1],"coef":[1],"intercept":0}`))
	f.Add([]byte(`{"family":"logistic","version":1,"features":["a"],"mean":[0],"scale":[1e-320],"coef":[1e308],"intercept":0}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		x := make([]float64, len(m.Features()))
		if pd := m.PD(x); !(pd >= 0 && pd <= 1) {
			t.Errorf("decoded model gives PD %v at zero", pd)
		}
		m.Reasons(x, 3)
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := Decode(again); err != nil {
			t.Errorf("re-decode: %v", err)
		}
	})
}

// synthetic returns rows × cols of standard normal features with a few
// missing values and labels from a logistic model on them.
func synthetic(rows, cols int) *models.Dataset {
	rng := rand.New(rand.NewPCG(7, 11))
	names := make([]string, cols)
	beta := make([]float64, cols)
	for j := range names {
		names[j] = fmt.Sprintf("f%02d", j)
		beta[j] = rng.NormFloat64() * 0.5
	}
	d := &models.Dataset{X: models.NewMatrix(rows, names), Y: make([]float64, rows)}
	for i := range rows {
		z := -1.5
		row := d.X.Row(i)
		for j := range row {
			row[j] = rng.NormFloat64()
			z += beta[j] * row[j]
			if rng.Float64() < 0.02 {
				row[j] = math.NaN()
			}
		}
		if rng.Float64() < models.Sigmoid(z) {
			d.Y[i] = 1
		}
	}
	return d
}

func BenchmarkFit(b *testing.B) {
	d := synthetic(50_000, 30)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Trainer{}).Fit(context.Background(), d, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPD(b *testing.B) {
	d := synthetic(50_000, 30)
	m := fit(b, DefaultConfig(), d)
	b.ReportAllocs()
	var i int
	for b.Loop() {
		m.PD(d.X.Row(i % d.X.Rows))
		i++
	}
}
