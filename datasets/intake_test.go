package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// readBook opens dir and reads every history, returning the first error.
func readBook(dir string, tolerant bool) (*Book, error) {
	b, err := Open(dir)
	if err != nil {
		return nil, err
	}
	b.Tolerant = tolerant
	_, err = b.ReadAll(context.Background())
	return b, err
}

// TestRefusesImplausibleValues covers values that read as something but
// mean nothing: each is refused with its file, row and column.
func TestRefusesImplausibleValues(t *testing.T) {
	const head = "customer_id,invoice_id,issue_date,due_date,amount,paid_date,paid_amount,currency,disputed\n"
	const ok = "A,1,2024-01-01,2024-02-01,5,,,,\n"
	tests := []struct {
		name   string
		files  map[string]string
		file   string
		row    int64
		column string
		want   error
	}{
		{"year 9999", map[string]string{"invoices.csv": head + ok + "A,2,9999-12-01,9999-12-31,5,,,,\n"}, "invoices.csv", 2, "issue_date", ErrImplausibleDate},
		{"year 1900", map[string]string{"invoices.csv": head + "A,1,1900-01-01,2024-02-01,5,,,,\n"}, "invoices.csv", 1, "issue_date", ErrImplausibleDate},
		{"year 0001", map[string]string{"invoices.csv": head + "A,1,2024-01-01,2024-02-01,5,0001-01-01,,,\n"}, "invoices.csv", 1, "paid_date", ErrImplausibleDate},
		{"signed year", map[string]string{"invoices.csv": head + "A,1,+024-02-01,2024-02-01,5,,,,\n"}, "invoices.csv", 1, "issue_date", nil},
		{"due date far ahead", map[string]string{"invoices.csv": head + "A,1,2024-01-01,2099-02-01,5,,,,\n", "book.yaml": "observed_until: 2024-12-31\n"}, "invoices.csv", 1, "due_date", ErrImplausibleDate},
		{"statement 9999", map[string]string{"statements.csv": "customer_id,period_end,days_past_due\nA,9999-12-31,0\n"}, "statements.csv", 1, "period_end", ErrImplausibleDate},
		{"as_of 9999", map[string]string{"customers.csv": "customer_id\nA\n", "observations.csv": "customer_id,as_of\nA,9999-12-02\n"}, "observations.csv", 1, "as_of", ErrImplausibleDate},
		{"outside book.yaml range", map[string]string{"invoices.csv": head + "A,1,2015-01-01,2015-02-01,5,,,,\n", "book.yaml": "plausible_from: 2020-01-01\n"}, "invoices.csv", 1, "issue_date", ErrImplausibleDate},
		{"paid before issued", map[string]string{"invoices.csv": head + "A,1,2024-01-10,2024-02-01,5,2024-01-09,,,\n"}, "invoices.csv", 1, "paid_date", ErrPaidBeforeIssue},
		{"currency other than book.yaml", map[string]string{"invoices.csv": head + "A,1,2024-01-01,2024-02-01,5,,,EUR,\nB,1,2024-01-01,2024-02-01,5,,,USD,\n", "book.yaml": "currency: EUR\n"}, "invoices.csv", 2, "currency", ErrMixedCurrency},
		{"one currency among blanks", map[string]string{"invoices.csv": head + ok + "B,1,2024-01-01,2024-02-01,5,,,USD,\nC,1,2024-01-01,2024-02-01,5,,,,\n"}, "invoices.csv", 2, "currency", ErrMixedCurrency},
		{"blank after a currency", map[string]string{"invoices.csv": head + "A,1,2024-01-01,2024-02-01,5,,,USD,\nB,1,2024-01-01,2024-02-01,5,,,,\n"}, "invoices.csv", 2, "currency", ErrMixedCurrency},
		{"second amount column", map[string]string{"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount,amount\nA,1,2024-01-01,2024-02-01,5,7\n"}, "invoices.csv", 0, "amount", ErrDuplicateColumn},
		{"duplicate attribute", map[string]string{"customers.csv": "customer_id,revenue,revenue\nA,1,2\n"}, "customers.csv", 0, "revenue", ErrDuplicateColumn},
		{"attribute 1e308", map[string]string{"customers.csv": "customer_id,revenue\nA,1\nB,1e308\n"}, "customers.csv", 2, "revenue", ErrNotFinite},
		{"attribute -Inf", map[string]string{"customers.csv": "customer_id,revenue\nA,1\nB,-Inf\n"}, "customers.csv", 2, "revenue", ErrNotFinite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				writeFile(t, filepath.Join(dir, name), content)
			}
			_, err := readBook(dir, false)
			checkLocated(t, err, tt.file, tt.row, tt.column, tt.want)
		})
	}
}

// TestRefusesParquetValuesThatAreNotMoneyOrDates writes Parquet the way
// other tools may: a BOOLEAN amount, a TIMESTAMP far out of range, a
// second column of the same name.
func TestRefusesParquetValuesThatAreNotMoneyOrDates(t *testing.T) {
	sec := &arrow.TimestampType{Unit: arrow.Second}
	base := []arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "invoice_id", Type: arrow.BinaryTypes.String},
		{Name: "issue_date", Type: arrow.FixedWidthTypes.Date32},
		{Name: "due_date", Type: arrow.FixedWidthTypes.Date32},
	}
	tests := []struct {
		name   string
		extra  []arrow.Field
		fill   func(rb *array.RecordBuilder)
		column string
		want   error
		row    int64
	}{
		{"boolean amount", []arrow.Field{{Name: "amount", Type: arrow.FixedWidthTypes.Boolean}},
			func(rb *array.RecordBuilder) { rb.Field(4).(*array.BooleanBuilder).Append(true) }, "amount", nil, 1},
		{"amount twice", []arrow.Field{{Name: "amount", Type: arrow.PrimitiveTypes.Float64}, {Name: "amount", Type: arrow.PrimitiveTypes.Float64}},
			func(rb *array.RecordBuilder) {
				rb.Field(4).(*array.Float64Builder).Append(5)
				rb.Field(5).(*array.Float64Builder).Append(7)
			}, "amount", ErrDuplicateColumn, 0},
		{"timestamp out of range", []arrow.Field{{Name: "amount", Type: arrow.PrimitiveTypes.Float64}, {Name: "paid_date", Type: sec}},
			func(rb *array.RecordBuilder) {
				rb.Field(4).(*array.Float64Builder).Append(5)
				// Days past 2^32 + 2024's: a cast to int32 would land in 2024.
				rb.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp((int64(1)<<32 + int64(YMD(2024, 3, 1))) * secondsPerDay))
			}, "paid_date", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeArrow(t, filepath.Join(dir, "invoices.parquet"), append(append([]arrow.Field{}, base...), tt.extra...), func(rb *array.RecordBuilder) {
				rb.Field(0).(*array.StringBuilder).Append("A")
				rb.Field(1).(*array.StringBuilder).Append("1")
				rb.Field(2).(*array.Date32Builder).Append(arrow.Date32(YMD(2024, 1, 1)))
				rb.Field(3).(*array.Date32Builder).Append(arrow.Date32(YMD(2024, 2, 1)))
				tt.fill(rb)
			})
			_, err := readBook(dir, false)
			checkLocated(t, err, "invoices.parquet", tt.row, tt.column, tt.want)
		})
	}
}

// TestTimeOfDayIsNoticed: timestamps written at local midnight by a
// session east of UTC read as the day before; each such value is
// counted with its location, and the UTC date is kept.
func TestTimeOfDayIsNoticed(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "invoices.csv"), "customer_id,invoice_id,issue_date,due_date,amount\n"+
		"A,1,2024-01-31T23:00:00Z,2024-02-29,5\nA,2,2024-02-01 00:00:00+01:00,2024-02-29,5\nB,1,2024-02-01,2024-02-01T00:00:00Z,5\n")
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := b.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := hs[0].Invoices[1].IssueDate; got != YMD(2024, 1, 31) {
		t.Errorf("issue_date = %s; want the UTC date 2024-01-31", got)
	}
	reasons := b.Skipped.Reasons()
	if len(reasons) != 1 || !reasons[0].Notice || reasons[0].Rows != 2 || b.Skipped.Skipped() != 0 {
		t.Fatalf("log = %+v; want one notice for 2 rows and nothing skipped", reasons)
	}
	if ex := reasons[0].Examples; len(ex) != 2 || ex[0].Row != 1 || ex[0].Column != "issue_date" {
		t.Errorf("examples = %+v; want rows 1 and 2 of issue_date", ex)
	}
}

// TestSkipLogCountsEachRowOnce: a command that reads the book twice, or
// through several partitions, reports each skipped row once.
func TestSkipLogCountsEachRowOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "invoices.csv"), "customer_id,invoice_id,issue_date,due_date,amount\n"+
		"A,1,2024-01-01,2024-02-01,5\nA,2,2024-01-01,2024-02-01,0\nB,1,9999-01-01,9999-02-01,5\nC,1,2024-01-01,2024-02-01,-1\n")
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.Tolerant = true
	for range 2 {
		if _, err := b.ReadAll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.Skipped.Skipped(); got != 3 {
		t.Errorf("skipped %d rows after two passes; want 3", got)
	}
	var text strings.Builder
	b.Skipped.WriteText(&text)
	for _, want := range []string{"skipped 3 rows", "2 × invoices.amount: amount must be > 0", "1 × invoices.issue_date: " + ErrImplausibleDate.Error(), "row 4, column amount"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("log text %q lacks %q", text.String(), want)
		}
	}
}

// TestHivePartitionsReadAsOneTable: invoices/year=2023/… and
// invoices/year=2024/… are one table, in path order.
func TestHivePartitionsReadAsOneTable(t *testing.T) {
	dir := t.TempDir()
	const head = "customer_id,invoice_id,issue_date,due_date,amount\n"
	writeFile(t, filepath.Join(dir, "invoices", "year=2023", "part-0.csv"), head+"A,1,2023-05-01,2023-06-01,5\n")
	writeFile(t, filepath.Join(dir, "invoices", "year=2024", "month=01", "part-0.csv"), head+"B,1,2024-01-05,2024-02-01,7\n")
	writeFile(t, filepath.Join(dir, "invoices", "year=2024", "_SUCCESS"), "")
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(b.Files(Invoices)); got != 2 {
		t.Fatalf("found %d invoice files (%v); want 2", got, b.Files(Invoices))
	}
	s, err := b.Summarize(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows[Invoices] != 2 || s.First != YMD(2023, 5, 1) || s.Last != YMD(2024, 1, 5) {
		t.Errorf("summary: %d invoices from %s to %s; want 2 from 2023-05-01 to 2024-01-05", s.Rows[Invoices], s.First, s.Last)
	}
}

// TestTableWithoutRowsIsAnError: a table that is there but empty, or a
// folder without a table file, is refused rather than read as nothing.
func TestTableWithoutRowsIsAnError(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"header only", map[string]string{"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount\n", "customers.csv": "customer_id\nA\n"}},
		{"folder without table files", map[string]string{"invoices/year=2024/readme.txt": "x", "customers.csv": "customer_id\nA\n"}},
		{"every row skipped", map[string]string{"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount\nA,1,2024-01-01,2024-02-01,0\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				writeFile(t, filepath.Join(dir, name), content)
			}
			_, err := readBook(dir, true)
			if !errors.Is(err, ErrNoRows) {
				t.Fatalf("err = %v; want %v", err, ErrNoRows)
			}
			if !strings.Contains(err.Error(), "invoices") {
				t.Errorf("err = %v; want it to name the invoices table", err)
			}
		})
	}
	// Defaults may be empty: a book can say that nobody defaulted.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "customers.csv"), "customer_id\nA\n")
	writeFile(t, filepath.Join(dir, "defaults.csv"), "customer_id,default_date\n")
	if _, err := readBook(dir, false); err != nil {
		t.Errorf("empty defaults table: %v", err)
	}
}

// TestUnreadablePartitionIsAnError: a sub-folder that cannot be listed,
// or a link to one that is gone, stops Open instead of being passed over.
func TestUnreadablePartitionIsAnError(t *testing.T) {
	t.Run("dangling link", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "invoices", "year=2023", "part-0.csv"), "customer_id,invoice_id,issue_date,due_date,amount\nA,1,2023-05-01,2023-06-01,5\n")
		if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "invoices", "year=2024")); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "year=2024") {
			t.Errorf("err = %v; want the unreadable folder named", err)
		}
	})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "invoices", "year=2023", "part-0.csv"), "customer_id,invoice_id,issue_date,due_date,amount\nA,1,2023-05-01,2023-06-01,5\n")
	locked := filepath.Join(dir, "invoices", "year=2024")
	writeFile(t, filepath.Join(locked, "part-0.csv"), "customer_id,invoice_id,issue_date,due_date,amount\nB,1,2024-05-01,2024-06-01,5\n")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(locked, 0o755)
	if _, err := os.ReadDir(locked); err == nil {
		t.Skip("running with permissions that read any folder (root)")
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "year=2024") {
		t.Errorf("err = %v; want the unreadable folder named", err)
	}
}

// TestINT96TimestampOutOfRange: a legacy INT96 timestamp beyond what a
// nanosecond count holds is refused naming its row and column, not
// wrapped into a plausible date.
func TestINT96TimestampOutOfRange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "defaults.parquet")
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "default_date", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
	}, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	rb.Field(0).(*array.StringBuilder).Append("A")
	// Year 3000: past 2262, the last instant of an int64 count of nanoseconds.
	rb.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(YMD(3000, 1, 1)) * secondsPerDay * 1000))
	rec := rb.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithDeprecatedInt96Timestamps(true)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "customers.csv"), "customer_id\nA\n")
	_, err = readBook(dir, false)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Column != "default_date" || ie.Row != 1 {
		t.Errorf("err = %v; want row 1 of the default_date column named", err)
	}
}

// TestImplausibleObservedUntil: observed_until 9999-12-01 in book.yaml
// would stretch every plan and label window; Open refuses it.
func TestImplausibleObservedUntil(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "customers.csv"), "customer_id\nA\n")
	writeFile(t, filepath.Join(dir, MetaFile), "observed_until: 9999-12-01\n")
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "observed_until 9999-12-01") {
		t.Errorf("err = %v; want observed_until refused", err)
	}
}
