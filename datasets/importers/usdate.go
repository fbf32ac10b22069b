package importers

import (
	"fmt"
	"strings"
	"time"

	"github.com/credence-risk/credence/datasets"
)

// parseUSDate reads a date written month/day/year, as US spreadsheets do:
// one- or two-digit month and day, four-digit year ("1/2/2013",
// "12/31/2013").
func parseUSDate(s string) (datasets.Date, error) {
	ms, rest, ok1 := strings.Cut(s, "/")
	ds, ys, ok2 := strings.Cut(rest, "/")
	m, okM := digits(ms, 1, 2)
	d, okD := digits(ds, 1, 2)
	y, okY := digits(ys, 4, 4)
	if !ok1 || !ok2 || !okM || !okD || !okY {
		return datasets.NoDate, fmt.Errorf("%q is not a date (want M/D/YYYY)", s)
	}
	if m < 1 || m > 12 || d < 1 || d > time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return datasets.NoDate, fmt.Errorf("%q is not a calendar date", s)
	}
	return datasets.YMD(y, time.Month(m), d), nil
}

// digits parses s as a run of between lo and hi decimal digits.
func digits(s string, lo, hi int) (int, bool) {
	if len(s) < lo || len(s) > hi {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
