package synth

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

func TestDelta(t *testing.T) {
	sharedBook(t)
	bookDir := filepath.Join(shared.dir, "book")
	out := t.TempDir()
	cfg := DeltaConfig{Late: 0.05, Seed: 3}
	st, err := GenerateDelta(context.Background(), bookDir, filepath.Join(out, "a"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	day := defaultStart.AddMonths(testConfig().Months)
	if st.Day != day {
		t.Errorf("day %s; want %s, the day after the book", st.Day, day)
	}
	if st.Issued == 0 || st.Paid == 0 || st.Stopped == 0 || st.Crossing == 0 || st.Defaults == 0 {
		t.Errorf("stats %+v; want invoices issued and paid, customers stopping, invoices crossing and defaults", st)
	}

	// The same book, day and seed write the same bytes.
	if _, err := GenerateDelta(context.Background(), bookDir, filepath.Join(out, "b"), cfg); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, filepath.Join(out, "a"), filepath.Join(out, "b"))

	book := readHistories(t, bookDir)
	delta := readHistories(t, filepath.Join(out, "a"))
	deltaBook, err := datasets.Open(filepath.Join(out, "a"))
	if err != nil {
		t.Fatal(err)
	}
	var issued, paid, defaults int
	for id, h := range delta {
		old := book[id]
		if old == nil {
			t.Fatalf("delta customer %s is not in the book", id)
		}
		open := map[string]datasets.Invoice{}
		for _, inv := range old.Invoices {
			if inv.PaidDate == datasets.NoDate {
				open[inv.InvoiceID] = inv
			}
		}
		crossing90 := false
		for _, inv := range open {
			crossing90 = crossing90 || day-inv.DueDate == 90
		}
		for _, inv := range h.Invoices {
			before, known := open[inv.InvoiceID]
			switch {
			case inv.IssueDate == day && inv.PaidDate == datasets.NoDate && !known:
				issued++
			case known && inv.PaidDate == day:
				paid++
				if late := int(day - before.DueDate); late == 30 || late == 60 || late == 90 {
					t.Errorf("%s %s paid on the day it crosses %d days past due", id, inv.InvoiceID, late)
				}
				if inv.IssueDate != before.IssueDate || inv.DueDate != before.DueDate || inv.Amount != before.Amount {
					t.Errorf("%s %s paid row %+v differs from the book's %+v", id, inv.InvoiceID, inv, before)
				}
			default:
				t.Errorf("%s: row %+v is neither a new invoice nor the payment of an open one", id, inv)
			}
		}
		for _, d := range h.Defaults {
			defaults++
			if d.DefaultDate != day || !crossing90 {
				t.Errorf("%s: default %+v; want one on %s for a customer with an invoice crossing 90 days", id, d, day)
			}
			if h.Customer == nil || h.Customer.Number(deltaBook.Schema, "current_limit") != 0 {
				t.Errorf("%s: defaulted without its customers row with current_limit 0", id)
			}
		}
	}
	if issued != st.Issued || paid != st.Paid || defaults != st.Defaults {
		t.Errorf("delta holds %d issued, %d paid, %d defaults; stats say %+v", issued, paid, defaults, st)
	}

	// Nobody stops paying without Late; a day within the book is refused.
	none, err := GenerateDelta(context.Background(), bookDir, filepath.Join(out, "c"), DeltaConfig{Seed: 3})
	if err != nil || none.Stopped != 0 || none.Paid <= st.Paid {
		t.Errorf("Late 0: %+v, %v; want nobody stopped and more paid than %d", none, err, st.Paid)
	}
	if _, err := GenerateDelta(context.Background(), bookDir, filepath.Join(out, "d"), DeltaConfig{Day: day - 1}); err == nil {
		t.Error("a delta on the book's last day was accepted")
	}
}

func readHistories(t *testing.T, dir string) map[string]*datasets.History {
	t.Helper()
	b, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := b.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*datasets.History{}
	for _, h := range hs {
		out[h.CustomerID] = h
	}
	return out
}
