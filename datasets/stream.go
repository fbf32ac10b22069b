package datasets

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
)

// HistoryReader hands out one customer's complete history at a time, in
// customer_id order, merging the book's tables as it goes. Memory is bounded
// by one batch per table plus the largest customer. The tables must be
// sorted by customer_id; an unsorted table stops the reader with an error
// wrapping ErrUnsorted.
type HistoryReader struct {
	inv   *tableReader[Invoice]
	st    *tableReader[Statement]
	cust  *tableReader[Customer]
	def   *tableReader[Default]
	obs   *tableReader[Observation]
	skips *SkipLog
	err   error // stops Next before it reads
	// whole: the reader covers whole tables (not one partition), so a
	// table without rows is an error at the end.
	whole bool
	seen  map[string]struct{} // invoice ids of the current customer
}

// Histories starts reading the book from its first customer.
func (b *Book) Histories(ctx context.Context) *HistoryReader {
	r := &HistoryReader{skips: b.Skipped, whole: !b.part, seen: make(map[string]struct{}, 64)}
	if b.sortLog != nil {
		// The sorted copy holds only the rows the sort could keep.
		b.Skipped.mergeLog(b.sortLog)
		if first := b.sortLog.firstSkipped(); first != nil && !b.Tolerant {
			r.err = first
		}
	}
	rules := b.rules()
	if f := b.files[Invoices]; f != nil {
		r.inv = newTableReader(ctx, invoiceSpec, f, rules)
	}
	if f := b.files[Statements]; f != nil {
		r.st = newTableReader(ctx, statementSpec, f, rules)
	}
	if f := b.files[Customers]; f != nil {
		r.cust = newTableReader(ctx, customerSpec(&b.Schema), f, rules)
	}
	if f := b.files[Defaults]; f != nil {
		r.def = newTableReader(ctx, defaultSpec, f, rules)
	}
	if f := b.files[Observations]; f != nil {
		r.obs = newTableReader(ctx, observationSpec, f, rules)
	}
	return r
}

// Skips returns the book's log of rows left out in tolerant mode and
// values read with a notice (see Book.Skipped). A file's rows are in it
// once the reader has finished or closed that file.
func (r *HistoryReader) Skips() *SkipLog { return r.skips }

// Rows returns how many rows of table t have been read so far.
func (r *HistoryReader) Rows(t Table) int64 {
	switch t {
	case Invoices:
		return rowsOf(r.inv)
	case Statements:
		return rowsOf(r.st)
	case Customers:
		return rowsOf(r.cust)
	case Defaults:
		return rowsOf(r.def)
	case Observations:
		return rowsOf(r.obs)
	}
	return 0
}

func rowsOf[T any](t *tableReader[T]) int64 {
	if t == nil {
		return 0
	}
	return t.count
}

// minKey returns the smallest next customer_id across tables.
func minKey[T any](t *tableReader[T], cur string, have bool) (string, bool, error) {
	if t == nil {
		return cur, have, nil
	}
	rec, err := t.peek()
	if err != nil || rec == nil {
		return cur, have, err
	}
	k := t.spec.key(rec)
	if !have || CompareIDs(k, cur) < 0 {
		return k, true, nil
	}
	return cur, true, nil
}

// take appends every record of t for customer id, copying each run of
// them in the current batch at once.
// check, when not nil, sees each record with its file row.
func take[T any](t *tableReader[T], id string, dst []T, check func(*T, int64) error) ([]T, error) {
	if t == nil {
		return dst, nil
	}
	for {
		rec, err := t.peek()
		if err != nil {
			return dst, err
		}
		if rec == nil || t.spec.key(rec) != id {
			return dst, nil
		}
		end := t.pos + 1
		for end < len(t.rows) && t.spec.key(&t.rows[end]) == id {
			end++
		}
		if check != nil {
			for k := t.pos; k < end; k++ {
				if err := check(&t.rows[k], t.rowNums[k]); err != nil {
					return dst, err
				}
			}
		}
		dst = append(dst, t.rows[t.pos:end]...)
		t.count += int64(end - t.pos)
		t.pos = end
	}
}

// Next returns the next customer's history; io.EOF after the last. The
// History is newly allocated and the caller may keep it.
func (r *HistoryReader) Next() (*History, error) {
	if r.err != nil {
		return nil, r.err
	}
	id, have, err := minKey(r.inv, "", false)
	if err == nil {
		id, have, err = minKey(r.st, id, have)
	}
	if err == nil {
		id, have, err = minKey(r.cust, id, have)
	}
	if err == nil {
		id, have, err = minKey(r.def, id, have)
	}
	if err == nil {
		id, have, err = minKey(r.obs, id, have)
	}
	if err != nil {
		return nil, err
	}
	if !have {
		if err := r.checkRows(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	h := &History{CustomerID: id}
	clear(r.seen)
	if h.Invoices, err = take(r.inv, id, nil, r.checkInvoiceID); err != nil {
		return nil, err
	}
	if h.Statements, err = take(r.st, id, nil, nil); err != nil {
		return nil, err
	}
	if r.cust != nil {
		rec, err := r.cust.peek()
		if err != nil {
			return nil, err
		}
		if rec != nil && rec.CustomerID == id {
			c := *rec
			h.Customer = &c
			r.cust.advance()
			if rec, err = r.cust.peek(); err != nil {
				return nil, err
			}
			if rec != nil && rec.CustomerID == id {
				return nil, &InputError{File: r.cust.file, Row: r.cust.rowNums[r.cust.pos], Column: "customer_id",
					Err: fmt.Errorf("%w customer %q", ErrDuplicate, id)}
			}
		}
	}
	if h.Defaults, err = take(r.def, id, nil, nil); err != nil {
		return nil, err
	}
	var obs []Observation
	if obs, err = take(r.obs, id, nil, nil); err != nil {
		return nil, err
	}
	if len(obs) > 0 {
		h.Observations = make([]Date, len(obs))
		for i, o := range obs {
			h.Observations[i] = o.AsOf
		}
	}
	return h, nil
}

// checkRows refuses a table that held no rows (defaults may be empty: a
// book without defaults says so), once the whole book is read.
func (r *HistoryReader) checkRows() error {
	if !r.whole {
		return nil
	}
	return firstError(emptyTable(r.inv), emptyTable(r.st), emptyTable(r.cust), emptyTable(r.obs))
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func emptyTable[T any](t *tableReader[T]) error {
	if t == nil || t.count > 0 {
		return nil
	}
	file := t.files[0]
	if len(t.files) > 1 {
		file = filepath.Dir(file)
	}
	return &InputError{File: file, Err: fmt.Errorf("%w: table %s is present but every row is missing or was skipped", ErrNoRows, t.spec.table)}
}

// checkInvoiceID refuses a duplicate (customer_id, invoice_id) within the
// customer being read.
func (r *HistoryReader) checkInvoiceID(inv *Invoice, row int64) error {
	if _, dup := r.seen[inv.InvoiceID]; dup {
		return &InputError{File: r.inv.file, Row: row, Column: "invoice_id",
			Err: fmt.Errorf("%w (customer_id, invoice_id) = (%q, %q)", ErrDuplicate, inv.CustomerID, inv.InvoiceID)}
	}
	r.seen[inv.InvoiceID] = struct{}{}
	return nil
}

// Close releases the open files.
func (r *HistoryReader) Close() {
	r.inv.close()
	r.st.close()
	r.cust.close()
	r.def.close()
	r.obs.close()
}

// ReadAll reads every history of the book into memory: for small books and
// tests; large books go through Histories.
func (b *Book) ReadAll(ctx context.Context) ([]*History, error) {
	r := b.Histories(ctx)
	defer r.Close()
	var out []*History
	for {
		h, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
}
