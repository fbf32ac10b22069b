package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/credence-risk/credence/models/eval"
)

// The paired test's parts agree with models/eval: each model's AUC and
// its DeLong standard error come out of the same structural components.
func TestComponentsAgreeWithEval(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	y, a, b := make([]float64, 500), make([]float64, 500), make([]float64, 500)
	for i := range y {
		if r.Float64() < 0.3 {
			y[i] = 1
		}
		a[i] = math.Round(10*(y[i]+r.NormFloat64())) / 10 // ties on purpose
		b[i] = y[i]/2 + r.NormFloat64()
	}
	for _, s := range [][]float64{a, b} {
		v10, v01, auc := components(y, s)
		wantAUC, wantSE := eval.DeLong(y, s)
		se := math.Sqrt(variance(v10, v10)/float64(len(v10)) + variance(v01, v01)/float64(len(v01)))
		// Sums in another order: equal to rounding.
		if math.Abs(auc-wantAUC) > 1e-12 || math.Abs(se-wantSE) > 1e-12 {
			t.Errorf("auc, se = %v, %v; want %v, %v", auc, se, wantAUC, wantSE)
		}
	}
	if d, se := pairedDeLong(y, a, a); d != 0 || se != 0 {
		t.Errorf("a model against itself: diff %v, se %v; want 0, 0", d, se)
	}
}

// The customer hash holds out close to the share asked, even for ids
// that differ only in their last characters.
func TestUnitSpreadsSequentialIDs(t *testing.T) {
	held := 0
	for i := range 10000 {
		if unit(1, "held", fmt.Sprintf("C%05d", i)) < 0.2 {
			held++
		}
	}
	if held < 1900 || held > 2100 {
		t.Errorf("held %d of 10000; want about 2000", held)
	}
}
