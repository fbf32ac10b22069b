package importers

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/credence-risk/credence/datasets"
)

// input streams a public dataset's table one record at a time through
// datasets.OpenTable (CSV, CSV.gz or Parquet, by the file's name) and
// locates errors by file, data row and column.
type input struct {
	t   *datasets.TableFile
	row int64 // 1-based data row of the current record
}

func openInput(ctx context.Context, path string) (*input, error) {
	t, err := datasets.OpenTable(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	return &input{t: t}, nil
}

func (c *input) Close() error { return c.t.Close() }

// columns returns the position of each named column in the header.
func (c *input) columns(names ...string) ([]int, error) {
	header := c.t.Columns()
	idx := make([]int, len(names))
	for j, n := range names {
		idx[j] = -1
		for i, h := range header {
			if h == n {
				idx[j] = i
				break
			}
		}
		if idx[j] < 0 {
			return nil, &datasets.InputError{File: c.t.Path(), Column: n, Err: datasets.ErrMissingColumn}
		}
	}
	return idx, nil
}

// next reads the next record; false at the end of the file.
func (c *input) next() (bool, error) {
	if !c.t.Next() {
		return false, c.t.Err()
	}
	c.row = c.t.Row()
	return true, nil
}

// fail locates err at column i of the current row.
func (c *input) fail(i int, err error) error { return c.t.Errorf(i, "%w", err) }

// text returns field i, trimmed; "" when empty. A number in a typed
// (Parquet) column reads as its shortest decimal form.
func (c *input) text(i int) string {
	s, err := c.t.String(i)
	if err != nil {
		f, ferr := c.t.Float(i)
		if ferr != nil {
			return ""
		}
		s = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strings.TrimSpace(s)
}

// str returns field i, which must not be empty.
func (c *input) str(i int) (string, error) {
	s := c.text(i)
	if s == "" {
		return "", c.fail(i, datasets.ErrNull)
	}
	return s, nil
}

// number returns field i as a finite number; NaN when empty and optional.
func (c *input) number(i int, optional bool) (float64, error) {
	if c.t.Null(i) {
		if optional {
			return math.NaN(), nil
		}
		return 0, c.fail(i, datasets.ErrNull)
	}
	f, err := c.t.Float(i)
	if err != nil {
		return 0, err
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, c.fail(i, fmt.Errorf("%v is not a finite number", f))
	}
	return f, nil
}

// integer returns field i as an integer.
func (c *input) integer(i int) (int, error) {
	v, err := c.t.Int(i)
	if err != nil {
		return 0, err
	}
	if v != int64(int(v)) {
		return 0, c.fail(i, fmt.Errorf("%d is out of range", v))
	}
	return int(v), nil
}

// amount returns field i as an amount.
func (c *input) amount(i int) (datasets.Amount, error) {
	if c.t.Null(i) {
		return datasets.NoAmount, c.fail(i, datasets.ErrNull)
	}
	return c.t.Amount(i)
}

// usDate returns field i as an M/D/YYYY date; NoDate when empty and
// optional.
func (c *input) usDate(i int, optional bool) (datasets.Date, error) {
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
