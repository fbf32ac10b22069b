package features

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/credence-risk/credence/datasets"
)

// testSchema is the customers layout of the generated books.
var testSchema = datasets.CustomerSchema{
	Numeric:     []string{"annual_revenue", "current_limit"},
	Categorical: []string{"industry", "country"},
}

var (
	genIndustries = []string{"retail", "construction", "wholesale", "transport", "mining", ""}
	genCountries  = []string{"DE", "FR", "NL", "ES", ""}
	genStatuses   = []string{"0", "1", "2", "-1", "-2", "C", "X", ""}
)

// genStart is the first date of the generated books.
var genStart = datasets.YMD(2021, time.January, 1)

// randomHistory returns a customer's history over about three years from
// genStart: irregular invoices (paid early, on time, late, short, or still
// open; some disputed) and monthly statements, with missing values here and
// there, as a seeded generator makes them.
func randomHistory(r *rand.Rand) *datasets.History {
	h := &datasets.History{CustomerID: "c"}
	if r.IntN(5) > 0 {
		h.Customer = &datasets.Customer{
			CustomerID:  "c",
			Numeric:     []float64{float64(r.IntN(1_000_000)), float64(r.IntN(50_000))},
			Categorical: []string{genIndustries[r.IntN(len(genIndustries))], genCountries[r.IntN(len(genCountries))]},
		}
	}
	if r.IntN(4) > 0 {
		for range r.IntN(40) {
			h.Invoices = append(h.Invoices, randomInvoice(r, genStart+datasets.Date(r.IntN(1100))))
		}
		slices.SortFunc(h.Invoices, func(a, b datasets.Invoice) int { return int(a.IssueDate - b.IssueDate) })
	}
	if r.IntN(4) > 0 {
		first := genStart.AddMonths(r.IntN(24))
		for m := range r.IntN(30) {
			h.Statements = append(h.Statements, randomStatement(r, first.AddMonths(m).MonthEnd()))
		}
	}
	return h
}

// randomInvoice returns an invoice issued on issue.
func randomInvoice(r *rand.Rand, issue datasets.Date) datasets.Invoice {
	inv := datasets.Invoice{
		CustomerID: "c",
		InvoiceID:  "i",
		IssueDate:  issue,
		DueDate:    issue + datasets.Date(15*r.IntN(5)),
		Amount:     datasets.Amount(1+r.IntN(100_000)) * datasets.AmountScale / 10,
		PaidDate:   datasets.NoDate,
		PaidAmount: datasets.NoAmount,
		Disputed:   r.IntN(10) == 0,
	}
	switch r.IntN(10) {
	case 0, 1: // open; sometimes with an undated partial payment
		if r.IntN(2) == 0 {
			inv.PaidAmount = inv.Amount / 2
		}
	case 2: // settled short
		inv.PaidDate = inv.DueDate + datasets.Date(r.IntN(90)-10)
		inv.PaidAmount = inv.Amount * datasets.Amount(r.IntN(10)) / 10
	default: // paid in full, early to very late
		inv.PaidDate = inv.DueDate + datasets.Date(r.IntN(150)-30)
		if r.IntN(2) == 0 {
			inv.PaidAmount = inv.Amount
		}
	}
	if inv.PaidDate != datasets.NoDate && inv.PaidDate < issue {
		inv.PaidDate = issue
	}
	return inv
}

// randomStatement returns a statement for the period ending on end.
func randomStatement(r *rand.Rand, end datasets.Date) datasets.Statement {
	st := datasets.Statement{
		CustomerID:  "c",
		PeriodEnd:   end,
		DaysPastDue: int32(30 * max(r.IntN(8)-4, 0)),
		Status:      genStatuses[r.IntN(len(genStatuses))],
		Balance:     datasets.Amount(r.IntN(200_000)-10_000) * datasets.AmountScale,
		CreditLimit: datasets.Amount(r.IntN(3)*50_000) * datasets.AmountScale,
		Payment:     datasets.Amount(r.IntN(20_000)) * datasets.AmountScale,
	}
	if r.IntN(10) == 0 {
		st.DaysPastDue = datasets.UnknownDaysPastDue
	}
	if r.IntN(10) == 0 {
		st.Balance = datasets.NoAmount
	}
	if r.IntN(10) == 0 {
		st.CreditLimit = datasets.NoAmount
	}
	if r.IntN(10) == 0 {
		st.Payment = datasets.NoAmount
	}
	return st
}

// cloneHistory returns a deep copy of h.
func cloneHistory(h *datasets.History) *datasets.History {
	c := *h
	if h.Customer != nil {
		cust := *h.Customer
		cust.Numeric = slices.Clone(cust.Numeric)
		cust.Categorical = slices.Clone(cust.Categorical)
		c.Customer = &cust
	}
	c.Invoices = slices.Clone(h.Invoices)
	c.Statements = slices.Clone(h.Statements)
	c.Defaults = slices.Clone(h.Defaults)
	c.Observations = slices.Clone(h.Observations)
	return &c
}

// levelsOf counts the levels of the histories.
func levelsOf(hs ...*datasets.History) *LevelCounter {
	c := NewLevelCounter(testSchema)
	for _, h := range hs {
		c.AddHistory(h)
	}
	return c
}
