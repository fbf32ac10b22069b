package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// loadedStore is a store holding book, in a fresh directory.
func loadedStore(t *testing.T, book *datasets.Book) *Store {
	t.Helper()
	s := openStore(t, filepath.Join(t.TempDir(), "store"))
	if err := s.Load(context.Background(), book, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// applyAll applies batches and fails on a refusal or a store error.
func applyAll(t *testing.T, s *Store, batches ...[]Event) {
	t.Helper()
	for _, b := range batches {
		res, err := s.Apply(b)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range res.Outcomes {
			if o.Status == Refused {
				t.Fatalf("event %d (%v %s %s): refused: %v", i, b[i].Kind, b[i].CustomerID, b[i].Invoice.InvoiceID, o.Err)
			}
		}
	}
}

// eventKit builds the events of one customer from day offsets after d0.
type eventKit struct {
	customer string
	d0       datasets.Date
}

func (k eventKit) issue(inv string, day int, amount float64) Event {
	return Event{Kind: InvoiceIssued, CustomerID: k.customer, Invoice: datasets.Invoice{InvoiceID: inv, IssueDate: k.d0 + datasets.Date(day),
		DueDate: k.d0 + datasets.Date(day+30), Amount: amt(amount), PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount}}
}

func (k eventKit) money(kind Kind, id, inv string, day int, amount float64) Event {
	return Event{ID: id, Kind: kind, CustomerID: k.customer, Invoice: datasets.Invoice{InvoiceID: inv}, Date: k.d0 + datasets.Date(day), Amount: amt(amount)}
}

func (k eventKit) on(kind Kind, inv string, day int) Event {
	return Event{Kind: kind, CustomerID: k.customer, Invoice: datasets.Invoice{InvoiceID: inv}, Date: k.d0 + datasets.Date(day), Amount: datasets.NoAmount}
}

func (k eventKit) row(inv string, issue, paid int, amount, paidAmount float64) Event {
	e := k.issue(inv, issue, amount)
	e.Kind = LedgerRow
	e.Invoice.PaidDate = k.d0 + datasets.Date(paid)
	e.Invoice.PaidAmount = amt(paidAmount)
	return e
}

// TestEventsInAnyOrder applies one customer's events in random orders, in
// batches of random sizes, with repeats and retried batches, and checks
// that the history and the store's description come out the same each
// time, and as the events say.
func TestEventsInAnyOrder(t *testing.T) {
	book := synthBook(t, 5)
	k := eventKit{customer: "NEW-1", d0: datasets.YMD(2025, 3, 1)}
	events := []Event{
		k.issue("I1", 0, 100),
		k.money(PaymentReceived, "", "I1", 20, 60),
		k.money(PaymentReceived, "", "I1", 35, 40), // settles I1 on day 35
		k.issue("I2", 5, 80),
		k.money(PaymentReceived, "p-1", "I2", 40, 30), // two equal payments on one day, told apart by id
		k.money(PaymentReceived, "p-2", "I2", 40, 30),
		k.issue("I3", 10, 50),
		k.money(CreditNote, "cn-1", "I3", 12, 50), // cancels I3 whole
		k.issue("I4", 15, 200),
		k.money(PaymentReceived, "", "I4", 50, 30),
		k.on(WriteOff, "I4", 120), // closes I4 short
		k.issue("I5", 20, 90),
		k.money(CreditNote, "cn-2", "I5", 25, 40), // I5 owes 50 after the credit note
		k.money(PaymentReceived, "", "I5", 60, 50),
		{Kind: StatementPosted, CustomerID: k.customer, Statement: datasets.Statement{PeriodEnd: k.d0 + 30, DaysPastDue: 3, Status: "current",
			Balance: amt(130), CreditLimit: amt(500), Payment: amt(60)}},
		{Kind: DefaultRecorded, CustomerID: k.customer, Date: k.d0 + 100, Reason: "bankruptcy"},
		{Kind: AttributesUpdated, CustomerID: k.customer, Numeric: map[string]float64{"annual_revenue": 1e6}},
		{Kind: AttributesUpdated, CustomerID: k.customer, Categorical: map[string]string{"industry": "retail"}},
		// Another customer's event in the same batches.
		eventKit{customer: "NEW-2", d0: k.d0}.issue("J1", 3, 10),
	}

	var want *datasets.History
	var wantMeta Meta
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 8 {
		s := loadedStore(t, book)
		order := make([]int, len(events))
		for i := range order {
			order[i] = i
		}
		if trial > 0 {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		var seq []Event
		for _, i := range order {
			seq = append(seq, events[i])
			if trial > 0 && rng.IntN(4) == 0 {
				seq = append(seq, events[rng.IntN(len(events))]) // a repeat
			}
		}
		for len(seq) > 0 {
			n := 1 + rng.IntN(min(len(seq), 6))
			if trial == 0 {
				n = len(seq)
			}
			applyAll(t, s, seq[:n])
			if rng.IntN(3) == 0 {
				applyAll(t, s, seq[:n]) // the client retried the batch
			}
			seq = seq[n:]
		}
		h, err := s.History(k.customer)
		if err != nil {
			t.Fatal(err)
		}
		m := s.Meta()
		if trial == 0 {
			want, wantMeta = h, m
			continue
		}
		sameHistory(t, fmt.Sprintf("trial %d, order %v", trial, order), h, want)
		if !reflect.DeepEqual(m, wantMeta) {
			t.Fatalf("trial %d: meta %+v; want %+v", trial, m, wantMeta)
		}
	}

	// What the events say, whatever their order.
	d := k.d0
	inv := map[string]datasets.Invoice{}
	for _, x := range want.Invoices {
		inv[x.InvoiceID] = x
	}
	for _, c := range []struct {
		id         string
		paid       datasets.Date
		paidAmount datasets.Amount
		amount     datasets.Amount
	}{
		{"I1", d + 35, datasets.NoAmount, amt(100)},
		{"I2", datasets.NoDate, amt(60), amt(80)}, // both payments of day 40 count
		{"I4", d + 120, amt(30), amt(200)},
		{"I5", d + 60, datasets.NoAmount, amt(50)},
	} {
		got, ok := inv[c.id]
		if !ok {
			t.Errorf("%s: missing from the history", c.id)
			continue
		}
		if got.PaidDate != c.paid || got.PaidAmount != c.paidAmount || got.Amount != c.amount {
			t.Errorf("%s: amount %s paid %s %s; want %s paid %s %s", c.id, got.Amount, got.PaidDate, got.PaidAmount, c.amount, c.paid, c.paidAmount)
		}
	}
	if _, ok := inv["I3"]; ok || len(want.Invoices) != 4 {
		t.Errorf("invoices %+v; want I1, I2, I4, I5 (I3 cancelled by its credit note)", want.Invoices)
	}
	if len(want.Statements) != 1 || len(want.Defaults) != 1 || want.Defaults[0].DefaultDate != d+100 {
		t.Errorf("statements %+v, defaults %+v; want one of each", want.Statements, want.Defaults)
	}
	schema := book.Schema
	if c := want.Customer; c == nil || c.Numeric[schema.NumericIndex("annual_revenue")] != 1e6 || c.Categorical[schema.CategoricalIndex("industry")] != "retail" {
		t.Errorf("attributes %+v; want annual_revenue 1e6 and industry retail", c)
	}
	if wantMeta.DataDate != max(book.Meta.ObservedUntil, d+120) || !wantMeta.Defaults {
		t.Errorf("meta %+v; want data date %s (the write-off), defaults", wantMeta, max(book.Meta.ObservedUntil, d+120))
	}
	if n := int64(len(mustReadAll(t, book))) + 2; wantMeta.Customers != n {
		t.Errorf("%d customers; want %d", wantMeta.Customers, n)
	}
}

// overdueOf lists the customer's invoices 30 days or more past due by to.
func overdueOf(t *testing.T, s *Store, customer string, to datasets.Date) []Overdue {
	t.Helper()
	all, err := s.OverdueBetween(datasets.NoDate, to, 30)
	if err != nil {
		t.Fatal(err)
	}
	var out []Overdue
	for _, o := range all {
		if o.CustomerID == customer {
			out = append(out, o)
		}
	}
	return out
}

func mustReadAll(t *testing.T, book *datasets.Book) []*datasets.History {
	t.Helper()
	hs, err := book.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// TestEventSequences covers the events whose order matters.
func TestEventSequences(t *testing.T) {
	book := synthBook(t, 5)
	k := eventKit{customer: "SEQ-1", d0: datasets.YMD(2025, 3, 1)}
	d := k.d0
	history := func(s *Store) *datasets.History {
		t.Helper()
		h, err := s.History(k.customer)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	t.Run("ledger row after payments", func(t *testing.T) {
		s := loadedStore(t, book)
		applyAll(t, s, []Event{k.issue("I1", 0, 100), k.money(PaymentReceived, "", "I1", 10, 40)})
		// The ledger's row is the state of record: it replaces the payments.
		applyAll(t, s, []Event{k.row("I1", 0, 20, 100, 100)})
		got := history(s).Invoices[0]
		if got.PaidDate != d+20 || got.PaidAmount != amt(100) {
			t.Errorf("after the ledger row: paid %s %s; want %s 100.00 as the row says", got.PaidDate, got.PaidAmount, d+20)
		}
		if o := overdueOf(t, s, k.customer, d+400); len(o) != 0 {
			t.Errorf("overdue %+v; want none, the row paid it", o)
		}
		// A payment after the row adds to it.
		applyAll(t, s, []Event{k.row("I2", 0, 5, 100, 30), k.money(PaymentReceived, "", "I2", 25, 70)})
		got = history(s).Invoices[1]
		if got.InvoiceID != "I2" || got.PaidDate != d+25 || got.Settled() != amt(100) {
			t.Errorf("row then payment: %+v; want paid in full on %s", got, d+25)
		}
	})

	t.Run("credit note cancels an invoice", func(t *testing.T) {
		s := loadedStore(t, book)
		applyAll(t, s, []Event{k.issue("I1", 0, 100), k.issue("I2", 0, 10)})
		if o := overdueOf(t, s, k.customer, d+400); len(o) != 2 {
			t.Fatalf("overdue %+v; want I1 and I2", o)
		}
		applyAll(t, s, []Event{k.money(CreditNote, "cn", "I1", 5, 100)})
		h := history(s)
		if len(h.Invoices) != 1 || h.Invoices[0].InvoiceID != "I2" {
			t.Errorf("invoices %+v; want I2 alone", h.Invoices)
		}
		if o := overdueOf(t, s, k.customer, d+400); len(o) != 1 || o[0].InvoiceID != "I2" {
			t.Errorf("overdue %+v; want I2 alone", o)
		}
	})

	t.Run("write-off", func(t *testing.T) {
		s := loadedStore(t, book)
		applyAll(t, s, []Event{k.issue("I1", 0, 100), k.money(PaymentReceived, "", "I1", 10, 25), k.on(WriteOff, "I1", 90)})
		got := history(s).Invoices[0]
		if got.PaidDate != d+90 || got.PaidAmount != amt(25) {
			t.Errorf("written off: paid %s %s; want %s 25.00", got.PaidDate, got.PaidAmount, d+90)
		}
		if o := overdueOf(t, s, k.customer, d+400); len(o) != 0 {
			t.Errorf("overdue %+v; want none after the write-off", o)
		}
	})

	t.Run("default recorded then cured", func(t *testing.T) {
		s := loadedStore(t, book)
		rec := Event{Kind: DefaultRecorded, CustomerID: k.customer, Date: d + 40, Reason: "90dpd"}
		cure := Event{Kind: DefaultCured, CustomerID: k.customer, Date: d + 40}
		applyAll(t, s, []Event{k.issue("I1", 0, 100), rec})
		if h := history(s); len(h.Defaults) != 1 || h.Defaults[0].Reason != "90dpd" || !s.Meta().Defaults {
			t.Fatalf("defaults %+v; want the one recorded", h.Defaults)
		}
		for i, want := range []Status{Accepted, Unchanged} {
			res, err := s.Apply([]Event{cure})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcomes[0].Status != want {
				t.Errorf("cure %d: %v; want %v", i, res.Outcomes[0].Status, want)
			}
		}
		if h := history(s); len(h.Defaults) != 0 {
			t.Errorf("after the cure: defaults %+v; want none", h.Defaults)
		}
		// Recorded again, it is there again.
		if res, _ := s.Apply([]Event{rec}); res.Outcomes[0].Status != Accepted || len(history(s).Defaults) != 1 {
			t.Errorf("recorded again: %v; want accepted and one default", res.Outcomes)
		}
	})
}

// TestBadEventsRefused sends each bad event alone, then all together, and
// checks that each is refused naming its field and that the store is as it
// was.
func TestBadEventsRefused(t *testing.T) {
	book := synthBook(t, 5)
	s := loadedStore(t, book)
	k := eventKit{customer: "BAD-1", d0: datasets.YMD(2025, 3, 1)}
	applyAll(t, s, []Event{k.issue("I1", 0, 100), k.money(PaymentReceived, "", "I1", 10, 40)})
	before := func() (*datasets.History, Meta) {
		h, err := s.History(k.customer)
		if err != nil {
			t.Fatal(err)
		}
		return h, s.Meta()
	}
	h0, m0 := before()

	with := func(e Event, f func(*Event)) Event { f(&e); return e }
	cases := []struct {
		name  string
		ev    Event
		field string
	}{
		{"no customer", with(k.issue("I9", 0, 1), func(e *Event) { e.CustomerID = "" }), "customer_id"},
		{"NUL in customer", with(k.issue("I9", 0, 1), func(e *Event) { e.CustomerID = "a\x00b" }), "customer_id"},
		{"customer id too long", with(k.issue("I9", 0, 1), func(e *Event) { e.CustomerID = strings.Repeat("x", 300) }), "customer_id"},
		{"unknown kind", Event{Kind: 99, CustomerID: k.customer}, "kind"},
		{"no invoice id", k.issue("", 0, 1), "invoice.invoice_id"},
		{"no issue date", with(k.issue("I9", 0, 1), func(e *Event) { e.Invoice.IssueDate = datasets.NoDate }), "invoice.issue_date"},
		{"issued in the future", with(k.issue("I9", 0, 1), func(e *Event) {
			e.Invoice.IssueDate, e.Invoice.DueDate = datasets.YMD(2031, 1, 1), datasets.YMD(2031, 2, 1)
		}), "invoice.issue_date"},
		{"no due date", with(k.issue("I9", 0, 1), func(e *Event) { e.Invoice.DueDate = datasets.NoDate }), "invoice.due_date"},
		{"due before issue", with(k.issue("I9", 10, 1), func(e *Event) { e.Invoice.DueDate = e.Invoice.IssueDate - 1 }), "invoice.due_date"},
		{"no amount", with(k.issue("I9", 0, 1), func(e *Event) { e.Invoice.Amount = datasets.NoAmount }), "invoice.amount"},
		{"zero amount", with(k.issue("I9", 0, 1), func(e *Event) { e.Invoice.Amount = 0 }), "invoice.amount"},
		{"issued already paid", with(k.issue("I9", 0, 1), func(e *Event) { e.Invoice.PaidDate = e.Invoice.IssueDate }), "invoice.paid_date"},
		{"row paid before issue", k.row("I9", 10, 5, 100, 100), "invoice.paid_date"},
		{"row paid negative", k.row("I9", 0, 5, 100, -1), "invoice.paid_amount"},
		{"other currency than the book's", with(k.issue("I9", 0, 1), func(e *Event) { e.Invoice.Currency = "usd" }), "invoice.currency"},
		{"payment without invoice id", k.money(PaymentReceived, "", "", 10, 5), "invoice_id"},
		{"payment without date", with(k.money(PaymentReceived, "", "I1", 10, 5), func(e *Event) { e.Date = datasets.NoDate }), "date"},
		{"negative payment", k.money(PaymentReceived, "", "I1", 10, -5), "amount"},
		{"negative credit note", k.money(CreditNote, "", "I1", 10, -5), "amount"},
		{"payment without amount before its invoice", k.on(PaymentReceived, "I8", 10), "amount"},
		{"write-off in the future", with(k.on(WriteOff, "I1", 0), func(e *Event) { e.Date = datasets.YMD(2031, 1, 1) }), "date"},
		{"statement without period end", Event{Kind: StatementPosted, CustomerID: k.customer, Statement: datasets.Statement{PeriodEnd: datasets.NoDate}}, "statement.period_end"},
		{"statement negative days past due", Event{Kind: StatementPosted, CustomerID: k.customer, Statement: datasets.Statement{PeriodEnd: k.d0, DaysPastDue: -2}}, "statement.days_past_due"},
		{"default without date", Event{Kind: DefaultRecorded, CustomerID: k.customer, Date: datasets.NoDate}, "default_date"},
		{"cure without date", Event{Kind: DefaultCured, CustomerID: k.customer, Date: datasets.NoDate}, "default_date"},
		{"no attribute", Event{Kind: AttributesUpdated, CustomerID: k.customer}, "attributes"},
		{"unknown numeric attribute", Event{Kind: AttributesUpdated, CustomerID: k.customer, Numeric: map[string]float64{"shoe_size": 1}}, "numeric_attributes[shoe_size]"},
		{"infinite attribute", Event{Kind: AttributesUpdated, CustomerID: k.customer, Numeric: map[string]float64{"net_worth": 1 / zero()}}, "numeric_attributes[net_worth]"},
		{"unknown categorical attribute", Event{Kind: AttributesUpdated, CustomerID: k.customer, Categorical: map[string]string{"colour": "red"}}, "categorical_attributes[colour]"},
	}
	var all []Event
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := s.Apply([]Event{c.ev})
			if err != nil {
				t.Fatal(err)
			}
			o := res.Outcomes[0]
			if o.Status != Refused || o.Err == nil || o.Err.Field != c.field {
				t.Fatalf("got %v %v; want refused naming %s", o.Status, o.Err, c.field)
			}
			if o.Err.Err == nil || o.Err.Error() == c.field+": " {
				t.Errorf("refusal %q says nothing of what is wrong", o.Err)
			}
		})
		all = append(all, c.ev)
	}
	res, err := s.Apply(all)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range res.Outcomes {
		if o.Status != Refused {
			t.Errorf("together, %s: %v; want refused", cases[i].name, o.Status)
		}
	}
	h1, m1 := before()
	if !reflect.DeepEqual(h1, h0) || !reflect.DeepEqual(m1, m0) {
		t.Errorf("refused events changed the store:\n%+v %+v\nwant\n%+v %+v", h1, m1, h0, m0)
	}
	if _, err := s.History("I9"); err == nil {
		t.Error("a refused event made a customer")
	}
}

func zero() float64 { return 0 }

// TestCustomerCountCacheTransparent: the count of customers is the same
// whether the writer remembers the customers of earlier batches or starts
// afresh (a reopened store), cured defaults included.
func TestCustomerCountCacheTransparent(t *testing.T) {
	d := datasets.YMD(2025, 3, 1)
	rec := func(c string) Event { return Event{Kind: DefaultRecorded, CustomerID: c, Date: d, Reason: "r"} }
	cure := func(c string) Event { return Event{Kind: DefaultCured, CustomerID: c, Date: d} }
	k := eventKit{customer: "X2", d0: d}
	batches := [][]Event{
		{rec("X1"), cure("X1"), k.issue("I1", 0, 10)},
		{rec("X1"), k.issue("I2", 0, 10), cure("X1")},
		{rec("X1"), rec("X3")},
		{cure("X3")},
		{rec("X3"), k.issue("I3", 0, 10)},
	}
	warm := openStore(t, filepath.Join(t.TempDir(), "warm"))
	coldDir := filepath.Join(t.TempDir(), "cold")
	for i, b := range batches {
		applyAll(t, warm, b)
		cold, err := Open(coldDir, Options{Now: killNow})
		if err != nil {
			t.Fatal(err)
		}
		applyAll(t, cold, b)
		got, want := warm.Meta().Customers, cold.Meta().Customers
		cold.Close()
		if got != want {
			t.Fatalf("after batch %d: %d customers; a store reopened before each batch counts %d", i, got, want)
		}
	}
}

// A customer known only by a default that is then cured is no customer.
func TestCureOfOnlyRecordUncounts(t *testing.T) {
	d := datasets.YMD(2025, 3, 1)
	s := openStore(t, t.TempDir())
	applyAll(t, s, []Event{{Kind: DefaultRecorded, CustomerID: "Y1", Date: d, Reason: "r"}})
	if n := s.Meta().Customers; n != 1 {
		t.Fatalf("%d customers after a default; want 1", n)
	}
	applyAll(t, s, []Event{{Kind: DefaultCured, CustomerID: "Y1", Date: d}})
	if n := s.Meta().Customers; n != 0 {
		t.Errorf("%d customers after the cure of the only record; want 0", n)
	}
	applyAll(t, s, []Event{{Kind: DefaultRecorded, CustomerID: "Y1", Date: d, Reason: "r"}})
	if n := s.Meta().Customers; n != 1 {
		t.Errorf("%d customers after a new default; want 1", n)
	}
}
