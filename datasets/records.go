package datasets

import (
	"fmt"
	"math"
)

// Table names a table of a book.
type Table string

// The tables of a book, in the order a history is assembled.
const (
	Invoices     Table = "invoices"
	Statements   Table = "statements"
	Customers    Table = "customers"
	Defaults     Table = "defaults"
	Observations Table = "observations"
)

// AllTables lists every table a book may hold.
var AllTables = []Table{Invoices, Statements, Customers, Defaults, Observations}

// Invoice is one amount a customer owed on a due date.
type Invoice struct {
	CustomerID string
	InvoiceID  string
	IssueDate  Date
	DueDate    Date
	Amount     Amount
	PaidDate   Date   // NoDate while open
	PaidAmount Amount // NoAmount when not given: the full amount once PaidDate is set
	Currency   string // "" when not given
	Disputed   bool
}

// Settled returns the amount paid by PaidDate, applying the spec's rule that
// a missing paid_amount on a paid item means it was paid in full.
func (inv *Invoice) Settled() Amount {
	if inv.PaidAmount != NoAmount {
		return inv.PaidAmount
	}
	if inv.PaidDate != NoDate {
		return inv.Amount
	}
	return 0
}

// Check applies the book format's rules to an invoice's values: due_date
// and paid_date on or after issue_date, amount > 0, paid_amount >= 0. It returns the
// column at fault. Every reader of invoices (tables, events) checks them
// here, so they give one message for one fault.
func (inv *Invoice) Check() (column string, err error) {
	switch {
	case inv.DueDate < inv.IssueDate:
		return "due_date", fmt.Errorf("%w (%s < %s)", ErrDueBeforeIssue, inv.DueDate, inv.IssueDate)
	case inv.PaidDate != NoDate && inv.PaidDate < inv.IssueDate:
		return "paid_date", fmt.Errorf("%w (%s < %s)", ErrPaidBeforeIssue, inv.PaidDate, inv.IssueDate)
	case inv.Amount <= 0:
		return "amount", fmt.Errorf("%w, got %s", ErrNotPositive, inv.Amount)
	case inv.PaidAmount != NoAmount && inv.PaidAmount < 0:
		return "paid_amount", fmt.Errorf("must be >= 0, got %s", inv.PaidAmount)
	}
	return "", nil
}

// UnknownDaysPastDue is the DaysPastDue of a statement that does not say.
const UnknownDaysPastDue int32 = -1

// Statement is a customer's account status at a period end.
type Statement struct {
	CustomerID  string
	PeriodEnd   Date
	DaysPastDue int32 // UnknownDaysPastDue when null
	Status      string
	Balance     Amount // NoAmount when not given
	CreditLimit Amount
	Payment     Amount
}

// Customer holds one customer's attributes, laid out by the book's
// CustomerSchema: Numeric[i] is the value of schema.Numeric[i] (NaN when
// missing) and Categorical[i] of schema.Categorical[i] ("" when missing).
type Customer struct {
	CustomerID  string
	Numeric     []float64
	Categorical []string
}

// CustomerSchema names the attribute columns of a book's customers table.
type CustomerSchema struct {
	Numeric     []string
	Categorical []string
}

// NumericIndex returns the position of the numeric attribute name, or -1.
func (s CustomerSchema) NumericIndex(name string) int {
	for i, n := range s.Numeric {
		if n == name {
			return i
		}
	}
	return -1
}

// CategoricalIndex returns the position of the categorical attribute name, or -1.
func (s CustomerSchema) CategoricalIndex(name string) int {
	for i, n := range s.Categorical {
		if n == name {
			return i
		}
	}
	return -1
}

// Number returns the numeric attribute name of c, or NaN when c is nil,
// the book has no such column or the value is missing.
func (c *Customer) Number(s CustomerSchema, name string) float64 {
	if c == nil {
		return math.NaN()
	}
	if i := s.NumericIndex(name); i >= 0 && i < len(c.Numeric) {
		return c.Numeric[i]
	}
	return math.NaN()
}

// Default is a default event.
type Default struct {
	CustomerID  string
	DefaultDate Date
	Reason      string
}

// Observation is a moment a customer is (or was) scored.
type Observation struct {
	CustomerID string
	AsOf       Date
}

// History is everything a book holds about one customer. Rows keep the
// order in which the book stores them.
type History struct {
	CustomerID   string
	Customer     *Customer // nil when the customers table has no row for it
	Invoices     []Invoice
	Statements   []Statement
	Defaults     []Default
	Observations []Date
}

// FirstDefault returns the earliest default date of h, or NoDate.
func (h *History) FirstDefault() Date {
	first := NoDate
	for _, d := range h.Defaults {
		if first == NoDate || d.DefaultDate < first {
			first = d.DefaultDate
		}
	}
	return first
}

// LatestDate returns the latest date on which something happened in h: an
// invoice issued or paid, a statement period ended, a default recorded.
// Due dates are promises, not events, and do not count. NoDate when h has
// no dates.
func (h *History) LatestDate() Date {
	d := NoDate // the smallest Date, so max skips it
	for i := range h.Invoices {
		d = max(d, h.Invoices[i].IssueDate, h.Invoices[i].PaidDate)
	}
	for i := range h.Statements {
		d = max(d, h.Statements[i].PeriodEnd)
	}
	for i := range h.Defaults {
		d = max(d, h.Defaults[i].DefaultDate)
	}
	return d
}
