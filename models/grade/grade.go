// Package grade is Credence's master scale: it turns a calibrated
// probability of default into one of ten grades, as trade-credit insurers
// and banks publish them. Grades 1 to 9 are PD bands, 1 the safest;
// grade 10 is default, given to customers that have defaulted and never
// by a PD. Limits, reports and grade-level validation all read grades
// from the same Scale, so the bands are data (saved with the model), not
// code.
package grade

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// DefaultGrade is the grade of a customer in default.
const DefaultGrade = 10

// Bands is the number of PD bands, grades 1 to DefaultGrade−1.
const Bands = DefaultGrade - 1

// Scale is a master scale: Upper[i] is the largest PD of grade i+1, so
// grade g holds the PDs in (Upper[g−2], Upper[g−1]], grade 1 those in
// [0, Upper[0]]. The bounds increase strictly and the last is 1.
type Scale struct {
	Upper []float64 `json:"upper"`
	// Names optionally labels the grades, one per grade from 1 to
	// DefaultGrade.
	Names []string `json:"names,omitempty"`
}

// DefaultScale returns Credence's standard scale. Its bands follow the
// long-run default rates of the agency letter grades, roughly doubling
// from one grade to the next, which is how S&P-style and trade-credit
// (Allianz Trade 1–10) master scales are cut:
//
//	grade  PD up to  roughly
//	1      0.03%     AAA–AA (0.03% is the long-standing IRB PD floor)
//	2      0.10%     A
//	3      0.25%     BBB+/BBB
//	4      0.50%     BBB−
//	5      1%        BB+/BB
//	6      2%        BB−
//	7      5%        B+/B
//	8      12%       B−
//	9      100%      CCC to C
//	10     default
func DefaultScale() Scale {
	return Scale{
		Upper: []float64{0.0003, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.12, 1},
		Names: []string{
			"minimal", "very low", "low", "moderate", "fair",
			"elevated", "high", "very high", "severe", "default",
		},
	}
}

// Validate reports a scale that cannot grade PDs: not exactly Bands
// bounds, bounds not in (0, 1] or not strictly increasing, a last bound
// other than 1, or a number of names other than DefaultGrade.
func (s Scale) Validate() error {
	if len(s.Upper) != Bands {
		return fmt.Errorf("grade scale: %d upper bounds; want %d", len(s.Upper), Bands)
	}
	for i, u := range s.Upper {
		if !(u > 0 && u <= 1) {
			return fmt.Errorf("grade scale: grade %d: upper bound %v is not in (0, 1]", i+1, u)
		}
		if i > 0 && !(u > s.Upper[i-1]) {
			return fmt.Errorf("grade scale: grade %d: upper bound %v is not above grade %d's %v", i+1, u, i, s.Upper[i-1])
		}
	}
	if s.Upper[Bands-1] != 1 {
		return fmt.Errorf("grade scale: grade %d: upper bound %v; want 1", Bands, s.Upper[Bands-1])
	}
	if s.Names != nil && len(s.Names) != DefaultGrade {
		return fmt.Errorf("grade scale: %d names; want %d", len(s.Names), DefaultGrade)
	}
	return nil
}

// Grade returns the grade, 1 to 9, of a PD: the first band whose upper
// bound is at or above it. A PD equal to a bound belongs to the lower
// grade. Grade never returns DefaultGrade: default is an event, not a PD.
// It returns 0, which is no grade, for a PD that is NaN or outside [0, 1],
// or when the scale has not Bands bounds; it does not recheck the bounds
// themselves, so Validate a scale once before grading with it.
func (s Scale) Grade(pd float64) int {
	if !(pd >= 0 && pd <= 1) || len(s.Upper) != Bands {
		return 0
	}
	i, _ := slices.BinarySearch(s.Upper, pd)
	if i >= Bands {
		return 0
	}
	return i + 1
}

// Grades returns the grade of every PD, or an error naming the first PD
// that has none.
func (s Scale) Grades(pd []float64) ([]int, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := make([]int, len(pd))
	for i, p := range pd {
		out[i] = s.Grade(p)
		if out[i] == 0 {
			return nil, fmt.Errorf("grade: row %d: PD %v is not in [0, 1]", i+1, p)
		}
	}
	return out, nil
}

// Lower returns the lower bound of grade g's band (exclusive, except 0
// for grade 1), or NaN for a grade outside 1 to 9.
func (s Scale) Lower(g int) float64 {
	if g < 1 || g > Bands || len(s.Upper) != Bands {
		return math.NaN()
	}
	if g == 1 {
		return 0
	}
	return s.Upper[g-2]
}

// Midpoint returns a representative PD of grade g: the geometric mean of
// its band's bounds, since PDs spread multiplicatively. Grade 1 has no
// positive lower bound, so its band is taken to start where the ratio of
// grade 2's bounds, repeated downwards, puts it: Upper[0]²/Upper[1].
// DefaultGrade gives 1; any other grade, or an invalid scale, NaN.
func (s Scale) Midpoint(g int) float64 {
	if g == DefaultGrade {
		return 1
	}
	if g < 1 || g > Bands || s.Validate() != nil {
		return math.NaN()
	}
	hi := s.Upper[g-1]
	lo := s.Lower(g)
	if g == 1 {
		lo = hi * hi / s.Upper[1]
	}
	return math.Sqrt(lo * hi)
}

// Name returns grade g's name, or its number when the scale has no names.
func (s Scale) Name(g int) string {
	if g >= 1 && g <= len(s.Names) {
		return s.Names[g-1]
	}
	return fmt.Sprint(g)
}

// GradePDs returns the PD of each grade present: the mean calibrated PD
// of its members, computed on the training sample and then attached to
// the grade. DefaultGrade's PD is 1 whatever its members' PDs. It returns
// an error when the slices differ in length, a grade is outside 1 to
// DefaultGrade, or a PD is not in [0, 1].
func GradePDs(grades []int, pd []float64) (map[int]float64, error) {
	if len(grades) != len(pd) {
		return nil, fmt.Errorf("grade PDs: %d grades for %d PDs", len(grades), len(pd))
	}
	if len(grades) == 0 {
		return nil, errors.New("grade PDs: no rows")
	}
	var sum, n [DefaultGrade + 1]float64
	for i, g := range grades {
		if g < 1 || g > DefaultGrade {
			return nil, fmt.Errorf("grade PDs: row %d: grade %d is not in 1..%d", i+1, g, DefaultGrade)
		}
		if !(pd[i] >= 0 && pd[i] <= 1) {
			return nil, fmt.Errorf("grade PDs: row %d: PD %v is not in [0, 1]", i+1, pd[i])
		}
		sum[g] += pd[i]
		n[g]++
	}
	out := make(map[int]float64)
	for g := 1; g <= DefaultGrade; g++ {
		if n[g] > 0 {
			out[g] = sum[g] / n[g]
		}
	}
	if n[DefaultGrade] > 0 {
		out[DefaultGrade] = 1
	}
	return out, nil
}
