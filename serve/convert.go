package serve

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"google.golang.org/genproto/googleapis/type/date"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/serve/creditpb"
)

// Dates the API takes are full calendar dates from minDateYear to 9999: an
// earlier year is a mistyped one (0024 for 2024), not a credit history.
const minDateYear = 1900

// dayOf reads a google.type.Date field; unset gives NoDate. A date that is
// not a full calendar date (no year, month or day; 31 April) is refused.
func dayOf(field string, d *date.Date) (datasets.Date, error) {
	if d == nil {
		return datasets.NoDate, nil
	}
	y, m, day := int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay())
	if y < minDateYear || y > 9999 || m < time.January || m > time.December || day < 1 || day > 31 {
		return datasets.NoDate, badField(field, "{year: %d, month: %d, day: %d} is not a calendar date from %d-01-01 to 9999-12-31",
			y, m, day, minDateYear)
	}
	out := datasets.YMD(y, m, day)
	if t := out.Time(); t.Day() != day {
		return datasets.NoDate, badField(field, "%d-%02d-%02d is not a calendar date: %s has %d days", y, m, day, m, day-t.Day())
	}
	return out, nil
}

// requiredDay reads a date field that must be set.
func requiredDay(field string, d *date.Date) (datasets.Date, error) {
	if d == nil {
		return datasets.NoDate, badField(field, "required")
	}
	return dayOf(field, d)
}

// amountOf converts an amount field; positive demands > 0, else >= 0.
func amountOf(field string, x float64, positive bool) (datasets.Amount, error) {
	if positive && !(x > 0) || !(x >= 0) {
		want := ">= 0"
		if positive {
			want = "> 0"
		}
		return datasets.NoAmount, badField(field, "%v is not an amount %s", x, want)
	}
	a, err := datasets.AmountFromFloat(x)
	if err != nil {
		return datasets.NoAmount, badField(field, "%v", err)
	}
	return a, nil
}

// optionalAmount converts an optional amount field; unset gives NoAmount.
// Balances and payments may be negative (a credit balance, a refund).
func optionalAmount(field string, x *float64) (datasets.Amount, error) {
	if x == nil {
		return datasets.NoAmount, nil
	}
	a, err := datasets.AmountFromFloat(*x)
	if err != nil {
		return datasets.NoAmount, badField(field, "%v", err)
	}
	return a, nil
}

// historyOf converts an inline history to what the features read, with the
// customer's attributes laid out by schema. Attributes the schema does not
// have are left out of the scoring (net_worth may be sent for a credit limit
// alone). Rows are sorted as a book stores them.
func historyOf(id string, p *creditpb.History, schema datasets.CustomerSchema) (*datasets.History, error) {
	h := &datasets.History{CustomerID: id}
	seen := make(map[string]int, len(p.GetInvoices()))
	for i, in := range p.GetInvoices() {
		f := fmt.Sprintf("history.invoices[%d].", i)
		inv := datasets.Invoice{CustomerID: id, InvoiceID: in.GetInvoiceId(), Currency: in.GetCurrencyCode(), Disputed: in.GetDisputed()}
		if inv.InvoiceID == "" {
			return nil, badField(f+"invoice_id", "required")
		}
		if j, dup := seen[inv.InvoiceID]; dup {
			return nil, badField(f+"invoice_id", "%q repeats history.invoices[%d]", inv.InvoiceID, j)
		}
		seen[inv.InvoiceID] = i
		var err error
		if inv.IssueDate, err = requiredDay(f+"issue_date", in.GetIssueDate()); err != nil {
			return nil, err
		}
		if inv.DueDate, err = requiredDay(f+"due_date", in.GetDueDate()); err != nil {
			return nil, err
		}
		if inv.DueDate < inv.IssueDate {
			return nil, badField(f+"due_date", "%s is before issue_date %s", inv.DueDate, inv.IssueDate)
		}
		if inv.Amount, err = amountOf(f+"amount", in.GetAmount(), true); err != nil {
			return nil, err
		}
		if inv.PaidDate, err = dayOf(f+"paid_date", in.GetPaidDate()); err != nil {
			return nil, err
		}
		inv.PaidAmount = datasets.NoAmount
		if in.PaidAmount != nil {
			if inv.PaidAmount, err = amountOf(f+"paid_amount", in.GetPaidAmount(), false); err != nil {
				return nil, err
			}
		}
		h.Invoices = append(h.Invoices, inv)
	}
	for i, in := range p.GetStatements() {
		f := fmt.Sprintf("history.statements[%d].", i)
		st := datasets.Statement{CustomerID: id, Status: in.GetStatus(), DaysPastDue: datasets.UnknownDaysPastDue}
		var err error
		if st.PeriodEnd, err = requiredDay(f+"period_end", in.GetPeriodEnd()); err != nil {
			return nil, err
		}
		if in.DaysPastDue != nil {
			if in.GetDaysPastDue() < 0 {
				return nil, badField(f+"days_past_due", "%d is negative", in.GetDaysPastDue())
			}
			st.DaysPastDue = in.GetDaysPastDue()
		}
		if st.Balance, err = optionalAmount(f+"balance", in.Balance); err != nil {
			return nil, err
		}
		if st.CreditLimit, err = optionalAmount(f+"credit_limit", in.CreditLimit); err != nil {
			return nil, err
		}
		if st.Payment, err = optionalAmount(f+"payment", in.Payment); err != nil {
			return nil, err
		}
		h.Statements = append(h.Statements, st)
	}
	for i, in := range p.GetDefaults() {
		d, err := requiredDay(fmt.Sprintf("history.defaults[%d].default_date", i), in.GetDefaultDate())
		if err != nil {
			return nil, err
		}
		h.Defaults = append(h.Defaults, datasets.Default{CustomerID: id, DefaultDate: d, Reason: in.GetReason()})
	}
	num, cat := p.GetNumericAttributes(), p.GetCategoricalAttributes()
	for name, x := range num {
		if math.IsInf(x, 0) {
			return nil, badField(fmt.Sprintf("history.numeric_attributes[%q]", name), "%v is not a number (NaN when unknown)", x)
		}
	}
	if len(num) > 0 || len(cat) > 0 {
		c := &datasets.Customer{CustomerID: id, Numeric: make([]float64, len(schema.Numeric)), Categorical: make([]string, len(schema.Categorical))}
		for i, name := range schema.Numeric {
			c.Numeric[i] = math.NaN()
			if x, ok := num[name]; ok {
				c.Numeric[i] = x
			}
		}
		for i, name := range schema.Categorical {
			c.Categorical[i] = cat[name]
		}
		h.Customer = c
	}
	slices.SortStableFunc(h.Invoices, func(a, b datasets.Invoice) int { return cmp.Compare(a.IssueDate, b.IssueDate) })
	slices.SortStableFunc(h.Statements, func(a, b datasets.Statement) int { return cmp.Compare(a.PeriodEnd, b.PeriodEnd) })
	slices.SortStableFunc(h.Defaults, func(a, b datasets.Default) int { return cmp.Compare(a.DefaultDate, b.DefaultDate) })
	return h, nil
}
