package gbdt

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// contribsFile is what testdata/make_contribs.py records: an XGBoost
// model in Credence's form, rows, and XGBoost's pred_contribs and margins
// for them.
type contribsFile struct {
	XGBoostVersion string          `json:"xgboost_version"`
	Model          json.RawMessage `json:"model"`
	Rows           [][]*float64    `json:"rows"` // null: missing
	Contribs       [][]float64     `json:"contribs"`
	Margins        []float64       `json:"margins"`
}

// TestContributionsMatchXGBoost decodes XGBoost's trees and compares
// Credence's SHAP contributions with XGBoost's pred_contribs, and with
// classic TreeSHAP, row by row. XGBoost 1.7 computes TreeSHAP in float32
// (its path elements and output are float), so on trained trees it agrees
// to float32 rounding: a few units of 1e-7 on terms of order 1, over 25
// trees.
func TestContributionsMatchXGBoost(t *testing.T) {
	compareWithXGBoost(t, "contribs.json", 1e-5)
}

// TestContributionsMatchXGBoostExactly holds Credence to XGBoost's
// pred_contribs to 1e-9 on trees where XGBoost's float32 arithmetic is
// exact (dyadic covers, leaf values, thresholds and rows; see
// testdata/make_exact_contribs.py): what remains is the algorithm.
func TestContributionsMatchXGBoostExactly(t *testing.T) {
	compareWithXGBoost(t, "contribs_exact.json", 1e-9)
}

// compareWithXGBoost checks a fixture written by testdata/make_*contribs.py:
// Credence's contributions against XGBoost's (to tol) and classic TreeSHAP
// (to rounding), additivity, and the margin. Both fixtures have paths that
// split on one feature more than once.
func compareWithXGBoost(t *testing.T, fixture string, tol float64) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	var f contribsFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	mm, err := Decode(f.Model)
	if err != nil {
		t.Fatal(err)
	}
	m := mm.(*Model)
	repeated, tables := false, 0
	for _, tr := range m.trees {
		repeated = repeated || repeatsFeature(tr, 0, 0)
		if tr.shap != nil {
			tables++
		}
	}
	if !repeated || tables != len(m.trees) {
		t.Fatalf("repeated features %v, %d of %d trees tabulated; want true and all", repeated, tables, len(m.trees))
	}
	var worstXGB, worstClassic float64
	for i, row := range f.Rows {
		x := make([]float64, len(row))
		for j, v := range row {
			x[j] = math.NaN()
			if v != nil {
				x[j] = *v
			}
		}
		got := m.Contributions(x, nil)
		classic := classicContributions(m, x)
		var sum float64
		for j, want := range f.Contribs[i] {
			sum += got[j]
			// Same trees, same arithmetic, in another order: rounding.
			if d := math.Abs(got[j] - classic[j]); d > 1e-12 {
				t.Errorf("row %d, slot %d: %.17g; classic TreeSHAP %.17g", i, j, got[j], classic[j])
			} else {
				worstClassic = max(worstClassic, d)
			}
			if d := math.Abs(got[j] - want); d > tol {
				t.Errorf("row %d, slot %d: %.12g; XGBoost %.12g", i, j, got[j], want)
			} else {
				worstXGB = max(worstXGB, d)
			}
		}
		// Additivity: the contributions and the bias add up to the
		// margin, to rounding; and the margin is XGBoost's.
		z := m.Margin(x)
		if math.Abs(sum-z) > 1e-12 {
			t.Errorf("row %d: contributions and bias add to %.17g; margin %.17g", i, sum, z)
		}
		if math.Abs(z-f.Margins[i]) > tol {
			t.Errorf("row %d: margin %.12g; XGBoost %.12g", i, z, f.Margins[i])
		}
	}
	t.Logf("%s: %d rows, %d trees: largest difference %.3g from XGBoost %s pred_contribs, %.3g from classic TreeSHAP",
		fixture, len(f.Rows), len(m.trees), worstXGB, f.XGBoostVersion, worstClassic)
}
