package rescore

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The sum is the exact sum rounded once, whatever the order of the terms
// and however they are split and merged.
func TestExactSumIsOrderFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		xs := make([]float64, 1+rng.IntN(300))
		for i := range xs {
			xs[i] = (rng.Float64() - 0.3) * math.Pow(10, float64(rng.IntN(30)-10))
		}
		exact := new(big.Float).SetPrec(4000)
		for _, x := range xs {
			exact.Add(exact, new(big.Float).SetPrec(4000).SetFloat64(x))
		}
		want, _ := exact.Float64()
		var whole exactSum
		for _, x := range xs {
			whole.Add(x)
		}
		rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
		cut := rng.IntN(len(xs) + 1)
		var a, b exactSum
		for _, x := range xs[:cut] {
			a.Add(x)
		}
		for _, x := range xs[cut:] {
			b.Add(x)
		}
		b.Merge(a)
		if whole.Value() != want || b.Value() != want {
			t.Fatalf("trial %d: in order %v, split and merged %v; exact sum rounded %v", trial, whole.Value(), b.Value(), want)
		}
	}
	var s exactSum
	s.Add(1e300)
	s.Add(math.NaN())
	s.Add(2)
	if !math.IsNaN(s.Value()) {
		t.Errorf("a NaN term gives %v; want NaN", s.Value())
	}
	if (&exactSum{}).Value() != 0 {
		t.Error("the empty sum is not 0")
	}
}
