package datasets

import (
	"context"
	"io"
)

// Summary describes a book as a credit manager would check it.
type Summary struct {
	Customers int64
	Rows      map[Table]int64
	// First and Last bound every date in the book.
	First, Last Date
	// ObservedUntil is book.yaml's, or Last when it gives none.
	ObservedUntil Date
	// Defaulted counts customers with a default: from the defaults table,
	// or by the rule passed to Summarize when the book has none.
	Defaulted     int64
	DefaultSource string // "defaults table", "default rule" or "none"
	Skipped       *SkipLog
}

// DefaultRate is the share of customers that defaulted.
func (s *Summary) DefaultRate() float64 {
	if s.Customers == 0 {
		return 0
	}
	return float64(s.Defaulted) / float64(s.Customers)
}

// Summarize reads the whole book, validating every row, and counts it.
// derive, when not nil, gives a customer's first default by the book's
// default rule; it is used when the book has no defaults table.
func (b *Book) Summarize(ctx context.Context, derive func(*History) Date) (*Summary, error) {
	s := &Summary{Rows: map[Table]int64{}, First: NoDate, Last: NoDate, DefaultSource: "none"}
	switch {
	case b.Has(Defaults):
		s.DefaultSource = "defaults table"
	case derive != nil:
		s.DefaultSource = "default rule"
	}
	r := b.Histories(ctx)
	defer r.Close()
	see := func(d Date) {
		if d == NoDate {
			return
		}
		if s.First == NoDate || d < s.First {
			s.First = d
		}
		if s.Last == NoDate || d > s.Last {
			s.Last = d
		}
	}
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		s.Customers++
		for i := range h.Invoices {
			inv := &h.Invoices[i]
			see(inv.IssueDate)
			see(inv.PaidDate)
		}
		for i := range h.Statements {
			see(h.Statements[i].PeriodEnd)
		}
		for _, d := range h.Defaults {
			see(d.DefaultDate)
		}
		for _, d := range h.Observations {
			see(d)
		}
		switch {
		case b.Has(Defaults):
			if len(h.Defaults) > 0 {
				s.Defaulted++
			}
		case derive != nil:
			if derive(h) != NoDate {
				s.Defaulted++
			}
		}
	}
	for _, t := range AllTables {
		if b.Has(t) {
			s.Rows[t] = r.Rows(t)
		}
	}
	s.ObservedUntil = b.Meta.ObservedUntil
	if s.ObservedUntil == NoDate {
		s.ObservedUntil = s.Last
	}
	r.Close() // the log holds a file's skips once the file is closed
	s.Skipped = r.Skips()
	return s, nil
}
