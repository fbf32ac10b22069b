package backtest

import (
	"math"
	"testing"
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
	if got := NewBinned(x).PSI(x); math.Abs(got) > 1e-15 {
		t.Errorf("PSI of a sample against its own reference = %v; want 0", got)
	}
	if got := ref.PSI(nil); !math.IsNaN(got) {
		t.Errorf("PSI of no values = %v; want NaN", got)
	}
	if got := (Binned{}).PSI(x); !math.IsNaN(got) {
		t.Errorf("PSI against an empty reference = %v; want NaN", got)
	}
}
