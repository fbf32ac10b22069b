package importers

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

const ibmARHeader = "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate"

// ibmARFile writes the ledger with CRLF line ends, as published.
func ibmARFile(t *testing.T, dir string, lines ...string) string {
	t.Helper()
	return writeFile(t, dir, "ar.csv", strings.Join(lines, "\r\n")+"\r\n")
}

func TestIBMARMapping(t *testing.T) {
	dir := t.TempDir()
	in := ibmARFile(t, dir, ibmARHeader,
		"391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0",
		"406,8976-AMJEO,3/3/2012,0007900770,1/26/2013,2/25/2013,61.74,Yes,3/3/2013,Electronic,36,6",
		"391,0379-NEVHP,4/6/2013,0000000001,5/2/2013,6/1/2013,100,No,,Electronic,,",
		"406,8976-AMJEO,3/3/2012,0000000002,12/26/2012,01/25/2013,10.5,No,1/20/2013,Paper,25,0",
	)
	out := filepath.Join(dir, "book")
	stats, err := IBMAR(context.Background(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Stats{Invoices: 4, Customers: 2}); !statsEqual(stats, want) {
		t.Errorf("got stats %+v; want %+v", stats, want)
	}

	type inv struct {
		customer, id, issue, due, paid string
		amount                         int64
		disputed                       bool
	}
	want := []inv{
		{"0379-NEVHP", "0000611365", "2013-01-02", "2013-02-01", "2013-01-15", 55_9400, false},
		{"0379-NEVHP", "0000000001", "2013-05-02", "2013-06-01", "", 100_0000, false},
		{"8976-AMJEO", "0000000002", "2012-12-26", "2013-01-25", "2013-01-20", 10_5000, false},
		{"8976-AMJEO", "0007900770", "2013-01-26", "2013-02-25", "2013-03-03", 61_7400, true},
	}
	rows := readTable[invoiceRow](t, out, datasets.Invoices)
	if len(rows) != len(want) {
		t.Fatalf("got %d invoices; want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		paid := ""
		if r.PaidDate != nil {
			paid = datasets.Date(*r.PaidDate).String()
		}
		got := inv{r.CustomerID, r.InvoiceID, datasets.Date(r.IssueDate).String(), datasets.Date(r.DueDate).String(), paid, r.Amount, r.Disputed}
		if got != w {
			t.Errorf("invoice %d: got %+v; want %+v", i+1, got, w)
		}
		if r.PaidAmount != nil {
			t.Errorf("invoice %d: got paid_amount %d; want null (paid in full when settled)", i+1, *r.PaidAmount)
		}
	}

	customers := readCustomers(t, out)
	wantCustomers := []customerRow{
		{ID: "0379-NEVHP", Categorical: map[string]string{"country": "391", "paperless": "Paper"}},
		{ID: "8976-AMJEO", Categorical: map[string]string{"country": "406", "paperless": "Paper"}}, // as on its earliest invoice
	}
	if len(customers) != len(wantCustomers) {
		t.Fatalf("got %d customers; want %d", len(customers), len(wantCustomers))
	}
	for i, w := range wantCustomers {
		c := customers[i]
		if c.ID != w.ID || len(c.Numeric) != 0 || c.Categorical["country"] != w.Categorical["country"] || c.Categorical["paperless"] != w.Categorical["paperless"] {
			t.Errorf("customer %d: got %+v; want %+v", i+1, c, w)
		}
	}

	meta := readMeta(t, out)
	wantMeta := datasets.Meta{Name: "ibm-ar", Currency: "USD", ObservedUntil: datasets.Date(date("2013-06-01"))}
	if meta != wantMeta {
		t.Errorf("got book.yaml %+v; want %+v", meta, wantMeta)
	}
}

func TestIBMARBadInput(t *testing.T) {
	const good = "391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0"
	tests := []struct {
		name   string
		lines  []string
		row    int64
		column string
	}{
		{"month 13", []string{ibmARHeader, good, "391,A,4/6/2013,1,13/2/2013,2/1/2014,5,No,,Paper,,"}, 2, "InvoiceDate"},
		{"ISO date", []string{ibmARHeader, "391,A,4/6/2013,1,2013-01-02,2/1/2013,5,No,,Paper,,"}, 1, "InvoiceDate"},
		{"empty due date", []string{ibmARHeader, "391,A,4/6/2013,1,1/2/2013,,5,No,,Paper,,"}, 1, "DueDate"},
		{"due before issue", []string{ibmARHeader, "391,A,4/6/2013,1,1/2/2013,1/1/2013,5,No,,Paper,,"}, 1, "DueDate"},
		{"bad settled date", []string{ibmARHeader, "391,A,4/6/2013,1,1/2/2013,2/1/2013,5,No,2/30/2013,Paper,,"}, 1, "SettledDate"},
		{"zero amount", []string{ibmARHeader, "391,A,4/6/2013,1,1/2/2013,2/1/2013,0,No,,Paper,,"}, 1, "InvoiceAmount"},
		{"unparsable amount", []string{ibmARHeader, "391,A,4/6/2013,1,1/2/2013,2/1/2013,$5,No,,Paper,,"}, 1, "InvoiceAmount"},
		{"bad disputed", []string{ibmARHeader, "391,A,4/6/2013,1,1/2/2013,2/1/2013,5,Maybe,,Paper,,"}, 1, "Disputed"},
		{"empty invoice number", []string{ibmARHeader, "391,A,4/6/2013,,1/2/2013,2/1/2013,5,No,,Paper,,"}, 1, "invoiceNumber"},
		{"duplicate invoice", []string{ibmARHeader, good, "391,0379-NEVHP,4/6/2013,0000611365,3/2/2013,4/1/2013,5,No,,Paper,,"}, 2, "invoiceNumber"},
		{"missing column", []string{strings.Replace(ibmARHeader, ",DueDate", "", 1)}, 0, "DueDate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := ibmARFile(t, dir, tt.lines...)
			out := filepath.Join(dir, "book")
			_, err := IBMAR(context.Background(), in, out)
			checkInputError(t, err, in, tt.row, tt.column)
			checkEmptyDir(t, out)
		})
	}
}

func TestIBMARRealData(t *testing.T) {
	in := realData(t, "ibm-ar/WA_Fn-UseC_-Accounts-Receivable.csv")
	out := t.TempDir()
	stats, err := IBMAR(context.Background(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Stats{Invoices: 2466, Customers: 100}); !statsEqual(stats, want) {
		t.Errorf("got stats %+v; want %+v", stats, want)
	}
	rows := readTable[invoiceRow](t, out, datasets.Invoices)
	if len(rows) != 2466 {
		t.Fatalf("read %d invoices; want 2466", len(rows))
	}
	checkSorted(t, datasets.Invoices, len(rows), func(i int) (string, int32) { return rows[i].CustomerID, rows[i].IssueDate })
	latest := int32(0)
	found := false
	for _, r := range rows {
		latest = max(latest, r.IssueDate, r.DueDate, deref(r.PaidDate))
		if r.InvoiceID == "0000611365" {
			found = true
		}
	}
	if !found {
		t.Error("invoice 0000611365 is missing: leading zeros must be kept")
	}
	if meta := readMeta(t, out); int32(meta.ObservedUntil) != latest || meta.Currency != "USD" {
		t.Errorf("got observed_until %s, currency %s; want %s (the latest date), USD", meta.ObservedUntil, meta.Currency, datasets.Date(latest))
	}
	if customers := readCustomers(t, out); len(customers) != 100 {
		t.Errorf("read %d customers; want 100", len(customers))
	}
}
