package features

import (
	"fmt"

	"github.com/credence-risk/credence/datasets"
)

// DefaultDPDThreshold is the spec's default rule: 90 days past due, the
// Basel definition.
const DefaultDPDThreshold = 90

// DerivedDefaultDate returns the first date on which the default rule fires
// in h, or NoDate: the earliest of
//   - due_date + dpdThreshold days, for every invoice not paid in full
//     before that day (still open, paid on or after it, or settled short);
//   - the period_end of every statement with days_past_due >= dpdThreshold.
//
// On due_date + dpdThreshold an unpaid item is dpdThreshold days past due,
// the same count the ageing features give as of that date; a payment made
// that day is known only the day after, so it does not prevent the default.
// For an item still open at the end of the book the date may lie beyond
// observed_until: Label treats such a default as not (yet) observed.
// A dpdThreshold below 1 derives nothing.
func DerivedDefaultDate(h *datasets.History, dpdThreshold int) datasets.Date {
	first := datasets.NoDate
	if dpdThreshold < 1 {
		return first
	}
	earliest := func(d datasets.Date) {
		if first == datasets.NoDate || d < first {
			first = d
		}
	}
	for i := range h.Invoices {
		inv := &h.Invoices[i]
		if inv.DueDate == datasets.NoDate {
			continue
		}
		trigger := inv.DueDate + datasets.Date(dpdThreshold)
		paidInFull := inv.PaidDate != datasets.NoDate && inv.PaidDate < trigger && inv.Settled() >= inv.Amount
		if !paidInFull {
			earliest(trigger)
		}
	}
	for i := range h.Statements {
		st := &h.Statements[i]
		if st.PeriodEnd != datasets.NoDate && st.DaysPastDue >= 0 && int(st.DaysPastDue) >= dpdThreshold {
			earliest(st.PeriodEnd)
		}
	}
	return first
}

// DefaultDate returns the customer's first default: the earliest recorded
// default (h.Defaults) and, when dpdThreshold > 0, the earliest date the
// default rule derives (DerivedDefaultDate). NoDate when there is none.
//
// Training combines them as the spec says: a book with a defaults table uses
// the recorded defaults, DefaultDate(h, 0), unless the configuration asks to
// derive defaults as well; a book without one derives them,
// DefaultDate(h, threshold), which is then DerivedDefaultDate alone. A
// History cannot tell an absent defaults table from a customer who never
// defaulted, so that choice belongs to the caller.
func DefaultDate(h *datasets.History, dpdThreshold int) datasets.Date {
	first := h.FirstDefault()
	if d := DerivedDefaultDate(h, dpdThreshold); d != datasets.NoDate && (first == datasets.NoDate || d < first) {
		first = d
	}
	return first
}

// DefaultRule says when a customer is in default: on its first recorded
// default and, when DPDThreshold > 0, on the first date the days-past-due
// rule derives (DerivedDefaultDate). Training resolves the rule once for
// its book (RuleForBook) and stores it with the model; every scoring path
// applies the stored rule whatever book it reads, so one history gets one
// answer online and in batch.
type DefaultRule struct {
	// DPDThreshold derives defaults from days past due; 0 takes the
	// recorded defaults alone.
	DPDThreshold int `json:"dpd_threshold,omitempty"`
}

// RuleForBook resolves the default rule for a book as training labels it:
// the recorded defaults alone when the book has a defaults table (unless
// derive is set), else the days-past-due rule with threshold, else the
// book's hint (book.yaml dpd_threshold), else DefaultDPDThreshold.
func RuleForBook(book *datasets.Book, threshold int, derive bool) DefaultRule {
	if book.Has(datasets.Defaults) && !derive {
		return DefaultRule{}
	}
	if threshold <= 0 {
		threshold = book.Meta.DPDThreshold
	}
	if threshold <= 0 {
		threshold = DefaultDPDThreshold
	}
	return DefaultRule{DPDThreshold: threshold}
}

// Date returns the customer's first default under the rule, or NoDate.
func (r DefaultRule) Date(h *datasets.History) datasets.Date {
	return DefaultDate(h, r.DPDThreshold)
}

// InDefault reports whether the customer had defaulted on or before asOf.
func (r DefaultRule) InDefault(h *datasets.History, asOf datasets.Date) bool {
	d := r.Date(h)
	return d != datasets.NoDate && d <= asOf
}

// String describes the rule for reports and logs.
func (r DefaultRule) String() string {
	if r.DPDThreshold > 0 {
		return fmt.Sprintf("recorded defaults and %d days past due", r.DPDThreshold)
	}
	return "recorded defaults"
}

// LabelStatus says whether an observation has a label for training.
type LabelStatus uint8

const (
	// Labelled: the label is known; 1 if the first default falls in the
	// window (as_of, as_of+horizon], else 0.
	Labelled LabelStatus = iota + 1
	// Censored: no default has been observed in the window, and the window
	// is not fully observed: the outcome is not known yet.
	Censored
	// AlreadyDefaulted: the customer defaulted on or before as_of.
	AlreadyDefaulted
)

func (s LabelStatus) String() string {
	switch s {
	case Labelled:
		return "labelled"
	case Censored:
		return "censored"
	case AlreadyDefaulted:
		return "already defaulted"
	}
	return fmt.Sprintf("LabelStatus(%d)", uint8(s))
}

// Label returns the label of the observation at asOf of a customer whose
// first default is firstDefault (NoDate: none), with the window
// (asOf, h.After(asOf)] and outcomes complete up to observedUntil
// (NoDate: complete for ever).
//
//   - A default on or before asOf: AlreadyDefaulted, left out of training.
//   - A default in the window, on or before observedUntil: 1, Labelled, even
//     when the window reaches beyond observedUntil, since that outcome is
//     known.
//   - No default in the window and the window ends on or before
//     observedUntil: 0, Labelled.
//   - Otherwise: Censored.
//
// A default dated after observedUntil (such as the derived default of an
// item still open at the end of the book) is not an observed outcome: it
// makes neither a 1 nor AlreadyDefaulted.
//
// Label panics on an invalid horizon: a missing horizon is a configuration
// error that would otherwise label every window empty.
func Label(firstDefault, asOf datasets.Date, h Horizon, observedUntil datasets.Date) (y int, status LabelStatus) {
	if !h.Valid() {
		panic(fmt.Sprintf("features.Label: invalid horizon %+v", h))
	}
	end := h.After(asOf)
	observed := firstDefault != datasets.NoDate && (observedUntil == datasets.NoDate || firstDefault <= observedUntil)
	switch {
	case observed && firstDefault <= asOf:
		return 0, AlreadyDefaulted
	case observed && firstDefault <= end:
		return 1, Labelled
	case observedUntil != datasets.NoDate && end > observedUntil:
		return 0, Censored
	}
	return 0, Labelled
}
