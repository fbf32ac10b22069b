package rescore

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

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/atomicfile"
)

// Columns are the output's columns, in order. Their names and types are
// part of Credence's interface: scripts and warehouses read them.
var Columns = []string{"customer_id", "as_of", "pd", "grade", "score", "recommended_limit", "currency",
	"reason_1", "reason_1_text", "reason_2", "reason_2_text", "reason_3", "reason_3_text", "model_version"}

// parquetRow is the Parquet layout of a Row: as_of a DATE, the limit a
// DECIMAL(18,2) amount in the book's currency as the book's own amounts
// are decimals, the limit and the reasons nullable, the currency and
// model version dictionary-encoded (they are the same on every row).
type parquetRow struct {
	CustomerID       string  `parquet:"customer_id"`
	AsOf             int32   `parquet:"as_of,date"`
	PD               float64 `parquet:"pd"`
	Grade            int32   `parquet:"grade"`
	Score            float64 `parquet:"score"`
	RecommendedLimit *int64  `parquet:"recommended_limit,decimal(2:18),optional"`
	Currency         string  `parquet:"currency,dict"`
	Reason1          *string `parquet:"reason_1,optional"`
	Reason1Text      *string `parquet:"reason_1_text,optional"`
	Reason2          *string `parquet:"reason_2,optional"`
	Reason2Text      *string `parquet:"reason_2_text,optional"`
	Reason3          *string `parquet:"reason_3,optional"`
	Reason3Text      *string `parquet:"reason_3_text,optional"`
	ModelVersion     string  `parquet:"model_version,dict"`
}

// maxCents bounds a DECIMAL(18,2) amount in hundredths.
const maxCents = 1e18 - 1

// cents is an amount in hundredths of the currency unit, rounded half
// away from zero, as DECIMAL(18,2) holds it.
func cents(x float64) (int64, error) {
	c := math.Round(x * 100)
	if !(math.Abs(c) <= maxCents) {
		return 0, fmt.Errorf("recommended_limit %v does not fit DECIMAL(18,2)", x)
	}
	return int64(c), nil
}

// rowGroupRows is the number of rows per Parquet row group, as the book's
// own tables: a reader of the output holds one group at a time.
var rowGroupRows int64 = datasets.RowGroupRows

// Writer writes scored rows to a Parquet or CSV file. It writes through
// atomicfile, which moves the file into place on Close, so a failed,
// cancelled or killed run never leaves a file that looks complete. Abort
// discards it.
type Writer struct {
	path string
	f    *atomicfile.File
	buf  *bufio.Writer
	pq   *parquet.GenericWriter[parquetRow]
	pqs  []parquetRow
	gz   *gzip.Writer
	csv  *csv.Writer
	rec  []string
	done bool
}

// Create starts writing path; its extension picks the format: .parquet,
// .csv or .csv.gz.
func Create(path string) (*Writer, error) { return create(path, atomicfile.Create) }

// CreateIn starts writing path as a file of group g: Close finishes it,
// and it appears with the group's other files on g.Commit.
func CreateIn(g *atomicfile.Group, path string) (*Writer, error) { return create(path, g.Create) }

func create(path string, createFile func(string) (*atomicfile.File, error)) (*Writer, error) {
	format, err := datasets.FormatOf(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	f, err := createFile(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{path: path, f: f, buf: bufio.NewWriterSize(f, 1<<20)}
	switch format {
	case datasets.FormatParquet:
		w.pq = parquet.NewGenericWriter[parquetRow](w.buf,
			parquet.MaxRowsPerRowGroup(rowGroupRows),
			parquet.Compression(&snappy.Codec{}),
			parquet.CreatedBy("credence", "", ""))
	default:
		var out io.Writer = w.buf
		if format == datasets.FormatCSVGzip {
			w.gz = gzip.NewWriter(w.buf)
			out = w.gz
		}
		w.csv = csv.NewWriter(out)
		if err := w.csv.Write(Columns); err != nil {
			w.Abort()
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	return w, nil
}

// Path is the file Close moves the rows to.
func (w *Writer) Path() string { return w.path }

// Write appends rows.
func (w *Writer) Write(rows []Row) error {
	if w.done {
		return fmt.Errorf("write %s: writer closed", w.path)
	}
	var err error
	if w.pq != nil {
		err = w.writeParquet(rows)
	} else {
		err = w.writeCSV(rows)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return nil
}

func (w *Writer) writeParquet(rows []Row) error {
	w.pqs = w.pqs[:0]
	limits := make([]int64, len(rows))
	for i := range rows {
		r := &rows[i]
		p := parquetRow{CustomerID: r.CustomerID, AsOf: int32(r.AsOf), PD: r.PD, Grade: int32(r.Grade),
			Score: r.Score, Currency: r.Currency, ModelVersion: r.ModelVersion}
		if !math.IsNaN(r.RecommendedLimit) {
			c, err := cents(r.RecommendedLimit)
			if err != nil {
				return fmt.Errorf("customer %s: %w", r.CustomerID, err)
			}
			limits[i] = c
			p.RecommendedLimit = &limits[i]
		}
		for k, dst := range [][2]**string{{&p.Reason1, &p.Reason1Text}, {&p.Reason2, &p.Reason2Text}, {&p.Reason3, &p.Reason3Text}} {
			if r.Reasons[k] != "" {
				*dst[0], *dst[1] = &r.Reasons[k], &r.ReasonTexts[k]
			}
		}
		w.pqs = append(w.pqs, p)
	}
	_, err := w.pq.Write(w.pqs)
	clear(w.pqs) // drop the pointers into rows
	return err
}

func (w *Writer) writeCSV(rows []Row) error {
	for i := range rows {
		r := &rows[i]
		lim := ""
		if !math.IsNaN(r.RecommendedLimit) {
			c, err := cents(r.RecommendedLimit)
			if err != nil {
				return fmt.Errorf("customer %s: %w", r.CustomerID, err)
			}
			lim = strconv.FormatFloat(float64(c)/100, 'f', 2, 64)
		}
		w.rec = append(w.rec[:0], r.CustomerID, r.AsOf.String(), formatFloat(r.PD), strconv.Itoa(r.Grade),
			formatFloat(r.Score), lim, r.Currency, r.Reasons[0], r.ReasonTexts[0], r.Reasons[1], r.ReasonTexts[1],
			r.Reasons[2], r.ReasonTexts[2], r.ModelVersion)
		if err := w.csv.Write(w.rec); err != nil {
			return err
		}
	}
	return nil
}

// formatFloat writes x with the fewest digits that read back to the same
// float64.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Close finishes the file, syncs it and renames it into place.
func (w *Writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	var err error
	if w.pq != nil {
		err = w.pq.Close()
	} else {
		w.csv.Flush()
		err = w.csv.Error()
		if w.gz != nil {
			err = errors.Join(err, w.gz.Close())
		}
	}
	if err = errors.Join(err, w.buf.Flush()); err != nil {
		w.f.Abort()
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return w.f.Commit()
}

// Abort discards what was written.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Abort()
}
