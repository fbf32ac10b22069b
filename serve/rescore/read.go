package rescore

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/credence-risk/credence/datasets"
)

// Read calls fn with every row of a rescore output, Parquet or CSV, in
// file order. Columns are found by name, so a file that went through
// pandas, Spark or DuckDB and back reads too (integer or floating grades,
// DATE or TIMESTAMP as_of). customer_id, pd and grade are required; a
// missing optional column reads as NaN, NoDate or "".
func Read(path string, fn func(*Row) error) error {
	format, err := datasets.FormatOf(path)
	if err != nil {
		return err
	}
	if format == datasets.FormatParquet {
		err = readParquet(path, fn)
	} else {
		err = readCSV(path, format == datasets.FormatCSVGzip, fn)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// required are the columns a rescore output must have to be compared.
var required = []string{"customer_id", "pd", "grade"}

// column positions in Columns.
const (
	colCustomer = iota
	colAsOf
	colPD
	colGrade
	colScore
	colLimit
	colReason1
	colReason2
	colReason3
	colModel
)

func readParquet(path string, fn func(*Row) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return err
	}
	// byLeaf maps a leaf column index to its position in Columns, or -1.
	byLeaf := make([]int, len(pf.Schema().Columns()))
	for i := range byLeaf {
		byLeaf[i] = -1
	}
	var asOfUnit time.Duration // 0: a DATE or a day count
	for k, name := range Columns {
		leaf, ok := pf.Schema().Lookup(name)
		if !ok {
			continue
		}
		byLeaf[leaf.ColumnIndex] = k
		if k == colAsOf {
			if lt := leaf.Node.Type().LogicalType(); lt != nil {
				if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
					asOfUnit = ts.Unit.Value.Duration()
				}
			}
		}
	}
	for _, name := range required {
		if _, ok := pf.Schema().Lookup(name); !ok {
			return fmt.Errorf("no column %s", name)
		}
	}
	buf := make([]parquet.Row, 1024)
	var line int64
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, pr := range buf[:n] {
				line++
				r := emptyRow()
				for _, v := range pr {
					c := v.Column()
					if c < 0 || c >= len(byLeaf) || byLeaf[c] < 0 || v.IsNull() {
						continue
					}
					k := byLeaf[c]
					if err := setParquet(&r, k, v, asOfUnit); err != nil {
						rows.Close()
						return fmt.Errorf("row %d: %s: %w", line, Columns[k], err)
					}
				}
				if err := checkRow(&r); err != nil {
					rows.Close()
					return fmt.Errorf("row %d: %w", line, err)
				}
				if err := fn(&r); err != nil {
					rows.Close()
					return err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

func emptyRow() Row {
	return Row{AsOf: datasets.NoDate, PD: math.NaN(), Grade: -1, Score: math.NaN(), RecommendedLimit: math.NaN()}
}

// checkRow refuses a row that cannot be compared.
func checkRow(r *Row) error {
	switch {
	case r.CustomerID == "":
		return errors.New("customer_id: empty")
	case !(r.PD >= 0 && r.PD <= 1):
		return fmt.Errorf("pd: %v is outside [0, 1]", r.PD)
	case r.Grade < 1 || r.Grade > gradeCount:
		return fmt.Errorf("grade: %d is outside 1..%d", r.Grade, gradeCount)
	}
	return nil
}

func setParquet(r *Row, k int, v parquet.Value, asOfUnit time.Duration) error {
	switch k {
	case colCustomer, colReason1, colReason2, colReason3, colModel:
		if v.Kind() != parquet.ByteArray {
			return fmt.Errorf("%s is not a string", v.Kind())
		}
		s := string(v.ByteArray())
		switch k {
		case colCustomer:
			r.CustomerID = s
		case colModel:
			r.ModelVersion = s
		default:
			r.Reasons[k-colReason1] = s
		}
	case colAsOf:
		switch {
		case v.Kind() == parquet.ByteArray:
			d, err := datasets.ParseDate(string(v.ByteArray()))
			if err != nil {
				return err
			}
			r.AsOf = d
		case asOfUnit > 0:
			perDay := int64(24 * time.Hour / asOfUnit)
			x, ok := intValue(v)
			if !ok {
				return fmt.Errorf("%s is not a timestamp", v.Kind())
			}
			r.AsOf = datasets.Date(floorDiv(x, perDay))
		default:
			x, ok := intValue(v)
			if !ok {
				return fmt.Errorf("%s is not a date", v.Kind())
			}
			r.AsOf = datasets.Date(x)
		}
	case colGrade:
		x, ok := numValue(v)
		if !ok || x != math.Trunc(x) {
			return fmt.Errorf("%v is not a whole number", v)
		}
		r.Grade = int(x)
	default:
		x, ok := numValue(v)
		if !ok {
			return fmt.Errorf("%s is not a number", v.Kind())
		}
		switch k {
		case colPD:
			r.PD = x
		case colScore:
			r.Score = x
		case colLimit:
			r.RecommendedLimit = x
		}
	}
	return nil
}

func intValue(v parquet.Value) (int64, bool) {
	switch v.Kind() {
	case parquet.Int32:
		return int64(v.Int32()), true
	case parquet.Int64:
		return v.Int64(), true
	}
	return 0, false
}

func numValue(v parquet.Value) (float64, bool) {
	switch v.Kind() {
	case parquet.Int32, parquet.Int64:
		x, _ := intValue(v)
		return float64(x), true
	case parquet.Float:
		return float64(v.Float()), true
	case parquet.Double:
		return v.Double(), true
	}
	return 0, false
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func readCSV(path string, gz bool, fn func(*Row) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var in io.Reader = f
	if gz {
		z, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		defer z.Close()
		in = z
	}
	cr := csv.NewReader(in)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	pos := make([]int, len(Columns)) // position of each of Columns in the file, or -1
	for k, name := range Columns {
		pos[k] = -1
		for i, h := range header {
			if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == name {
				pos[k] = i
				break
			}
		}
	}
	for _, k := range []int{colCustomer, colPD, colGrade} {
		if pos[k] < 0 {
			return fmt.Errorf("no column %s", Columns[k])
		}
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		r := emptyRow()
		for k, i := range pos {
			if i < 0 || i >= len(rec) {
				continue
			}
			s := strings.TrimSpace(rec[i])
			if s == "" {
				continue
			}
			if err := setCSV(&r, k, s); err != nil {
				return fmt.Errorf("line %d: %s: %w", line, Columns[k], err)
			}
		}
		if err := checkRow(&r); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
}

func setCSV(r *Row, k int, s string) error {
	switch k {
	case colCustomer:
		r.CustomerID = s
	case colModel:
		r.ModelVersion = s
	case colReason1, colReason2, colReason3:
		r.Reasons[k-colReason1] = s
	case colAsOf:
		d, err := datasets.ParseDate(s)
		if err != nil {
			return err
		}
		r.AsOf = d
	default:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		switch k {
		case colPD:
			r.PD = x
		case colGrade:
			if x != math.Trunc(x) {
				return fmt.Errorf("%s is not a whole number", s)
			}
			r.Grade = int(x)
		case colScore:
			r.Score = x
		case colLimit:
			r.RecommendedLimit = x
		}
	}
	return nil
}
