package datasets

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar date in UTC, counted in days since 1970-01-01. It is the
// same number a Parquet DATE column stores.
type Date int32

// NoDate marks a missing date (an open invoice's paid_date, for instance).
const NoDate Date = math.MinInt32

const secondsPerDay = 86400

// DateOf returns the calendar date of t in UTC.
func DateOf(t time.Time) Date {
	return Date(floorDiv(t.Unix(), secondsPerDay))
}

// YMD returns the date of year, month and day. Out-of-range values are
// normalised the way time.Date does.
func YMD(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// Time returns midnight UTC at d.
func (d Date) Time() time.Time { return time.Unix(int64(d)*secondsPerDay, 0).UTC() }

// Valid reports whether d is set.
func (d Date) Valid() bool { return d != NoDate }

// String formats d as YYYY-MM-DD, or "" for NoDate.
func (d Date) String() string {
	if d == NoDate {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// MarshalText writes d as YYYY-MM-DD, and NoDate as "".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = NoDate
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// AddMonths moves d by n calendar months, keeping the day of month where it
// exists and clamping to the month's last day otherwise (Jan 31 + 1 = Feb 28).
func (d Date) AddMonths(n int) Date {
	y, m, day := d.Time().Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	if day > last {
		day = last
	}
	return YMD(first.Year(), first.Month(), day)
}

// MonthEnd returns the last day of d's month.
func (d Date) MonthEnd() Date {
	y, m, _ := d.Time().Date()
	return YMD(y, m+1, 0)
}

// ParseDate reads an ISO 8601 date (2006-01-02), optionally followed by a
// time and zone as pandas, Spark and DuckDB write timestamps to CSV
// ("2006-01-02 15:04:05", "2006-01-02T15:04:05Z"). The time part is dropped
// after converting to UTC.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if len(s) == 10 {
		return parseISODate(s)
	}
	if t, ok := parseTimestamp(s); ok {
		return DateOf(t), nil
	}
	return NoDate, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
}

// parseTimestamp reads a date with a time, as ParseDate accepts it.
func parseTimestamp(s string) (time.Time, bool) {
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999 -0700 MST"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// timeOfDay reports whether s, as ParseDate reads it, is a timestamp whose
// UTC time is not midnight.
func timeOfDay(s string) bool {
	t, ok := parseTimestamp(strings.TrimSpace(s))
	if !ok {
		return false
	}
	h, m, sec := t.UTC().Clock()
	return h != 0 || m != 0 || sec != 0 || t.Nanosecond() != 0
}

func parseISODate(s string) (Date, error) {
	for i := 0; i < len(s); i++ {
		if i == 4 || i == 7 {
			if s[i] != '-' {
				return NoDate, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
			}
		} else if s[i] < '0' || s[i] > '9' {
			return NoDate, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
		}
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:])
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return NoDate, fmt.Errorf("%q is not a calendar date", s)
	}
	return YMD(y, time.Month(m), d), nil
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
