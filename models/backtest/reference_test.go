package backtest

import (
	"math"
	"slices"
	"testing"

	"github.com/credence-risk/credence/models"
)

// TestBinnedPSI checks that a stored reference compares through eval's
// PSI: the hand-worked case of eval's TestPSIEmptyBinOnEachSide, and a
// sample against its own reference.
func TestBinnedPSI(t *testing.T) {
	ref := Binned{Edges: []float64{0.25, 0.5}, Shares: []float64{0.5, 0, 0.5}}
	want := (-2/5.5)*math.Log(0.2) + (1/5.5)*math.Log(3) + (1/5.5)*math.Log(1.4)
	if got := ref.PSI([]float64{0.3, 0.6, 0.7, 0.9}); math.Abs(got-want) > 1e-14 {
		t.Errorf("PSI = %v; want %v", got, want)
	}
	x := []float64{0.01, 0.02, 0.03, 0.05, 0.08, 0.13, 0.21, 0.34, 0.55, 0.89, math.NaN()}
	if got := NewBinned(x, nil).PSI(x); math.Abs(got) > 1e-15 {
		t.Errorf("PSI of a sample against its own reference = %v; want 0", got)
	}
	if got := ref.PSI(nil); !math.IsNaN(got) {
		t.Errorf("PSI of no values = %v; want NaN", got)
	}
	if got := (Binned{}).PSI(x); !math.IsNaN(got) {
		t.Errorf("PSI against an empty reference = %v; want NaN", got)
	}
}

// TestNewBinnedWeightedAsCopies checks that a value of weight k bins as k
// copies of it would, in a reference as in its edges and shares.
func TestNewBinnedWeightedAsCopies(t *testing.T) {
	tests := []struct {
		name string
		x, w []float64
	}{
		{"case-control", []float64{0.3, 0.1, 0.05, 0.02, 0.2, 0.01, 0.04, math.NaN(), 0.08, 0.5}, []float64{1, 1, 10, 10, 1, 10, 10, 10, 10, 1}},
		{"ties and a weightless value", []float64{1, 1, 2, 3, 3, 3, 4, 5}, []float64{2, 0, 3, 1, 1, 4, 0, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var copies []float64
			for i, k := range tc.w {
				for range int(k) {
					copies = append(copies, tc.x[i])
				}
			}
			got, want := NewBinned(tc.x, tc.w), NewBinned(copies, nil)
			if !slices.Equal(got.Edges, want.Edges) {
				t.Errorf("edges %v; want %v, as of the copies", got.Edges, want.Edges)
			}
			// Shares summed in another order: equal to rounding.
			same := func(a, b float64) bool { return math.Abs(a-b) <= 1e-15 }
			if !slices.EqualFunc(got.Shares, want.Shares, same) || !same(got.Missing, want.Missing) {
				t.Errorf("shares %v, missing %v; want %v, %v, as of the copies", got.Shares, got.Missing, want.Shares, want.Missing)
			}
		})
	}
}

// TestNewReferenceWeighsTheSample checks that a reference weighs a
// weighted sample's rows by its W.
func TestNewReferenceWeighsTheSample(t *testing.T) {
	x := []float64{0.3, 0.1, 0.05, 0.02, 0.2, 0.01}
	w := []float64{1, 1, 10, 10, 1, 10}
	pd := []float64{0.2, 0.15, 0.01, 0.03, 0.4, 0.02}
	s := &Sample{Dataset: models.Dataset{X: &models.Matrix{Rows: len(x), Cols: 1, Data: x, Names: []string{"f"}}, Y: make([]float64, len(x)), W: w}}
	ref := NewReference(s, pd)
	if want := NewBinned(pd, w); !slices.Equal(ref.PD.Shares, want.Shares) || !slices.Equal(ref.PD.Edges, want.Edges) {
		t.Errorf("PD reference %+v; want %+v", ref.PD, want)
	}
	if want := NewBinned(x, w); !slices.Equal(ref.Features["f"].Shares, want.Shares) {
		t.Errorf("feature reference %+v; want %+v", ref.Features["f"], want)
	}
	if unweighted := NewBinned(x, nil); slices.Equal(ref.Features["f"].Shares, unweighted.Shares) {
		t.Errorf("feature reference %+v is the unweighted one", ref.Features["f"])
	}
}
