package datasets

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pq "github.com/parquet-go/parquet-go"
)

// benchInvoices are n invoices of n/20 customers, sorted as a book is.
func benchInvoices(n int) []Invoice {
	rng := rand.New(rand.NewPCG(7, 7))
	invs := make([]Invoice, n)
	for i := range invs {
		issue := YMD(2023, 1, 1) + Date(rng.IntN(720))
		paid, paidAmt := NoDate, NoAmount
		if rng.IntN(10) > 0 {
			paid = issue + Date(20+rng.IntN(60))
		}
		invs[i] = Invoice{CustomerID: fmt.Sprintf("C%08d", i/20), InvoiceID: fmt.Sprintf("INV-%06d", i%20),
			IssueDate: issue, DueDate: issue + 30, Amount: Amount(1 + rng.IntN(1e9)), PaidDate: paid, PaidAmount: paidAmt,
			Disputed: rng.IntN(50) == 0}
	}
	return invs
}

var benchFile = struct {
	once sync.Once
	dir  string
	rows int
	err  error
}{rows: 1_000_000}

// invoiceBook writes (once per process) a book of one invoices.parquet.
func invoiceBook(b *testing.B) string {
	benchFile.once.Do(func() {
		benchFile.dir, benchFile.err = os.MkdirTemp("", "credence-bench-")
		if benchFile.err != nil {
			return
		}
		w, err := NewInvoiceWriter(filepath.Join(benchFile.dir, "invoices.parquet"))
		if err != nil {
			benchFile.err = err
			return
		}
		if err := w.Write(benchInvoices(benchFile.rows)); err != nil {
			benchFile.err = err
			return
		}
		benchFile.err = w.Close()
	})
	if benchFile.err != nil {
		b.Fatal(benchFile.err)
	}
	return benchFile.dir
}

// peakHeap samples the live heap while fn runs and returns its maximum.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak
}

func reportRows(b *testing.B, rows int, peak uint64) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkReadInvoices streams 1M invoices: through the book reader
// (Arrow underneath, every column decoded and validated, histories
// assembled), and, for comparison, parquet-go's row reader into structs.
func BenchmarkReadInvoices(b *testing.B) {
	dir := invoiceBook(b)
	b.Run("histories-arrow", func(b *testing.B) {
		b.ReportAllocs()
		var peak uint64
		for b.Loop() {
			peak = max(peak, peakHeap(func() {
				book, err := Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				r := book.Histories(context.Background())
				n := 0
				for {
					h, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n += len(h.Invoices)
				}
				r.Close()
				if n != benchFile.rows {
					b.Fatalf("read %d rows; want %d", n, benchFile.rows)
				}
			}))
		}
		reportRows(b, benchFile.rows, peak)
	})
	// order-check is what Open adds to find whether a table is sorted:
	// the customer_id column read alone.
	b.Run("order-check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e, err := disorder(context.Background(), []string{filepath.Join(dir, "invoices.parquet")})
			if err != nil || e != nil {
				b.Fatalf("disorder = %v, %v; want a sorted table", e, err)
			}
		}
		reportRows(b, benchFile.rows, 0)
	})
	b.Run("rows-parquet-go", func(b *testing.B) {
		b.ReportAllocs()
		var peak uint64
		for b.Loop() {
			peak = max(peak, peakHeap(func() {
				f, err := os.Open(filepath.Join(dir, "invoices.parquet"))
				if err != nil {
					b.Fatal(err)
				}
				r := pq.NewGenericReader[invoiceRow[string]](f)
				buf := make([]invoiceRow[string], 16*1024)
				n := 0
				for {
					k, err := r.Read(buf)
					n += k
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				r.Close()
				f.Close()
				if n != benchFile.rows {
					b.Fatalf("read %d rows; want %d", n, benchFile.rows)
				}
			}))
		}
		reportRows(b, benchFile.rows, peak)
	})
}

// BenchmarkWriteInvoices writes 1M invoices with parquet-go (what Credence
// uses) and with Arrow's writer, same codec and row-group size.
func BenchmarkWriteInvoices(b *testing.B) {
	invs := benchInvoices(1_000_000)
	dir := b.TempDir()
	b.Run("parquet-go", func(b *testing.B) {
		b.ReportAllocs()
		var peak uint64
		for b.Loop() {
			peak = max(peak, peakHeap(func() {
				w, err := NewInvoiceWriter(filepath.Join(dir, "a.parquet"))
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < len(invs); i += 16 * 1024 {
					if err := w.Write(invs[i:min(i+16*1024, len(invs))]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}))
		}
		reportRows(b, len(invs), peak)
	})
	b.Run("arrow", func(b *testing.B) {
		b.ReportAllocs()
		var peak uint64
		for b.Loop() {
			peak = max(peak, peakHeap(func() { writeInvoicesArrow(b, filepath.Join(dir, "b.parquet"), invs) }))
		}
		reportRows(b, len(invs), peak)
	})
}

func writeInvoicesArrow(b *testing.B, path string, invs []Invoice) {
	dec := &arrow.Decimal128Type{Precision: 18, Scale: 4}
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "invoice_id", Type: arrow.BinaryTypes.String},
		{Name: "issue_date", Type: arrow.FixedWidthTypes.Date32},
		{Name: "due_date", Type: arrow.FixedWidthTypes.Date32},
		{Name: "amount", Type: dec},
		{Name: "paid_date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "paid_amount", Type: dec, Nullable: true},
		{Name: "currency", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "disputed", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(RowGroupRows),
		parquet.WithCompression(compress.Codecs.Snappy)), pqarrow.DefaultWriterProps())
	if err != nil {
		b.Fatal(err)
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	for i := 0; i < len(invs); i += 16 * 1024 {
		for _, r := range invs[i:min(i+16*1024, len(invs))] {
			rb.Field(0).(*array.StringBuilder).Append(r.CustomerID)
			rb.Field(1).(*array.StringBuilder).Append(r.InvoiceID)
			rb.Field(2).(*array.Date32Builder).Append(arrow.Date32(r.IssueDate))
			rb.Field(3).(*array.Date32Builder).Append(arrow.Date32(r.DueDate))
			rb.Field(4).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(r.Amount)))
			if r.PaidDate == NoDate {
				rb.Field(5).AppendNull()
			} else {
				rb.Field(5).(*array.Date32Builder).Append(arrow.Date32(r.PaidDate))
			}
			rb.Field(6).AppendNull()
			rb.Field(7).AppendNull()
			rb.Field(8).(*array.BooleanBuilder).Append(r.Disputed)
		}
		rec := rb.NewRecordBatch()
		if err := w.WriteBuffered(rec); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
