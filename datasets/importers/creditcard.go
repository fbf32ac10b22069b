package importers

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/credence-risk/credence/datasets"
)

// The credit-card-approval files inside the folder an import reads.
const (
	creditRecordFile      = "credit_record.csv.gz"
	applicationRecordFile = "application_record.csv.gz"
)

// creditExtractMonth is the nominal month of the extract (MONTHS_BALANCE 0):
// the dataset gives no calendar date, only months counted back from it.
var creditExtractMonth = datasets.YMD(2020, time.January, 1)

// creditStatuses lists the STATUS codes in the order of their index in
// creditRow, each with the lower bound of its days-past-due band.
var creditStatuses = [...]struct {
	code string
	dpd  int32
}{
	{"0", 1}, // 1–29 days past due
	{"1", 30},
	{"2", 60},
	{"3", 90},
	{"4", 120},
	{"5", 150}, // 150+ or written off
	{"C", 0},   // paid off that month
	{"X", 0},   // no loan that month
}

func creditStatus(s string) (uint8, bool) {
	for i, st := range creditStatuses {
		if st.code == s {
			return uint8(i), true
		}
	}
	return 0, false
}

// creditRow is one line of credit_record, kept compact: a million of them
// are held to be sorted.
type creditRow struct {
	row    int32 // 1-based data row, for errors
	cust   int32 // index into the IDs read
	month  int32 // MONTHS_BALANCE
	status uint8 // index into creditStatuses
}

// Skip reasons of credit-card-approval's applications.
const (
	skipDuplicateApplication = "application_record: duplicate ID (first application kept)"
	skipNoCreditRecord       = "application_record: ID has no credit record"
)

var (
	applicationNumeric = []string{"CNT_CHILDREN", "AMT_INCOME_TOTAL", "DAYS_BIRTH", "DAYS_EMPLOYED",
		"FLAG_MOBIL", "FLAG_WORK_PHONE", "FLAG_PHONE", "FLAG_EMAIL", "CNT_FAM_MEMBERS"}
	applicationCategorical = []string{"CODE_GENDER", "FLAG_OWN_CAR", "FLAG_OWN_REALTY", "NAME_INCOME_TYPE",
		"NAME_EDUCATION_TYPE", "NAME_FAMILY_STATUS", "NAME_HOUSING_TYPE", "OCCUPATION_TYPE"}
)

// CreditCardApproval imports the Kaggle "Credit Card Approval Prediction"
// dataset from the folder in, which holds credit_record.csv.gz and
// application_record.csv.gz.
func CreditCardApproval(ctx context.Context, in, outDir string) (Stats, error) {
	var stats Stats
	credit, err := readCreditRecords(ctx, filepath.Join(in, creditRecordFile))
	if err != nil {
		return stats, err
	}
	customers, schema, err := readApplications(ctx, filepath.Join(in, applicationRecordFile), credit, &stats)
	if err != nil {
		return stats, err
	}

	b, err := newBook(outDir, datasets.Statements, datasets.Customers)
	if err != nil {
		return stats, err
	}
	defer b.discard()
	sw, err := addTable(b, datasets.Statements, datasets.NewStatementWriter)
	if err != nil {
		return stats, err
	}
	if stats.Statements, err = credit.write(ctx, sw); err != nil {
		return stats, err
	}
	if err := writeTable(b, datasets.Customers, customerWriter(schema), customers); err != nil {
		return stats, err
	}
	meta := datasets.Meta{
		Name:          "credit-card-approval",
		ObservedUntil: creditExtractMonth.MonthEnd(),
		Horizon:       "12mo",
		DPDThreshold:  60,
	}
	if err := b.commit(meta); err != nil {
		return stats, err
	}
	stats.Customers = len(customers)
	return stats, nil
}

// creditRecords holds credit_record sorted by customer ID and month.
type creditRecords struct {
	path  string
	ids   []string
	index map[string]int32
	rows  []creditRow
	// order lists the customers by ID; rows holds each one's rows
	// contiguously in that order, start[k] being where the k-th begins.
	order []int32
	start []int
}

func readCreditRecords(ctx context.Context, path string) (*creditRecords, error) {
	r, err := openInput(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	col, err := r.columns("ID", "MONTHS_BALANCE", "STATUS")
	if err != nil {
		return nil, err
	}
	cr := &creditRecords{path: path, index: map[string]int32{}}
	last := int32(-1)
	for {
		ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if r.row%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if r.row > math.MaxInt32 {
			return nil, r.fail(col[0], fmt.Errorf("more than %d rows", math.MaxInt32))
		}
		id, err := r.str(col[0])
		if err != nil {
			return nil, err
		}
		// A customer's months are consecutive rows: look the ID up only
		// when it changes.
		if last < 0 || cr.ids[last] != id {
			k, seen := cr.index[id]
			if !seen {
				k = int32(len(cr.ids))
				id = strings.Clone(id)
				cr.ids = append(cr.ids, id)
				cr.index[id] = k
			}
			last = k
		}
		month, err := r.integer(col[1])
		if err != nil {
			return nil, err
		}
		if month > 0 || month < -1200 {
			return nil, r.fail(col[1], fmt.Errorf("%d is out of range (want 0 for the extract month or a negative number of months before it)", month))
		}
		s := r.text(col[2])
		status, ok := creditStatus(s)
		if !ok {
			return nil, r.fail(col[2], fmt.Errorf("%q is not a status (want 0–5, C or X)", s))
		}
		cr.rows = append(cr.rows, creditRow{row: int32(r.row), cust: last, month: int32(month), status: status})
	}
	return cr, cr.sort()
}

// sort orders the rows by customer ID, then month, and rejects a month
// given twice for one customer. The rows of a customer are grouped by a
// counting sort on the rank of its ID, so that only the few rows of each
// customer are sorted by comparison.
func (cr *creditRecords) sort() error {
	cr.order = make([]int32, len(cr.ids))
	for i := range cr.order {
		cr.order[i] = int32(i)
	}
	slices.SortFunc(cr.order, func(a, b int32) int { return datasets.CompareIDs(cr.ids[a], cr.ids[b]) })
	rank := make([]int32, len(cr.ids))
	for k, c := range cr.order {
		rank[c] = int32(k)
	}
	cr.start = make([]int, len(cr.ids)+1)
	for _, r := range cr.rows {
		cr.start[rank[r.cust]+1]++
	}
	for k := 1; k < len(cr.start); k++ {
		cr.start[k] += cr.start[k-1]
	}
	next := slices.Clone(cr.start[:len(cr.ids)])
	sorted := make([]creditRow, len(cr.rows))
	for _, r := range cr.rows {
		k := rank[r.cust]
		sorted[next[k]] = r
		next[k]++
	}
	cr.rows = sorted
	for k := range cr.order {
		seg := cr.rows[cr.start[k]:cr.start[k+1]]
		slices.SortFunc(seg, func(a, b creditRow) int { return int(a.month - b.month) })
		for i := 1; i < len(seg); i++ {
			if seg[i].month == seg[i-1].month {
				return &datasets.InputError{File: cr.path, Row: int64(max(seg[i].row, seg[i-1].row)), Column: "MONTHS_BALANCE",
					Err: fmt.Errorf("%w: month %d of ID %s is also on row %d", datasets.ErrDuplicate, seg[i].month, cr.ids[seg[i].cust], min(seg[i].row, seg[i-1].row))}
			}
		}
	}
	return nil
}

// write writes the statements in chunks and returns how many it wrote.
func (cr *creditRecords) write(ctx context.Context, w *datasets.Writer[datasets.Statement]) (int, error) {
	periodEnd := map[int32]datasets.Date{}
	chunk := make([]datasets.Statement, 0, min(len(cr.rows), datasets.RowGroupRows))
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := w.Write(chunk)
		chunk = chunk[:0]
		return err
	}
	for _, r := range cr.rows {
		end, ok := periodEnd[r.month]
		if !ok {
			end = creditExtractMonth.AddMonths(int(r.month)).MonthEnd()
			periodEnd[r.month] = end
		}
		st := creditStatuses[r.status]
		chunk = append(chunk, datasets.Statement{
			CustomerID:  cr.ids[r.cust],
			PeriodEnd:   end,
			DaysPastDue: st.dpd,
			Status:      st.code,
			Balance:     datasets.NoAmount,
			CreditLimit: datasets.NoAmount,
			Payment:     datasets.NoAmount,
		})
		if len(chunk) == cap(chunk) {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if len(chunk) > 0 {
		if err := flush(); err != nil {
			return 0, err
		}
	}
	return len(cr.rows), nil
}

// readApplications reads the customers of the accounts in credit.
func readApplications(ctx context.Context, path string, credit *creditRecords, stats *Stats) ([]datasets.Customer, datasets.CustomerSchema, error) {
	var schema datasets.CustomerSchema
	for _, n := range applicationNumeric {
		schema.Numeric = append(schema.Numeric, strings.ToLower(n))
	}
	for _, n := range applicationCategorical {
		schema.Categorical = append(schema.Categorical, strings.ToLower(n))
	}
	r, err := openInput(ctx, path)
	if err != nil {
		return nil, schema, err
	}
	defer r.Close()
	iID, err := r.columns("ID")
	if err != nil {
		return nil, schema, err
	}
	numCols, err := r.columns(applicationNumeric...)
	if err != nil {
		return nil, schema, err
	}
	catCols, err := r.columns(applicationCategorical...)
	if err != nil {
		return nil, schema, err
	}
	seen := map[string]struct{}{}
	values := interner{}
	var customers []datasets.Customer
	for {
		ok, err := r.next()
		if err != nil {
			return nil, schema, err
		}
		if !ok {
			break
		}
		if r.row%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, schema, err
			}
		}
		id, err := r.str(iID[0])
		if err != nil {
			return nil, schema, err
		}
		if _, dup := seen[id]; dup {
			stats.skip(skipDuplicateApplication)
			continue
		}
		k, hasCredit := credit.index[id]
		if !hasCredit {
			seen[strings.Clone(id)] = struct{}{}
			stats.skip(skipNoCreditRecord)
			continue
		}
		id = credit.ids[k] // shared with the statements; does not pin the reader's line
		seen[id] = struct{}{}
		c := datasets.Customer{
			CustomerID:  id,
			Numeric:     make([]float64, len(numCols)),
			Categorical: make([]string, len(catCols)),
		}
		for j, i := range numCols {
			if c.Numeric[j], err = r.number(i, true); err != nil {
				return nil, schema, err
			}
		}
		for j, i := range catCols {
			c.Categorical[j] = values.get(r.text(i))
		}
		customers = append(customers, c)
	}
	slices.SortFunc(customers, func(a, b datasets.Customer) int { return datasets.CompareIDs(a.CustomerID, b.CustomerID) })
	return customers, schema, nil
}
