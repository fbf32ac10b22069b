// Package numfmt writes numbers as people read them in Credence's reports
// and reason texts.
package numfmt

import (
	"math"
	"strconv"
	"strings"
)

// Grouped writes x rounded to a whole number with thousands separators:
// 1234567.4 → "1,234,567", -0.2 → "0". x must be finite.
func Grouped(x float64) string {
	return grouped(math.Round(x), 0)
}

// Amount writes an amount of money with thousands separators and cents only
// when it has them: 1234567 → "1,234,567", 1234.5 → "1,234.50". x must be
// finite.
func Amount(x float64) string {
	x = math.Round(x*100) / 100
	digits := 0
	if x != math.Trunc(x) {
		digits = 2
	}
	return grouped(x, digits)
}

// grouped writes x with the given decimal digits and its whole part in
// groups of three.
func grouped(x float64, digits int) string {
	s := strconv.FormatFloat(math.Abs(x), 'f', digits, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if x < 0 && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}
