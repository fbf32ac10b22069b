package rescore

import "math"

// exactSum adds floats without rounding error (Shewchuk's partials, as
// Python's math.fsum): its Value is the exact sum rounded once, so it does
// not depend on the order of the terms. That lets the parts of a book be
// totalled apart, on several machines, and merged to the very total a
// single pass gives.
type exactSum struct {
	Partials []float64 // non-overlapping, increasing magnitude
}

// Add adds x; a NaN or an infinity makes the sum NaN (totals skip the
// rows without a figure before they get here).
func (s *exactSum) Add(x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		s.Partials = append(s.Partials[:0], math.NaN())
		return
	}
	if len(s.Partials) == 1 && math.IsNaN(s.Partials[0]) {
		return
	}
	i := 0
	for _, y := range s.Partials {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		lo := y - (hi - x)
		if lo != 0 {
			s.Partials[i] = lo
			i++
		}
		x = hi
	}
	s.Partials = append(s.Partials[:i], x)
}

// Merge adds every term of o.
func (s *exactSum) Merge(o exactSum) {
	for _, x := range o.Partials {
		s.Add(x)
	}
}

// Value is the sum, correctly rounded.
func (s *exactSum) Value() float64 {
	p := s.Partials
	n := len(p)
	if n == 0 {
		return 0
	}
	n--
	hi := p[n]
	lo := 0.0
	for n > 0 {
		x := hi
		n--
		y := p[n]
		hi = x + y
		yr := hi - x
		lo = y - yr
		if lo != 0 {
			break
		}
	}
	// Round half to even across the partials: when the rest of the
	// partials push the remainder past a half, correct the last rounding.
	if n > 0 && ((lo < 0 && p[n-1] < 0) || (lo > 0 && p[n-1] > 0)) {
		y := lo * 2
		x := hi + y
		if y == x-hi {
			hi = x
		}
	}
	return hi
}
