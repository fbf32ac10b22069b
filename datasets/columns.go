package datasets

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// batchRows is how many rows a source hands out at a time.
const batchRows = 16 * 1024

// column reads one column of a batch as whichever kind the table needs,
// converting from the representations pandas, Spark and DuckDB write.
type column interface {
	Null(i int) bool
	String(i int) (string, error)
	Date(i int) (Date, error)
	// TimeOfDay reports whether a date value carried a UTC time other
	// than midnight (and so may sit a day off; see errTimeOfDay).
	TimeOfDay(i int) bool
	Amount(i int) (Amount, error)
	Int(i int) (int64, error)
	Float(i int) (float64, error)
	Bool(i int) (bool, error)
}

// batch is a run of rows of one file; cols[j] is nil when the file lacks
// the j-th requested column.
type batch struct {
	n    int
	cols []column
}

// source reads batches of the requested columns from one table file.
type source interface {
	// Next returns the next batch; io.EOF at the end.
	Next() (*batch, error)
	Close() error
}

// fileColumns lists a file's column names and whether each is numeric
// (for customers tables, where the type decides the attribute kind).
type fileColumn struct {
	Name    string
	Numeric bool
	Integer bool // a Parquet integer column
}

// openSource opens path and selects the named columns.
func openSource(ctx context.Context, path string, names []string) (source, []fileColumn, error) {
	src, cols, _, err := openSourceIn(ctx, path, names, nil)
	return src, cols, err
}

// openSourceIn is openSource reading, of a Parquet file, only the row
// groups that may hold ids in ids (nil: every group); skipped is the
// number of rows before the first group read.
func openSourceIn(ctx context.Context, path string, names []string, ids *IDRange) (src source, cols []fileColumn, skipped int64, err error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, nil, 0, err
	}
	if format == FormatParquet {
		return openParquet(ctx, path, names, ids)
	}
	src, cols, err = openCSV(path, format == FormatCSVGzip, names)
	return src, cols, 0, err
}

// emptySource is a file of which no row is wanted.
type emptySource struct{}

func (emptySource) Next() (*batch, error) { return nil, io.EOF }
func (emptySource) Close() error          { return nil }

// ---- Parquet through Arrow ----

type parquetSource struct {
	ctx     context.Context
	path    string
	rdr     *file.Reader
	fr      *pqarrow.FileReader
	indices []int // leaf columns read
	groups  []int // row groups read (nil: all)
	rr      pqarrow.RecordReader
	names   []string
	want    []int // position in the record of each requested column, -1 if absent; nil until the first batch
	cur     arrow.RecordBatch
	batch   batch
}

func openParquet(ctx context.Context, path string, names []string, ids *IDRange) (source, []fileColumn, int64, error) {
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, nil, 0, &InputError{File: path, Err: err}
	}
	var groups []int // nil: every group
	var skipped int64
	if ids != nil && rdr.NumRowGroups() > 1 {
		starts, err := groupStarts(ctx, path, rdr)
		if err != nil {
			rdr.Close()
			return nil, nil, 0, err
		}
		groups, skipped = groupsIn(starts, *ids)
	}
	src, cols, err := openParquetGroups(ctx, path, rdr, names, groups)
	return src, cols, skipped, err
}

// openParquetGroups reads the row groups groups (nil: all) of rdr, which
// it closes on an error.
func openParquetGroups(ctx context.Context, path string, rdr *file.Reader, names []string, groups []int) (source, []fileColumn, error) {
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: batchRows}, memory.DefaultAllocator)
	if err != nil {
		rdr.Close()
		return nil, nil, &InputError{File: path, Err: err}
	}
	sc, err := fr.Schema()
	if err != nil {
		rdr.Close()
		return nil, nil, &InputError{File: path, Err: err}
	}
	var cols []fileColumn
	byName := map[string]int{}
	for i, f := range sc.Fields() {
		if _, dup := byName[f.Name]; dup && wanted(names, f.Name) {
			rdr.Close()
			return nil, nil, &InputError{File: path, Column: f.Name, Err: ErrDuplicateColumn}
		}
		byName[f.Name] = i
		cols = append(cols, fileColumn{f.Name, isNumericArrow(f.Type), arrow.IsInteger(f.Type.ID())})
	}
	if names == nil {
		for _, c := range cols {
			names = append(names, c.Name)
		}
	}
	// Read only the requested columns that exist, in file order.
	var indices []int
	for _, n := range names {
		if i, ok := byName[n]; ok {
			indices = append(indices, leafIndex(fr, i))
		}
	}
	if len(indices) == 0 {
		rdr.Close()
		return nil, nil, &InputError{File: path, Err: fmt.Errorf("none of the columns %v", names)}
	}
	if groups != nil && len(groups) == 0 {
		rdr.Close()
		return emptySource{}, cols, nil
	}
	rr, err := fr.GetRecordReader(ctx, indices, groups)
	if err != nil {
		rdr.Close()
		return nil, nil, &InputError{File: path, Err: err}
	}
	return &parquetSource{ctx: ctx, path: path, rdr: rdr, fr: fr, indices: indices, groups: groups, rr: rr, names: names,
		batch: batch{cols: make([]column, len(names))}}, cols, nil
}

// wanted reports whether a reader asking for names reads column name
// (nil names: every column).
func wanted(names []string, name string) bool {
	return names == nil || slices.Contains(names, name)
}

// leafIndex maps a top-level field to its first leaf column; books are flat
// so the two coincide, but nested extra columns must not shift the rest.
func leafIndex(fr *pqarrow.FileReader, field int) int {
	m := fr.Manifest
	if f := m.Fields[field]; f.ColIndex >= 0 {
		return f.ColIndex
	}
	return field
}

func isNumericArrow(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256, arrow.BOOL:
		return true
	}
	return false
}

func (s *parquetSource) Next() (*batch, error) {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	if !s.rr.Next() {
		if err := s.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
			return nil, s.columnError(err)
		}
		return nil, io.EOF
	}
	s.cur = s.rr.RecordBatch()
	s.cur.Retain()
	if s.want == nil {
		s.want = make([]int, len(s.names))
		for j, n := range s.names {
			s.want[j] = -1
			if idx := s.cur.Schema().FieldIndices(n); len(idx) > 0 {
				s.want[j] = idx[0]
			}
		}
	}
	s.batch.n = int(s.cur.NumRows())
	for j, w := range s.want {
		s.batch.cols[j] = nil
		if w >= 0 {
			s.batch.cols[j] = arrowColumn(s.cur.Column(w))
		}
	}
	return &s.batch, nil
}

// columnError names the column Arrow could not decode (an INT96
// timestamp out of range, a page header over its limit), reading each
// column alone to find it. A page header over Arrow's 4 MiB limit comes
// from a writer that stores whole values in page statistics.
func (s *parquetSource) columnError(err error) error {
	e := &InputError{File: s.path, Err: err}
	if strings.Contains(err.Error(), "page header") {
		e.Err = fmt.Errorf("%w: a page header is over Arrow's 4 MiB limit, as when a value of several MB is stored in the page statistics; rewrite the file without page statistics (or with shorter values)", err)
	}
	for _, idx := range s.indices {
		rr, rerr := s.fr.GetRecordReader(s.ctx, []int{idx}, s.groups)
		if rerr != nil {
			continue
		}
		for rr.Next() {
		}
		failed := rr.Err() != nil && !errors.Is(rr.Err(), io.EOF)
		rr.Release()
		if failed {
			e.Column = s.rdr.MetaData().Schema.Column(idx).Name()
			break
		}
	}
	return e
}

func (s *parquetSource) Close() error {
	if s.cur != nil {
		s.cur.Release()
	}
	s.rr.Release()
	return s.rdr.Close()
}

// arrowCol adapts an Arrow array; the typed array is picked once per batch.
type arrowCol struct {
	arr arrow.Array
	str interface{ Value(int) string }
	i64 *array.Int64
	i32 *array.Int32
	f64 *array.Float64
	d32 *array.Date32
	ts  *array.Timestamp
	dec *array.Decimal128
}

func arrowColumn(a arrow.Array) column {
	c := &arrowCol{arr: a}
	switch t := a.(type) {
	case *array.String:
		c.str = t
	case *array.LargeString:
		c.str = t
	case *array.Int64:
		c.i64 = t
	case *array.Int32:
		c.i32 = t
	case *array.Float64:
		c.f64 = t
	case *array.Date32:
		c.d32 = t
	case *array.Timestamp:
		c.ts = t
	case *array.Decimal128:
		c.dec = t
	}
	return c
}

func (c *arrowCol) Null(i int) bool { return c.arr.IsNull(i) }

func (c *arrowCol) typeErr(want string) error {
	return fmt.Errorf("type %s cannot be read as %s", c.arr.DataType(), want)
}

func (c *arrowCol) String(i int) (string, error) {
	if c.str != nil {
		return c.str.Value(i), nil
	}
	switch a := c.arr.(type) {
	case *array.Binary:
		return string(a.Value(i)), nil
	case *array.Dictionary:
		if s, ok := a.Dictionary().(*array.String); ok {
			return s.Value(a.GetValueIndex(i)), nil
		}
	case *array.Int64, *array.Int32, *array.Int16, *array.Int8, *array.Uint64, *array.Uint32, *array.Uint16, *array.Uint8:
		// Numeric identifiers, as pandas writes them: keep their decimal form.
		return a.ValueStr(i), nil
	}
	return "", c.typeErr("a string")
}

func (c *arrowCol) Date(i int) (Date, error) {
	switch {
	case c.d32 != nil:
		return Date(c.d32.Value(i)), nil
	case c.ts != nil:
		unit := c.ts.DataType().(*arrow.TimestampType).Unit
		v := int64(c.ts.Value(i))
		perDay := int64(secondsPerDay) * int64(ticksPerSecond(unit))
		days := floorDiv(v, perDay)
		if days > math.MaxInt32 || days <= math.MinInt32 {
			return NoDate, fmt.Errorf("timestamp %d (%s) is out of range", v, unit)
		}
		return Date(days), nil
	case c.str != nil:
		return ParseDate(c.str.Value(i))
	}
	if a, ok := c.arr.(*array.Date64); ok {
		days := floorDiv(int64(a.Value(i)), secondsPerDay*1000)
		if days > math.MaxInt32 || days <= math.MinInt32 {
			return NoDate, fmt.Errorf("date64 %d is out of range", a.Value(i))
		}
		return Date(days), nil
	}
	return NoDate, c.typeErr("a date")
}

func (c *arrowCol) TimeOfDay(i int) bool {
	switch {
	case c.ts != nil:
		unit := c.ts.DataType().(*arrow.TimestampType).Unit
		perDay := int64(secondsPerDay) * int64(ticksPerSecond(unit))
		return int64(c.ts.Value(i))%perDay != 0
	case c.str != nil:
		return timeOfDay(c.str.Value(i))
	}
	if a, ok := c.arr.(*array.Date64); ok {
		return int64(a.Value(i))%(secondsPerDay*1000) != 0
	}
	return false
}

// ticksPerSecond is the number of a unit's ticks in one second.
func ticksPerSecond(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Millisecond:
		return 1e3
	case arrow.Microsecond:
		return 1e6
	case arrow.Nanosecond:
		return 1e9
	}
	return 1
}

func (c *arrowCol) Amount(i int) (Amount, error) {
	switch {
	case c.dec != nil:
		scale := int(c.dec.DataType().(*arrow.Decimal128Type).Scale)
		return decimalAmount(c.dec.Value(i), scale)
	case c.i64 != nil:
		return intAmount(c.i64.Value(i))
	case c.i32 != nil:
		return intAmount(int64(c.i32.Value(i)))
	case c.f64 != nil:
		return AmountFromFloat(c.f64.Value(i))
	case c.str != nil:
		return ParseAmount(c.str.Value(i))
	}
	if _, ok := c.arr.(*array.Boolean); ok {
		return NoAmount, c.typeErr("an amount") // true is not 1.00 of money
	}
	if f, err := c.otherFloat(i); err == nil {
		return AmountFromFloat(f)
	}
	return NoAmount, c.typeErr("an amount")
}

func intAmount(v int64) (Amount, error) {
	if v > maxAmount || v < -maxAmount {
		return NoAmount, fmt.Errorf("%d is out of range", v)
	}
	return Amount(v * AmountScale), nil
}

func decimalAmount(v decimal128.Num, scale int) (Amount, error) {
	if v.FitsInPrecision(18) && scale >= 0 && scale <= AmountDecimals {
		u := v.LowBits()
		x := int64(u)
		if v.Sign() < 0 {
			x = -int64(v.Negate().LowBits())
		}
		for s := scale; s < AmountDecimals; s++ {
			x *= 10
		}
		if x > maxAmount*AmountScale || x < -maxAmount*AmountScale {
			return NoAmount, fmt.Errorf("decimal %s is out of range", v.ToString(int32(scale)))
		}
		return Amount(x), nil
	}
	return AmountFromUnscaled(v.BigInt(), scale)
}

func (c *arrowCol) Int(i int) (int64, error) {
	switch {
	case c.i32 != nil:
		return int64(c.i32.Value(i)), nil
	case c.i64 != nil:
		return c.i64.Value(i), nil
	case c.f64 != nil:
		// pandas writes an integer column with nulls as DOUBLE.
		f := c.f64.Value(i)
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, fmt.Errorf("%v is not an integer", f)
		}
		return int64(f), nil
	case c.str != nil:
		return strconv.ParseInt(strings.TrimSpace(c.str.Value(i)), 10, 64)
	}
	switch a := c.arr.(type) {
	case *array.Int16:
		return int64(a.Value(i)), nil
	case *array.Int8:
		return int64(a.Value(i)), nil
	case *array.Uint8:
		return int64(a.Value(i)), nil
	case *array.Uint16:
		return int64(a.Value(i)), nil
	case *array.Uint32:
		return int64(a.Value(i)), nil
	}
	return 0, c.typeErr("an integer")
}

func (c *arrowCol) Float(i int) (float64, error) {
	switch {
	case c.f64 != nil:
		return c.f64.Value(i), nil
	case c.i64 != nil:
		return float64(c.i64.Value(i)), nil
	case c.i32 != nil:
		return float64(c.i32.Value(i)), nil
	case c.dec != nil:
		scale := c.dec.DataType().(*arrow.Decimal128Type).Scale
		return c.dec.Value(i).ToFloat64(scale), nil
	case c.str != nil:
		return strconv.ParseFloat(strings.TrimSpace(c.str.Value(i)), 64)
	}
	return c.otherFloat(i)
}

func (c *arrowCol) otherFloat(i int) (float64, error) {
	switch a := c.arr.(type) {
	case *array.Float32:
		return float64(a.Value(i)), nil
	case *array.Int16:
		return float64(a.Value(i)), nil
	case *array.Int8:
		return float64(a.Value(i)), nil
	case *array.Uint8:
		return float64(a.Value(i)), nil
	case *array.Uint16:
		return float64(a.Value(i)), nil
	case *array.Uint32:
		return float64(a.Value(i)), nil
	case *array.Uint64:
		return float64(a.Value(i)), nil
	case *array.Boolean:
		if a.Value(i) {
			return 1, nil
		}
		return 0, nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return a.Value(i).ToFloat64(scale), nil
	}
	return 0, c.typeErr("a number")
}

func (c *arrowCol) Bool(i int) (bool, error) {
	if a, ok := c.arr.(*array.Boolean); ok {
		return a.Value(i), nil
	}
	if c.str != nil {
		return parseBool(c.str.Value(i))
	}
	if v, err := c.Int(i); err == nil && (v == 0 || v == 1) {
		return v == 1, nil
	}
	return false, c.typeErr("a boolean")
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y", "1":
		return true, nil
	case "false", "f", "no", "n", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want true/false)", s)
}

// ---- CSV ----

type csvSource struct {
	path   string
	read   int64 // data rows read
	header []string
	f      *os.File
	gz     *gzip.Reader
	r      *csv.Reader
	want   []int // field index of each requested column, -1 if absent
	rows   [][]string
	batch  batch
	colBuf []csvCol
}

func openCSV(path string, gz bool, names []string) (source, []fileColumn, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	s := &csvSource{path: path, f: f}
	var in io.Reader = bufio.NewReaderSize(f, 1<<20)
	if gz {
		if s.gz, err = gzip.NewReader(in); err != nil {
			f.Close()
			return nil, nil, &InputError{File: path, Err: err}
		}
		in = s.gz
	}
	s.r = csv.NewReader(in)
	s.r.ReuseRecord = false
	header, err := s.r.Read()
	if err != nil {
		s.Close()
		if err == io.EOF {
			err = errors.New("empty file: want a header row")
		}
		return nil, nil, &InputError{File: path, Err: err}
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheet exports add a BOM
	}
	s.header = header
	cols := make([]fileColumn, len(header))
	byName := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := byName[h]; dup && wanted(names, h) {
			s.Close()
			return nil, nil, &InputError{File: path, Column: h, Err: ErrDuplicateColumn}
		}
		cols[i] = fileColumn{Name: h}
		byName[h] = i
	}
	if names == nil {
		for _, c := range cols {
			names = append(names, c.Name)
		}
	}
	s.want = make([]int, len(names))
	for j, n := range names {
		s.want[j] = -1
		if i, ok := byName[n]; ok {
			s.want[j] = i
		}
	}
	s.batch.cols = make([]column, len(names))
	s.colBuf = make([]csvCol, len(names))
	return s, cols, nil
}

func (s *csvSource) Next() (*batch, error) {
	s.rows = s.rows[:0]
	for len(s.rows) < batchRows {
		rec, err := s.r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, s.readErr(rec, err)
		}
		s.read++
		s.rows = append(s.rows, rec)
	}
	if len(s.rows) == 0 {
		return nil, io.EOF
	}
	s.batch.n = len(s.rows)
	for j, w := range s.want {
		s.batch.cols[j] = nil
		if w >= 0 {
			s.colBuf[j] = csvCol{rows: s.rows, idx: w}
			s.batch.cols[j] = &s.colBuf[j]
		}
	}
	return &s.batch, nil
}

// readErr locates a CSV syntax error at its data row; a row with too few
// fields names the first missing column.
func (s *csvSource) readErr(rec []string, err error) error {
	e := &InputError{File: s.path, Row: s.read + 1, Err: err}
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		e.Err = fmt.Errorf("%d fields; the header has %d", len(rec), len(s.header))
		if len(rec) < len(s.header) {
			e.Column = strings.TrimSpace(s.header[len(rec)])
		}
	case errors.As(err, &pe):
		e.Err = fmt.Errorf("line %d, position %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return e
}

func (s *csvSource) Close() error {
	var err error
	if s.gz != nil {
		err = s.gz.Close()
	}
	return errors.Join(err, s.f.Close())
}

type csvCol struct {
	rows [][]string
	idx  int
}

func (c *csvCol) cell(i int) string {
	if r := c.rows[i]; c.idx < len(r) {
		return r[c.idx]
	}
	return ""
}

func (c *csvCol) Null(i int) bool { return strings.TrimSpace(c.cell(i)) == "" }

func (c *csvCol) String(i int) (string, error) { return c.cell(i), nil }
func (c *csvCol) Date(i int) (Date, error)     { return ParseDate(c.cell(i)) }
func (c *csvCol) TimeOfDay(i int) bool         { return timeOfDay(c.cell(i)) }
func (c *csvCol) Amount(i int) (Amount, error) { return ParseAmount(c.cell(i)) }
func (c *csvCol) Bool(i int) (bool, error)     { return parseBool(c.cell(i)) }
func (c *csvCol) Float(i int) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(c.cell(i)), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", c.cell(i))
	}
	return f, nil
}

func (c *csvCol) Int(i int) (int64, error) {
	s := strings.TrimSpace(c.cell(i))
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// "3.0" from a float-typed export is still an integer.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, fmt.Errorf("%q is not an integer", s)
		}
		return int64(f), nil
	}
	return v, nil
}
