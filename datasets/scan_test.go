package datasets

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// writeParts writes invoices of customers ids[k] into part k.
func writeParts(t *testing.T, dir string, parts [][]string) {
	t.Helper()
	for k, ids := range parts {
		w, err := NewInvoiceWriter(filepath.Join(dir, "invoices", fmt.Sprintf("part-%05d.parquet", k)))
		if err != nil {
			t.Fatal(err)
		}
		var invs []Invoice
		for _, id := range ids {
			for i := 0; i < 3; i++ {
				invs = append(invs, Invoice{CustomerID: id, InvoiceID: fmt.Sprint(i), IssueDate: YMD(2024, 1, 1+i), DueDate: YMD(2024, 2, 1),
					Amount: 100, PaidDate: NoDate, PaidAmount: NoAmount})
			}
		}
		if err := w.Write(invs); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		cw, err := NewCustomerWriter(filepath.Join(dir, "customers", fmt.Sprintf("part-%05d.parquet", k)), CustomerSchema{})
		if err != nil {
			t.Fatal(err)
		}
		var cs []Customer
		for _, id := range ids {
			cs = append(cs, Customer{CustomerID: id})
		}
		if err := cw.Write(cs); err != nil {
			t.Fatal(err)
		}
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScanKeepsBookOrder(t *testing.T) {
	dir := t.TempDir()
	var parts [][]string
	var all []string
	for k := 0; k < 7; k++ {
		var ids []string
		for i := 0; i < 300+k*37; i++ {
			id := fmt.Sprintf("C%02d%05d", k, i)
			ids = append(ids, id)
			all = append(all, id)
		}
		parts = append(parts, ids)
	}
	writeParts(t, dir, parts)
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b.Partitions()); n != 7 {
		t.Fatalf("%d partitions; want 7", n)
	}
	for _, workers := range []int{1, 2, 3} {
		var got []string
		err := Scan(context.Background(), b, workers, func(hs []*History) ([]string, error) {
			var ids []string
			for _, h := range hs {
				if len(h.Invoices) != 3 || h.Customer == nil {
					return nil, fmt.Errorf("customer %s: %d invoices, customer row %v", h.CustomerID, len(h.Invoices), h.Customer != nil)
				}
				ids = append(ids, h.CustomerID)
			}
			return ids, nil
		}, func(ids []string) error {
			got = append(got, ids...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, all) {
			t.Errorf("workers=%d: %d customers, not in book order", workers, len(got))
		}
	}
}

func TestScanRefusesOverlappingParts(t *testing.T) {
	dir := t.TempDir()
	writeParts(t, dir, [][]string{{"A", "C"}, {"B", "D"}})
	b, err := OpenWith(dir, Options{KeepOrder: true}) // Open would read a sorted copy
	if err != nil {
		t.Fatal(err)
	}
	err = Scan(context.Background(), b, 2, func(hs []*History) (int, error) { return len(hs), nil }, func(int) error { return nil })
	if !errors.Is(err, ErrUnsorted) {
		t.Errorf("err = %v; want ErrUnsorted", err)
	}
}

func TestScanStopsOnWorkError(t *testing.T) {
	dir := t.TempDir()
	writeParts(t, dir, [][]string{{"A", "B"}, {"C", "D"}, {"E"}})
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	for _, workers := range []int{1, 2} {
		err = Scan(context.Background(), b, workers, func(hs []*History) (int, error) { return 0, boom }, func(int) error { return nil })
		if !errors.Is(err, boom) {
			t.Errorf("workers=%d: err = %v; want boom", workers, err)
		}
	}
}
