package datasets

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// writeUnitsBook writes a book of two parts with integer-like ids that
// cross digit lengths (1 → 9 → 10 → 99 → 100 in part 0, 999 → 1000 in part
// 1) and small row groups in every table, so that a customer's invoices
// straddle groups. Some customers have no customers row, only invoices.
// Invoice number j (0-based) of part 1 gets amount 0 for each j in bad.
// integerIDs writes customer_id as INT64 columns, else as text.
func writeUnitsBook(t *testing.T, dir string, integerIDs bool, bad ...int) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	schema := CustomerSchema{Numeric: []string{"revenue"}, Categorical: []string{"industry"}}
	partIDs := [][]int{}
	var ids []int
	for i := 1; i <= 130; i++ {
		ids = append(ids, i)
	}
	partIDs = append(partIDs, ids)
	ids = nil
	for i := 131; len(ids) < 130; i += 7 {
		ids = append(ids, i)
	}
	partIDs = append(partIDs, ids)
	// every writes rows one at a time, ending a row group every n rows.
	every := func(n int, write func(k int) error, end func() error, rows int) {
		for k := 0; k < rows; k++ {
			must(write(k))
			if (k+1)%n == 0 {
				must(end())
			}
		}
	}
	start := YMD(2024, 1, 1)
	for p, ids := range partIDs {
		path := func(t Table) string { return filepath.Join(dir, string(t), fmt.Sprintf("part-%05d.parquet", p)) }
		var custs []Customer
		var invs []Invoice
		var sts []Statement
		var defs []Default
		var obs []Observation
		for _, i := range ids {
			id := strconv.Itoa(i)
			if i%13 != 0 {
				custs = append(custs, Customer{id, []float64{float64(i) * 1000}, []string{[]string{"retail", "trade"}[i%2]}})
			}
			for n := range i % 4 {
				issue := start + Date(i%200+n*31)
				invs = append(invs, Invoice{CustomerID: id, InvoiceID: fmt.Sprintf("INV-%d-%d", i, n), IssueDate: issue,
					DueDate: issue + 30, Amount: Amount(1000 + i), PaidDate: NoDate, PaidAmount: NoAmount, Currency: "EUR"})
			}
			for n := range i % 3 {
				sts = append(sts, Statement{CustomerID: id, PeriodEnd: start + Date(30*(n+1)), DaysPastDue: int32(n * 30),
					Balance: NoAmount, CreditLimit: NoAmount, Payment: NoAmount})
			}
			if i%10 == 0 {
				defs = append(defs, Default{id, start + 300, "90dpd"})
			}
			if i%5 == 0 {
				obs = append(obs, Observation{id, start + 100}, Observation{id, start + 200})
			}
		}
		if p == 1 {
			for _, j := range bad {
				invs[j].Amount = 0
			}
		}
		o := writerOptions{integerIDs: integerIDs}
		cw, err := newCustomerWriter(path(Customers), schema, o)
		must(err)
		every(7, func(k int) error { return cw.Write(custs[k : k+1]) }, cw.EndRowGroup, len(custs))
		must(cw.Close())
		iw, err := newInvoiceWriter(path(Invoices), o)
		must(err)
		every(5, func(k int) error { return iw.Write(invs[k : k+1]) }, iw.EndRowGroup, len(invs))
		must(iw.Close())
		sw, err := newStatementWriter(path(Statements), o)
		must(err)
		every(11, func(k int) error { return sw.Write(sts[k : k+1]) }, sw.EndRowGroup, len(sts))
		must(sw.Close())
		dw, err := newDefaultWriter(path(Defaults), o)
		must(err)
		every(3, func(k int) error { return dw.Write(defs[k : k+1]) }, dw.EndRowGroup, len(defs))
		must(dw.Close())
		ow, err := newObservationWriter(path(Observations), o)
		must(err)
		every(4, func(k int) error { return ow.Write(obs[k : k+1]) }, ow.EndRowGroup, len(obs))
		must(ow.Close())
	}
	must(WriteMeta(dir, Meta{Name: "units", Currency: "EUR", ObservedUntil: YMD(2024, 12, 31)}))
}

// readUnits reads every unit of b in turn; log, when not nil, replaces
// each unit's skip log with a fresh one, and receives them.
func readUnits(t *testing.T, b *Book, units []Unit, logs *[]*SkipLog) ([]*History, []error) {
	t.Helper()
	var all []*History
	var errs []error
	for _, u := range units {
		ub, err := b.OpenUnit(u)
		if err != nil {
			t.Fatal(err)
		}
		if logs != nil {
			ub.Skipped = NewSkipLog()
			*logs = append(*logs, ub.Skipped)
		}
		hs, err := ub.ReadAll(context.Background())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		all = append(all, hs...)
	}
	return all, errs
}

func TestUnitsReadAsTheWholeBook(t *testing.T) {
	t.Run("text ids", func(t *testing.T) { unitsReadAsTheWholeBook(t, false) })
	t.Run("integer ids", func(t *testing.T) { unitsReadAsTheWholeBook(t, true) })
}

func unitsReadAsTheWholeBook(t *testing.T, integerIDs bool) {
	ctx := context.Background()
	dir := t.TempDir()
	writeUnitsBook(t, dir, integerIDs)
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := b.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 156 has no row in any table.
	if len(whole) != 259 || whole[8].CustomerID != "9" || whole[9].CustomerID != "10" || whole[99].CustomerID != "100" {
		t.Fatalf("the book reads %d customers; want 259 in numeric order", len(whole))
	}
	// Row groups of 7 customers: units of 4 groups, the last 2 of each
	// part (8 customers) joining the one before.
	units, err := b.Units(ctx, 25)
	if err != nil {
		t.Fatal(err)
	}
	if len(units) < 8 {
		t.Fatalf("%d units of 2 parts at 25 customers; want at least 8: %v", len(units), units)
	}
	for i, u := range units {
		first := i == 0 || units[i-1].Part != u.Part
		last := i == len(units)-1 || units[i+1].Part != u.Part
		if u.Range.HasLo == first || u.Range.HasHi == last || (!first && units[i-1].Range.Hi != u.Range.Lo) {
			t.Errorf("unit %d %v of part %d: want ranges that tile each part, open at its ends", i, u.Range, u.Part)
		}
	}
	// Each unit holds at least 25 customers, but a part's last at least
	// half as many.
	for i, u := range units {
		ub, err := b.OpenUnit(u)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := ub.ReadAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, h := range hs {
			if h.Customer != nil {
				n++
			}
		}
		last := i == len(units)-1 || units[i+1].Part != u.Part
		if n < 25 && !last || n < 12 {
			t.Errorf("unit %d %v holds %d customers; want about 25", i, u.Range, n)
		}
	}
	got, errs := readUnits(t, b, units, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(got, whole) {
		ids := func(hs []*History) (out []string) {
			for _, h := range hs {
				out = append(out, h.CustomerID)
			}
			return out
		}
		t.Fatalf("the units read other histories than the whole book:\nunits %v\nwhole %v", ids(got), ids(whole))
	}
	// A later unit does not read the row groups before it.
	u := units[len(units)-1]
	src, _, skipped, err := openSourceIn(ctx, b.Files(Invoices)[u.Part], []string{"customer_id"}, &u.Range)
	if err != nil {
		t.Fatal(err)
	}
	src.Close()
	if skipped == 0 {
		t.Errorf("the last unit %v reads invoices from the file's first row group", u.Range)
	}
	// Group starts come from the statistics of integer ids only: those of
	// text ids order bytes ("10" < "9"). Invoices rows 10-14 (customers 1
	// to 6 have 9) start with customer 7's second.
	rdr, err := file.OpenParquetFile(b.Files(Invoices)[0], false)
	if err != nil {
		t.Fatal(err)
	}
	id, ok := statsStart(rdr, 2, 0)
	rdr.Close()
	if ok != integerIDs || (ok && id != "7") {
		t.Errorf("the statistics give the third invoice group's start as %q, %v; want %q, %v", id, ok, "7", integerIDs)
	}
	// Whole parts: one unit each.
	if units, err := b.Units(ctx, 0); err != nil || len(units) != 2 || !units[0].Range.Open() || !units[1].Range.Open() {
		t.Errorf("Units(0) = %v, %v; want the two parts whole", units, err)
	}
}

func TestUnitReportsBadRowAtItsFileRow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const bad = 137 // row 138 of invoices/part-00001, in its 28th row group
	writeUnitsBook(t, dir, false, bad)
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, wholeErr := b.ReadAll(ctx)
	checkLocated(t, wholeErr, filepath.Join("invoices", "part-00001.parquet"), bad+1, "amount", ErrNotPositive)
	units, err := b.Units(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	_, errs := readUnits(t, b, units, nil)
	if len(errs) != 1 {
		t.Fatalf("%d units failed (%v); want the one that holds the bad row", len(errs), errs)
	}
	if errs[0].Error() != wholeErr.Error() {
		t.Errorf("unit error %q; want the whole read's %q", errs[0], wholeErr)
	}
}

func TestUnitsCountEachSkippedRowOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bad := []int{0, 4, 5, 61, 62, 63, 64, 65, 137, 190}
	writeUnitsBook(t, dir, false, bad...)
	open := func() *Book {
		b, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		b.Tolerant = true
		return b
	}
	b := open()
	whole, err := b.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := b.Skipped.Skipped(); n != int64(len(bad)) {
		t.Fatalf("the whole read skipped %d rows; want %d", n, len(bad))
	}
	// One log for every unit, as one process reading them all keeps.
	b = open()
	units, err := b.Units(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	got, errs := readUnits(t, b, units, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(got, whole) {
		t.Error("the units read other histories than the whole book")
	}
	if n := b.Skipped.Skipped(); n != int64(len(bad)) {
		t.Errorf("the units skipped %d rows in one log; want %d", n, len(bad))
	}
	// Read twice into the same log, the units still count each row once;
	// so does a whole read after them.
	readUnits(t, b, units, nil)
	b.ReadAll(ctx)
	if n := b.Skipped.Skipped(); n != int64(len(bad)) {
		t.Errorf("read again, the log counts %d rows; want %d", n, len(bad))
	}
	// A log per unit, as separate workers keep: they add up to the whole.
	var logs []*SkipLog
	readUnits(t, open(), units, &logs)
	var sum int64
	var rows []int64
	for _, l := range logs {
		sum += l.Skipped()
		for _, r := range l.Reasons() {
			for _, x := range r.Examples {
				rows = append(rows, x.Row)
			}
		}
	}
	slices.Sort(rows)
	if sum != int64(len(bad)) {
		t.Errorf("the units' own logs skipped %d rows in all; want %d", sum, len(bad))
	}
	for _, j := range bad {
		if _, found := slices.BinarySearch(rows, int64(j+1)); !found {
			t.Errorf("no unit's log gives row %d of invoices/part-00001 (have %v)", j+1, rows)
		}
	}
}

func TestCSVAndSingleGroupPartsAreOneUnit(t *testing.T) {
	for _, ext := range []string{".csv", ".parquet"} {
		dir := t.TempDir()
		writeSampleBook(t, dir, ext) // customers in one file, of one row group
		b, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		units, err := b.Units(context.Background(), 1)
		if err != nil || len(units) != 1 || !units[0].Range.Open() {
			t.Errorf("%s: units %v, %v; want the whole book", ext, units, err)
		}
	}
}

// A table not sorted by customer_id is read from its sorted copy, by
// range too.
func TestUnitsOfABookWithAnUnsortedTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeUnitsBook(t, dir, false)
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := b.Partitions()[1].ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var invs []Invoice
	for _, h := range hs {
		invs = append(invs, h.Invoices...)
	}
	slices.Reverse(invs)
	w, err := NewInvoiceWriter(filepath.Join(dir, "invoices", "part-00001.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for k := range invs {
		if err := w.Write(invs[k : k+1]); err != nil {
			t.Fatal(err)
		}
		if k%5 == 4 {
			if err := w.EndRowGroup(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err = OpenWith(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, sorted := b.SourceFiles(Invoices); !sorted {
		t.Fatal("the reversed invoices are read as they are")
	}
	whole, err := b.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	units, err := b.Units(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(units) < 8 {
		t.Fatalf("%d units; want the customers' row groups to split the book", len(units))
	}
	got, errs := readUnits(t, b, units, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(got, whole) {
		t.Fatal("the units read other histories than the whole book")
	}
}
