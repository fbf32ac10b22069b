package features

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/credence-risk/credence/datasets"
)

// Unit is the unit of a Horizon.
type Unit uint8

// The units of a horizon. Months and years are calendar months (see
// datasets.Date.AddMonths); days and weeks are exact.
const (
	Days Unit = iota + 1
	Weeks
	Months
	Years
)

// Horizon is the length of the window in which a default makes the label 1,
// e.g. 12 months. The zero Horizon is invalid.
type Horizon struct {
	N    int
	Unit Unit
}

// DefaultHorizon is the spec's default: 12 months.
func DefaultHorizon() Horizon { return Horizon{12, Months} }

// unitOf returns the unit of an accepted spelling.
func unitOf(s string) (Unit, bool) {
	switch s {
	case "d", "day", "days":
		return Days, true
	case "w", "wk", "week", "weeks":
		return Weeks, true
	case "mo", "m", "mon", "month", "months":
		return Months, true
	case "y", "yr", "year", "years":
		return Years, true
	}
	return 0, false
}

// maxHorizonDays bounds a horizon at about a century, in any unit.
const maxHorizonDays = 36525

// ParseHorizon reads a horizon: a positive whole number and a unit, d (days),
// w (weeks), mo or m (months), y (years); case and a space between them do
// not matter, and the long forms (days, months, …) are accepted. Examples:
// "12mo", "90d", "1y", "6m", "2w".
func ParseHorizon(s string) (Horizon, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if num == "" {
		return Horizon{}, fmt.Errorf("horizon %q: want a positive whole number and a unit (d, w, mo or m, y), e.g. 12mo", s)
	}
	if unit == "" {
		return Horizon{}, fmt.Errorf("horizon %q: missing unit (d, w, mo or m, y)", s)
	}
	u, ok := unitOf(unit)
	if !ok {
		return Horizon{}, fmt.Errorf("horizon %q: unknown unit %q (want d, w, mo or m, y)", s, unit)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > maxHorizonDays {
		return Horizon{}, fmt.Errorf("horizon %q: want a positive whole number of at most a century", s)
	}
	h := Horizon{n, u}
	if h.days() > maxHorizonDays {
		return Horizon{}, fmt.Errorf("horizon %q: longer than a century", s)
	}
	return h, nil
}

// days is the horizon's length in days, months and years taken at their
// Gregorian average, for bounds checks.
func (h Horizon) days() int {
	switch h.Unit {
	case Weeks:
		return 7 * h.N
	case Months:
		return h.N * maxHorizonDays / 1200
	case Years:
		return h.N * maxHorizonDays / 100
	}
	return h.N
}

// Valid reports whether h is a positive length in a known unit.
func (h Horizon) Valid() bool { return h.N > 0 && h.Unit >= Days && h.Unit <= Years }

// String writes h in the canonical form ParseHorizon reads: "12mo", "90d",
// "1y", "2w"; "" for an invalid horizon.
func (h Horizon) String() string {
	if !h.Valid() {
		return ""
	}
	unit := [...]string{Days: "d", Weeks: "w", Months: "mo", Years: "y"}[h.Unit]
	return strconv.Itoa(h.N) + unit
}

// After returns the end of the horizon that starts at d: the last day of the
// label window (d, d+h]. Months and years keep the day of month, clamped to
// the month's last day (Jan 31 + 1mo = Feb 28). An invalid horizon returns d.
func (h Horizon) After(d datasets.Date) datasets.Date { return h.shift(d, 1) }

// Before returns the start of the horizon that ends at d; h.After(h.Before(d))
// is on or before d.
func (h Horizon) Before(d datasets.Date) datasets.Date { return h.shift(d, -1) }

func (h Horizon) shift(d datasets.Date, sign int) datasets.Date {
	if d == datasets.NoDate || !h.Valid() {
		return d
	}
	switch h.Unit {
	case Days:
		return d + datasets.Date(sign*h.N)
	case Weeks:
		return d + datasets.Date(sign*7*h.N)
	case Months:
		return d.AddMonths(sign * h.N)
	default:
		return d.AddMonths(sign * 12 * h.N)
	}
}

// MarshalText writes h as String does, so a horizon reads well in JSON and
// YAML configuration.
func (h Horizon) MarshalText() ([]byte, error) {
	if !h.Valid() {
		return nil, fmt.Errorf("invalid horizon %+v", h)
	}
	return []byte(h.String()), nil
}

// UnmarshalText reads h as ParseHorizon does.
func (h *Horizon) UnmarshalText(b []byte) error {
	p, err := ParseHorizon(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}
