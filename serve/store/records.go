package store

import (
	"cmp"
	"slices"

	"github.com/credence-risk/credence/datasets"
)

// money is one payment or credit note applied to an invoice. Key tells
// retries apart from new money: the event's id, else its date and amount.
type money struct {
	Date   datasets.Date
	Amount datasets.Amount
	Key    string
}

// invoiceRec is what the store knows of one invoice: the ledger row as a
// book or an invoice_row event gave it, and the events applied since.
type invoiceRec struct {
	// Issued: the issue fields are known (a payment may arrive first).
	Issued    bool
	IssueDate datasets.Date
	DueDate   datasets.Date
	Amount    datasets.Amount
	Currency  string
	Disputed  bool
	// RowPaidDate and RowPaidAmount are the ledger row's settlement, kept
	// as given so that a loaded book exports unchanged.
	RowPaidDate   datasets.Date
	RowPaidAmount datasets.Amount
	Payments      []money // by date, then key
	Credits       []money // credit notes: they reduce what is owed
	WrittenOff    datasets.Date
}

func newInvoiceRec() invoiceRec {
	return invoiceRec{IssueDate: datasets.NoDate, DueDate: datasets.NoDate, RowPaidDate: datasets.NoDate,
		RowPaidAmount: datasets.NoAmount, WrittenOff: datasets.NoDate}
}

func (r *invoiceRec) encode(e *encoder) {
	e.bool(r.Issued)
	e.date(r.IssueDate)
	e.date(r.DueDate)
	e.amount(r.Amount)
	e.str(r.Currency)
	e.bool(r.Disputed)
	e.date(r.RowPaidDate)
	e.amount(r.RowPaidAmount)
	for _, list := range [][]money{r.Payments, r.Credits} {
		e.uint(uint64(len(list)))
		for _, m := range list {
			e.date(m.Date)
			e.amount(m.Amount)
			e.str(m.Key)
		}
	}
	e.date(r.WrittenOff)
}

func (r *invoiceRec) decode(d *decoder) {
	r.Issued = d.bool()
	r.IssueDate = d.date()
	r.DueDate = d.date()
	r.Amount = d.amount()
	r.Currency = d.str()
	r.Disputed = d.bool()
	r.RowPaidDate = d.date()
	r.RowPaidAmount = d.amount()
	for _, list := range []*[]money{&r.Payments, &r.Credits} {
		n := d.uint()
		if d.err != nil || n > uint64(len(d.b)) {
			d.err = errCorrupt
			return
		}
		*list = nil
		for range n {
			*list = append(*list, money{Date: d.date(), Amount: d.amount(), Key: d.str()})
		}
	}
	r.WrittenOff = d.date()
}

// addMoney adds m to list unless its key is there; it reports whether the
// list changed.
func addMoney(list *[]money, m money) bool {
	for _, x := range *list {
		if x.Key == m.Key {
			return false
		}
	}
	*list = append(*list, m)
	slices.SortStableFunc(*list, func(a, b money) int { return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.Key, b.Key)) })
	return true
}

// invoice returns the book row of the record, and false when there is none
// yet (payments before the invoice) or credit notes cancelled it whole.
//
// A record that only a ledger row set is returned as the row was. Events
// since then settle it: payments add to the row's paid amount; the invoice
// is paid (paid_date) on the date the payments reached what is owed, the
// amount less credit notes; a write-off closes it on its date, short.
func (r *invoiceRec) invoice(customerID, invoiceID string) (datasets.Invoice, bool) {
	inv := datasets.Invoice{CustomerID: customerID, InvoiceID: invoiceID, IssueDate: r.IssueDate, DueDate: r.DueDate,
		Amount: r.Amount, PaidDate: r.RowPaidDate, PaidAmount: r.RowPaidAmount, Currency: r.Currency, Disputed: r.Disputed}
	if !r.Issued {
		return inv, false
	}
	if len(r.Payments) == 0 && len(r.Credits) == 0 && r.WrittenOff == datasets.NoDate {
		return inv, true
	}
	for _, c := range r.Credits {
		inv.Amount -= c.Amount
	}
	if inv.Amount <= 0 {
		return inv, false
	}
	paid := datasets.Amount(0)
	if r.RowPaidDate != datasets.NoDate || r.RowPaidAmount != datasets.NoAmount {
		row := datasets.Invoice{Amount: r.Amount, PaidDate: r.RowPaidDate, PaidAmount: r.RowPaidAmount}
		paid = row.Settled()
	}
	inv.PaidDate, inv.PaidAmount = datasets.NoDate, datasets.NoAmount
	settledOn := datasets.NoDate
	if paid >= inv.Amount {
		settledOn = r.RowPaidDate
	}
	for _, p := range r.Payments {
		paid += p.Amount
		if settledOn == datasets.NoDate && paid >= inv.Amount {
			settledOn = p.Date
		}
	}
	switch {
	case settledOn != datasets.NoDate:
		inv.PaidDate = settledOn
		if paid != inv.Amount {
			inv.PaidAmount = paid
		}
	case r.WrittenOff != datasets.NoDate:
		inv.PaidDate, inv.PaidAmount = r.WrittenOff, paid
	case paid > 0:
		inv.PaidAmount = paid
	}
	return inv, true
}

func encodeStatement(e *encoder, s *datasets.Statement) {
	e.int(int64(s.DaysPastDue))
	e.str(s.Status)
	e.amount(s.Balance)
	e.amount(s.CreditLimit)
	e.amount(s.Payment)
}

func decodeStatement(d *decoder, s *datasets.Statement) {
	s.DaysPastDue = int32(d.int())
	s.Status = d.str()
	s.Balance = d.amount()
	s.CreditLimit = d.amount()
	s.Payment = d.amount()
}

func encodeCustomer(e *encoder, c *datasets.Customer) {
	e.uint(uint64(len(c.Numeric)))
	for _, x := range c.Numeric {
		e.float(x)
	}
	e.uint(uint64(len(c.Categorical)))
	for _, s := range c.Categorical {
		e.str(s)
	}
}

func decodeCustomer(d *decoder, c *datasets.Customer) {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return
	}
	c.Numeric = make([]float64, n)
	for i := range c.Numeric {
		c.Numeric[i] = d.float()
	}
	n = d.uint()
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return
	}
	c.Categorical = make([]string, n)
	for i := range c.Categorical {
		c.Categorical[i] = d.str()
	}
}
