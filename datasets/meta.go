package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/credence-risk/credence/datasets/atomicfile"
)

// MetaFile is the name of a book's optional description.
const MetaFile = "book.yaml"

// Meta is a book's book.yaml.
type Meta struct {
	Name     string `yaml:"name,omitempty"`
	Currency string `yaml:"currency,omitempty"`
	// ObservedUntil: outcomes are complete up to this date. NoDate means the
	// latest date in any table.
	ObservedUntil Date `yaml:"-"`
	// Horizon and DPDThreshold are optional hints for training on the book
	// (e.g. "1mo" for a book whose outcome is next month's default).
	Horizon      string `yaml:"horizon,omitempty"`
	DPDThreshold int    `yaml:"dpd_threshold,omitempty"`
	// Plausible overrides the range of dates the book may hold (see
	// PlausibleDates); a zero end keeps the default.
	Plausible DateRange `yaml:"-"`
}

type metaYAML struct {
	Meta           `yaml:",inline"`
	ObservedUntil  string `yaml:"observed_until,omitempty"`
	PlausibleFrom  string `yaml:"plausible_from,omitempty"`
	PlausibleUntil string `yaml:"plausible_until,omitempty"`
}

// DateRange bounds the dates a book may hold, both ends included. The
// zero DateRange checks nothing.
type DateRange struct{ From, Until Date }

// Contains reports whether d is within r (always, for the zero DateRange).
func (r DateRange) Contains(d Date) bool {
	return r == DateRange{} || d >= r.From && d <= r.Until
}

// Check is nil when r contains d, else an ErrImplausibleDate naming the
// range: the one refusal of the book readers and the live server's events.
func (r DateRange) Check(d Date) error {
	if r.Contains(d) {
		return nil
	}
	return fmt.Errorf("%w %s to %s: %s", ErrImplausibleDate, r.From, r.Until, d)
}

// DefaultPlausibleFrom is the earliest date a book holds by default: no
// receivable ledger in use reaches further back, and a year such as 1900
// or 0001 is a placeholder, not a fact.
var DefaultPlausibleFrom = YMD(1950, 1, 1)

// PlausibleYearsAhead is how far past observed_until (or today, without
// one) a date may lie by default: due dates and scheduled observations
// reach into the future, 9999-12-01 does not.
const PlausibleYearsAhead = 5

// PlausibleDates returns the range of dates the book may hold: book.yaml's
// plausible_from and plausible_until where given, else 1950-01-01 and
// observed_until (or today) plus PlausibleYearsAhead years.
func (m Meta) PlausibleDates(today Date) DateRange {
	r := DateRange{From: DefaultPlausibleFrom}
	end := m.ObservedUntil
	if end == NoDate {
		end = today
	}
	r.Until = end.AddMonths(12 * PlausibleYearsAhead)
	if m.Plausible.From != NoDate && m.Plausible.From != 0 {
		r.From = m.Plausible.From
	}
	if m.Plausible.Until != NoDate && m.Plausible.Until != 0 {
		r.Until = m.Plausible.Until
	}
	return r
}

// ReadMeta reads dir/book.yaml. A missing file gives the zero Meta with
// ObservedUntil = NoDate.
func ReadMeta(dir string) (Meta, error) {
	path := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Meta{ObservedUntil: NoDate}, nil
	}
	if err != nil {
		return Meta{}, err
	}
	var m metaYAML
	if err := yaml.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("%s: %w", path, err)
	}
	out := m.Meta
	for _, f := range []struct {
		key  string
		text string
		dst  *Date
	}{
		{"observed_until", m.ObservedUntil, &out.ObservedUntil},
		{"plausible_from", m.PlausibleFrom, &out.Plausible.From},
		{"plausible_until", m.PlausibleUntil, &out.Plausible.Until},
	} {
		if f.text == "" {
			if f.dst == &out.ObservedUntil {
				*f.dst = NoDate
			}
			continue
		}
		d, err := ParseDate(f.text)
		if err != nil {
			return Meta{}, fmt.Errorf("%s: %s: %w", path, f.key, err)
		}
		*f.dst = d
	}
	return out, nil
}

// WriteMeta writes dir/book.yaml atomically.
func WriteMeta(dir string, m Meta) error {
	y := metaYAML{Meta: m}
	if m.ObservedUntil != NoDate && m.ObservedUntil != 0 {
		y.ObservedUntil = m.ObservedUntil.String()
	}
	if m.Plausible.From != NoDate && m.Plausible.From != 0 {
		y.PlausibleFrom = m.Plausible.From.String()
	}
	if m.Plausible.Until != NoDate && m.Plausible.Until != 0 {
		y.PlausibleUntil = m.Plausible.Until.String()
	}
	b, err := yaml.Marshal(y)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, MetaFile), b)
}
