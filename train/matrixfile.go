package train

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/atomicfile"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
)

// MatrixWriter writes observations as a flat table: customer_id, as_of,
// label, then one column per feature in the feature set's order. Parquet
// keeps that order (Arrow's writer) and writes NaN as null; CSV writes it
// as an empty cell. Like every Credence writer it writes through
// atomicfile: the file appears on Close, complete, or not at all.
type MatrixWriter struct {
	path string
	f    *atomicfile.File
	buf  *bufio.Writer
	gz   *gzip.Writer
	csv  *csv.Writer
	rec  []string
	pq   *pqarrow.FileWriter
	rb   *array.RecordBuilder
	rows int
	done bool
}

// matrixBatch is the number of rows buffered per Parquet record batch.
const matrixBatch = 16 * 1024

// NewMatrixWriter creates path (.parquet, .csv or .csv.gz) for a matrix
// with the given feature names.
func NewMatrixWriter(path string, names []string) (*MatrixWriter, error) {
	format, err := datasets.FormatOf(path)
	if err != nil {
		return nil, err
	}
	w := &MatrixWriter{path: path}
	if w.f, err = atomicfile.Create(path); err != nil {
		return nil, err
	}
	w.buf = bufio.NewWriterSize(w.f, 1<<20)
	if format == datasets.FormatParquet {
		fields := []arrow.Field{
			{Name: "customer_id", Type: arrow.BinaryTypes.String},
			{Name: "as_of", Type: arrow.FixedWidthTypes.Date32},
			{Name: "label", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		}
		for _, n := range names {
			fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
		}
		sc := arrow.NewSchema(fields, nil)
		props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(datasets.RowGroupRows),
			parquet.WithCompression(compress.Codecs.Snappy), parquet.WithCreatedBy("credence"))
		if w.pq, err = pqarrow.NewFileWriter(sc, w.buf, props, pqarrow.DefaultWriterProps()); err != nil {
			w.Abort()
			return nil, err
		}
		w.rb = array.NewRecordBuilder(memory.DefaultAllocator, sc)
		return w, nil
	}
	var out io.Writer = w.buf
	if format == datasets.FormatCSVGzip {
		w.gz = gzip.NewWriter(w.buf)
		out = w.gz
	}
	w.csv = csv.NewWriter(out)
	header := append([]string{"customer_id", "as_of", "label"}, names...)
	if err := w.csv.Write(header); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// Write appends observations; unlabelled ones get a null label.
func (w *MatrixWriter) Write(obs []backtest.Observation) error {
	for i := range obs {
		o := &obs[i]
		if w.csv != nil {
			w.rec = append(w.rec[:0], o.CustomerID, o.AsOf.String(), "")
			if o.Status == features.Labelled {
				w.rec[2] = strconv.Itoa(int(o.Label))
			}
			for _, x := range o.X {
				if math.IsNaN(x) {
					w.rec = append(w.rec, "")
				} else {
					w.rec = append(w.rec, strconv.FormatFloat(x, 'g', -1, 64))
				}
			}
			if err := w.csv.Write(w.rec); err != nil {
				return fmt.Errorf("write %s: %w", w.path, err)
			}
			continue
		}
		w.rb.Field(0).(*array.StringBuilder).Append(o.CustomerID)
		w.rb.Field(1).(*array.Date32Builder).Append(arrow.Date32(o.AsOf))
		if o.Status == features.Labelled {
			w.rb.Field(2).(*array.Int8Builder).Append(o.Label)
		} else {
			w.rb.Field(2).AppendNull()
		}
		for j, x := range o.X {
			b := w.rb.Field(3 + j).(*array.Float64Builder)
			if math.IsNaN(x) {
				b.AppendNull()
			} else {
				b.Append(x)
			}
		}
		w.rows++
		if w.rows == matrixBatch {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *MatrixWriter) flush() error {
	if w.rows == 0 {
		return nil
	}
	rec := w.rb.NewRecordBatch()
	defer rec.Release()
	w.rows = 0
	if err := w.pq.WriteBuffered(rec); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return nil
}

// Close finishes the file and moves it into place.
func (w *MatrixWriter) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	var err error
	if w.pq != nil {
		err = errors.Join(w.flush(), w.pq.Close())
		w.rb.Release()
	} else {
		w.csv.Flush()
		err = w.csv.Error()
		if w.gz != nil {
			err = errors.Join(err, w.gz.Close())
		}
		err = errors.Join(err, w.buf.Flush())
	}
	if w.pq != nil {
		// pqarrow's Close closes the sink only when it is an io.Closer; the
		// bufio.Writer is not, so flush it here.
		err = errors.Join(err, w.buf.Flush())
	}
	if err != nil {
		w.f.Abort()
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return w.f.Commit()
}

// Abort discards the file being written.
func (w *MatrixWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.rb != nil {
		w.rb.Release()
	}
	w.f.Abort()
}
