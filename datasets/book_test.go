package datasets

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// sampleBook is a small book that exercises every column and null.
func sampleBook() (invs []Invoice, sts []Statement, schema CustomerSchema, custs []Customer, defs []Default, obs []Observation) {
	d := func(s string) Date { v, _ := ParseDate(s); return v }
	invs = []Invoice{
		{"A1", "0001", d("2024-01-03"), d("2024-02-02"), 123456789, d("2024-02-10"), NoAmount, "EUR", false},
		{"A1", "0002", d("2024-02-03"), d("2024-03-04"), 5000000, NoDate, 1000000, "EUR", true},
		{"B2", "0001", d("2024-01-15"), d("2024-01-15"), 1, d("2024-03-01"), 1, "", false},
	}
	sts = []Statement{
		{"A1", d("2024-01-31"), 0, "C", 12345, 1000000, NoAmount},
		{"A1", d("2024-02-29"), UnknownDaysPastDue, "", NoAmount, NoAmount, 7},
		{"C3", d("2024-01-31"), 95, "-2", -5000, 0, 0},
	}
	schema = CustomerSchema{Numeric: []string{"annual_revenue", "age"}, Categorical: []string{"industry"}}
	custs = []Customer{
		{"A1", []float64{1.5e6, math.NaN()}, []string{"retail"}},
		{"C3", []float64{0, 42}, []string{""}},
	}
	defs = []Default{{"C3", d("2024-03-15"), "90dpd"}}
	obs = []Observation{{"A1", d("2024-03-01")}, {"A1", d("2024-04-01")}, {"B2", d("2024-03-01")}}
	return
}

func writeSampleBook(t *testing.T, dir, ext string) {
	t.Helper()
	invs, sts, schema, custs, defs, obs := sampleBook()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	iw, err := NewInvoiceWriter(filepath.Join(dir, "invoices"+ext))
	must(err)
	must(iw.Write(invs))
	must(iw.Close())
	sw, err := NewStatementWriter(filepath.Join(dir, "statements", "part-00000"+ext))
	must(err)
	must(sw.Write(sts[:2]))
	must(sw.Close())
	sw, err = NewStatementWriter(filepath.Join(dir, "statements", "part-00001"+ext))
	must(err)
	must(sw.Write(sts[2:]))
	must(sw.Close())
	cw, err := NewCustomerWriter(filepath.Join(dir, "customers"+ext), schema)
	must(err)
	must(cw.Write(custs))
	must(cw.Close())
	dw, err := NewDefaultWriter(filepath.Join(dir, "defaults"+ext))
	must(err)
	must(dw.Write(defs))
	must(dw.Close())
	ow, err := NewObservationWriter(filepath.Join(dir, "observations"+ext))
	must(err)
	must(ow.Write(obs))
	must(ow.Close())
	must(WriteMeta(dir, Meta{Name: "sample", Currency: "EUR", ObservedUntil: YMD(2024, 12, 31)}))
}

func TestRoundTrip(t *testing.T) {
	for _, ext := range []string{".parquet", ".csv", ".csv.gz"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			writeSampleBook(t, dir, ext)
			b, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if b.Meta.Name != "sample" || b.Meta.ObservedUntil != YMD(2024, 12, 31) {
				t.Errorf("meta = %+v", b.Meta)
			}
			invs, sts, schema, custs, defs, obs := sampleBook()
			sorted := func(s CustomerSchema) CustomerSchema {
				return CustomerSchema{slices.Sorted(slices.Values(s.Numeric)), slices.Sorted(slices.Values(s.Categorical))}
			}
			if ext == ".parquet" && !reflect.DeepEqual(sorted(b.Schema), sorted(schema)) {
				t.Errorf("schema = %+v; want %+v", b.Schema, schema)
			}
			hs, err := b.ReadAll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var gotInv []Invoice
			var gotSt []Statement
			var gotDef []Default
			var gotObs []Observation
			var ids []string
			for _, h := range hs {
				ids = append(ids, h.CustomerID)
				gotInv = append(gotInv, h.Invoices...)
				gotSt = append(gotSt, h.Statements...)
				gotDef = append(gotDef, h.Defaults...)
				for _, o := range h.Observations {
					gotObs = append(gotObs, Observation{h.CustomerID, o})
				}
				if h.Customer != nil {
					c := h.Customer
					want := custs[0]
					if c.CustomerID == "C3" {
						want = custs[1]
					}
					num := func(s CustomerSchema, c *Customer) []float64 {
						return []float64{c.Number(s, "annual_revenue"), c.Number(s, "age")}
					}
					g, w := num(b.Schema, c), num(schema, &want)
					for i := range g {
						if !(g[i] == w[i] || math.IsNaN(g[i]) && math.IsNaN(w[i])) {
							t.Errorf("customer %s numeric %d = %v; want %v", c.CustomerID, i, g[i], w[i])
						}
					}
					if got := c.Categorical[b.Schema.CategoricalIndex("industry")]; got != want.Categorical[0] {
						t.Errorf("customer %s industry = %q; want %q", c.CustomerID, got, want.Categorical[0])
					}
				}
			}
			if want := []string{"A1", "B2", "C3"}; !reflect.DeepEqual(ids, want) {
				t.Errorf("customers = %v; want %v", ids, want)
			}
			if !reflect.DeepEqual(gotInv, invs) {
				t.Errorf("invoices\n got %+v\nwant %+v", gotInv, invs)
			}
			if !reflect.DeepEqual(gotSt, sts) {
				t.Errorf("statements\n got %+v\nwant %+v", gotSt, sts)
			}
			if !reflect.DeepEqual(gotDef, defs) {
				t.Errorf("defaults = %+v; want %+v", gotDef, defs)
			}
			if !reflect.DeepEqual(gotObs, obs) {
				t.Errorf("observations = %+v; want %+v", gotObs, obs)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadInput checks every bad-input case of the spec names file, row and column.
func TestBadInput(t *testing.T) {
	const head = "customer_id,invoice_id,issue_date,due_date,amount,paid_date,paid_amount,currency,disputed\n"
	tests := []struct {
		name, file, content string
		row                 int64
		column              string
		want                error
	}{
		{"missing column", "invoices.csv", "customer_id,invoice_id,issue_date,amount\nA,1,2024-01-01,5\n", 0, "due_date", ErrMissingColumn},
		{"bad date", "invoices.csv", head + "A,1,2024-01-01,2024-02-01,5,,,,\nA,2,2024-13-01,2024-02-01,5,,,,\n", 2, "issue_date", nil},
		{"due before issue", "invoices.csv", head + "A,1,2024-02-01,2024-01-01,5,,,,\n", 1, "due_date", ErrDueBeforeIssue},
		{"zero amount", "invoices.csv", head + "A,1,2024-01-01,2024-02-01,0,,,,\n", 1, "amount", ErrNotPositive},
		{"negative amount", "invoices.csv", head + "A,1,2024-01-01,2024-02-01,-3.5,,,,\n", 1, "amount", ErrNotPositive},
		{"amount not a number", "invoices.csv", head + "A,1,2024-01-01,2024-02-01,12a,,,,\n", 1, "amount", nil},
		{"null amount", "invoices.csv", head + "A,1,2024-01-01,2024-02-01,,,,,\n", 1, "amount", ErrNull},
		{"duplicate invoice", "invoices.csv", head + "A,1,2024-01-01,2024-02-01,5,,,,\nA,2,2024-01-01,2024-02-01,5,,,,\nA,1,2024-01-05,2024-02-01,5,,,,\n", 3, "invoice_id", ErrDuplicate},
		{"mixed currency", "invoices.csv", head + "A,1,2024-01-01,2024-02-01,5,,,EUR,\nB,1,2024-01-01,2024-02-01,5,,,USD,\n", 2, "currency", ErrMixedCurrency},
		{"bad bool", "invoices.csv", head + "A,1,2024-01-01,2024-02-01,5,,,,maybe\n", 1, "disputed", nil},
		{"negative dpd", "statements.csv", "customer_id,period_end,days_past_due\nA,2024-01-31,-4\n", 1, "days_past_due", nil},
		{"fractional dpd", "statements.csv", "customer_id,period_end,days_past_due\nA,2024-01-31,4.5\n", 1, "days_past_due", nil},
		{"duplicate customer", "customers.csv", "customer_id,industry\nA,x\nA,y\n", 2, "customer_id", ErrDuplicate},
		{"default without date", "defaults.csv", "customer_id,default_date\nA,\n", 1, "default_date", ErrNull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tt.file), tt.content)
			if tt.file != "invoices.csv" && tt.file != "customers.csv" && tt.file != "statements.csv" {
				writeFile(t, filepath.Join(dir, "customers.csv"), "customer_id\nA\n")
			}
			b, err := Open(dir)
			if err == nil {
				_, err = b.ReadAll(context.Background())
			}
			checkLocated(t, err, tt.file, tt.row, tt.column, tt.want)
		})
	}
}

// checkLocated fails unless err is an InputError at file (a suffix of its
// path), row and column, whose message names them, wrapping want unless
// want is nil.
func checkLocated(t *testing.T, err error, file string, row int64, column string, want error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v; want an InputError", err)
	}
	if !strings.HasSuffix(ie.File, file) || ie.Row != row || ie.Column != column {
		t.Errorf("error at (%s, row %d, %s); want (%s, row %d, %s): %v", ie.File, ie.Row, ie.Column, file, row, column, err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("err = %v; want %v", err, want)
	}
	if msg := err.Error(); !strings.Contains(msg, file) || !strings.Contains(msg, column) {
		t.Errorf("message %q does not name the file and column", msg)
	}
}

func TestTolerantSkipsAndCounts(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "invoices.csv"), "customer_id,invoice_id,issue_date,due_date,amount\n"+
		"A,1,2024-01-01,2024-02-01,5\nA,2,2024-01-01,2024-02-01,0\nA,3,2024-02-01,2024-01-01,5\nB,1,2024-01-01,2024-02-01,5\n")
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.Tolerant = true
	r := b.Histories(context.Background())
	defer r.Close()
	n := 0
	for {
		h, err := r.Next()
		if err != nil {
			break
		}
		n += len(h.Invoices)
	}
	if n != 2 {
		t.Errorf("read %d invoices; want 2", n)
	}
	reasons := r.Skips().Reasons()
	if got := r.Skips().Skipped(); got != 2 || len(reasons) != 2 {
		t.Errorf("skips = %+v; want 2 reasons, 2 rows", reasons)
	}
	for _, k := range reasons {
		if len(k.Examples) != 1 || k.Examples[0].Row < 2 || k.Examples[0].Column == "" {
			t.Errorf("skip %q has no location: %+v", k.Reason, k.Examples)
		}
	}
}

func TestOpenRefusesTableGivenTwice(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "customers.csv"), "customer_id\nA\n")
	writeFile(t, filepath.Join(dir, "customers", "part-0.csv"), "customer_id\nA\n")
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Errorf("err = %v; want table given more than once", err)
	}
}

func TestWriterAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "invoices.parquet")
	w, err := NewInvoiceWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	invs, _, _, _, _, _ := sampleBook()
	if err := w.Write(invs); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("directory holds %v after Abort; want nothing", entries)
	}
}

func TestDateHelpers(t *testing.T) {
	tests := []struct {
		in     Date
		months int
		want   Date
	}{
		{YMD(2024, 1, 31), 1, YMD(2024, 2, 29)},
		{YMD(2023, 1, 31), 1, YMD(2023, 2, 28)},
		{YMD(2024, 3, 15), -3, YMD(2023, 12, 15)},
		{YMD(1969, 12, 31), 1, YMD(1970, 1, 31)},
	}
	for _, tt := range tests {
		if got := tt.in.AddMonths(tt.months); got != tt.want {
			t.Errorf("%s + %d months = %s; want %s", tt.in, tt.months, got, tt.want)
		}
	}
	if got := YMD(2024, 2, 10).MonthEnd(); got != YMD(2024, 2, 29) {
		t.Errorf("MonthEnd = %s; want 2024-02-29", got)
	}
	if got := DateOf(time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)); got != -1 {
		t.Errorf("DateOf(1969-12-31 23:00) = %d; want -1", got)
	}
}
