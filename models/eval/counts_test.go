package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// A sample counted in parts and the counts added has the PSI of the
// whole sample.
func TestPSIFromCountsOfParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	edges := []float64{0.01, 0.02, 0.05, 0.1, 0.2}
	shares := []float64{0.3, 0.2, 0.2, 0.15, 0.1, 0.05}
	x := make([]float64, 5000)
	for i := range x {
		x[i] = rng.Float64() * rng.Float64() * 0.4
		if i%97 == 0 {
			x[i] = math.NaN()
		}
	}
	want, wantTable, err := PSIFromShares(edges, shares, 0, x)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, len(edges)+2)
	for _, part := range [][]float64{x[:1234], x[1234:4000], x[4000:]} {
		for i, n := range BinCounts(part, edges) {
			counts[i] += n
		}
	}
	got, gotTable, err := PSIFromCounts(edges, shares, 0, counts)
	if err != nil {
		t.Fatal(err)
	}
	// The missing bin's edges are NaN: compare the tables as printed.
	if got != want || fmt.Sprint(gotTable) != fmt.Sprint(wantTable) {
		t.Errorf("from counts of parts %v %+v; from the values %v %+v", got, gotTable, want, wantTable)
	}
	if _, _, err := PSIFromCounts(edges, shares, 0, make([]float64, len(edges)+2)); err == nil {
		t.Error("no counts give a PSI")
	}
	if _, _, err := PSIFromCounts(edges, shares, 0, counts[1:]); err == nil {
		t.Error("too few counts give a PSI")
	}
}
