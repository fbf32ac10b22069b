package datasets

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// writeArrow writes one record as Parquet the way Arrow-based tools
// (pandas through pyarrow, DuckDB, Spark) lay it out.
func writeArrow(t *testing.T, path string, fields []arrow.Field, build func(b *array.RecordBuilder)) {
	t.Helper()
	sc := arrow.NewSchema(fields, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	build(rb)
	rec := rb.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(2)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReadsForeignParquetTypes reads dates as TIMESTAMP (each unit, with and
// without a zone), DATE and ISO strings, and amounts as DECIMAL of several
// scales, INT64 and DOUBLE, as other tools write them.
func TestReadsForeignParquetTypes(t *testing.T) {
	want := []Invoice{
		{"1", "10", YMD(2024, 1, 3), YMD(2024, 2, 2), 1234500, YMD(2024, 2, 5), 1234500, "", false},
		{"1", "11", YMD(2024, 1, 4), YMD(2024, 2, 3), 10000, NoDate, NoAmount, "", true},
		{"2", "12", YMD(1969, 12, 31), YMD(2024, 2, 4), 700, YMD(2024, 2, 6), 500, "", false},
	}
	type variant struct {
		name                      string
		idType, issueType, amount arrow.DataType
		dueType                   arrow.DataType
	}
	ns := &arrow.TimestampType{Unit: arrow.Nanosecond}
	usUTC := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	ms := &arrow.TimestampType{Unit: arrow.Millisecond}
	variants := []variant{
		{"pandas", arrow.PrimitiveTypes.Int64, ns, arrow.PrimitiveTypes.Float64, ns},
		{"spark", arrow.BinaryTypes.String, usUTC, &arrow.Decimal128Type{Precision: 38, Scale: 9}, arrow.FixedWidthTypes.Date32},
		{"duckdb", arrow.BinaryTypes.LargeString, ms, &arrow.Decimal128Type{Precision: 10, Scale: 2}, arrow.BinaryTypes.String},
		{"integers", arrow.BinaryTypes.String, arrow.FixedWidthTypes.Date32, arrow.PrimitiveTypes.Int64, arrow.FixedWidthTypes.Date32},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			rows := want
			if v.amount.ID() == arrow.INT64 {
				// Integer amounts carry whole units only.
				rows = []Invoice{{"1", "10", YMD(2024, 1, 3), YMD(2024, 2, 2), 1230000, YMD(2024, 2, 5), 1230000, "", false}}
			}
			dir := t.TempDir()
			fields := []arrow.Field{
				{Name: "customer_id", Type: v.idType},
				{Name: "invoice_id", Type: arrow.BinaryTypes.String},
				{Name: "issue_date", Type: v.issueType},
				{Name: "due_date", Type: v.dueType},
				{Name: "amount", Type: v.amount},
				{Name: "paid_date", Type: v.issueType, Nullable: true},
				{Name: "paid_amount", Type: v.amount, Nullable: true},
				{Name: "disputed", Type: arrow.FixedWidthTypes.Boolean},
				{Name: "ignored_extra", Type: arrow.PrimitiveTypes.Float64},
			}
			writeArrow(t, filepath.Join(dir, "invoices.parquet"), fields, func(rb *array.RecordBuilder) {
				for _, r := range rows {
					appendAny(t, rb.Field(0), r.CustomerID)
					rb.Field(1).(*array.StringBuilder).Append(r.InvoiceID)
					appendDate(rb.Field(2), r.IssueDate)
					appendDate(rb.Field(3), r.DueDate)
					appendAmount(rb.Field(4), r.Amount)
					appendDate(rb.Field(5), r.PaidDate)
					appendAmount(rb.Field(6), r.PaidAmount)
					rb.Field(7).(*array.BooleanBuilder).Append(r.Disputed)
					rb.Field(8).(*array.Float64Builder).Append(1)
				}
			})
			b, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			hs, err := b.ReadAll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []Invoice
			for _, h := range hs {
				got = append(got, h.Invoices...)
			}
			if len(got) != len(rows) {
				t.Fatalf("read %d invoices; want %d", len(got), len(rows))
			}
			for i := range rows {
				if got[i] != rows[i] {
					t.Errorf("row %d = %+v; want %+v", i+1, got[i], rows[i])
				}
			}
		})
	}
}

func appendAny(t *testing.T, b array.Builder, s string) {
	switch b := b.(type) {
	case *array.Int64Builder:
		var v int64
		for _, c := range s {
			v = v*10 + int64(c-'0')
		}
		b.Append(v)
	case *array.StringBuilder:
		b.Append(s)
	case *array.LargeStringBuilder:
		b.Append(s)
	default:
		t.Fatalf("no string for %T", b)
	}
}

func appendDate(b array.Builder, d Date) {
	if d == NoDate {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.Date32Builder:
		b.Append(arrow.Date32(d))
	case *array.StringBuilder:
		b.Append(d.String())
	case *array.TimestampBuilder:
		// A time of day must not move the date.
		secs := int64(d)*86400 + 13*3600
		ticks := secs * ticksPerSecond(b.Type().(*arrow.TimestampType).Unit)
		b.Append(arrow.Timestamp(ticks))
	}
}

func appendAmount(b array.Builder, a Amount) {
	if a == NoAmount {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.Float64Builder:
		b.Append(a.Float())
	case *array.Int64Builder:
		b.Append(int64(a) / AmountScale)
	case *array.Decimal128Builder:
		scale := b.Type().(*arrow.Decimal128Type).Scale
		v := decimal128.FromI64(int64(a))
		for s := int32(AmountDecimals); s < scale; s++ {
			v = v.Mul(decimal128.FromI64(10))
		}
		for s := scale; s < AmountDecimals; s++ {
			v, _ = v.Div(decimal128.FromI64(10))
		}
		b.Append(v)
	}
}
