package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
)

// TableFile reads one table file row by row, by column name. It is the
// one way Credence opens a table: the extension picks the format
// (.parquet through Arrow, .csv, .csv.gz), and every value reads from the
// representations pandas, Spark and DuckDB write, as the book's own
// tables do (DECIMAL of any scale, DATE, TIMESTAMP, ISO date strings,
// integer and floating numbers). Every error is an *InputError naming the
// file and, for a value, its 1-based data row and column.
type TableFile struct {
	path  string
	names []string
	have  []bool
	src   source
	b     *batch
	i     int   // row within b
	row   int64 // 1-based data row of the current row
	err   error
}

// OpenTable opens path and selects the named columns; column j of the
// accessors is names[j]. A column the file lacks reads as null (see Has).
// nil names selects every column of the file, in its order.
func OpenTable(ctx context.Context, path string, names []string) (*TableFile, error) {
	src, cols, err := openSource(ctx, path, names)
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) {
			err = &InputError{File: path, Err: err}
		}
		return nil, err
	}
	inFile := make(map[string]bool, len(cols))
	all := names == nil
	for _, c := range cols {
		inFile[c.Name] = true
		if all {
			names = append(names, c.Name)
		}
	}
	t := &TableFile{path: path, names: names, have: make([]bool, len(names)), src: src}
	for j, n := range names {
		t.have[j] = inFile[n]
	}
	return t, nil
}

// Path is the file being read.
func (t *TableFile) Path() string { return t.path }

// Columns are the names of the selected columns.
func (t *TableFile) Columns() []string { return t.names }

// Has reports whether the file has column j.
func (t *TableFile) Has(j int) bool { return t.have[j] }

// Require returns an error wrapping ErrMissingColumn for the first of the
// columns 0..n-1 that the file lacks.
func (t *TableFile) Require(n int) error {
	for j := range n {
		if !t.have[j] {
			return &InputError{File: t.path, Column: t.names[j], Err: ErrMissingColumn}
		}
	}
	return nil
}

// Next moves to the next row; false at the end or on an error (see Err).
func (t *TableFile) Next() bool {
	if t.err != nil {
		return false
	}
	for t.b == nil || t.i+1 >= t.b.n {
		b, err := t.src.Next()
		if err == io.EOF {
			return false
		}
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				err = &InputError{File: t.path, Row: t.row + 1, Err: err}
			}
			t.err = err
			return false
		}
		t.b, t.i = b, -1
	}
	t.i++
	t.row++
	return true
}

// Err is the error that stopped Next, if any.
func (t *TableFile) Err() error { return t.err }

// Row is the 1-based data row Next moved to.
func (t *TableFile) Row() int64 { return t.row }

// Errorf locates an error at column j of the current row.
func (t *TableFile) Errorf(j int, format string, args ...any) error {
	return t.fail(j, fmt.Errorf(format, args...))
}

func (t *TableFile) fail(j int, err error) error {
	return &InputError{File: t.path, Row: t.row, Column: t.names[j], Err: err}
}

func (t *TableFile) col(j int) column {
	if t.b == nil || t.b.n == 0 {
		return nil
	}
	return t.b.cols[j]
}

// Null reports whether column j of the current row is empty or absent.
func (t *TableFile) Null(j int) bool {
	c := t.col(j)
	return c == nil || c.Null(t.i)
}

// String returns column j of the current row as text ("" when null).
func (t *TableFile) String(j int) (string, error) {
	if t.Null(j) {
		return "", nil
	}
	s, err := t.col(j).String(t.i)
	if err != nil {
		return "", t.fail(j, err)
	}
	return s, nil
}

// Date returns column j of the current row as a date (NoDate when null).
func (t *TableFile) Date(j int) (Date, error) {
	if t.Null(j) {
		return NoDate, nil
	}
	d, err := t.col(j).Date(t.i)
	if err != nil {
		return NoDate, t.fail(j, err)
	}
	return d, nil
}

// Float returns column j of the current row as a number (NaN when null).
func (t *TableFile) Float(j int) (float64, error) {
	if t.Null(j) {
		return math.NaN(), nil
	}
	f, err := t.col(j).Float(t.i)
	if err != nil {
		return 0, t.fail(j, err)
	}
	return f, nil
}

// Int returns column j of the current row as an integer; whole numbers
// stored as floating point or decimals read too. A null is an error
// wrapping ErrNull.
func (t *TableFile) Int(j int) (int64, error) {
	if t.Null(j) {
		return 0, t.fail(j, ErrNull)
	}
	c := t.col(j)
	v, err := c.Int(t.i)
	if err == nil {
		return v, nil
	}
	// DECIMAL, FLOAT: whole values only.
	f, ferr := c.Float(t.i)
	if ferr != nil || f != float64(int64(f)) {
		return 0, t.fail(j, err)
	}
	return int64(f), nil
}

// Amount returns column j of the current row as an exact amount (NoAmount
// when null).
func (t *TableFile) Amount(j int) (Amount, error) {
	if t.Null(j) {
		return NoAmount, nil
	}
	a, err := t.col(j).Amount(t.i)
	if err != nil {
		return NoAmount, t.fail(j, err)
	}
	return a, nil
}

// Bool returns column j of the current row as a boolean (false when null):
// true/false, 1/0 and the spellings a CSV export uses.
func (t *TableFile) Bool(j int) (bool, error) {
	if t.Null(j) {
		return false, nil
	}
	v, err := t.col(j).Bool(t.i)
	if err != nil {
		return false, t.fail(j, err)
	}
	return v, nil
}

// Close releases the file.
func (t *TableFile) Close() error { return t.src.Close() }
