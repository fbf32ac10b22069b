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
	s := strconv.FormatFloat(math.Abs(math.Round(x)), 'f', 0, 64)
	var b strings.Builder
	if x < 0 && s != "0" {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
