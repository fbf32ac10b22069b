package datasets

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"

	"github.com/credence-risk/credence/datasets/atomicfile"
)

// RowGroupRows is the number of rows per Parquet row group that Credence
// writes: large enough for efficient column chunks, small enough that a
// streaming reader holds only a few MiB of one table at a time.
const RowGroupRows = 64 * 1024

// Writer writes one table file. The file is written through atomicfile
// and moved into place by Close, so a failed or interrupted write never
// leaves a file that looks complete. Call Abort to discard it.
type Writer[T any] struct {
	path      string
	f         *atomicfile.File
	buf       *bufio.Writer
	gz        *gzip.Writer
	csv       *csv.Writer
	csvRow    func(*T, []string) []string
	record    []string
	pqRows    func([]T) error // tables with a dynamic schema
	pqFlush   func() error    // ends the current row group
	closeFunc func() error
	done      bool
}

// Format is how a table file is encoded, derived from its name.
type Format int

const (
	FormatParquet Format = iota
	FormatCSV
	FormatCSVGzip
)

// FormatOf returns the format of a table file by its extension.
func FormatOf(path string) (Format, error) {
	switch {
	case strings.HasSuffix(path, ".parquet"):
		return FormatParquet, nil
	case strings.HasSuffix(path, ".csv.gz"):
		return FormatCSVGzip, nil
	case strings.HasSuffix(path, ".csv"):
		return FormatCSV, nil
	}
	return 0, fmt.Errorf("%s: unknown table format (want .parquet, .csv or .csv.gz)", path)
}

func newWriter[T any](path string, header []string, csvRow func(*T, []string) []string) (*Writer[T], error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	w := &Writer[T]{path: path, csvRow: csvRow}
	w.f, err = atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	w.buf = bufio.NewWriterSize(w.f, 1<<20)
	if format == FormatParquet {
		return w, nil
	}
	var out io.Writer = w.buf
	if format == FormatCSVGzip {
		w.gz = gzip.NewWriter(w.buf)
		out = w.gz
	}
	w.csv = csv.NewWriter(out)
	if err := w.csv.Write(header); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

func parquetOptions() []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.MaxRowsPerRowGroup(RowGroupRows),
		parquet.Compression(&snappy.Codec{}),
		parquet.CreatedBy("credence", "", ""),
		// Page statistics hold whole values in each page header, which
		// Arrow's reader refuses past 4 MiB (one long note would make a
		// valid file unreadable); the footer keeps column statistics.
		parquet.DataPageStatistics(false),
	}
}

// Write appends rows.
func (w *Writer[T]) Write(rows []T) error {
	if w.done {
		return fmt.Errorf("%s: write after close", w.path)
	}
	switch {
	case w.pqRows != nil:
		if err := w.pqRows(rows); err != nil {
			return fmt.Errorf("write %s: %w", w.path, err)
		}
	default:
		for i := range rows {
			w.record = w.csvRow(&rows[i], w.record[:0])
			if err := w.csv.Write(w.record); err != nil {
				return fmt.Errorf("write %s: %w", w.path, err)
			}
		}
	}
	return nil
}

// EndRowGroup ends the current Parquet row group, so that the rows
// written next start a new one (Credence's readers can then skip the
// groups outside a range of customers); a no-op for CSV. Row groups end
// by themselves every RowGroupRows rows.
func (w *Writer[T]) EndRowGroup() error {
	if w.pqFlush == nil || w.done {
		return nil
	}
	if err := w.pqFlush(); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return nil
}

// Close finishes the file and moves it into place.
func (w *Writer[T]) Close() error {
	if w.done {
		return nil
	}
	err := w.finish()
	w.done = true
	if err != nil {
		w.f.Abort()
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return w.f.Commit()
}

func (w *Writer[T]) finish() error {
	var err error
	switch {
	case w.closeFunc != nil:
		err = w.closeFunc()
	default:
		w.csv.Flush()
		err = w.csv.Error()
		if w.gz != nil {
			err = errors.Join(err, w.gz.Close())
		}
	}
	return errors.Join(err, w.buf.Flush())
}

// Abort discards the file being written.
func (w *Writer[T]) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Abort()
}

// Parquet row layouts. Dates are DATE, amounts DECIMAL(18,4): exact, and
// read by pandas, Spark and DuckDB alike.
type invoiceRow[ID string | int64] struct {
	CustomerID ID      `parquet:"customer_id"`
	InvoiceID  string  `parquet:"invoice_id"`
	IssueDate  int32   `parquet:"issue_date,date"`
	DueDate    int32   `parquet:"due_date,date"`
	Amount     int64   `parquet:"amount,decimal(4:18)"`
	PaidDate   *int32  `parquet:"paid_date,date,optional"`
	PaidAmount *int64  `parquet:"paid_amount,decimal(4:18),optional"`
	Currency   *string `parquet:"currency,optional"`
	Disputed   bool    `parquet:"disputed"`
}

type statementRow[ID string | int64] struct {
	CustomerID  ID      `parquet:"customer_id"`
	PeriodEnd   int32   `parquet:"period_end,date"`
	DaysPastDue *int32  `parquet:"days_past_due,optional"`
	Status      *string `parquet:"status,optional"`
	Balance     *int64  `parquet:"balance,decimal(4:18),optional"`
	CreditLimit *int64  `parquet:"credit_limit,decimal(4:18),optional"`
	Payment     *int64  `parquet:"payment,decimal(4:18),optional"`
}

type defaultRow[ID string | int64] struct {
	CustomerID  ID      `parquet:"customer_id"`
	DefaultDate int32   `parquet:"default_date,date"`
	Reason      *string `parquet:"reason,optional"`
}

type observationRow[ID string | int64] struct {
	CustomerID ID    `parquet:"customer_id"`
	AsOf       int32 `parquet:"as_of,date"`
}

func optDate(d Date) *int32 {
	if d == NoDate {
		return nil
	}
	v := int32(d)
	return &v
}

func optAmount(a Amount) *int64 {
	if a == NoAmount {
		return nil
	}
	v := int64(a)
	return &v
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// writerOptions change how a table is written. integerIDs writes
// customer_id as a Parquet INT64 column, as the book's source stored it
// (book sort keeps the id type); every id must then be an integer.
type writerOptions struct{ integerIDs bool }

// parseIntegerID reads a customer_id written as an integer.
func parseIntegerID(id string) (int64, error) {
	v, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("customer_id %q is not an integer, and the table keeps integer ids", id)
	}
	return v, nil
}

// fixedWriter adapts a parquet GenericWriter of row type R to a Writer of T.
func fixedWriter[T, R any](w *Writer[T], conv func(*T) (R, error)) {
	pw := parquet.NewGenericWriter[R](w.buf, parquetOptions()...)
	var rows []R
	w.pqRows = func(in []T) error {
		rows = rows[:0]
		for i := range in {
			r, err := conv(&in[i])
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
		_, err := pw.Write(rows)
		return err
	}
	w.pqFlush = pw.Flush
	w.closeFunc = pw.Close
}

// fixedWriterIDs is fixedWriter with the customer_id column as text, or
// as INT64 when o asks for integer ids.
func fixedWriterIDs[T, RS, RI any](w *Writer[T], o writerOptions, id func(*T) string, text func(*T) RS, integer func(*T, int64) RI) {
	if !o.integerIDs {
		fixedWriter(w, func(r *T) (RS, error) { return text(r), nil })
		return
	}
	fixedWriter(w, func(r *T) (RI, error) {
		v, err := parseIntegerID(id(r))
		return integer(r, v), err
	})
}

// InvoiceColumns is the header of an invoices table as Credence writes it.
var InvoiceColumns = []string{"customer_id", "invoice_id", "issue_date", "due_date", "amount", "paid_date", "paid_amount", "currency", "disputed"}

// NewInvoiceWriter writes an invoices table to path (.parquet, .csv or .csv.gz).
func NewInvoiceWriter(path string) (*Writer[Invoice], error) {
	return newInvoiceWriter(path, writerOptions{})
}

func newInvoiceWriter(path string, o writerOptions) (*Writer[Invoice], error) {
	w, err := newWriter(path, InvoiceColumns, func(r *Invoice, rec []string) []string {
		return append(rec, r.CustomerID, r.InvoiceID, r.IssueDate.String(), r.DueDate.String(),
			r.Amount.String(), r.PaidDate.String(), r.PaidAmount.String(), r.Currency, strconv.FormatBool(r.Disputed))
	})
	if err != nil || w.csv != nil {
		return w, err
	}
	fixedWriterIDs(w, o, func(r *Invoice) string { return r.CustomerID },
		func(r *Invoice) invoiceRow[string] { return invoiceRowOf(r, r.CustomerID) },
		func(r *Invoice, id int64) invoiceRow[int64] { return invoiceRowOf(r, id) })
	return w, nil
}

func invoiceRowOf[ID string | int64](r *Invoice, id ID) invoiceRow[ID] {
	return invoiceRow[ID]{id, r.InvoiceID, int32(r.IssueDate), int32(r.DueDate), int64(r.Amount),
		optDate(r.PaidDate), optAmount(r.PaidAmount), optString(r.Currency), r.Disputed}
}

// StatementColumns is the header of a statements table as Credence writes it.
var StatementColumns = []string{"customer_id", "period_end", "days_past_due", "status", "balance", "credit_limit", "payment"}

// NewStatementWriter writes a statements table.
func NewStatementWriter(path string) (*Writer[Statement], error) {
	return newStatementWriter(path, writerOptions{})
}

func newStatementWriter(path string, o writerOptions) (*Writer[Statement], error) {
	w, err := newWriter(path, StatementColumns, func(r *Statement, rec []string) []string {
		dpd := ""
		if r.DaysPastDue != UnknownDaysPastDue {
			dpd = strconv.Itoa(int(r.DaysPastDue))
		}
		return append(rec, r.CustomerID, r.PeriodEnd.String(), dpd, r.Status,
			r.Balance.String(), r.CreditLimit.String(), r.Payment.String())
	})
	if err != nil || w.csv != nil {
		return w, err
	}
	fixedWriterIDs(w, o, func(r *Statement) string { return r.CustomerID },
		func(r *Statement) statementRow[string] { return statementRowOf(r, r.CustomerID) },
		func(r *Statement, id int64) statementRow[int64] { return statementRowOf(r, id) })
	return w, nil
}

func statementRowOf[ID string | int64](r *Statement, id ID) statementRow[ID] {
	var dpd *int32
	if r.DaysPastDue != UnknownDaysPastDue {
		v := r.DaysPastDue
		dpd = &v
	}
	return statementRow[ID]{id, int32(r.PeriodEnd), dpd, optString(r.Status),
		optAmount(r.Balance), optAmount(r.CreditLimit), optAmount(r.Payment)}
}

// NewDefaultWriter writes a defaults table.
func NewDefaultWriter(path string) (*Writer[Default], error) {
	return newDefaultWriter(path, writerOptions{})
}

func newDefaultWriter(path string, o writerOptions) (*Writer[Default], error) {
	w, err := newWriter(path, []string{"customer_id", "default_date", "reason"}, func(r *Default, rec []string) []string {
		return append(rec, r.CustomerID, r.DefaultDate.String(), r.Reason)
	})
	if err != nil || w.csv != nil {
		return w, err
	}
	fixedWriterIDs(w, o, func(r *Default) string { return r.CustomerID },
		func(r *Default) defaultRow[string] {
			return defaultRow[string]{r.CustomerID, int32(r.DefaultDate), optString(r.Reason)}
		},
		func(r *Default, id int64) defaultRow[int64] {
			return defaultRow[int64]{id, int32(r.DefaultDate), optString(r.Reason)}
		})
	return w, nil
}

// NewObservationWriter writes an observations table.
func NewObservationWriter(path string) (*Writer[Observation], error) {
	return newObservationWriter(path, writerOptions{})
}

func newObservationWriter(path string, o writerOptions) (*Writer[Observation], error) {
	w, err := newWriter(path, []string{"customer_id", "as_of"}, func(r *Observation, rec []string) []string {
		return append(rec, r.CustomerID, r.AsOf.String())
	})
	if err != nil || w.csv != nil {
		return w, err
	}
	fixedWriterIDs(w, o, func(r *Observation) string { return r.CustomerID },
		func(r *Observation) observationRow[string] {
			return observationRow[string]{r.CustomerID, int32(r.AsOf)}
		},
		func(r *Observation, id int64) observationRow[int64] { return observationRow[int64]{id, int32(r.AsOf)} })
	return w, nil
}

// NewCustomerWriter writes a customers table with the attribute columns of
// schema: numeric ones as DOUBLE, categorical ones as STRING, both nullable.
func NewCustomerWriter(path string, schema CustomerSchema) (*Writer[Customer], error) {
	return newCustomerWriter(path, schema, writerOptions{})
}

func newCustomerWriter(path string, schema CustomerSchema, o writerOptions) (*Writer[Customer], error) {
	header := append([]string{"customer_id"}, schema.Numeric...)
	header = append(header, schema.Categorical...)
	w, err := newWriter(path, header, func(r *Customer, rec []string) []string {
		rec = append(rec, r.CustomerID)
		for _, v := range r.Numeric {
			if math.IsNaN(v) {
				rec = append(rec, "")
			} else {
				rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		return append(rec, r.Categorical...)
	})
	if err != nil || w.csv != nil {
		return w, err
	}
	group := parquet.Group{"customer_id": parquet.String()}
	if o.integerIDs {
		group["customer_id"] = parquet.Int(64)
	}
	for _, n := range schema.Numeric {
		group[n] = parquet.Optional(parquet.Leaf(parquet.DoubleType))
	}
	for _, n := range schema.Categorical {
		group[n] = parquet.Optional(parquet.String())
	}
	pqSchema := parquet.NewSchema("customers", group)
	// parquet.Group orders its columns by name; map each to its leaf index.
	index := map[string]int{}
	for i, path := range pqSchema.Columns() {
		index[path[0]] = i
	}
	idCol := index["customer_id"]
	numCols := make([]int, len(schema.Numeric))
	for i, n := range schema.Numeric {
		numCols[i] = index[n]
	}
	catCols := make([]int, len(schema.Categorical))
	for i, n := range schema.Categorical {
		catCols[i] = index[n]
	}
	pw := parquet.NewWriter(w.buf, append(parquetOptions(), pqSchema)...)
	width := len(header)
	var rows []parquet.Row
	w.pqRows = func(in []Customer) error {
		rows = rows[:0]
		for i := range in {
			c := &in[i]
			if len(c.Numeric) != len(numCols) || len(c.Categorical) != len(catCols) {
				return fmt.Errorf("customer %s: %d numeric and %d categorical attributes; schema has %d and %d",
					c.CustomerID, len(c.Numeric), len(c.Categorical), len(numCols), len(catCols))
			}
			row := make(parquet.Row, width)
			if o.integerIDs {
				id, err := parseIntegerID(c.CustomerID)
				if err != nil {
					return err
				}
				row[idCol] = parquet.Int64Value(id).Level(0, 0, idCol)
			} else {
				row[idCol] = parquet.ByteArrayValue([]byte(c.CustomerID)).Level(0, 0, idCol)
			}
			for j, v := range c.Numeric {
				if math.IsNaN(v) {
					row[numCols[j]] = parquet.NullValue().Level(0, 0, numCols[j])
				} else {
					row[numCols[j]] = parquet.DoubleValue(v).Level(0, 1, numCols[j])
				}
			}
			for j, v := range c.Categorical {
				if v == "" {
					row[catCols[j]] = parquet.NullValue().Level(0, 0, catCols[j])
				} else {
					row[catCols[j]] = parquet.ByteArrayValue([]byte(v)).Level(0, 1, catCols[j])
				}
			}
			rows = append(rows, row)
		}
		_, err := pw.WriteRows(rows)
		return err
	}
	w.pqFlush = pw.Flush
	w.closeFunc = pw.Close
	return w, nil
}
