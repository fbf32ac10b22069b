package rescore

import (
	"context"

	"github.com/credence-risk/credence/datasets"
)

// Read calls fn with every row of a rescore output, Parquet, CSV or
// CSV.gz, in file order; path may name a shard set (see Shards). It reads through the book's table reader, so a
// file that went through pandas, Spark or DuckDB and back reads too:
// columns found by name, in any order; pd as DOUBLE, FLOAT or DECIMAL of
// any scale; recommended_limit as DECIMAL (written since the scores file
// carries a currency) or DOUBLE (written before); grade as any integer or a whole floating number; as_of as
// DATE, TIMESTAMP or an ISO date string. customer_id, pd and grade are
// required; a missing optional column reads as NaN, NoDate or "". Errors
// are *datasets.InputError values naming the file, the row and the column.
func Read(path string, fn func(*Row) error) error {
	files, err := datasets.Shards(path)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := ReadFile(f, fn); err != nil {
			return err
		}
	}
	return nil
}

// ReadFile is Read of one file, not a shard set.
func ReadFile(path string, fn func(*Row) error) error {
	t, err := datasets.OpenTable(context.Background(), path, Columns)
	if err != nil {
		return err
	}
	defer t.Close()
	for _, k := range []int{colCustomer, colPD, colGrade} {
		if !t.Has(k) {
			return &datasets.InputError{File: path, Column: Columns[k], Err: datasets.ErrMissingColumn}
		}
	}
	for t.Next() {
		r, err := readRow(t)
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return t.Err()
}

// column positions in Columns.
const (
	colCustomer = iota
	colAsOf
	colPD
	colGrade
	colScore
	colLimit
	colCurrency
	colReason1 // reason k's feature at colReason1+2k, its text after it
	colReason1Text
	colReason2
	colReason2Text
	colReason3
	colReason3Text
	colModel
)

// readRow reads the current row and refuses one that cannot be compared.
func readRow(t *datasets.TableFile) (Row, error) {
	r := Row{Grade: -1}
	var err error
	if r.CustomerID, err = t.String(colCustomer); err != nil {
		return r, err
	}
	if r.CustomerID == "" {
		return r, t.Errorf(colCustomer, "%w", datasets.ErrNull)
	}
	if r.AsOf, err = t.Date(colAsOf); err != nil {
		return r, err
	}
	if r.PD, err = t.Float(colPD); err != nil {
		return r, err
	}
	if !(r.PD >= 0 && r.PD <= 1) {
		return r, t.Errorf(colPD, "%v is outside [0, 1]", r.PD)
	}
	g, err := t.Int(colGrade)
	if err != nil {
		return r, err
	}
	if g < 1 || g > gradeCount {
		return r, t.Errorf(colGrade, "%d is outside 1..%d", g, gradeCount)
	}
	r.Grade = int(g)
	if r.Score, err = t.Float(colScore); err != nil {
		return r, err
	}
	if r.RecommendedLimit, err = t.Float(colLimit); err != nil {
		return r, err
	}
	if r.Currency, err = t.String(colCurrency); err != nil {
		return r, err
	}
	for k := range r.Reasons {
		if r.Reasons[k], err = t.String(colReason1 + 2*k); err != nil {
			return r, err
		}
		if r.ReasonTexts[k], err = t.String(colReason1Text + 2*k); err != nil {
			return r, err
		}
	}
	if r.ModelVersion, err = t.String(colModel); err != nil {
		return r, err
	}
	return r, nil
}
