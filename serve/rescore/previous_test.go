package rescore

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/credence-risk/credence/datasets"
)

// duckRow is a rescore output as DuckDB writes it back after
// `CAST(pd AS DECIMAL(18,6))`: pd an INT64 DECIMAL with scale 6, as_of a
// DATE, grade an INT32, columns in another order.
type duckRow struct {
	Grade      int32  `parquet:"grade"`
	PD         int64  `parquet:"pd,decimal(6:18)"`
	CustomerID string `parquet:"customer_id"`
	AsOf       int32  `parquet:"as_of,date"`
}

// narrowRow has pd as an INT32 DECIMAL(9,6), grade as a DOUBLE and as_of
// as text.
type narrowRow struct {
	CustomerID string  `parquet:"customer_id"`
	AsOf       string  `parquet:"as_of"`
	PD         int32   `parquet:"pd,decimal(6:9)"`
	Grade      float64 `parquet:"grade"`
}

func TestReadPreviousDecimalPD(t *testing.T) {
	dir := t.TempDir()
	day := datasets.YMD(2025, 1, 1)
	duck := filepath.Join(dir, "duck.parquet")
	if err := parquet.WriteFile(duck, []duckRow{{5, 42857, "C1", int32(day)}, {10, 1_000_000, "C2", int32(day)}, {1, 0, "C3", int32(day - 31)}}); err != nil {
		t.Fatal(err)
	}
	narrow := filepath.Join(dir, "narrow.parquet")
	if err := parquet.WriteFile(narrow, []narrowRow{{"C1", "2025-01-01", 42857, 5}, {"C2", "2025-01-01T00:00:00Z", 1_000_000, 10}, {"C3", "2024-12-01", 0, 1}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{duck, narrow} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			p, err := ReadPrevious(path)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]previousRow{
				"C1": {asOf: day, pd: 0.042857, grade: 5},
				"C2": {asOf: day, pd: 1, grade: 10},
				"C3": {asOf: day - 31, pd: 0, grade: 1},
			}
			if p.Rows != 3 || p.Customers() != 3 {
				t.Errorf("got %d rows, %d customers; want 3 and 3", p.Rows, p.Customers())
			}
			for id, w := range want {
				// DECIMAL to float64 is exact to the last bit here: 42857
				// / 10⁶ is the nearest float64 to 0.042857 either way.
				if got := p.byID[id]; got != w {
					t.Errorf("%s: got %+v; want %+v", id, got, w)
				}
			}
		})
	}
}

// TestReadPreviousLocatesBadValues: every error names the file, the data
// row and the column, whatever the format.
func TestReadPreviousLocatesBadValues(t *testing.T) {
	dir := t.TempDir()
	day := int32(datasets.YMD(2025, 1, 1))
	pqPath := filepath.Join(dir, "bad.parquet")
	if err := parquet.WriteFile(pqPath, []duckRow{{5, 42857, "C1", day}, {5, 1_500_000, "C2", day}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, data string // data "" for the Parquet file
		row              int64
		column           string
	}{
		{"decimal pd above one", "bad.parquet", "", 2, "pd"},
		{"pd not a number", "a.csv", "customer_id,pd,grade\nC1,0.5,3\nC2,0.5,3\nC3,high,3\n", 3, "pd"},
		{"fractional grade", "b.csv", "customer_id,pd,grade\nC1,0.5,2.5\n", 1, "grade"},
		{"grade off the scale", "c.csv", "customer_id,pd,grade\nC1,0.5,11\n", 1, "grade"},
		{"bad as_of", "d.csv", "customer_id,as_of,pd,grade\nC1,2025-13-01,0.5,3\n", 1, "as_of"},
		{"no customer", "e.csv", "customer_id,pd,grade\nC1,0.5,3\n,0.5,3\n", 2, "customer_id"},
		{"short row", "f.csv", "customer_id,pd,grade\nC1,0.5\n", 1, "grade"},
		{"no grade column", "g.csv", "customer_id,pd\nC1,0.5\n", 0, "grade"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if tt.data != "" {
				if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ReadPrevious(path)
			var ie *datasets.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v; want an InputError", err)
			}
			if ie.File != path || ie.Row != tt.row || ie.Column != tt.column {
				t.Errorf("got %q (file %s, row %d, column %s); want file %s, row %d, column %s",
					err, ie.File, ie.Row, ie.Column, path, tt.row, tt.column)
			}
		})
	}
}

func TestReadPreviousCSVAndGzip(t *testing.T) {
	data := "\ufeffcustomer_id,as_of,pd,grade,model_version\nC1,2024-06-01,0.25,4,v0001\nC2,2024-06-01 00:00:00,1,10,v0001\n"
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(data))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"prev.csv": []byte(data), "prev.csv.gz": gz.Bytes()}
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := ReadPrevious(path)
			if err != nil {
				t.Fatal(err)
			}
			day := datasets.YMD(2024, 6, 1)
			if p.Rows != 2 || p.model != "v0001" || p.byID["C1"] != (previousRow{day, 0.25, 4}) || p.byID["C2"] != (previousRow{day, 1, 10}) {
				t.Errorf("got %d rows, model %q, %+v; want 2 rows of v0001 as of %s", p.Rows, p.model, p.byID, day)
			}
		})
	}
}
