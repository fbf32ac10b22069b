package store

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/synth"
)

func synthBook(t testing.TB, customers int) *datasets.Book {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "book")
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed = customers, 12, 3
	if _, err := synth.Generate(context.Background(), cfg, dir, "", nil); err != nil {
		t.Fatal(err)
	}
	b, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sameHistory compares histories field by field, NaN equal to NaN.
func sameHistory(t *testing.T, what string, got, want *datasets.History) {
	t.Helper()
	if got.CustomerID != want.CustomerID || len(got.Invoices) != len(want.Invoices) || len(got.Statements) != len(want.Statements) ||
		len(got.Defaults) != len(want.Defaults) || (got.Customer == nil) != (want.Customer == nil) {
		t.Fatalf("%s: %s: %d invoices %d statements %d defaults; want %d %d %d", what, want.CustomerID,
			len(got.Invoices), len(got.Statements), len(got.Defaults), len(want.Invoices), len(want.Statements), len(want.Defaults))
	}
	for i := range want.Invoices {
		if got.Invoices[i] != want.Invoices[i] {
			t.Fatalf("%s: %s invoice %d: %+v; want %+v", what, want.CustomerID, i, got.Invoices[i], want.Invoices[i])
		}
	}
	for i := range want.Statements {
		if got.Statements[i] != want.Statements[i] {
			t.Fatalf("%s: %s statement %d: %+v; want %+v", what, want.CustomerID, i, got.Statements[i], want.Statements[i])
		}
	}
	for i := range want.Defaults {
		if got.Defaults[i] != want.Defaults[i] {
			t.Fatalf("%s: %s default %d: %+v; want %+v", what, want.CustomerID, i, got.Defaults[i], want.Defaults[i])
		}
	}
	if want.Customer != nil {
		g, w := got.Customer, want.Customer
		if !reflect.DeepEqual(g.Categorical, w.Categorical) || len(g.Numeric) != len(w.Numeric) {
			t.Fatalf("%s: %s attributes %+v; want %+v", what, want.CustomerID, g, w)
		}
		for i := range w.Numeric {
			if g.Numeric[i] != w.Numeric[i] && !(math.IsNaN(g.Numeric[i]) && math.IsNaN(w.Numeric[i])) {
				t.Fatalf("%s: %s attribute %d: %v; want %v", what, want.CustomerID, i, g.Numeric[i], w.Numeric[i])
			}
		}
	}
}

func TestLoadExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	book := synthBook(t, 300)
	want, err := book.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "store"))
	if err := s.Load(ctx, book, nil); err != nil {
		t.Fatal(err)
	}
	m := s.Meta()
	if m.Customers != int64(len(want)) || m.DataDate != book.Meta.ObservedUntil || !m.Defaults {
		t.Fatalf("meta %+v; want %d customers, data date %s, defaults", m, len(want), book.Meta.ObservedUntil)
	}
	// A reopened store serves without reading the book again.
	s.Close()
	s = openStore(t, filepath.Join(dir, "store"))
	for _, h := range want {
		got, err := s.History(h.CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		sameHistory(t, "store", got, h)
	}
	if _, err := s.History("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown customer: %v; want ErrNotFound", err)
	}
	out := filepath.Join(dir, "export")
	if err := s.Export(ctx, out); err != nil {
		t.Fatal(err)
	}
	exported, err := datasets.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	again, err := exported.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(want) || exported.Meta.ObservedUntil != m.DataDate || !reflect.DeepEqual(exported.Schema, book.Schema) {
		t.Fatalf("export: %d customers, observed until %s; want %d, %s", len(again), exported.Meta.ObservedUntil, len(want), m.DataDate)
	}
	for i := range want {
		sameHistory(t, "export", again[i], want[i])
	}
}

func amt(x float64) datasets.Amount {
	a, err := datasets.AmountFromFloat(x)
	if err != nil {
		panic(err)
	}
	return a
}

func TestEvents(t *testing.T) {
	s := openStore(t, t.TempDir())
	d := datasets.YMD(2025, 3, 1)
	issue := func(id string, day int, amount float64) Event {
		return Event{Kind: InvoiceIssued, CustomerID: "C1", Invoice: datasets.Invoice{InvoiceID: id, IssueDate: d + datasets.Date(day),
			DueDate: d + datasets.Date(day+30), Amount: amt(amount), PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount}}
	}
	pay := func(id string, day int, amount float64) Event {
		return Event{Kind: PaymentReceived, CustomerID: "C1", Invoice: datasets.Invoice{InvoiceID: id}, Date: d + datasets.Date(day), Amount: amt(amount)}
	}
	batch := []Event{
		pay("I2", 40, 50), // before its invoice: applied once the invoice is known
		issue("I1", 0, 100),
		issue("I2", 5, 80),
		pay("I1", 20, 60),
		pay("I1", 35, 40),
		pay("I2", 45, 30),
	}
	res, err := s.Apply(batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range res.Outcomes {
		if o.Status != Accepted {
			t.Fatalf("event %d: %v %v", i, o.Status, o.Err)
		}
	}
	if res.DataDate != d+45 {
		t.Errorf("data date %s; want %s (the last payment)", res.DataDate, d+45)
	}
	h, err := s.History("C1")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Invoices) != 2 {
		t.Fatalf("%d invoices; want 2", len(h.Invoices))
	}
	if i1 := h.Invoices[0]; i1.PaidDate != d+35 || i1.PaidAmount != datasets.NoAmount {
		t.Errorf("I1 paid %s %v; want paid in full on %s", i1.PaidDate, i1.PaidAmount, d+35)
	}
	if i2 := h.Invoices[1]; i2.PaidDate != d+45 || i2.Settled() != amt(80) {
		t.Errorf("I2 paid %s %v; want paid in full on %s", i2.PaidDate, i2.PaidAmount, d+45)
	}

	// A retried batch changes nothing.
	res, err = s.Apply(batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range res.Outcomes {
		if o.Status != Unchanged {
			t.Errorf("retried event %d: %v; want unchanged", i, o.Status)
		}
	}

	// Bad events are refused, naming the field, and change nothing.
	bad := issue("I3", 0, 10)
	bad.Invoice.DueDate = bad.Invoice.IssueDate - 1
	neg := pay("I1", 50, 10)
	neg.Amount = -5
	future := issue("I4", 0, 10)
	future.Invoice.IssueDate = datasets.YMD(2031, 1, 1)
	future.Invoice.DueDate = future.Invoice.IssueDate
	attr := Event{Kind: AttributesUpdated, CustomerID: "C1", Numeric: map[string]float64{"no_such": 1}}
	res, err = s.Apply([]Event{bad, neg, future, attr, {Kind: InvoiceIssued}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"invoice.due_date", "amount", "invoice.issue_date", "numeric_attributes[no_such]", "customer_id"} {
		o := res.Outcomes[i]
		if o.Status != Refused || o.Err == nil || o.Err.Field != want {
			t.Errorf("bad event %d: %v %v; want refused at %s", i, o.Status, o.Err, want)
		}
	}
	if again, _ := s.History("C1"); !reflect.DeepEqual(again, h) {
		t.Error("refused events changed the history")
	}

	// Overdue: I3 issued, due 30 days later, unpaid.
	if _, err := s.Apply([]Event{issue("I3", 50, 70)}); err != nil {
		t.Fatal(err)
	}
	due := d + 80
	got, err := s.OverdueBetween(due, due+30, 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].InvoiceID != "I3" || got[0].DueDate != due {
		t.Errorf("overdue 30 days by %s: %+v; want I3", due+30, got)
	}
	if got, _ := s.OverdueBetween(due, due+29, 30); len(got) != 0 {
		t.Errorf("overdue 30 days by %s: %+v; want none yet", due+29, got)
	}
	// Paid: no longer open.
	if _, err := s.Apply([]Event{pay("I3", 60, 70)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OverdueBetween(due, due+30, 30); len(got) != 0 {
		t.Errorf("after payment: %+v; want none", got)
	}
}
