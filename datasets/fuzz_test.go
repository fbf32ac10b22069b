package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "1969-12-31", "2024-01-01T13:00:00Z", "2024-01-01 23:59:59", "2024-1-1", "", "9999-12-31", "0000-01-01",
		"+024-02-01", "-024-02-01", "1900-01-01", "0001-01-01", "2024-01-31T23:00:00-05:00", "2024-02-01 00:00:00+01:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if len(s) == 10 && (s[0] < '0' || s[0] > '9') {
			t.Errorf("ParseDate(%q) = %s; want a four-digit year refused otherwise", s, d)
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Errorf("ParseDate(%q) = %s, which reads back as %s (%v)", s, d, back, err)
		}
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "-2", "55.94", "5e+05", "1.23456", "0.00005", "+7.", ".5", "1e300", "NaN", "-0.0001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		if a == NoAmount {
			t.Fatalf("ParseAmount(%q) = NoAmount without an error", s)
		}
		back, err := ParseAmount(a.String())
		if err != nil || back != a {
			t.Errorf("ParseAmount(%q) = %s, which reads back as %s (%v)", s, a, back, err)
		}
	})
}

// FuzzReadCSV feeds arbitrary bytes as an invoices table: the reader must
// either read it or return an InputError, never panic.
func FuzzReadCSV(f *testing.F) {
	head := "customer_id,invoice_id,issue_date,due_date,amount,paid_date,paid_amount,currency,disputed\n"
	f.Add(head + "A,1,2024-01-01,2024-02-01,5,,,,\n")
	f.Add(head + "A,1,2024-01-01,2024-02-01,5,2024-02-03,5,EUR,true\nB,\"x,y\",2024-01-01,2024-01-01,1e3,,,,no\n")
	f.Add("customer_id,invoice_id\n\"unterminated\n")
	// Values that read as something but mean nothing, and rows in no order.
	f.Add(head + "A,1,9999-12-01,9999-12-31,5,,,,\n")
	f.Add(head + "A,1,+024-02-01,2024-03-01,5,,,,\n")
	f.Add(head + "A,1,1900-01-01,1900-02-01,5,,,,\n")
	f.Add(head + "A,1,2024-01-10,2024-02-01,5,2024-01-09,,,\n")
	f.Add(head + "A,1,2024-01-01,2024-02-01,5,,,,\nB,1,2024-01-01,2024-02-01,5,,,USD,\n")
	f.Add(head + "B,1,2024-01-01T23:00:00Z,2024-02-01,5,,,,\nA,1,2024-01-01,2024-02-01,5,,,,\n11,1,2024-01-01,2024-02-01,5,,,,\n9,1,2024-01-01,2024-02-01,5,,,,\n")
	f.Add("customer_id,invoice_id,issue_date,due_date,amount,amount\nA,1,2024-01-01,2024-02-01,5,7\n")
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "invoices.csv"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := OpenWith(dir, Options{})
		if err != nil {
			var ie *InputError
			if strings.Contains(err.Error(), "sorting a copy failed") && !errors.As(err, &ie) {
				t.Fatalf("sorting error %v does not locate the row", err)
			}
			return
		}
		hs, err := b.ReadAll(context.Background())
		var ie *InputError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("error %v is not an InputError", err)
		}
		for _, h := range hs {
			for _, inv := range h.Invoices {
				if inv.Amount <= 0 || inv.DueDate < inv.IssueDate || inv.PaidDate != NoDate && inv.PaidDate < inv.IssueDate ||
					!b.Dates.Contains(inv.IssueDate) || !b.Dates.Contains(inv.DueDate) {
					t.Fatalf("invalid invoice accepted: %+v", inv)
				}
			}
		}
	})
}
