package importers

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/credence-risk/credence/datasets"
)

// csvReader streams a CSV file (gzip-compressed when its name ends in .gz)
// one record at a time and locates errors by file, data row and column.
type csvReader struct {
	path   string
	f      *os.File
	gz     *gzip.Reader
	r      *csv.Reader
	header []string
	row    int64    // 1-based data row of rec
	rec    []string // reused: valid until the next call to next
}

func openCSV(path string) (*csvReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	c := &csvReader{path: path, f: f}
	var in io.Reader = bufio.NewReaderSize(f, 1<<20)
	if strings.HasSuffix(path, ".gz") {
		if c.gz, err = gzip.NewReader(in); err != nil {
			f.Close()
			return nil, &datasets.InputError{File: path, Err: err}
		}
		in = c.gz
	}
	c.r = csv.NewReader(in)
	c.r.ReuseRecord = true
	header, err := c.r.Read()
	if err != nil {
		c.Close()
		if err == io.EOF {
			err = errors.New("empty file: want a header row")
		}
		return nil, &datasets.InputError{File: path, Err: err}
	}
	c.header = make([]string, len(header))
	for i, h := range header {
		c.header[i] = strings.TrimSpace(h)
	}
	if len(c.header) > 0 {
		c.header[0] = strings.TrimPrefix(c.header[0], "\ufeff") // spreadsheet exports add a BOM
	}
	return c, nil
}

func (c *csvReader) Close() error {
	var err error
	if c.gz != nil {
		err = c.gz.Close()
	}
	return errors.Join(err, c.f.Close())
}

// columns returns the position of each named column in the header.
func (c *csvReader) columns(names ...string) ([]int, error) {
	idx := make([]int, len(names))
	for j, n := range names {
		idx[j] = -1
		for i, h := range c.header {
			if h == n {
				idx[j] = i
				break
			}
		}
		if idx[j] < 0 {
			return nil, &datasets.InputError{File: c.path, Column: n, Err: datasets.ErrMissingColumn}
		}
	}
	return idx, nil
}

// next reads the next record; false at the end of the file.
func (c *csvReader) next() (bool, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return false, nil
	}
	c.row++
	c.rec = rec
	if err == nil {
		return true, nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
		e := &datasets.InputError{File: c.path, Row: c.row,
			Err: fmt.Errorf("%d fields; the header has %d", len(rec), len(c.header))}
		if len(rec) < len(c.header) {
			e.Column = c.header[len(rec)]
		}
		return false, e
	}
	if errors.As(err, &pe) {
		err = fmt.Errorf("line %d, position %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return false, &datasets.InputError{File: c.path, Row: c.row, Err: err}
}

// fail locates err at column i of the current row.
func (c *csvReader) fail(i int, err error) error {
	return &datasets.InputError{File: c.path, Row: c.row, Column: c.header[i], Err: err}
}

// text returns field i, trimmed; "" when empty.
func (c *csvReader) text(i int) string { return strings.TrimSpace(c.rec[i]) }

// str returns field i, which must not be empty.
func (c *csvReader) str(i int) (string, error) {
	s := c.text(i)
	if s == "" {
		return "", c.fail(i, datasets.ErrNull)
	}
	return s, nil
}

// number returns field i as a finite number; NaN when empty and optional.
func (c *csvReader) number(i int, optional bool) (float64, error) {
	s := c.text(i)
	if s == "" {
		if optional {
			return math.NaN(), nil
		}
		return 0, c.fail(i, datasets.ErrNull)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, c.fail(i, fmt.Errorf("%q is not a number", s))
	}
	return f, nil
}

// integer returns field i as an integer.
func (c *csvReader) integer(i int) (int, error) {
	s, err := c.str(i)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, c.fail(i, fmt.Errorf("%q is not an integer", s))
	}
	return v, nil
}

// amount returns field i as an amount.
func (c *csvReader) amount(i int) (datasets.Amount, error) {
	s, err := c.str(i)
	if err != nil {
		return datasets.NoAmount, err
	}
	a, err := datasets.ParseAmount(s)
	if err != nil {
		return datasets.NoAmount, c.fail(i, err)
	}
	return a, nil
}

// usDate returns field i as an M/D/YYYY date; NoDate when empty and
// optional.
func (c *csvReader) usDate(i int, optional bool) (datasets.Date, error) {
	s := c.text(i)
	if s == "" {
		if optional {
			return datasets.NoDate, nil
		}
		return datasets.NoDate, c.fail(i, datasets.ErrNull)
	}
	d, err := parseUSDate(s)
	if err != nil {
		return datasets.NoDate, c.fail(i, err)
	}
	return d, nil
}

// interner shares one copy of each repeated short value (codes, category
// names), so that rows kept in memory do not pin the reader's line buffers.
type interner map[string]string

func (in interner) get(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	v := strings.Clone(s)
	in[v] = v
	return v
}
