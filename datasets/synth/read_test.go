package synth

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// Local row layouts, so that the tests read the book exactly as written and
// do not depend on the datasets readers.
type invoiceRec struct {
	CustomerID string `parquet:"customer_id"`
	InvoiceID  string `parquet:"invoice_id"`
	IssueDate  int32  `parquet:"issue_date,date"`
	DueDate    int32  `parquet:"due_date,date"`
	Amount     int64  `parquet:"amount,decimal(4:18)"`
	PaidDate   *int32 `parquet:"paid_date,date,optional"`
	PaidAmount *int64 `parquet:"paid_amount,decimal(4:18),optional"`
	Disputed   bool   `parquet:"disputed"`
}

type customerRec struct {
	CustomerID     string   `parquet:"customer_id"`
	AnnualRevenue  *float64 `parquet:"annual_revenue,optional"`
	NetWorth       *float64 `parquet:"net_worth,optional"`
	WorkingCapital *float64 `parquet:"working_capital,optional"`
	CurrentLimit   *float64 `parquet:"current_limit,optional"`
	Years          *float64 `parquet:"years_in_business,optional"`
	Industry       *string  `parquet:"industry,optional"`
	Country        *string  `parquet:"country,optional"`
	Size           *string  `parquet:"size,optional"`
	Segment        *string  `parquet:"segment,optional"`
}

type defaultRec struct {
	CustomerID  string  `parquet:"customer_id"`
	DefaultDate int32   `parquet:"default_date,date"`
	Reason      *string `parquet:"reason,optional"`
}

type truthRec struct {
	CustomerID string  `parquet:"customer_id"`
	MonthEnd   int32   `parquet:"month_end,date"`
	Hazard1M   float64 `parquet:"hazard_1m"`
	PD12M      float64 `parquet:"pd_12m"`
}

// book is a generated book read back whole.
type book struct {
	customers []customerRec
	invoices  []invoiceRec
	defaults  []defaultRec
	truth     []truthRec
}

// readTable reads every part of table in dir, in part order.
func readTable[T any](t *testing.T, dir, table string) []T {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, table, "part-*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no parts of %s in %s", table, dir)
	}
	slices.Sort(paths)
	var rows []T
	for _, p := range paths {
		part, err := parquet.ReadFile[T](p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		rows = append(rows, part...)
	}
	return rows
}

func readBook(t *testing.T, dir, truthPath string) *book {
	t.Helper()
	b := &book{
		customers: readTable[customerRec](t, dir, "customers"),
		invoices:  readTable[invoiceRec](t, dir, "invoices"),
		defaults:  readTable[defaultRec](t, dir, "defaults"),
	}
	if truthPath != "" {
		var err error
		if b.truth, err = parquet.ReadFile[truthRec](truthPath); err != nil {
			t.Fatalf("read %s: %v", truthPath, err)
		}
	}
	return b
}

// sameFiles fails unless dirs a and b hold the same files with the same bytes.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	fa, fb := files(a), files(b)
	if len(fa) != len(fb) {
		t.Fatalf("%s holds %d files, %s holds %d", a, len(fa), b, len(fb))
	}
	for name, data := range fa {
		other, ok := fb[name]
		switch {
		case !ok:
			t.Errorf("%s is in %s but not in %s", name, a, b)
		case string(data) != string(other):
			t.Errorf("%s differs between %s and %s", name, a, b)
		}
	}
}
