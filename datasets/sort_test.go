package datasets

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

func TestSortBookExternal(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var invs []Invoice
	for i := 0; i < 500; i++ {
		c := fmt.Sprintf("C%03d", rng.IntN(60))
		issue := YMD(2024, 1, 1+rng.IntN(300))
		invs = append(invs, Invoice{CustomerID: c, InvoiceID: fmt.Sprint(i), IssueDate: issue, DueDate: issue + 30,
			Amount: Amount(1 + rng.IntN(1e6)), PaidDate: NoDate, PaidAmount: NoAmount})
	}
	w, err := NewInvoiceWriter(filepath.Join(dir, "invoices.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(invs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := OpenWith(dir, Options{KeepOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadAll(context.Background()); !errors.Is(err, ErrUnsorted) {
		t.Fatalf("reading the unsorted book: err = %v; want ErrUnsorted", err)
	}
	// 37 rows per run forces 14 runs and a merge.
	if err := SortBook(context.Background(), b, out, 37); err != nil {
		t.Fatal(err)
	}
	sorted, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := sorted.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, h := range hs {
		for i := range h.Invoices {
			if i > 0 && h.Invoices[i].IssueDate < h.Invoices[i-1].IssueDate {
				t.Errorf("customer %s: invoices not in date order", h.CustomerID)
			}
		}
		n += len(h.Invoices)
	}
	if n != len(invs) {
		t.Errorf("sorted book has %d invoices; want %d", n, len(invs))
	}
}
