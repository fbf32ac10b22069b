package calibrate

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/credence-risk/credence/models"
)

// MethodInterpolated names the Interpolated calibrator.
const MethodInterpolated = "isotonic-interpolated"

// Interpolated is isotonic regression that keeps the model's ranking. Pool
// adjacent violators groups the raw PDs into blocks with increasing default
// rates, as Isotonic does; each block's rate is taken as the mean of its
// Jeffreys posterior, (defaults + ½) / (weight + 1), the estimate the
// Jeffreys test of the validation reports judges a grade by (a block
// without a default does not get a PD of 0); Interpolated places it at
// the block's weighted mean raw PD and joins them with straight lines,
// continued below the first block's centre down to half its rate (not below
// Floor) at a raw PD of 0, and above the last block's centre up to half way
// to IsotonicMax at a raw PD of 1: the outermost blocks' customers stay near
// their block's rate, as isotonic regression has them, but in the model's
// order. It is strictly increasing, so two customers get the same
// calibrated PD only when the model gave them the same raw PD: a step
// function would put whole blocks (hundreds of customers) on one PD and
// leave grades empty between the steps.
//
// Floor bounds the PDs it gives from below (a regulatory floor such as 0.03%):
// every block's rate r becomes Floor + (IsotonicMax − Floor)·r, which lifts
// PDs by less than Floor and keeps them strictly increasing, where clipping
// at the floor would tie every customer below it.
type Interpolated struct {
	// X holds the blocks' mean raw PDs, strictly increasing in (0, 1); Y
	// their calibrated PDs, strictly increasing in (Floor, IsotonicMax).
	X, Y  []float64
	Floor float64
}

// FitInterpolated fits an Interpolated calibrator on raw PDs pd and labels
// y with weights w (nil: every row weighs 1); floor must be in [0, 0.5).
// The input rules are FitIsotonic's.
func FitInterpolated(pd, y, w []float64, floor float64) (*Interpolated, error) {
	if !(floor >= 0 && floor < 0.5) {
		return nil, fmt.Errorf("calibrate: floor %v is not in [0, 0.5)", floor)
	}
	if _, _, err := checkFitInput(pd, y, w); err != nil {
		return nil, err
	}
	// One point per distinct raw PD, with the weighted sum of its raw PDs
	// for the blocks' centres.
	_, ys, ws, wx := points(pd, y, w)
	pav(ys, slices.Clone(ws))
	// Consecutive points with one value form a block (pav leaves adjacent
	// blocks with different values).
	var rate, weight, count, sumWX []float64
	for k := 0; k < len(ys); {
		n, wxSum := 0.0, 0.0
		j := k
		for ; j < len(ys) && ys[j] == ys[k]; j++ {
			n += ws[j]
			wxSum += wx[j]
		}
		// The block's rate as the mean of its Jeffreys posterior, (d + ½) /
		// (n + 1), not d / n: a block of low-risk customers without a
		// default would otherwise get a PD of 0 (the floor), which its next
		// default proves wrong. The shrunk rates can break the order of
		// small blocks, so they are pooled again below.
		rate = append(rate, (ys[k]*n+0.5)/(n+1))
		weight = append(weight, n+1)
		count = append(count, n)
		sumWX = append(sumWX, wxSum)
		k = j
	}
	pav(rate, weight)
	out := &Interpolated{Floor: floor}
	for k := 0; k < len(rate); {
		v := min(max(rate[k], IsotonicMin), IsotonicMax)
		n, wxSum := 0.0, 0.0
		j := k
		for ; j < len(rate) && min(max(rate[j], IsotonicMin), IsotonicMax) == v; j++ {
			n += count[j]
			wxSum += sumWX[j]
		}
		out.X = append(out.X, wxSum/n)
		out.Y = append(out.Y, floor+(IsotonicMax-floor)*v)
		k = j
	}
	// Centres at 0 or 1 (all raw PDs of a block at an end) leave no room
	// for the tails: nudge them inside, keeping the order.
	for k := range out.X {
		out.X[k] = min(max(out.X[k], sameX), 1-sameX)
		if k > 0 && !(out.X[k] > out.X[k-1]) {
			out.X[k] = math.Nextafter(out.X[k-1], 1)
		}
	}
	if err := out.check(); err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	return out, nil
}

// Calibrate returns the calibrated PD, or NaN when pd is not in [0, 1].
func (c *Interpolated) Calibrate(pd float64) float64 {
	if !(pd >= 0 && pd <= 1) {
		return math.NaN()
	}
	x, y := c.X, c.Y
	last := len(x) - 1
	if last < 0 || len(y) != len(x) {
		return math.NaN()
	}
	line := func(x0, y0, x1, y1 float64) float64 { return y0 + (y1-y0)*(pd-x0)/(x1-x0) }
	switch {
	case pd < x[0]:
		return line(0, max(c.Floor, y[0]/2), x[0], y[0])
	case pd >= x[last]:
		if pd == x[last] {
			return y[last]
		}
		return line(x[last], y[last], 1, (y[last]+IsotonicMax)/2)
	}
	// x[j] <= pd < x[j+1].
	j := sort.SearchFloat64s(x, pd)
	if x[j] == pd {
		return y[j]
	}
	j--
	return line(x[j], y[j], x[j+1], y[j+1])
}

// Method returns "isotonic-interpolated".
func (*Interpolated) Method() string { return MethodInterpolated }

type interpolatedJSON struct {
	Method string    `json:"method"`
	X      []float64 `json:"x"`
	Y      []float64 `json:"y"`
	Floor  float64   `json:"floor"`
}

// MarshalJSON writes {"method":"isotonic-interpolated","x":[…],"y":[…],"floor":f}.
func (c Interpolated) MarshalJSON() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("encode interpolated calibrator: %w", err)
	}
	return json.Marshal(interpolatedJSON{Method: MethodInterpolated, X: c.X, Y: c.Y, Floor: c.Floor})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Interpolated) UnmarshalJSON(b []byte) error {
	var v interpolatedJSON
	if err := models.DecodeStrict(b, &v); err != nil {
		return err
	}
	if v.Method != MethodInterpolated {
		return fmt.Errorf("method %q is not %q", v.Method, MethodInterpolated)
	}
	*c = Interpolated{X: v.X, Y: v.Y, Floor: v.Floor}
	return nil
}

// check reports knots that do not describe a strictly increasing map of
// [0, 1] into [Floor, IsotonicMax].
func (c Interpolated) check() error {
	if len(c.X) == 0 || len(c.X) != len(c.Y) {
		return fmt.Errorf("%d knots with %d values", len(c.X), len(c.Y))
	}
	if !(c.Floor >= 0 && c.Floor < 0.5) {
		return fmt.Errorf("floor %v is not in [0, 0.5)", c.Floor)
	}
	for i := range c.X {
		if !(c.X[i] > 0 && c.X[i] < 1) || !(c.Y[i] >= c.Floor && c.Y[i] <= IsotonicMax) {
			return fmt.Errorf("knot %d: (%v, %v) is outside (0, 1)×[floor, %v]", i+1, c.X[i], c.Y[i], IsotonicMax)
		}
		if i > 0 && !(c.X[i] > c.X[i-1] && c.Y[i] > c.Y[i-1]) {
			return fmt.Errorf("knot %d: not strictly increasing", i+1)
		}
	}
	return nil
}
