package rescore

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/credence-risk/credence/datasets"
)

// writeRows writes rows to path and reads them back.
func writeRows(t *testing.T, path string, rows []Row) []Row {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for len(rows) > 0 { // in uneven batches, as chunks arrive
		n := min(len(rows), 97)
		if err := w.Write(rows[:n]); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var back []Row
	if err := Read(path, func(r *Row) error { back = append(back, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	return back
}

// scoredRows scores the fixture, with a row without a limit and one with
// fewer reasons, so that every null is written.
func scoredRows(t *testing.T) []Row {
	f := testFixture(t)
	_, rows := runAll(t, f, DefaultConfig(datasets.YMD(2024, 6, 1)))
	rows[0].RecommendedLimit = math.NaN()
	rows[1].Reasons = [Reasons]string{"inv_count", "", ""}
	rows[1].ReasonTexts = [Reasons]string{"3 invoices issued (raises risk)", "", ""}
	return rows
}

func TestParquetOutput(t *testing.T) {
	rows := scoredRows(t)
	defer func(n int64) { rowGroupRows = n }(rowGroupRows)
	rowGroupRows = 200
	path := filepath.Join(t.TempDir(), "scores.parquet")
	back := writeRows(t, path, rows)
	if !slices.EqualFunc(back, rows, sameRow) {
		t.Errorf("read back %d rows that differ from the %d written", len(back), len(rows))
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(pf.RowGroups()), (len(rows)+199)/200; got != want {
		t.Errorf("%d row groups; want %d of 200 rows", got, want)
	}
	isString := func(lt *format.LogicalType) bool { _, ok := lt.Value.(*format.StringType); return ok }
	isDate := func(lt *format.LogicalType) bool { _, ok := lt.Value.(*format.DateType); return ok }
	isInt32 := func(lt *format.LogicalType) bool {
		it, ok := lt.Value.(*format.IntType)
		return lt.Value == nil || ok && it.BitWidth == 32 && it.IsSigned
	}
	isPlain := func(lt *format.LogicalType) bool { return lt.Value == nil }
	isCents := func(lt *format.LogicalType) bool {
		d, ok := lt.Value.(*format.DecimalType)
		return ok && d.Scale == 2 && d.Precision == 18
	}
	tests := []struct {
		column   string
		kind     parquet.Kind
		logical  func(*format.LogicalType) bool
		optional bool
	}{
		{"customer_id", parquet.ByteArray, isString, false},
		{"as_of", parquet.Int32, isDate, false},
		{"pd", parquet.Double, isPlain, false},
		{"grade", parquet.Int32, isInt32, false},
		{"score", parquet.Double, isPlain, false},
		{"recommended_limit", parquet.Int64, isCents, true},
		{"currency", parquet.ByteArray, isString, false},
		{"reason_1", parquet.ByteArray, isString, true},
		{"reason_1_text", parquet.ByteArray, isString, true},
		{"reason_2", parquet.ByteArray, isString, true},
		{"reason_2_text", parquet.ByteArray, isString, true},
		{"reason_3", parquet.ByteArray, isString, true},
		{"reason_3_text", parquet.ByteArray, isString, true},
		{"model_version", parquet.ByteArray, isString, false},
	}
	var names []string
	for _, c := range pf.Schema().Columns() {
		names = append(names, strings.Join(c, "."))
	}
	if !slices.Equal(names, Columns) {
		t.Errorf("columns %q; want %q", names, Columns)
	}
	for _, tt := range tests {
		leaf, ok := pf.Schema().Lookup(tt.column)
		if !ok {
			t.Errorf("no column %s", tt.column)
			continue
		}
		typ := leaf.Node.Type()
		lt := typ.LogicalType()
		if lt == nil {
			lt = &format.LogicalType{}
		}
		if typ.Kind() != tt.kind || !tt.logical(lt) || leaf.Node.Optional() != tt.optional {
			t.Errorf("%s: %s %v optional=%t; want %s, optional=%t", tt.column, typ.Kind(), lt, leaf.Node.Optional(), tt.kind, tt.optional)
		}
	}
}

func TestCSVOutput(t *testing.T) {
	rows := scoredRows(t)
	for _, name := range []string{"scores.csv", "scores.csv.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			back := writeRows(t, path, rows)
			if !slices.EqualFunc(back, rows, sameRow) {
				t.Errorf("read back %d rows that differ from the %d written", len(back), len(rows))
			}
		})
	}
	path := filepath.Join(t.TempDir(), "scores.csv")
	writeRows(t, path, rows[:2])
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], Columns) {
		t.Errorf("header %q; want %q", recs[0], Columns)
	}
	if got := recs[1][5]; got != "" {
		t.Errorf("an unknown limit is written %q; want an empty field", got)
	}
	if got := recs[2][7:13]; !slices.Equal(got, []string{"inv_count", "3 invoices issued (raises risk)", "", "", "", ""}) {
		t.Errorf("reasons written %q; want inv_count with its text and four empty fields", got)
	}
	if got := recs[2][5:7]; !strings.Contains(got[0], ".") || len(got[0])-strings.Index(got[0], ".") != 3 || got[1] != rows[1].Currency || got[1] == "" {
		t.Errorf("limit and currency written %q; want an amount with two decimals and %q", got, rows[1].Currency)
	}
}

// TestReadsScoresWrittenBeforeDecimalLimits reads a scores file of the
// earlier layout: recommended_limit a DOUBLE, no currency and no reason
// texts, as --previous must.
func TestReadsScoresWrittenBeforeDecimalLimits(t *testing.T) {
	type oldRow struct {
		CustomerID       string   `parquet:"customer_id"`
		AsOf             int32    `parquet:"as_of,date"`
		PD               float64  `parquet:"pd"`
		Grade            int32    `parquet:"grade"`
		Score            float64  `parquet:"score"`
		RecommendedLimit *float64 `parquet:"recommended_limit,optional"`
		Reason1          *string  `parquet:"reason_1,optional"`
		Reason2          *string  `parquet:"reason_2,optional"`
		Reason3          *string  `parquet:"reason_3,optional"`
		ModelVersion     string   `parquet:"model_version,dict"`
	}
	limit, reason := 12345.678, "inv_count_3m"
	old := []oldRow{
		{CustomerID: "C1", AsOf: int32(datasets.YMD(2024, 1, 1)), PD: 0.02, Grade: 6, Score: 580, RecommendedLimit: &limit, Reason1: &reason, ModelVersion: "v0001"},
		{CustomerID: "C2", AsOf: int32(datasets.YMD(2024, 1, 1)), PD: 0.5, Grade: 9, Score: 480, ModelVersion: "v0001"},
	}
	path := filepath.Join(t.TempDir(), "old.parquet")
	if err := parquet.WriteFile(path, old); err != nil {
		t.Fatal(err)
	}
	var back []Row
	if err := Read(path, func(r *Row) error { back = append(back, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].RecommendedLimit != limit || !math.IsNaN(back[1].RecommendedLimit) ||
		back[0].Reasons[0] != reason || back[0].ReasonTexts[0] != "" || back[0].Currency != "" {
		t.Errorf("read %+v; want the old rows with limit %v and no currency or texts", back, limit)
	}
	prev, err := ReadPrevious(path)
	if err != nil || prev.Customers() != 2 {
		t.Errorf("ReadPrevious: %d customers, %v; want 2", prev.Customers(), err)
	}
}

func TestCreateRefusesUnknownFormat(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "scores.xlsx")); err == nil {
		t.Error("Create(scores.xlsx): got no error")
	}
}

// TestReadOtherWriters reads files as other tools write them: columns
// reordered or missing, extra columns, whole numbers as floats,
// timestamps for dates; and refuses what cannot be compared.
func TestReadOtherWriters(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		want []Row // nil: an error
	}{
		{
			name: "pandas round trip",
			csv:  "extra,grade,pd,customer_id,as_of\nx,3.0,0.01,C1,2024-06-01 00:00:00\ny,10,1,C2,\n",
			want: []Row{
				{CustomerID: "C1", AsOf: datasets.YMD(2024, 6, 1), PD: 0.01, Grade: 3, Score: math.NaN(), RecommendedLimit: math.NaN()},
				{CustomerID: "C2", AsOf: datasets.NoDate, PD: 1, Grade: 10, Score: math.NaN(), RecommendedLimit: math.NaN()},
			},
		},
		{name: "no pd column", csv: "customer_id,grade\nC1,3\n"},
		{name: "grade outside the scale", csv: "customer_id,pd,grade\nC1,0.5,11\n"},
		{name: "fractional grade", csv: "customer_id,pd,grade\nC1,0.5,2.5\n"},
		{name: "pd above one", csv: "customer_id,pd,grade\nC1,1.5,3\n"},
		{name: "pd not a number", csv: "customer_id,pd,grade\nC1,high,3\n"},
		{name: "no customer", csv: "customer_id,pd,grade\n,0.5,3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "prev.csv")
			if err := os.WriteFile(path, []byte(tt.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			var got []Row
			err := Read(path, func(r *Row) error { got = append(got, *r); return nil })
			switch {
			case tt.want == nil && err == nil:
				t.Errorf("got %d rows and no error; want an error", len(got))
			case tt.want != nil && err != nil:
				t.Errorf("got %v; want %d rows", err, len(tt.want))
			case tt.want != nil && !slices.EqualFunc(got, tt.want, sameRow):
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

// foreignRow is a rescore output as a warehouse may write it back: a
// TIMESTAMP as_of, an INT64 grade, no reasons.
type foreignRow struct {
	AsOf       int64   `parquet:"as_of,timestamp(millisecond)"`
	CustomerID string  `parquet:"customer_id"`
	Grade      int64   `parquet:"grade"`
	PD         float32 `parquet:"pd"`
}

func TestReadParquetFromOtherWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prev.parquet")
	day := datasets.YMD(2024, 6, 1)
	in := []foreignRow{{int64(day) * 86400_000, "C1", 4, 0.25}, {int64(day-400) * 86400_000, "C2", 7, 0.5}}
	if err := parquet.WriteFile(path, in); err != nil {
		t.Fatal(err)
	}
	var got []Row
	if err := Read(path, func(r *Row) error { got = append(got, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{CustomerID: "C1", AsOf: day, PD: 0.25, Grade: 4, Score: math.NaN(), RecommendedLimit: math.NaN()},
		{CustomerID: "C2", AsOf: day - 400, PD: 0.5, Grade: 7, Score: math.NaN(), RecommendedLimit: math.NaN()},
	}
	if !slices.EqualFunc(got, want, sameRow) {
		t.Errorf("got %+v; want %+v", got, want)
	}
}

func ExampleRead() {
	dir, _ := os.MkdirTemp("", "scores")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "scores.csv")
	w, _ := Create(path)
	w.Write([]Row{
		{CustomerID: "C001", AsOf: datasets.YMD(2025, 1, 1), PD: 0.012, Grade: 5, Score: 625.3, RecommendedLimit: 45000,
			Reasons: [Reasons]string{"inv_dbt_wavg_12m", "inv_overdue_share"}, ModelVersion: "v0003"},
		{CustomerID: "C002", AsOf: datasets.YMD(2025, 1, 1), PD: 1, Grade: 10, Score: 487.1, RecommendedLimit: 0, ModelVersion: "v0003"},
	})
	if err := w.Close(); err != nil {
		fmt.Println(err)
	}
	Read(path, func(r *Row) error {
		fmt.Println(r.CustomerID, r.AsOf, r.PD, r.Grade, r.RecommendedLimit, r.Reasons[0])
		return nil
	})
	// Output:
	// C001 2025-01-01 0.012 5 45000 inv_dbt_wavg_12m
	// C002 2025-01-01 1 10 0
}
