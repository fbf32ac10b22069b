package features

import (
	"slices"

	"github.com/credence-risk/credence/datasets"
)

// Plan is a snapshot plan: the as-of dates at which every customer with
// history is observed when a book has no observations table.
type Plan struct {
	Start, End datasets.Date
	// EveryMonths is the step between dates; 0 means 1.
	EveryMonths int
}

// Dates returns the month closes of the plan, from the first on or after
// Start to the last on or before End, every EveryMonths months. A month's
// close is dated the first day of the next month: features use facts dated
// strictly before as_of, so as of the 1st they see everything up to and
// including the month end (a statement dated on the month end included).
// An invalid Start or End gives none.
func (p Plan) Dates() []datasets.Date {
	if p.Start == datasets.NoDate || p.End == datasets.NoDate || p.End < p.Start {
		return nil
	}
	every := max(p.EveryMonths, 1)
	y, m, d := p.Start.Time().Date()
	first := datasets.YMD(y, m, 1)
	if d != 1 {
		first = datasets.YMD(y, m+1, 1)
	}
	var out []datasets.Date
	for k := 0; ; k += every {
		t := first.AddMonths(k)
		if t > p.End {
			return out
		}
		out = append(out, t)
	}
}

// DefaultPlan returns the monthly plan of a book whose history starts at
// firstDate and whose outcomes are complete up to observedUntil: from six
// months after firstDate, so that every observation has some history
// behind it, to the last date whose window (as_of, as_of+h] ends on or
// before observedUntil.
func DefaultPlan(firstDate, observedUntil datasets.Date, h Horizon) Plan {
	if firstDate == datasets.NoDate || observedUntil == datasets.NoDate {
		return Plan{Start: datasets.NoDate, End: datasets.NoDate, EveryMonths: 1}
	}
	return Plan{Start: firstDate.AddMonths(6), End: h.Before(observedUntil), EveryMonths: 1}
}

// ObservationDates returns the as-of dates of one customer: the book's own
// observations when the history has some, else the plan's dates at which
// the customer has history (an invoice issued or a statement period ended)
// strictly before the date. Customer attributes alone are no history.
func ObservationDates(h *datasets.History, plan Plan) []datasets.Date {
	if len(h.Observations) > 0 {
		return slices.Clone(h.Observations)
	}
	first := datasets.NoDate
	earliest := func(d datasets.Date) {
		if d != datasets.NoDate && (first == datasets.NoDate || d < first) {
			first = d
		}
	}
	for i := range h.Invoices {
		earliest(h.Invoices[i].IssueDate)
	}
	for i := range h.Statements {
		earliest(h.Statements[i].PeriodEnd)
	}
	if first == datasets.NoDate {
		return nil
	}
	dates := plan.Dates()
	i, _ := slices.BinarySearch(dates, first+1)
	return dates[i:]
}
