package calibrate

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/credence-risk/credence/models"
)

// Calibrated PDs from isotonic regression are kept this far from 0 and 1:
// a grade without defaults in the calibration sample must not get a PD of
// zero, and a grade with nothing but defaults not a certainty.
const (
	IsotonicMin = 1e-6
	IsotonicMax = 1 - 1e-6
)

// Isotonic is a non-decreasing piecewise-linear map from raw to calibrated
// PD, fitted by isotonic regression. It is the function scikit-learn's
// IsotonicRegression(y_min=IsotonicMin, y_max=IsotonicMax,
// out_of_bounds="clip") predicts with, and agrees with it to rounding:
// constant across each pooled block of raw PDs, linear between the last
// raw PD of one block and the first of the next, and constant beyond the
// smallest and largest raw PD seen in fitting.
type Isotonic struct {
	// X holds the knots' raw PDs, strictly increasing; Y the calibrated
	// PD at each knot, non-decreasing, within [IsotonicMin, IsotonicMax].
	X, Y []float64
}

// sameX is how close two raw PDs must be to count as one value; it is
// scikit-learn's (numpy's float64 resolution), so both pool the same rows.
const sameX = 1e-15

// FitIsotonic fits the isotonic regression of the labels y on the raw PDs
// pd with the pool-adjacent-violators algorithm; w may be nil (every row
// weighs 1), and rows of zero weight are ignored. PDs must lie in [0, 1],
// labels be 0 or 1, weights be finite and >= 0, and both classes have
// weight.
func FitIsotonic(pd, y, w []float64) (*Isotonic, error) {
	if _, _, err := checkFitInput(pd, y, w); err != nil {
		return nil, err
	}
	xs, ys, ws, _ := points(pd, y, w)
	pav(ys, ws)
	for i := range ys {
		ys[i] = min(max(ys[i], IsotonicMin), IsotonicMax)
	}

	// Keep the first and last knots and every knot whose value differs
	// from a neighbour's; the others lie inside a flat stretch.
	out := &Isotonic{}
	for i := range ys {
		if i == 0 || i == len(ys)-1 || ys[i] != ys[i-1] || ys[i] != ys[i+1] {
			out.X = append(out.X, xs[i])
			out.Y = append(out.Y, ys[i])
		}
	}
	return out, nil
}

// points orders the rows of positive weight by raw PD, then label (stable,
// as numpy's lexsort), and merges equal raw PDs into one point each: its
// raw PD, weighted mean label, summed weight, and the weighted sum of its
// raw PDs. w may be nil (every row weighs 1).
func points(pd, y, w []float64) (xs, ys, ws, wxs []float64) {
	weight := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	idx := make([]int, 0, len(pd))
	for i := range pd {
		if weight(i) > 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		if c := cmpFloat(pd[i], pd[j]); c != 0 {
			return c
		}
		return cmpFloat(y[i], y[j])
	})
	xs = make([]float64, 0, len(idx))
	ys = make([]float64, 0, len(idx))
	ws = make([]float64, 0, len(idx))
	wxs = make([]float64, 0, len(idx))
	curX, sumWY, sumW, sumWX := pd[idx[0]], 0.0, 0.0, 0.0
	for _, i := range idx {
		if pd[i]-curX >= sameX {
			xs, ys, ws, wxs = append(xs, curX), append(ys, sumWY/sumW), append(ws, sumW), append(wxs, sumWX)
			curX, sumWY, sumW, sumWX = pd[i], 0, 0, 0
		}
		sumW += weight(i)
		sumWY += y[i] * weight(i)
		sumWX += pd[i] * weight(i)
	}
	return append(xs, curX), append(ys, sumWY/sumW), append(ws, sumW), append(wxs, sumWX)
}

// pav replaces y by its weighted isotonic (non-decreasing) regression, in
// place, pooling adjacent violators in one pass with backtracking. It
// follows scikit-learn's _inplace_contiguous_isotonic_regression step for
// step, so both round alike. w is overwritten.
func pav(y, w []float64) {
	n := len(y)
	// target describes the blocks: if [i..j] is a block, target[i] = j
	// and target[j] = i; y[i] and w[i] hold the block's mean and weight.
	target := make([]int, n)
	for i := range target {
		target[i] = i
	}
	i := 0
	for i < n {
		k := target[i] + 1
		if k == n {
			break
		}
		if y[i] < y[k] {
			i = k
			continue
		}
		sumWY, sumW := w[i]*y[i], w[i]
		for {
			// Within a non-increasing run: absorb the next block.
			prev := y[k]
			sumWY += w[k] * y[k]
			sumW += w[k]
			k = target[k] + 1
			if k == n || prev < y[k] {
				y[i] = sumWY / sumW
				w[i] = sumW
				target[i] = k - 1
				target[k-1] = i
				if i > 0 {
					i = target[i-1] // backtrack to the previous block
				}
				break
			}
		}
	}
	for i := 0; i < n; {
		k := target[i] + 1
		for j := i + 1; j < k; j++ {
			y[j] = y[i]
		}
		i = k
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Calibrate returns the calibrated PD, or NaN when pd is not in [0, 1].
// PDs outside the fitted range take the value at its nearer end.
func (c *Isotonic) Calibrate(pd float64) float64 {
	if !(pd >= 0 && pd <= 1) {
		return math.NaN()
	}
	x, y := c.X, c.Y
	last := len(x) - 1
	if last < 0 || len(y) != len(x) {
		return math.NaN()
	}
	if pd <= x[0] {
		return y[0]
	}
	if pd >= x[last] {
		return y[last]
	}
	// j is the last knot at or below pd; j < last here.
	j := sort.SearchFloat64s(x, pd)
	if x[j] == pd {
		return y[j]
	}
	j--
	slope := (y[j+1] - y[j]) / (x[j+1] - x[j])
	return slope*(pd-x[j]) + y[j]
}

// Method returns "isotonic".
func (*Isotonic) Method() string { return MethodIsotonic }

// isotonicJSON is Isotonic's encoding.
type isotonicJSON struct {
	Method string    `json:"method"`
	X      []float64 `json:"x"`
	Y      []float64 `json:"y"`
}

// MarshalJSON writes {"method":"isotonic","x":[…],"y":[…]}.
func (c Isotonic) MarshalJSON() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("encode isotonic calibrator: %w", err)
	}
	return json.Marshal(isotonicJSON{Method: MethodIsotonic, X: c.X, Y: c.Y})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Isotonic) UnmarshalJSON(b []byte) error {
	var v isotonicJSON
	if err := models.DecodeStrict(b, &v); err != nil {
		return err
	}
	if v.Method != MethodIsotonic {
		return fmt.Errorf("method %q is not %q", v.Method, MethodIsotonic)
	}
	*c = Isotonic{X: v.X, Y: v.Y}
	return nil
}

// check reports knots that do not describe a non-decreasing map of [0, 1]
// into [0, 1].
func (c Isotonic) check() error {
	if len(c.X) == 0 || len(c.X) != len(c.Y) {
		return fmt.Errorf("%d knots with %d values", len(c.X), len(c.Y))
	}
	for i := range c.X {
		if !(c.X[i] >= 0 && c.X[i] <= 1) || !(c.Y[i] >= 0 && c.Y[i] <= 1) {
			return fmt.Errorf("knot %d: (%v, %v) is outside [0, 1]²", i+1, c.X[i], c.Y[i])
		}
		if i > 0 && !(c.X[i] > c.X[i-1]) {
			return fmt.Errorf("knot %d: raw PDs are not strictly increasing", i+1)
		}
		if i > 0 && c.Y[i] < c.Y[i-1] {
			return fmt.Errorf("knot %d: calibrated PDs decrease", i+1)
		}
	}
	return nil
}
