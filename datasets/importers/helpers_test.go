package importers

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/testenv"
)

// realData returns the path of a file or folder of the shared real data
// (../shared/data beside the repository root), skipping the test when it is
// absent (failing it under CREDENCE_REQUIRE_ALL=1).
func realData(t testing.TB, rel string) string {
	t.Helper()
	return testenv.SharedData(t, rel)
}

// writeFile writes content to name in a fresh temporary directory, gzipped
// when name ends in .gz, and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	var b []byte
	if strings.HasSuffix(name, ".gz") {
		var sb strings.Builder
		zw := gzip.NewWriter(&sb)
		if _, err := zw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		b = []byte(sb.String())
	} else {
		b = []byte(content)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Row layouts for reading the tables back, as the book format names them.
type (
	statementRow struct {
		CustomerID  string  `parquet:"customer_id"`
		PeriodEnd   int32   `parquet:"period_end,date"`
		DaysPastDue *int32  `parquet:"days_past_due,optional"`
		Status      *string `parquet:"status,optional"`
		Balance     *int64  `parquet:"balance,decimal(4:18),optional"`
		CreditLimit *int64  `parquet:"credit_limit,decimal(4:18),optional"`
		Payment     *int64  `parquet:"payment,decimal(4:18),optional"`
	}
	invoiceRow struct {
		CustomerID string `parquet:"customer_id"`
		InvoiceID  string `parquet:"invoice_id"`
		IssueDate  int32  `parquet:"issue_date,date"`
		DueDate    int32  `parquet:"due_date,date"`
		Amount     int64  `parquet:"amount,decimal(4:18)"`
		PaidDate   *int32 `parquet:"paid_date,date,optional"`
		PaidAmount *int64 `parquet:"paid_amount,decimal(4:18),optional"`
		Disputed   bool   `parquet:"disputed"`
	}
	defaultRow struct {
		CustomerID  string  `parquet:"customer_id"`
		DefaultDate int32   `parquet:"default_date,date"`
		Reason      *string `parquet:"reason,optional"`
	}
	observationRow struct {
		CustomerID string `parquet:"customer_id"`
		AsOf       int32  `parquet:"as_of,date"`
	}
)

func readTable[T any](t testing.TB, dir string, table datasets.Table) []T {
	t.Helper()
	rows, err := parquet.ReadFile[T](filepath.Join(dir, string(table)+".parquet"))
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return rows
}

// customerRow is a customers row read back: its ID and every attribute by
// column name; a null attribute is absent.
type customerRow struct {
	ID          string
	Numeric     map[string]float64
	Categorical map[string]string
}

// readCustomers reads a customers table whatever its attribute columns.
func readCustomers(t testing.TB, dir string) []customerRow {
	t.Helper()
	path := filepath.Join(dir, string(datasets.Customers)+".parquet")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	cols := pf.Schema().Columns()
	r := parquet.NewReader(pf)
	defer r.Close()
	var out []customerRow
	buf := make([]parquet.Row, 256)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			c := customerRow{Numeric: map[string]float64{}, Categorical: map[string]string{}}
			for _, v := range row {
				name := cols[v.Column()][0]
				switch {
				case name == "customer_id":
					c.ID = v.String()
				case v.IsNull():
				case v.Kind() == parquet.Double:
					c.Numeric[name] = v.Double()
				default:
					c.Categorical[name] = v.String()
				}
			}
			out = append(out, c)
		}
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
	}
}

func readMeta(t testing.TB, dir string) datasets.Meta {
	t.Helper()
	m, err := datasets.ReadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkSorted fails unless keys are in non-decreasing byte-wise order of
// customer, then date.
func checkSorted(t testing.TB, table datasets.Table, n int, key func(i int) (string, int32)) {
	t.Helper()
	for i := 1; i < n; i++ {
		c0, d0 := key(i - 1)
		c1, d1 := key(i)
		if c := datasets.CompareIDs(c1, c0); c < 0 || c == 0 && d1 < d0 {
			t.Fatalf("%s row %d (%s, %d) sorts before row %d (%s, %d)", table, i+1, c1, d1, i, c0, d0)
		}
	}
}

// checkInputError fails unless err is an InputError at file, row and column.
func checkInputError(t testing.TB, err error, file string, row int64, column string) {
	t.Helper()
	var ie *datasets.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("got error %v; want an InputError at %s row %d column %s", err, file, row, column)
	}
	if ie.File != file || ie.Row != row || ie.Column != column {
		t.Fatalf("got error at %s row %d column %q (%v); want %s row %d column %q", ie.File, ie.Row, ie.Column, err, file, row, column)
	}
}

// checkEmptyDir fails if dir holds any file, as a failed import must leave.
func checkEmptyDir(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("failed import left %s in %s", e.Name(), dir)
	}
}

func date(s string) int32 {
	d, err := datasets.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return int32(d)
}
