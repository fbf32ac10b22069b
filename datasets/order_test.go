package datasets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

func TestMain(m *testing.M) {
	// Sorted copies go to a cache of the test run's own.
	dir, err := os.MkdirTemp("", "credence-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv(CacheDirEnv, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestCompareIDs(t *testing.T) {
	ordered := []string{"-100", "-9", "0", "9", "11", "100", "18446744073709551616", "", "+5", "-0", "007", "1.5", "11a", "9", "A", "a"}
	ordered = slices.Delete(ordered, 13, 14) // "9" once
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := CompareIDs(ordered[i], ordered[j]); got != want {
				t.Errorf("CompareIDs(%q, %q) = %d; want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

// historyIDs reads b and lists its customers in reading order.
func historyIDs(t *testing.T, b *Book) []string {
	t.Helper()
	hs, err := b.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range hs {
		ids = append(ids, h.CustomerID)
	}
	return ids
}

// TestUnsortedBookIsSortedOnce: a book in no order is read through a
// sorted copy, made once, said on the notices, and made again when the
// book changes.
func TestUnsortedBookIsSortedOnce(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	const head = "customer_id,invoice_id,issue_date,due_date,amount\n"
	inv := filepath.Join(dir, "invoices.csv")
	writeFile(t, inv, head+"B,1,2024-01-01,2024-02-01,5\nA,1,2024-01-01,2024-02-01,5\nC,1,2024-01-01,2024-02-01,5\nA,2,2024-01-03,2024-02-01,5\n")
	writeFile(t, filepath.Join(dir, "customers.csv"), "customer_id,revenue\nA,1\nB,2\nC,3\n")
	open := func() (*Book, string) {
		var notices bytes.Buffer
		b, err := OpenWith(dir, Options{Notices: &notices, CacheDir: cache, SortRunRows: 2})
		if err != nil {
			t.Fatal(err)
		}
		return b, notices.String()
	}
	b, said := open()
	if !strings.Contains(said, "invoices not sorted by customer_id") || !strings.Contains(said, "invoices.csv row 2") {
		t.Errorf("notice = %q; want it to say the invoices table is sorted, from row 2", said)
	}
	if got := historyIDs(t, b); !slices.Equal(got, []string{"A", "B", "C"}) {
		t.Errorf("customers read %v; want A B C", got)
	}
	if b.Files(Customers)[0] != filepath.Join(dir, "customers.csv") {
		t.Errorf("the sorted customers table was copied: %v", b.Files(Customers))
	}
	if src, sorted := b.SourceFiles(Invoices); !sorted || len(src) != 1 || src[0] != inv {
		t.Errorf("SourceFiles(invoices) = %v, %v; want the book's invoices.csv, sorted", src, sorted)
	}
	b, said = open()
	if said != "" {
		t.Errorf("second open said %q; want the cached copy reused silently", said)
	}
	if got := historyIDs(t, b); !slices.Equal(got, []string{"A", "B", "C"}) {
		t.Errorf("customers read from the cached copy %v; want A B C", got)
	}
	// A changed book is sorted again; the stale copy goes.
	writeFile(t, inv, head+"D,1,2024-01-01,2024-02-01,5\nA,1,2024-01-01,2024-02-01,5\n")
	future := time.Now().Add(time.Hour)
	os.Chtimes(inv, future, future)
	b, said = open()
	if said == "" {
		t.Error("a changed book was not sorted again")
	}
	if got := historyIDs(t, b); !slices.Equal(got, []string{"A", "B", "C", "D"}) {
		t.Errorf("customers read %v; want A B C D", got)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 1 {
		t.Errorf("cache holds %d entries; want the one current copy", len(entries))
	}
	// KeepOrder reads the tables as they are.
	kept, err := OpenWith(dir, Options{KeepOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kept.ReadAll(context.Background()); !errors.Is(err, ErrUnsorted) {
		t.Errorf("KeepOrder: err = %v; want ErrUnsorted", err)
	}
}

// TestSortedCopyKeepsBadRowsLocated: a bad row of an unsorted table is
// refused at its place in the book, or skipped and logged with it under
// tolerance, although the rows are read from the copy.
func TestSortedCopyKeepsBadRowsLocated(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "invoices.csv"), "customer_id,invoice_id,issue_date,due_date,amount\n"+
		"B,1,2024-01-01,2024-02-01,5\nA,1,2024-01-01,2024-02-01,0\nA,2,2024-01-01,2024-02-01,5\n")
	for _, tolerant := range []bool{false, true} {
		b, err := OpenWith(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b.Tolerant = tolerant
		_, err = b.ReadAll(context.Background())
		switch {
		case !tolerant:
			var ie *InputError
			if !errors.As(err, &ie) || !strings.HasSuffix(ie.File, "invoices.csv") || ie.Row != 2 || ie.Column != "amount" {
				t.Errorf("strict: err = %v; want invoices.csv row 2 column amount", err)
			}
		case err != nil:
			t.Errorf("tolerant: %v", err)
		default:
			if r := b.Skipped.Reasons(); len(r) != 1 || r[0].Rows != 1 || !strings.HasSuffix(r[0].Examples[0].File, "invoices.csv") || r[0].Examples[0].Row != 2 {
				t.Errorf("tolerant: log %+v; want invoices.csv row 2", r)
			}
		}
	}
}

// TestIntegerIDsInNumericOrder: a table a warehouse sorted by a BIGINT
// customer_id is sorted already: no copy is made.
func TestIntegerIDsInNumericOrder(t *testing.T) {
	dir := t.TempDir()
	fields := []arrow.Field{
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "invoice_id", Type: arrow.BinaryTypes.String},
		{Name: "issue_date", Type: arrow.FixedWidthTypes.Date32},
		{Name: "due_date", Type: arrow.FixedWidthTypes.Date32},
		{Name: "amount", Type: arrow.PrimitiveTypes.Int64},
	}
	ids := []int64{-3, 9, 11, 11, 100}
	writeArrow(t, filepath.Join(dir, "invoices.parquet"), fields, func(rb *array.RecordBuilder) {
		for i, id := range ids {
			rb.Field(0).(*array.Int64Builder).Append(id)
			rb.Field(1).(*array.StringBuilder).Append(string(rune('a' + i)))
			rb.Field(2).(*array.Date32Builder).Append(arrow.Date32(YMD(2024, 1, 1)))
			rb.Field(3).(*array.Date32Builder).Append(arrow.Date32(YMD(2024, 2, 1)))
			rb.Field(4).(*array.Int64Builder).Append(5)
		}
	})
	var notices bytes.Buffer
	b, err := OpenWith(dir, Options{Notices: &notices, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if notices.Len() > 0 || b.Files(Invoices)[0] != filepath.Join(dir, "invoices.parquet") {
		t.Errorf("a numerically sorted table was sorted again: %q", notices.String())
	}
	if got := historyIDs(t, b); !slices.Equal(got, []string{"-3", "9", "11", "100"}) {
		t.Errorf("customers read %v; want -3 9 11 100", got)
	}
}

// TestSortKeepsIntegerIDs: book sort writes an integer customer_id as an
// integer column again, in numeric order.
func TestSortKeepsIntegerIDs(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	fields := []arrow.Field{
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "invoice_id", Type: arrow.BinaryTypes.String},
		{Name: "issue_date", Type: arrow.FixedWidthTypes.Date32},
		{Name: "due_date", Type: arrow.FixedWidthTypes.Date32},
		{Name: "amount", Type: arrow.PrimitiveTypes.Int64},
	}
	writeArrow(t, filepath.Join(dir, "invoices.parquet"), fields, func(rb *array.RecordBuilder) {
		for i, id := range []int64{100, 9, 11, 9} {
			rb.Field(0).(*array.Int64Builder).Append(id)
			rb.Field(1).(*array.StringBuilder).Append(string(rune('a' + i)))
			rb.Field(2).(*array.Date32Builder).Append(arrow.Date32(YMD(2024, 1, 1+i)))
			rb.Field(3).(*array.Date32Builder).Append(arrow.Date32(YMD(2024, 2, 1)))
			rb.Field(4).(*array.Int64Builder).Append(5)
		}
	})
	b, err := OpenWith(dir, Options{KeepOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := SortBook(context.Background(), b, out, 2); err != nil {
		t.Fatal(err)
	}
	_, cols, err := openSource(context.Background(), filepath.Join(out, "invoices.parquet"), []string{"customer_id"})
	if err != nil {
		t.Fatal(err)
	}
	if !cols[0].Integer {
		t.Errorf("sorted customer_id is %+v; want an integer column", cols[0])
	}
	sorted, err := OpenWith(out, Options{KeepOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := historyIDs(t, sorted); !slices.Equal(got, []string{"9", "11", "100"}) {
		t.Errorf("customers read %v; want 9 11 100", got)
	}
}
