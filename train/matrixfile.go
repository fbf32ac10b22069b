package train

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
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
	// sample, when set, makes this a training sample: rows drawn by its
	// rule, with a weight column, and the metadata written on Finish.
	sample *SampleMeta
}

// matrixBatch is the number of rows buffered per Parquet record batch.
const matrixBatch = 16 * 1024

// NewMatrixWriter creates path (.parquet, .csv or .csv.gz) for a matrix
// with the given feature names.
func NewMatrixWriter(path string, names []string) (*MatrixWriter, error) {
	return newMatrixWriter(path, names, nil)
}

// NewSampleWriter creates path, a Parquet file, for the training sample
// meta describes: the labelled observations meta.Rule draws, each with its
// weight in a column after the label, and meta in the file's key-value
// metadata (SampleKey), so that training needs nothing but the file.
// Finish, not Close, completes it.
func NewSampleWriter(path string, meta SampleMeta) (*MatrixWriter, error) {
	if f, err := datasets.FormatOf(path); err != nil || f != datasets.FormatParquet {
		return nil, fmt.Errorf("%s: a training sample is written as Parquet (.parquet), which carries its feature set and sampling rule", path)
	}
	if err := meta.Rule.Validate(); err != nil {
		return nil, err
	}
	meta.Defaults, meta.NonDefaults = 0, 0
	return newMatrixWriter(path, meta.Set.Names(), &meta)
}

func newMatrixWriter(path string, names []string, sample *SampleMeta) (*MatrixWriter, error) {
	format, err := datasets.FormatOf(path)
	if err != nil {
		return nil, err
	}
	w := &MatrixWriter{path: path, sample: sample}
	// As credence rescore does, the output's folder is made when missing.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
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
		if sample != nil {
			fields = append(fields, arrow.Field{Name: "weight", Type: arrow.PrimitiveTypes.Float64})
		}
		for _, n := range names {
			fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
		}
		sc := arrow.NewSchema(fields, nil)
		props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(datasets.RowGroupRows), parquet.WithDictionaryDefault(false),
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
		first := 3
		if w.sample != nil {
			weight := w.sample.Rule.Weight(o)
			if weight == 0 {
				continue
			}
			if o.Label == 1 {
				w.sample.Defaults++
			} else {
				w.sample.NonDefaults++
			}
			w.rb.Field(3).(*array.Float64Builder).Append(weight)
			first = 4
		}
		w.rb.Field(0).(*array.StringBuilder).Append(o.CustomerID)
		w.rb.Field(1).(*array.Date32Builder).Append(arrow.Date32(o.AsOf))
		if o.Status == features.Labelled {
			w.rb.Field(2).(*array.Int8Builder).Append(o.Label)
		} else {
			w.rb.Field(2).AppendNull()
		}
		for j, x := range o.X {
			b := w.rb.Field(first + j).(*array.Float64Builder)
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

// Sample is the metadata of the training sample being written, with the
// rows drawn so far; nil for a matrix.
func (w *MatrixWriter) Sample() *SampleMeta { return w.sample }

// Finish completes a training sample: counts are the observations of
// the book (or of its part) the rows were drawn from, kept in the
// metadata with the rows drawn.
func (w *MatrixWriter) Finish(counts backtest.Counts) error {
	if w.sample == nil {
		w.Abort()
		return fmt.Errorf("%s: not a training sample", w.path)
	}
	if w.done {
		return nil
	}
	w.sample.Counts = counts
	b, err := json.Marshal(w.sample)
	if err == nil {
		err = w.pq.AppendKeyValueMetadata(SampleKey, string(b))
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return w.close()
}

// Close finishes the file and moves it into place.
func (w *MatrixWriter) Close() error {
	if w.sample != nil {
		w.Abort()
		return fmt.Errorf("%s: a training sample is completed by Finish", w.path)
	}
	return w.close()
}

func (w *MatrixWriter) close() error {
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
