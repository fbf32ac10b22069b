package calibrate

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestInterpolatedKeepsRanking(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 4000
	pd, y := make([]float64, n), make([]float64, n)
	for i := range pd {
		// Few distinct raw PDs at the bottom, as trees give.
		pd[i] = math.Round(rng.Float64()*rng.Float64()*200) / 400
		if rng.Float64() < pd[i] {
			y[i] = 1
		}
	}
	const floor = 0.0003
	c, err := FitInterpolated(pd, y, nil, floor)
	if err != nil {
		t.Fatal(err)
	}
	iso, err := FitIsotonic(pd, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Strictly increasing over the whole of [0, 1]: no ties it adds.
	prev := -1.0
	for k := 0; k <= 10000; k++ {
		x := float64(k) / 10000
		got := c.Calibrate(x)
		if !(got > prev) || got < floor || got > IsotonicMax {
			t.Fatalf("Calibrate(%v) = %v after %v: not strictly increasing within [%v, %v]", x, got, prev, floor, IsotonicMax)
		}
		prev = got
	}
	// At each block's centre: the block's default rate, as isotonic gives
	// it anywhere in the block, lifted by the floor.
	for k, x := range c.X {
		want := floor + (IsotonicMax-floor)*iso.Calibrate(x)
		if math.Abs(c.Y[k]-want) > 1e-12 {
			t.Errorf("knot %d at %v: %v; want %v", k, x, c.Y[k], want)
		}
	}
	// Distinct raw PDs give distinct calibrated PDs.
	raw := slices.Compact(slices.Sorted(slices.Values(pd)))
	seen := map[float64]bool{}
	for _, x := range raw {
		seen[c.Calibrate(x)] = true
	}
	if len(seen) != len(raw) {
		t.Errorf("%d distinct raw PDs became %d calibrated PDs", len(raw), len(seen))
	}
	// The mean PD stays that of the sample, up to the floor's lift.
	var mean, rate float64
	for i := range pd {
		mean += c.Calibrate(pd[i])
		rate += y[i]
	}
	mean, rate = mean/float64(n), rate/float64(n)
	if math.Abs(mean-rate) > 0.1*rate {
		t.Errorf("mean calibrated PD %v; default rate %v", mean, rate)
	}

	// A lossless round trip through JSON and Decode.
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k <= 1000; k++ {
		x := float64(k) / 1000
		if math.Float64bits(back.Calibrate(x)) != math.Float64bits(c.Calibrate(x)) {
			t.Fatalf("decoded calibrator differs at %v", x)
		}
	}
	if !math.IsNaN(c.Calibrate(math.NaN())) || !math.IsNaN(c.Calibrate(1.5)) {
		t.Error("a PD outside [0, 1] must give NaN")
	}
}

func TestInterpolatedRefusesBadInput(t *testing.T) {
	if _, err := FitInterpolated([]float64{0.1, 0.2}, []float64{0, 1}, nil, 0.6); err == nil {
		t.Error("floor 0.6 accepted")
	}
	if _, err := FitInterpolated([]float64{0.1, 0.2}, []float64{0, 0}, nil, 0); err == nil {
		t.Error("one class accepted")
	}
	for _, js := range []string{
		`{"method":"isotonic-interpolated","x":[0.2,0.1],"y":[0.1,0.2],"floor":0}`,
		`{"method":"isotonic-interpolated","x":[0.1,0.2],"y":[0.2,0.2],"floor":0}`,
		`{"method":"isotonic-interpolated","x":[0.1],"y":[0.0001],"floor":0.001}`,
	} {
		if _, err := Decode([]byte(js)); err == nil {
			t.Errorf("Decode(%s) accepted", js)
		}
	}
}
