package creditpb

import (
	"fmt"

	"google.golang.org/genproto/googleapis/type/date"

	"github.com/credence-risk/credence/datasets"
)

// DateOf is d as the API sends it; NoDate gives nil (unset).
func DateOf(d datasets.Date) *date.Date {
	if !d.Valid() {
		return nil
	}
	t := d.Time()
	return &date.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// DateString writes an API date as "YYYY-MM-DD", for people; unset gives "".
func DateString(d *date.Date) string {
	if d == nil {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

// ParseDate reads "YYYY-MM-DD" (a command-line flag, say) into an API
// date; "" gives nil (unset). The server checks the date itself.
func ParseDate(s string) (*date.Date, error) {
	if s == "" {
		return nil, nil
	}
	d, err := datasets.ParseDate(s)
	out := DateOf(d)
	// Only the date written back the same: no "+024-02-01", no time.
	if err != nil || DateString(out) != s {
		return nil, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return out, nil
}
