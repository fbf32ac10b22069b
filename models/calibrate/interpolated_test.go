package calibrate

import (
	"cmp"
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
	// At each block's centre: the Jeffreys posterior mean of the isotonic
	// block's default rate, (d + ½)/(n + 1), blocks pooled where those
	// means fall out of order, lifted by the floor.
	want := jeffreysBlocks(pd, y, iso)
	if len(c.X) != len(want) {
		t.Fatalf("%d knots; want %d", len(c.X), len(want))
	}
	for k := range c.X {
		if math.Abs(c.X[k]-want[k][0]) > 1e-12 || math.Abs(c.Y[k]-(floor+(IsotonicMax-floor)*want[k][1])) > 1e-12 {
			t.Errorf("knot %d: (%v, %v); want (%v, %v) lifted", k, c.X[k], c.Y[k], want[k][0], want[k][1])
		}
	}
	// A block without a default keeps a PD above the floor.
	if c.Y[0] <= floor*1.5 {
		t.Errorf("lowest block at %v, near the floor %v", c.Y[0], floor)
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

// jeffreysBlocks is the oracle of TestInterpolatedKeepsRanking: the
// isotonic fit's blocks (runs of one calibrated value), each as its mean
// raw PD and (d + ½)/(n + 1), pooled by brute force (merge the first
// adjacent pair out of order, weighted by n + 1, until none is) until
// the rates strictly increase.
func jeffreysBlocks(pd, y []float64, iso *Isotonic) [][2]float64 {
	type block struct{ n, d, sumX float64 }
	idx := make([]int, len(pd))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(pd[a], pd[b]) })
	var bs []block
	last := math.NaN()
	for _, i := range idx {
		v := iso.Calibrate(pd[i])
		if v != last {
			bs = append(bs, block{})
			last = v
		}
		b := &bs[len(bs)-1]
		b.n++
		b.d += y[i]
		b.sumX += pd[i]
	}
	rate := func(b block) float64 { return (b.d + 0.5) / (b.n + 1) }
	// Pooling two Jeffreys blocks weighs their rates by n + 1: the pooled
	// rate is (d₁ + d₂ + 1)/(n₁ + n₂ + 2), carried as pseudo-counts.
	type pooled struct {
		w, wr, n, sumX float64
	}
	ps := make([]pooled, len(bs))
	for k, b := range bs {
		ps[k] = pooled{w: b.n + 1, wr: (b.n + 1) * rate(b), n: b.n, sumX: b.sumX}
	}
	for {
		k := 0
		for ; k+1 < len(ps) && ps[k].wr/ps[k].w < ps[k+1].wr/ps[k+1].w; k++ {
		}
		if k+1 >= len(ps) {
			break
		}
		a, b := ps[k], ps[k+1]
		ps[k] = pooled{w: a.w + b.w, wr: a.wr + b.wr, n: a.n + b.n, sumX: a.sumX + b.sumX}
		ps = slices.Delete(ps, k+1, k+2)
	}
	out := make([][2]float64, len(ps))
	for k, p := range ps {
		out[k] = [2]float64{p.sumX / p.n, p.wr / p.w}
	}
	return out
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
