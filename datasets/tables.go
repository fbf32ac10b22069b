package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
)

// tableSpec says how to read one table: the columns to ask for (required
// ones first), and how to turn row i of a batch into a record.
type tableSpec[T any] struct {
	table    Table
	columns  []string
	required int
	decode   func(d *decoder, b *batch, i int, out *T) (column string, err error)
	key      func(*T) string
}

// decoder carries per-table state across rows: interned strings (so that a
// history does not pin Arrow buffers and repeated codes share memory), the
// book's rules (plausible dates, currency) and the columns of the current
// row that carried a time of day.
type decoder struct {
	lastID   string
	interned map[string]string
	dates    DateRange
	currency *currencyCheck
	curLocal currencyLocal
	timed    []int // columns of the current row whose timestamp had a time of day
}

func (d *decoder) id(s string) string {
	if s == d.lastID {
		return d.lastID
	}
	d.lastID = strings.Clone(s)
	return d.lastID
}

// intern returns a shared copy of a short, repetitive value (status codes,
// reasons, currencies).
func (d *decoder) intern(s string) string {
	if v, ok := d.interned[s]; ok {
		return v
	}
	if d.interned == nil {
		d.interned = map[string]string{}
	}
	v := strings.Clone(s)
	if len(d.interned) < 4096 {
		d.interned[v] = v
	}
	return v
}

// date reads column c of row i as a date within the plausible range; a
// null is ErrNull when required, else NoDate.
func (d *decoder) date(b *batch, i, c int, required bool) (Date, error) {
	col := b.cols[c]
	if col == nil || col.Null(i) {
		if required {
			return NoDate, ErrNull
		}
		return NoDate, nil
	}
	v, err := col.Date(i)
	if err != nil {
		return NoDate, err
	}
	if err := d.dates.Check(v); err != nil {
		return NoDate, err
	}
	if col.TimeOfDay(i) {
		d.timed = append(d.timed, c)
	}
	return v, nil
}

// currencyCheck holds a book's currency rule across its tables and
// partitions: every non-blank currency equals book.yaml's, or without one,
// each other; and without one, blanks and currencies do not mix (a blank
// row's currency would be unknown).
type currencyCheck struct {
	declared string
	mu       sync.Mutex
	seen     string // the first currency seen
	blank    bool   // a blank was seen
}

// check applies the rule to one value; local caches what this reader
// already agreed, so the lock is taken only when something new appears.
func (c *currencyCheck) check(cur string, local *currencyLocal) error {
	if c == nil {
		return nil
	}
	if cur == "" {
		if c.declared != "" || local.blank {
			return nil
		}
		local.blank = true
		c.mu.Lock()
		defer c.mu.Unlock()
		c.blank = true
		if c.seen != "" {
			return fmt.Errorf("%w: a row without a currency among rows in %s, and book.yaml declares none", ErrMixedCurrency, c.seen)
		}
		return nil
	}
	if cur == local.seen {
		return nil
	}
	if c.declared != "" {
		if cur != c.declared {
			return fmt.Errorf("%w: %s in a book whose book.yaml declares %s", ErrMixedCurrency, cur, c.declared)
		}
		local.seen = cur
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.seen == "":
		c.seen = cur
	case c.seen != cur:
		return fmt.Errorf("%w: %s and %s", ErrMixedCurrency, c.seen, cur)
	}
	if c.blank {
		return fmt.Errorf("%w: a row in %s among rows without a currency, and book.yaml declares none", ErrMixedCurrency, cur)
	}
	local.seen = cur
	return nil
}

// currencyLocal is one reader's view of a currencyCheck.
type currencyLocal struct {
	seen  string
	blank bool
}

// MaxAttribute bounds a numeric customer attribute: larger magnitudes are
// placeholders or overflowed exports, and turn into infinities when the
// features square or sum them.
const MaxAttribute = 1e15

func reqString(b *batch, i, c int) (string, error) {
	col := b.cols[c]
	if col.Null(i) {
		return "", ErrNull
	}
	return col.String(i)
}

func optAmountAt(b *batch, i, c int) (Amount, error) {
	col := b.cols[c]
	if col == nil || col.Null(i) {
		return NoAmount, nil
	}
	return col.Amount(i)
}

func optStringAt(b *batch, i, c int) (string, error) {
	col := b.cols[c]
	if col == nil || col.Null(i) {
		return "", nil
	}
	return col.String(i)
}

var invoiceSpec = tableSpec[Invoice]{
	table:    Invoices,
	columns:  InvoiceColumns,
	required: 5,
	key:      func(r *Invoice) string { return r.CustomerID },
	decode: func(d *decoder, b *batch, i int, r *Invoice) (string, error) {
		s, err := reqString(b, i, 0)
		if err != nil {
			return "customer_id", err
		}
		r.CustomerID = d.id(s)
		if s, err = reqString(b, i, 1); err != nil {
			return "invoice_id", err
		}
		r.InvoiceID = strings.Clone(s)
		if r.IssueDate, err = d.date(b, i, 2, true); err != nil {
			return "issue_date", err
		}
		if r.DueDate, err = d.date(b, i, 3, true); err != nil {
			return "due_date", err
		}
		if b.cols[4].Null(i) {
			return "amount", ErrNull
		}
		if r.Amount, err = b.cols[4].Amount(i); err != nil {
			return "amount", err
		}
		if r.PaidDate, err = d.date(b, i, 5, false); err != nil {
			return "paid_date", err
		}
		if r.PaidAmount, err = optAmountAt(b, i, 6); err != nil {
			return "paid_amount", err
		}
		if col, err := r.Check(); err != nil {
			return col, err
		}
		if s, err = optStringAt(b, i, 7); err != nil {
			return "currency", err
		}
		r.Currency = ""
		if s = strings.TrimSpace(s); s != "" {
			r.Currency = d.intern(strings.ToUpper(s))
		}
		if err := d.currency.check(r.Currency, &d.curLocal); err != nil {
			return "currency", err
		}
		r.Disputed = false
		if c := b.cols[8]; c != nil && !c.Null(i) {
			if r.Disputed, err = c.Bool(i); err != nil {
				return "disputed", err
			}
		}
		return "", nil
	},
}

var statementSpec = tableSpec[Statement]{
	table:    Statements,
	columns:  StatementColumns,
	required: 3,
	key:      func(r *Statement) string { return r.CustomerID },
	decode: func(d *decoder, b *batch, i int, r *Statement) (string, error) {
		s, err := reqString(b, i, 0)
		if err != nil {
			return "customer_id", err
		}
		r.CustomerID = d.id(s)
		if r.PeriodEnd, err = d.date(b, i, 1, true); err != nil {
			return "period_end", err
		}
		r.DaysPastDue = UnknownDaysPastDue
		if c := b.cols[2]; !c.Null(i) {
			v, err := c.Int(i)
			if err != nil {
				return "days_past_due", err
			}
			if v < 0 || v > math.MaxInt32 {
				return "days_past_due", fmt.Errorf("must be >= 0, got %d", v)
			}
			r.DaysPastDue = int32(v)
		}
		if s, err = optStringAt(b, i, 3); err != nil {
			return "status", err
		}
		r.Status = d.intern(s)
		if r.Balance, err = optAmountAt(b, i, 4); err != nil {
			return "balance", err
		}
		if r.CreditLimit, err = optAmountAt(b, i, 5); err != nil {
			return "credit_limit", err
		}
		if r.Payment, err = optAmountAt(b, i, 6); err != nil {
			return "payment", err
		}
		return "", nil
	},
}

var defaultSpec = tableSpec[Default]{
	table:    Defaults,
	columns:  []string{"customer_id", "default_date", "reason"},
	required: 2,
	key:      func(r *Default) string { return r.CustomerID },
	decode: func(d *decoder, b *batch, i int, r *Default) (string, error) {
		s, err := reqString(b, i, 0)
		if err != nil {
			return "customer_id", err
		}
		r.CustomerID = d.id(s)
		if r.DefaultDate, err = d.date(b, i, 1, true); err != nil {
			return "default_date", err
		}
		if s, err = optStringAt(b, i, 2); err != nil {
			return "reason", err
		}
		r.Reason = d.intern(s)
		return "", nil
	},
}

var observationSpec = tableSpec[Observation]{
	table:    Observations,
	columns:  []string{"customer_id", "as_of"},
	required: 2,
	key:      func(r *Observation) string { return r.CustomerID },
	decode: func(d *decoder, b *batch, i int, r *Observation) (string, error) {
		s, err := reqString(b, i, 0)
		if err != nil {
			return "customer_id", err
		}
		r.CustomerID = d.id(s)
		if r.AsOf, err = d.date(b, i, 1, true); err != nil {
			return "as_of", err
		}
		return "", nil
	},
}

// customerSpec reads the customer_id column then the schema's attributes.
func customerSpec(schema *CustomerSchema) tableSpec[Customer] {
	cols := append([]string{"customer_id"}, schema.Numeric...)
	cols = append(cols, schema.Categorical...)
	nNum := len(schema.Numeric)
	return tableSpec[Customer]{
		table:    Customers,
		columns:  cols,
		required: 1,
		key:      func(r *Customer) string { return r.CustomerID },
		decode: func(d *decoder, b *batch, i int, r *Customer) (string, error) {
			s, err := reqString(b, i, 0)
			if err != nil {
				return "customer_id", err
			}
			r.CustomerID = strings.Clone(s)
			r.Numeric = make([]float64, nNum)
			for j := range r.Numeric {
				c := b.cols[1+j]
				if c == nil || c.Null(i) {
					r.Numeric[j] = math.NaN()
					continue
				}
				if r.Numeric[j], err = c.Float(i); err != nil {
					return schema.Numeric[j], err
				}
				if v := r.Numeric[j]; math.IsInf(v, 0) || math.Abs(v) > MaxAttribute {
					return schema.Numeric[j], fmt.Errorf("%w (|value| <= %g): %v", ErrNotFinite, MaxAttribute, v)
				}
			}
			r.Categorical = make([]string, len(schema.Categorical))
			for j := range r.Categorical {
				c := b.cols[1+nNum+j]
				if c == nil || c.Null(i) {
					continue
				}
				v, err := c.String(i)
				if err != nil {
					return schema.Categorical[j], err
				}
				r.Categorical[j] = d.intern(strings.TrimSpace(v))
			}
			return "", nil
		},
	}
}

// tableReader reads a table's files in order, one record at a time,
// checking that customer_id never decreases.
type tableReader[T any] struct {
	ctx      context.Context
	spec     tableSpec[T]
	files    []string
	next     int // index of the next file to open
	src      source
	file     string
	rowBase  int64 // data rows of file before the current batch
	rows     []T
	rowNums  []int64
	pos      int
	dec      decoder
	prevKey  string
	hasPrev  bool
	unsorted bool // accept any order (for sorting a book)
	rules    readRules
	pending  fileCounts // skips and notices of the current file, not yet in rules.log
	count    int64
	err      error
}

// readRules are what a book asks of its readers.
type readRules struct {
	tolerant bool
	log      *SkipLog // nil: nothing is recorded
	dates    DateRange
	currency *currencyCheck
	// ids, when set, limits reading to the customers in the range (see
	// Book.Range).
	ids *IDRange
}

func newTableReader[T any](ctx context.Context, spec tableSpec[T], files []string, rules readRules) *tableReader[T] {
	r := &tableReader[T]{ctx: ctx, spec: spec, files: files, rules: rules, pending: fileCounts{}}
	r.dec.dates, r.dec.currency = rules.dates, rules.currency
	return r
}

// flushLog hands the current file's skips and notices to the book's log.
func (r *tableReader[T]) flushLog() {
	if len(r.pending) > 0 {
		r.rules.log.mergeFile(passKey(r.file, r.rules.ids), r.pending)
		r.pending = fileCounts{}
	}
}

// peek returns the next record without consuming it, or nil at the end.
func (r *tableReader[T]) peek() (*T, error) {
	for r.pos >= len(r.rows) {
		if r.err != nil {
			return nil, r.err
		}
		if err := r.fill(); err != nil {
			if err == io.EOF {
				return nil, nil
			}
			r.err = err
			return nil, err
		}
	}
	return &r.rows[r.pos], nil
}

func (r *tableReader[T]) advance() { r.pos++; r.count++ }

func (r *tableReader[T]) fill() error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	for {
		if r.src == nil {
			if r.next >= len(r.files) {
				return io.EOF
			}
			if err := r.open(r.files[r.next]); err != nil {
				return err
			}
			r.next++
		}
		b, err := r.src.Next()
		if err == io.EOF {
			r.flushLog()
			err = r.src.Close()
			r.src = nil
			if err != nil {
				return &InputError{File: r.file, Err: err}
			}
			continue
		}
		if err != nil {
			if _, ok := err.(*InputError); !ok {
				err = &InputError{File: r.file, Err: err}
			}
			return err
		}
		return r.decodeBatch(b)
	}
}

func (r *tableReader[T]) open(path string) error {
	src, cols, skipped, err := openSourceIn(r.ctx, path, r.spec.columns, r.rules.ids)
	if err != nil {
		return err
	}
	have := make(map[string]bool, len(cols))
	for _, c := range cols {
		have[c.Name] = true
	}
	for _, c := range r.spec.columns[:r.spec.required] {
		if !have[c] {
			src.Close()
			return &InputError{File: path, Column: c, Err: ErrMissingColumn}
		}
	}
	r.src, r.file, r.rowBase = src, path, skipped
	return nil
}

func (r *tableReader[T]) decodeBatch(b *batch) error {
	if cap(r.rows) < b.n {
		r.rows = make([]T, b.n)
	}
	r.rows = r.rows[:0]
	r.rowNums = r.rowNums[:0]
	r.pos = 0
	for i := 0; i < b.n; i++ {
		row := r.rowBase + int64(i) + 1
		if r.rules.ids != nil && !inRange(b, i, r.rules.ids) {
			continue
		}
		r.rows = append(r.rows, *new(T))
		rec := &r.rows[len(r.rows)-1]
		r.dec.timed = r.dec.timed[:0]
		col, err := r.spec.decode(&r.dec, b, i, rec)
		if err != nil {
			if r.rules.tolerant && !errors.Is(err, ErrMixedCurrency) && col != "customer_id" {
				r.rows = r.rows[:len(r.rows)-1]
				r.pending.add(fmt.Sprintf("%s.%s: %v", r.spec.table, col, rootCause(err)), false,
					&InputError{File: r.file, Row: row, Column: col, Err: err})
				continue
			}
			return &InputError{File: r.file, Row: row, Column: col, Err: err}
		}
		for _, c := range r.dec.timed {
			name := r.spec.columns[c]
			r.pending.add(fmt.Sprintf("%s.%s: %v", r.spec.table, name, errTimeOfDay), true,
				&InputError{File: r.file, Row: row, Column: name, Err: errTimeOfDay})
		}
		key := r.spec.key(rec)
		if !r.unsorted && r.hasPrev && CompareIDs(key, r.prevKey) < 0 {
			return &InputError{File: r.file, Row: row, Column: "customer_id",
				Err: fmt.Errorf("%q after %q: %w", key, r.prevKey, ErrUnsorted)}
		}
		r.prevKey, r.hasPrev = key, true
		r.rowNums = append(r.rowNums, row)
	}
	r.rowBase += int64(b.n)
	return nil
}

// inRange reports whether row i's customer_id (column 0 of every table)
// lies in ids; a row whose id is null or unreadable counts as in, so
// that its error is reported.
func inRange(b *batch, i int, ids *IDRange) bool {
	c := b.cols[0]
	if c == nil || c.Null(i) {
		return true
	}
	id, err := c.String(i)
	return err != nil || ids.Contains(id)
}

// errTimeOfDay is the notice for a timestamp whose UTC time is not
// midnight: its UTC calendar date is kept, which is a day off when the
// export wrote local midnights in a zone east or west of UTC.
var errTimeOfDay = errors.New("timestamp has a time of day; its UTC calendar date is read")

// rootCause keeps skip reasons few: the sentinel where there is one.
func rootCause(err error) error {
	for _, s := range []error{ErrNull, ErrNotPositive, ErrDueBeforeIssue, ErrPaidBeforeIssue, ErrImplausibleDate, ErrNotFinite} {
		if errors.Is(err, s) {
			return s
		}
	}
	return errors.New("unreadable value")
}

func (r *tableReader[T]) close() {
	if r != nil {
		r.flushLog()
	}
	if r != nil && r.src != nil {
		r.src.Close()
		r.src = nil
	}
}
