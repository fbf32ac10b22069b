package datasets

import (
	"errors"
	"fmt"
)

// InputError locates a problem in a book: the file, the 1-based data row
// (0 when the problem is with the file as a whole) and the column.
type InputError struct {
	File   string
	Row    int64
	Column string
	Err    error
}

func (e *InputError) Error() string {
	switch {
	case e.Row > 0 && e.Column != "":
		return fmt.Sprintf("%s: row %d, column %s: %v", e.File, e.Row, e.Column, e.Err)
	case e.Row > 0:
		return fmt.Sprintf("%s: row %d: %v", e.File, e.Row, e.Err)
	case e.Column != "":
		return fmt.Sprintf("%s: column %s: %v", e.File, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Sentinel errors a reader wraps in an InputError.
var (
	ErrMissingColumn  = errors.New("required column is missing")
	ErrUnsorted       = errors.New("table is not sorted by customer_id; run `credence book sort` to fix it")
	ErrDuplicate      = errors.New("duplicate")
	ErrMixedCurrency  = errors.New("book has more than one currency")
	ErrNotPositive    = errors.New("amount must be > 0")
	ErrDueBeforeIssue = errors.New("due_date is before issue_date")
	ErrNull           = errors.New("required value is null")
	// ErrImplausibleDate: a date outside the book's plausible range
	// (Book.Dates), such as 9999-12-01 or 0001-01-01.
	ErrImplausibleDate = errors.New("date outside the plausible range")
	ErrPaidBeforeIssue = errors.New("paid_date is before issue_date")
	// ErrDuplicateColumn: two columns of one file share a name, so either
	// could be the one meant.
	ErrDuplicateColumn = errors.New("column name appears more than once")
	ErrNotFinite       = errors.New("number is not finite or out of range")
	ErrNoRows          = errors.New("table has no rows")
)
