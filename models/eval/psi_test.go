package eval

import (
	"math"
	"testing"
)

// TestPSIEmptyBinOnEachSide works a PSI by hand where the expected sample
// has an empty bin and the actual sample another, so ½ is added to every
// count of both. Bins (−∞, 0.25], (0.25, 0.5], (0.5, ∞):
//
//	expected 0.1 0.2 0.7 0.8  counts 2 0 2  smoothed 2.5 0.5 2.5 / 5.5
//	actual   0.3 0.6 0.7 0.9  counts 0 1 3  smoothed 0.5 1.5 3.5 / 5.5
//
//	PSI = (−2/5.5)·ln(0.2) + (1/5.5)·ln 3 + (1/5.5)·ln(1.4) = 0.846175…
func TestPSIEmptyBinOnEachSide(t *testing.T) {
	expected := []float64{0.1, 0.2, 0.7, 0.8}
	actual := []float64{0.3, 0.6, 0.7, 0.9}
	edges := []float64{0.25, 0.5}
	want := (-2/5.5)*math.Log(0.2) + (1/5.5)*math.Log(3) + (1/5.5)*math.Log(1.4)
	// The shares and the logarithms are each within an ulp or two of the
	// hand-worked ones: a few ulps of the result.
	const tol = 1e-14
	if math.Abs(want-0.846175) > 1e-6 {
		t.Fatalf("hand-worked PSI = %v; want 0.846175", want)
	}
	wantShares := [][2]float64{{2.5 / 5.5, 0.5 / 5.5}, {0.5 / 5.5, 1.5 / 5.5}, {2.5 / 5.5, 3.5 / 5.5}}
	check := func(name string, psi float64, table []PSIBin, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if math.Abs(psi-want) > tol {
			t.Errorf("%s: PSI = %.17g; want %.17g", name, psi, want)
		}
		if len(table) != 3 {
			t.Fatalf("%s: %d bins; want 3 (no missing bin)", name, len(table))
		}
		sum := 0.0
		for i, b := range table {
			if math.Abs(b.ExpectedShare-wantShares[i][0]) > tol || math.Abs(b.ActualShare-wantShares[i][1]) > tol {
				t.Errorf("%s: bin %d shares %v, %v; want %v, %v", name, i, b.ExpectedShare, b.ActualShare, wantShares[i][0], wantShares[i][1])
			}
			sum += b.PSI
		}
		if math.Abs(sum-psi) > tol {
			t.Errorf("%s: terms sum to %v; want the PSI %v", name, sum, psi)
		}
	}
	psi, table, err := PSIFromEdges(expected, actual, edges)
	check("values", psi, table, err)
	if table[1].Expected != 0 || table[0].Actual != 0 {
		t.Errorf("counts %+v; want the empty bins' raw counts of 0", table)
	}
	// The same expected distribution kept as shares, as an artifact keeps
	// training's: it counts as a sample as large as actual (4), which is
	// what expected is here, so the PSI is the same.
	psi, table, err = PSIFromShares(edges, []float64{0.5, 0, 0.5}, 0, actual)
	check("shares", psi, table, err)
}

// TestPSIFromSharesMissing: a feature never missing in training but
// missing now gets a missing bin, smoothed rather than infinite.
func TestPSIFromSharesMissing(t *testing.T) {
	nan := math.NaN()
	psi, table, err := PSIFromShares([]float64{0.5}, []float64{0.5, 0.5}, 0, []float64{0.1, 0.9, nan, 0.2})
	if err != nil {
		t.Fatal(err)
	}
	// counts: expected 2 2 0, actual 2 1 1; smoothed over 5.5.
	e, a := []float64{2.5, 2.5, 0.5}, []float64{2.5, 1.5, 1.5}
	want := 0.0
	for i := range e {
		want += (a[i]/5.5 - e[i]/5.5) * math.Log(a[i]/e[i])
	}
	if len(table) != 3 || !table[2].Missing || math.Abs(psi-want) > 1e-14 {
		t.Errorf("PSI = %v with table %+v; want %v with a missing bin last", psi, table, want)
	}
	for _, tc := range []struct {
		name    string
		edges   []float64
		shares  []float64
		missing float64
		actual  []float64
	}{
		{"too few shares", []float64{0.5}, []float64{1}, 0, []float64{1}},
		{"negative share", nil, []float64{-0.1}, 0, []float64{1}},
		{"NaN share", nil, []float64{nan}, 0, []float64{1}},
		{"no actual", nil, []float64{1}, 0, nil},
		{"unsorted edges", []float64{2, 1}, []float64{0.3, 0.3, 0.4}, 0, []float64{1}},
	} {
		if _, _, err := PSIFromShares(tc.edges, tc.shares, tc.missing, tc.actual); err == nil {
			t.Errorf("PSIFromShares %s: got no error", tc.name)
		}
	}
}
