package importers

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

var taiwanHeader = []string{"ID", "LIMIT_BAL", "SEX", "EDUCATION", "MARRIAGE", "AGE",
	"PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6",
	"BILL_AMT1", "BILL_AMT2", "BILL_AMT3", "BILL_AMT4", "BILL_AMT5", "BILL_AMT6",
	"PAY_AMT1", "PAY_AMT2", "PAY_AMT3", "PAY_AMT4", "PAY_AMT5", "PAY_AMT6", "default.payment.next.month"}

// taiwanCSV writes the header (quoted, as the dataset does) and rows.
func taiwanCSV(header []string, rows ...[]string) string {
	var b strings.Builder
	b.WriteString(`"` + strings.Join(header, `","`) + `"` + "\n")
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	return b.String()
}

func taiwanRow(id string) []string {
	return []string{id, "5e+05", "2", "2", "1", "24",
		"2", "-1", "0", "-2", "1", "3",
		"3913", "3102", "689", "0", "-159", "1e+05",
		"0", "689", "10", "20", "30", "40.5", "1"}
}

func TestUCITaiwanMapping(t *testing.T) {
	dir := t.TempDir()
	quiet := []string{"10", "20000", "1", "0", "3", "61", "0", "0", "0", "0", "0", "0",
		"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "0"}
	in := writeFile(t, dir, "train.csv", taiwanCSV(taiwanHeader, taiwanRow("2"), quiet))
	out := filepath.Join(dir, "book")
	stats, err := UCITaiwan(context.Background(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Customers: 2, Statements: 12, Defaults: 1, Observations: 2}
	if !statsEqual(stats, want) {
		t.Errorf("got stats %+v; want %+v", stats, want)
	}

	st := readTable[statementRow](t, out, datasets.Statements)
	if len(st) != 12 {
		t.Fatalf("got %d statements; want 12", len(st))
	}
	// Integer ids in numeric order (datasets.CompareIDs).
	for i, r := range st {
		if wantID := []string{"2", "10"}[i/6]; r.CustomerID != wantID {
			t.Fatalf("statement %d: got customer %s; want %s", i+1, r.CustomerID, wantID)
		}
	}
	type stmt struct {
		end            string
		dpd            int32
		status         string
		balance, limit int64
		payment        int64
	}
	wantClient2 := []stmt{
		{"2005-04-30", 90, "3", 100000_0000, 500000_0000, 40_5000},
		{"2005-05-31", 30, "1", -159_0000, 500000_0000, 30_0000},
		{"2005-06-30", 0, "-2", 0, 500000_0000, 20_0000},
		{"2005-07-31", 0, "0", 689_0000, 500000_0000, 10_0000},
		{"2005-08-31", 0, "-1", 3102_0000, 500000_0000, 689_0000},
		{"2005-09-30", 60, "2", 3913_0000, 500000_0000, 0},
	}
	for k, w := range wantClient2 {
		r := st[k]
		got := stmt{datasets.Date(r.PeriodEnd).String(), deref(r.DaysPastDue), deref(r.Status), deref(r.Balance), deref(r.CreditLimit), deref(r.Payment)}
		if got != w {
			t.Errorf("client 2 statement %d: got %+v; want %+v", k+1, got, w)
		}
	}

	customers := readCustomers(t, out)
	if len(customers) != 2 || customers[0].ID != "2" || customers[1].ID != "10" {
		t.Fatalf("got customers %+v; want 2 and 10", customers)
	}
	c := customers[0]
	if c.Numeric["current_limit"] != 500000 || c.Numeric["age"] != 24 {
		t.Errorf("customer 2: got numeric %v; want current_limit 500000, age 24", c.Numeric)
	}
	if c.Categorical["sex"] != "2" || c.Categorical["education"] != "2" || c.Categorical["marriage"] != "1" {
		t.Errorf("customer 2: got categorical %v; want sex 2, education 2, marriage 1", c.Categorical)
	}
	if got := customers[1].Categorical["education"]; got != "0" {
		t.Errorf("customer 10: got education %q; want the undocumented code %q kept", got, "0")
	}

	obs := readTable[observationRow](t, out, datasets.Observations)
	if len(obs) != 2 || obs[0] != (observationRow{"2", date("2005-10-01")}) || obs[1] != (observationRow{"10", date("2005-10-01")}) {
		t.Errorf("got observations %+v; want 2 and 10 as of 2005-10-01", obs)
	}
	defs := readTable[defaultRow](t, out, datasets.Defaults)
	if len(defs) != 1 || defs[0].CustomerID != "2" || defs[0].DefaultDate != date("2005-10-31") || deref(defs[0].Reason) != "payment default" {
		t.Errorf("got defaults %+v; want customer 2 on 2005-10-31, payment default", defs)
	}
	meta := readMeta(t, out)
	wantMeta := datasets.Meta{Name: "uci-taiwan", Currency: "TWD", ObservedUntil: datasets.Date(date("2005-11-01")), Horizon: "1mo"}
	if meta != wantMeta {
		t.Errorf("got book.yaml %+v; want %+v", meta, wantMeta)
	}
}

func TestUCITaiwanBadInput(t *testing.T) {
	with := func(col, value string) []string {
		r := taiwanRow("1")
		r[slices.Index(taiwanHeader, col)] = value
		return r
	}
	tests := []struct {
		name   string
		header []string
		rows   [][]string
		row    int64
		column string
	}{
		{"unparsable status", taiwanHeader, [][]string{taiwanRow("1"), with("PAY_0", "x")}, 2, "PAY_0"},
		{"status out of range", taiwanHeader, [][]string{with("PAY_4", "10")}, 1, "PAY_4"},
		{"empty balance", taiwanHeader, [][]string{with("BILL_AMT3", "")}, 1, "BILL_AMT3"},
		{"unparsable limit", taiwanHeader, [][]string{with("LIMIT_BAL", "5e+0x")}, 1, "LIMIT_BAL"},
		{"empty ID", taiwanHeader, [][]string{with("ID", " ")}, 1, "ID"},
		{"bad class", taiwanHeader, [][]string{with("default.payment.next.month", "2")}, 1, "default.payment.next.month"},
		{"short row", taiwanHeader, [][]string{taiwanRow("1")[:20]}, 1, "PAY_AMT3"},
		{"duplicate ID", taiwanHeader, [][]string{taiwanRow("7"), taiwanRow("8"), taiwanRow("7")}, 3, "ID"},
		{"missing column", slices.Delete(slices.Clone(taiwanHeader), 1, 2), [][]string{slices.Delete(taiwanRow("1"), 1, 2)}, 0, "LIMIT_BAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "train.csv", taiwanCSV(tt.header, tt.rows...))
			out := filepath.Join(dir, "book")
			_, err := UCITaiwan(context.Background(), in, out)
			checkInputError(t, err, in, tt.row, tt.column)
			checkEmptyDir(t, out)
		})
	}
}

func TestUCITaiwanRealData(t *testing.T) {
	in := realData(t, "uci-taiwan/train.csv")
	out := t.TempDir()
	stats, err := UCITaiwan(context.Background(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Customers: 24000, Statements: 144000, Defaults: 5309, Observations: 24000}
	if !statsEqual(stats, want) {
		t.Errorf("got stats %+v; want %+v", stats, want)
	}
	st := readTable[statementRow](t, out, datasets.Statements)
	if len(st) != want.Statements {
		t.Errorf("read %d statements; want %d", len(st), want.Statements)
	}
	checkSorted(t, datasets.Statements, len(st), func(i int) (string, int32) { return st[i].CustomerID, st[i].PeriodEnd })
	defs := readTable[defaultRow](t, out, datasets.Defaults)
	if len(defs) != want.Defaults {
		t.Errorf("read %d defaults; want %d", len(defs), want.Defaults)
	}
	checkSorted(t, datasets.Defaults, len(defs), func(i int) (string, int32) { return defs[i].CustomerID, defs[i].DefaultDate })
	customers := readCustomers(t, out)
	if len(customers) != want.Customers {
		t.Errorf("read %d customers; want %d", len(customers), want.Customers)
	}
	checkSorted(t, datasets.Customers, len(customers), func(i int) (string, int32) { return customers[i].ID, 0 })
}

func TestUCITaiwanCanceled(t *testing.T) {
	in := realData(t, "uci-taiwan/train.csv")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "book")
	if _, err := UCITaiwan(ctx, in, out); !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v; want context.Canceled", err)
	}
	checkEmptyDir(t, out)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func statsEqual(a, b Stats) bool {
	if a.Customers != b.Customers || a.Invoices != b.Invoices || a.Statements != b.Statements ||
		a.Defaults != b.Defaults || a.Observations != b.Observations || a.Skipped != b.Skipped {
		return false
	}
	return maps.Equal(a.SkipReasons, b.SkipReasons)
}
