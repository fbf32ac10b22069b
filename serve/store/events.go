package store

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credence-risk/credence/datasets"
)

// Kind is what an event says happened.
type Kind uint8

const (
	// InvoiceIssued: a new invoice (Invoice: invoice_id, issue_date,
	// due_date, amount, currency, disputed). Key: customer and invoice_id;
	// the same invoice again changes nothing, different fields correct it.
	InvoiceIssued Kind = iota + 1
	// PaymentReceived: money paid against an invoice on Date, Amount (unset:
	// what is still owed). Key: the event's ID, else invoice, date and
	// amount; give IDs to tell apart two equal payments on one day.
	PaymentReceived
	// InvoiceDisputed and DisputeResolved set the invoice's disputed flag.
	// Key: customer and invoice_id.
	InvoiceDisputed
	DisputeResolved
	// CreditNote reduces what the invoice owes by Amount (all of it cancels
	// the invoice). Key: as for a payment.
	CreditNote
	// WriteOff closes the invoice on Date with what was paid: an unpaid
	// balance written off. Key: customer and invoice_id.
	WriteOff
	// StatementPosted: a statement (Statement). Key: customer and
	// period_end; a second one for the period replaces the first.
	StatementPosted
	// DefaultRecorded and DefaultCured add or withdraw the default of Date
	// (Reason). Key: customer and default_date.
	DefaultRecorded
	DefaultCured
	// AttributesUpdated sets the named attributes of the customers row
	// (Numeric, Categorical); others are kept. Key: customer.
	AttributesUpdated
	// LedgerRow is an invoices row of a book export: the ledger's state of
	// one invoice, paid_date and paid_amount included. An invoice row that
	// reappears with a paid_date is its payment. Key: customer and
	// invoice_id.
	LedgerRow
)

var kindNames = [...]string{
	InvoiceIssued: "invoice_issued", PaymentReceived: "payment_received", InvoiceDisputed: "invoice_disputed",
	DisputeResolved: "dispute_resolved", CreditNote: "credit_note", WriteOff: "write_off",
	StatementPosted: "statement_posted", DefaultRecorded: "default_recorded", DefaultCured: "default_cured",
	AttributesUpdated: "attributes_updated", LedgerRow: "invoice_row",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Event is one fact about one customer.
type Event struct {
	// ID is the caller's idempotency key, optional (see each Kind).
	ID         string
	Kind       Kind
	CustomerID string
	// Invoice: every field for InvoiceIssued and LedgerRow; InvoiceID alone
	// for the other invoice events.
	Invoice datasets.Invoice
	// Date of a payment, dispute, credit note, write-off or default.
	Date   datasets.Date
	Amount datasets.Amount // NoAmount when not given
	// Statement for StatementPosted (CustomerID is the event's).
	Statement datasets.Statement
	Reason    string
	// Attributes for AttributesUpdated.
	Numeric     map[string]float64
	Categorical map[string]string
}

// BusinessDate is the date on which the event happened, which may move the
// data date: issued, paid, posted, defaulted; NoDate for an attribute
// update. A due date never does.
func (e *Event) BusinessDate() datasets.Date {
	switch e.Kind {
	case InvoiceIssued:
		return e.Invoice.IssueDate
	case LedgerRow:
		return max(e.Invoice.IssueDate, e.Invoice.PaidDate)
	case StatementPosted:
		return e.Statement.PeriodEnd
	case AttributesUpdated:
		return datasets.NoDate
	}
	return e.Date
}

// FieldError is an event refused, with the field at fault.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func refuse(field string, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Status is what became of one event.
type Status uint8

const (
	Accepted  Status = iota + 1 // applied and durable
	Unchanged                   // already applied: a retry or a repeat
	Refused                     // invalid; the store is as it was
)

func (s Status) String() string {
	switch s {
	case Accepted:
		return "accepted"
	case Unchanged:
		return "unchanged"
	case Refused:
		return "refused"
	}
	return "unknown"
}

// Outcome is the fate of one event of a batch.
type Outcome struct {
	Status Status
	Err    *FieldError // when Refused
}

// Applied is the answer to Apply: one Outcome per event, in order, and the
// data date after them.
type Applied struct {
	Outcomes []Outcome
	DataDate datasets.Date
	// Previous is the data date before the batch.
	Previous datasets.Date
}

type request struct {
	events []Event
	done   chan result
}

type result struct {
	applied Applied
	err     error
}

// ErrClosed: the store was closed.
var ErrClosed = errors.New("store closed")

// Apply validates and applies events, and returns once every accepted one
// is durable. Events refused or unchanged leave the store as it was; the
// others are applied in one atomic batch, shared with concurrent callers.
func (s *Store) Apply(events []Event) (Applied, error) {
	req := &request{events: events, done: make(chan result, 1)}
	select {
	case s.requests <- req:
	case <-s.stop:
		return Applied{}, ErrClosed
	}
	// The queue is buffered: a request may land in it after the writer has
	// stopped, and nobody would answer it.
	select {
	case r := <-req.done:
		return r.applied, r.err
	case <-s.stopped:
		// The writer answers every request it takes before it stops.
		select {
		case r := <-req.done:
			return r.applied, r.err
		default:
			return Applied{}, ErrClosed
		}
	}
}

// writer commits queued requests, many at a time.
func (s *Store) writer() {
	defer close(s.stopped)
	for {
		var first *request
		select {
		case first = <-s.requests:
		case <-s.stop:
			return
		}
		reqs := []*request{first}
		n := len(first.events)
	more:
		for n < s.opts.MaxBatchEvents {
			select {
			case r := <-s.requests:
				reqs = append(reqs, r)
				n += len(r.events)
			default:
				break more
			}
		}
		s.commit(reqs)
	}
}

// commit applies reqs in one batch and answers each.
func (s *Store) commit(reqs []*request) {
	old := s.meta.Load()
	m := *old
	b := s.db.NewIndexedBatch()
	defer b.Close()
	results := make([]result, len(reqs))
	today := datasets.DateOf(s.opts.Now())
	var err error
	for i, req := range reqs {
		results[i].applied = Applied{Outcomes: make([]Outcome, len(req.events)), Previous: old.DataDate}
		for j := range req.events {
			if j%64 == 63 {
				// A commit of thousands of events is CPU work of several
				// milliseconds: let waiting calls (scores) run between.
				runtime.Gosched()
			}
			ev := &req.events[j]
			st, ferr, aerr := s.apply(b, &m, ev, today)
			if aerr != nil {
				err = aerr
				break
			}
			results[i].applied.Outcomes[j] = Outcome{Status: st, Err: ferr}
			if st == Accepted {
				if d := ev.BusinessDate(); d != datasets.NoDate && d > m.DataDate {
					m.DataDate = d
				}
			}
		}
	}
	changed := m.DataDate != old.DataDate || m.Defaults != old.Defaults || m.Customers != old.Customers
	if err == nil && changed {
		err = putMeta(b, &m)
	}
	if err == nil && !b.Empty() {
		err = b.Commit(pebble.Sync)
	}
	if err == nil {
		s.meta.Store(&m)
		s.known.committed()
	} else {
		s.known.abandoned()
	}
	for i, req := range reqs {
		results[i].applied.DataDate = m.DataDate
		if err != nil {
			results[i] = result{err: fmt.Errorf("store: %w", err)}
		}
		req.done <- results[i]
	}
}

// apply validates ev and writes its effect into b. It returns the outcome,
// or an error of the store itself (which fails the whole batch).
func (s *Store) apply(b *pebble.Batch, m *Meta, ev *Event, today datasets.Date) (Status, *FieldError, error) {
	if ferr := validate(ev, m, today); ferr != nil {
		return Refused, ferr, nil
	}
	id := ev.CustomerID
	switch ev.Kind {
	case StatementPosted:
		st := ev.Statement
		var e encoder
		encodeStatement(&e, &st)
		return s.put(b, m, recordKey(id, kindStatement, dateKey(st.PeriodEnd)), e.b)
	case DefaultRecorded:
		var e encoder
		e.str(ev.Reason)
		status, ferr, err := s.put(b, m, recordKey(id, kindDefault, dateKey(ev.Date)), e.b)
		if status == Accepted && !m.Defaults {
			m.Defaults = true
		}
		return status, ferr, err
	case DefaultCured:
		key := recordKey(id, kindDefault, dateKey(ev.Date))
		if _, ok, err := get(b, key); err != nil || !ok {
			return Unchanged, nil, err
		}
		s.known.forget(id)
		if err := b.Delete(key, nil); err != nil {
			return 0, nil, err
		}
		// A cured default that was the customer's only record leaves no
		// customer behind.
		p := historyPrefix(id)
		it, err := b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return 0, nil, err
		}
		if !it.First() {
			m.Customers--
		}
		return Accepted, nil, errors.Join(it.Error(), it.Close())
	case AttributesUpdated:
		return s.updateAttributes(b, m, ev)
	}
	return s.applyInvoice(b, m, ev)
}

// get reads key through the batch.
func get(b *pebble.Batch, key []byte) ([]byte, bool, error) {
	v, closer, err := b.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := slices.Clone(v)
	closer.Close()
	return out, true, nil
}

// put sets key to value unless it holds it already.
func (s *Store) put(b *pebble.Batch, m *Meta, key, value []byte) (Status, *FieldError, error) {
	old, ok, err := get(b, key)
	if err != nil {
		return 0, nil, err
	}
	if ok && string(old) == string(value) {
		return Unchanged, nil, nil
	}
	if err := s.noteCustomer(b, m, key); err != nil {
		return 0, nil, err
	}
	return Accepted, nil, b.Set(key, value, nil)
}

// noteCustomer counts a customer the store did not know.
func (s *Store) noteCustomer(b *pebble.Batch, m *Meta, key []byte) error {
	end := bytes.IndexByte(key[1:], 0)
	p := key[:end+2]
	if s.known.has(p[1 : end+1]) {
		return nil
	}
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	if !it.First() {
		m.Customers++
	}
	s.known.noted(string(p[1 : end+1]))
	return it.Error()
}

// knownCustomers remembers customers the store holds records of, so that
// most events need not look for the customer's first record. Only the
// writer goroutine uses it. A customer enters once the batch that showed
// or made its records is committed, and leaves when one of its records is
// deleted (a cured default may have been its only one).
type knownCustomers struct {
	ids     map[string]struct{}
	pending []string // noted in the batch being built
}

// maxKnownCustomers bounds the set (about 60 bytes a customer); when full
// it starts again empty.
const maxKnownCustomers = 1 << 18

func (k *knownCustomers) has(id []byte) bool {
	_, ok := k.ids[string(id)]
	return ok
}

func (k *knownCustomers) noted(id string) { k.pending = append(k.pending, id) }

func (k *knownCustomers) forget(id string) {
	delete(k.ids, id)
	k.pending = slices.DeleteFunc(k.pending, func(x string) bool { return x == id })
}

// committed keeps the customers of the committed batch; abandoned drops
// them.
func (k *knownCustomers) committed() {
	if k.ids == nil || len(k.ids)+len(k.pending) > maxKnownCustomers {
		k.ids = make(map[string]struct{}, len(k.pending))
	}
	for _, id := range k.pending {
		k.ids[id] = struct{}{}
	}
	k.pending = k.pending[:0]
}

func (k *knownCustomers) abandoned() { k.pending = k.pending[:0] }

func (s *Store) updateAttributes(b *pebble.Batch, m *Meta, ev *Event) (Status, *FieldError, error) {
	key := recordKey(ev.CustomerID, kindAttributes, nil)
	c := &datasets.Customer{CustomerID: ev.CustomerID, Numeric: make([]float64, len(m.Schema.Numeric)), Categorical: make([]string, len(m.Schema.Categorical))}
	for i := range c.Numeric {
		c.Numeric[i] = math.NaN()
	}
	old, ok, err := get(b, key)
	if err != nil {
		return 0, nil, err
	}
	if ok {
		d := &decoder{b: old}
		decodeCustomer(d, c)
		if d.err != nil {
			return 0, nil, fmt.Errorf("customer %q: attributes: %w", ev.CustomerID, d.err)
		}
	}
	for name, x := range ev.Numeric {
		c.Numeric[m.Schema.NumericIndex(name)] = x
	}
	for name, v := range ev.Categorical {
		c.Categorical[m.Schema.CategoricalIndex(name)] = v
	}
	var e encoder
	encodeCustomer(&e, c)
	return s.put(b, m, key, e.b)
}

func (s *Store) applyInvoice(b *pebble.Batch, m *Meta, ev *Event) (Status, *FieldError, error) {
	id, invID := ev.CustomerID, ev.Invoice.InvoiceID
	key := recordKey(id, kindInvoice, []byte(invID))
	rec := newInvoiceRec()
	old, ok, err := get(b, key)
	if err != nil {
		return 0, nil, err
	}
	if ok {
		d := &decoder{b: old}
		rec.decode(d)
		if d.err != nil {
			return 0, nil, fmt.Errorf("customer %q invoice %q: %w", id, invID, d.err)
		}
	}
	before, wasOpen := rec.invoice(id, invID)
	wasOpen = wasOpen && before.PaidDate == datasets.NoDate
	inv := &ev.Invoice
	switch ev.Kind {
	case InvoiceIssued, LedgerRow:
		if rec.Issued && rec.Currency != inv.Currency && inv.Currency != "" && rec.Currency != "" {
			return Refused, refuse("invoice.currency", "%s for an invoice in %s", inv.Currency, rec.Currency), nil
		}
		rec.Issued, rec.IssueDate, rec.DueDate, rec.Amount, rec.Currency, rec.Disputed = true, inv.IssueDate, inv.DueDate, inv.Amount, inv.Currency, inv.Disputed
		if ev.Kind == LedgerRow {
			// The ledger's state replaces what events had said of the
			// settlement.
			rec.RowPaidDate, rec.RowPaidAmount = inv.PaidDate, inv.PaidAmount
			rec.Payments, rec.WrittenOff = nil, datasets.NoDate
		}
	case PaymentReceived, CreditNote:
		amount := ev.Amount
		if amount == datasets.NoAmount {
			if !rec.Issued {
				return Refused, refuse("amount", "required before the invoice is known"), nil
			}
			cur, _ := rec.invoice(id, invID)
			amount = cur.Amount - cur.Settled()
			if amount <= 0 {
				return Unchanged, nil, nil
			}
		}
		k := ev.ID
		if k == "" {
			k = fmt.Sprintf("%s/%d", ev.Date, amount)
		}
		list := &rec.Payments
		if ev.Kind == CreditNote {
			list = &rec.Credits
		}
		if !addMoney(list, money{Date: ev.Date, Amount: amount, Key: k}) {
			return Unchanged, nil, nil
		}
	case InvoiceDisputed, DisputeResolved:
		rec.Disputed = ev.Kind == InvoiceDisputed
	case WriteOff:
		rec.WrittenOff = ev.Date
	}
	var e encoder
	rec.encode(&e)
	if ok && string(old) == string(e.b) {
		return Unchanged, nil, nil
	}
	if !ok {
		if err := s.noteCustomer(b, m, key); err != nil {
			return 0, nil, err
		}
	}
	if err := b.Set(key, e.b, nil); err != nil {
		return 0, nil, err
	}
	// Keep the open-invoice index in step with the ledger.
	after, isOpen := rec.invoice(id, invID)
	isOpen = isOpen && after.PaidDate == datasets.NoDate
	if wasOpen && (!isOpen || after.DueDate != before.DueDate) {
		if err := b.Delete(openKey(before.DueDate, id, invID), nil); err != nil {
			return 0, nil, err
		}
	}
	if isOpen {
		if err := b.Set(openKey(after.DueDate, id, invID), nil, nil); err != nil {
			return 0, nil, err
		}
	}
	return Accepted, nil, nil
}

// validate applies the book reader's rules to an event.
func validate(ev *Event, m *Meta, today datasets.Date) *FieldError {
	if err := checkID(ev.CustomerID); err != nil {
		return &FieldError{Field: "customer_id", Err: err}
	}
	date := func(field string, d datasets.Date, required bool) *FieldError {
		switch {
		case d == datasets.NoDate && required:
			return &FieldError{Field: field, Err: datasets.ErrNull}
		case d != datasets.NoDate && d > today+1:
			return refuse(field, "%s is in the future (today is %s)", d, today)
		}
		return nil
	}
	switch ev.Kind {
	case InvoiceIssued, LedgerRow:
		inv := &ev.Invoice
		if err := checkID(inv.InvoiceID); err != nil {
			return &FieldError{Field: "invoice.invoice_id", Err: err}
		}
		if f := date("invoice.issue_date", inv.IssueDate, true); f != nil {
			return f
		}
		if inv.DueDate == datasets.NoDate {
			return &FieldError{Field: "invoice.due_date", Err: datasets.ErrNull}
		}
		if inv.Amount == datasets.NoAmount {
			return &FieldError{Field: "invoice.amount", Err: datasets.ErrNull}
		}
		if col, err := inv.Check(); err != nil {
			return &FieldError{Field: "invoice." + col, Err: err}
		}
		if ev.Kind == InvoiceIssued && (inv.PaidDate != datasets.NoDate || inv.PaidAmount != datasets.NoAmount) {
			return refuse("invoice.paid_date", "an issued invoice is not paid yet: send a payment_received event")
		}
		if f := date("invoice.paid_date", inv.PaidDate, false); f != nil {
			return f
		}
		if inv.PaidDate != datasets.NoDate && inv.PaidDate < inv.IssueDate {
			return refuse("invoice.paid_date", "%s is before issue_date %s", inv.PaidDate, inv.IssueDate)
		}
		inv.Currency = strings.ToUpper(strings.TrimSpace(inv.Currency))
		if c := m.Book.Currency; inv.Currency != "" && c != "" && inv.Currency != c {
			return &FieldError{Field: "invoice.currency", Err: fmt.Errorf("%w: %s and %s", datasets.ErrMixedCurrency, c, inv.Currency)}
		}
	case PaymentReceived, CreditNote, InvoiceDisputed, DisputeResolved, WriteOff:
		if err := checkID(ev.Invoice.InvoiceID); err != nil {
			return &FieldError{Field: "invoice_id", Err: err}
		}
		if f := date("date", ev.Date, true); f != nil {
			return f
		}
		if (ev.Kind == PaymentReceived || ev.Kind == CreditNote) && ev.Amount != datasets.NoAmount && ev.Amount <= 0 {
			return &FieldError{Field: "amount", Err: fmt.Errorf("%w, got %s", datasets.ErrNotPositive, ev.Amount)}
		}
	case StatementPosted:
		st := &ev.Statement
		st.CustomerID = ev.CustomerID
		if f := date("statement.period_end", st.PeriodEnd, true); f != nil {
			return f
		}
		if st.DaysPastDue < 0 && st.DaysPastDue != datasets.UnknownDaysPastDue {
			return refuse("statement.days_past_due", "must be >= 0, got %d", st.DaysPastDue)
		}
	case DefaultRecorded, DefaultCured:
		if f := date("default_date", ev.Date, true); f != nil {
			return f
		}
	case AttributesUpdated:
		if len(ev.Numeric) == 0 && len(ev.Categorical) == 0 {
			return refuse("attributes", "no attribute given")
		}
		for name, x := range ev.Numeric {
			if m.Schema.NumericIndex(name) < 0 {
				return refuse("numeric_attributes["+name+"]", "the book's customers table has no numeric column %q", name)
			}
			if math.IsInf(x, 0) {
				return refuse("numeric_attributes["+name+"]", "%v is not a number (NaN when unknown)", x)
			}
		}
		for name := range ev.Categorical {
			if m.Schema.CategoricalIndex(name) < 0 {
				return refuse("categorical_attributes["+name+"]", "the book's customers table has no categorical column %q", name)
			}
		}
	default:
		return refuse("kind", "unknown event kind %d", ev.Kind)
	}
	return nil
}
