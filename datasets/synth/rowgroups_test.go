package synth

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/credence-risk/credence/datasets"
)

func TestRowGroupRows(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Customers: 400, Months: 12, Seed: 7, CustomersPerPart: 200, Workers: 1}
	read := func(groupRows int) ([]*datasets.History, string) {
		t.Helper()
		cfg := cfg
		cfg.RowGroupRows = groupRows
		dir := filepath.Join(t.TempDir(), "book")
		if _, err := Generate(ctx, cfg, dir, "", nil); err != nil {
			t.Fatal(err)
		}
		b, err := datasets.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := b.ReadAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return hs, dir
	}
	whole, _ := read(0)
	small, dir := read(30)
	if !reflect.DeepEqual(whole, small) {
		t.Fatal("a book written with small row groups reads other histories")
	}
	groups := func(table datasets.Table, part string) (n int, rows []int64) {
		t.Helper()
		rdr, err := file.OpenParquetFile(filepath.Join(dir, string(table), part), false)
		if err != nil {
			t.Fatal(err)
		}
		defer rdr.Close()
		for g := range rdr.NumRowGroups() {
			rows = append(rows, rdr.MetaData().RowGroup(g).NumRows())
		}
		return rdr.NumRowGroups(), rows
	}
	// 200 customers: 6 groups of 30, one of 20.
	if _, rows := groups(datasets.Customers, "part-00001.parquet"); !reflect.DeepEqual(rows, []int64{30, 30, 30, 30, 30, 30, 20}) {
		t.Errorf("customers part 1 has row groups of %v rows; want 6 of 30 and one of 20", rows)
	}
	n, rows := groups(datasets.Invoices, "part-00000.parquet")
	for g, r := range rows[:n-1] {
		if r != 30 {
			t.Errorf("invoices part 0: row group %d holds %d rows; want 30", g, r)
		}
	}
}
