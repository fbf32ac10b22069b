package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// Book is an opened book directory: where its tables are, its book.yaml and
// the attribute columns of its customers table. Reading happens through
// Histories.
type Book struct {
	Dir    string
	Meta   Meta
	Schema CustomerSchema
	files  map[Table][]string
	// Tolerant makes readers skip rows with unreadable or invalid values,
	// recording them in Skipped, instead of stopping at the first.
	Tolerant bool
	// Skipped records the rows every reader of the book left out and the
	// values read with a notice; commands print it when they end.
	Skipped *SkipLog
	// Dates is the range of dates the book may hold; a date outside it is
	// an error (ErrImplausibleDate). Open sets it from book.yaml (see
	// Meta.PlausibleDates).
	Dates    DateRange
	currency *currencyCheck
	part     bool // one of Partitions
	// sortLog: what sorting unsorted tables into a copy left out or
	// noticed; every reader replays it (see Histories).
	sortLog *SkipLog
	// sources are the book's own files of the tables read from a sorted
	// copy.
	sources map[Table][]string
	// ids, when set, is the range of customers the readers see (Range).
	ids *IDRange
}

// Open finds the tables of the book in dir and reads book.yaml. A table
// not sorted by customer_id is sorted into a cached copy (see OpenWith),
// saying so on stderr.
func Open(dir string) (*Book, error) {
	return OpenWith(dir, Options{Notices: os.Stderr})
}

// OpenWith opens the book in dir as Open does, with opts. Tables sorted by
// customer_id (see CompareIDs) are read where they are; any other table is
// read from a sorted copy in opts' cache directory, made on the first
// Open and reused until the book changes.
func OpenWith(dir string, opts Options) (*Book, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open book: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open book %s: not a directory", dir)
	}
	b := &Book{Dir: dir, files: map[Table][]string{}, Skipped: NewSkipLog()}
	if b.Meta, err = ReadMeta(dir); err != nil {
		return nil, err
	}
	today := DateOf(time.Now())
	if ou := b.Meta.ObservedUntil; ou != NoDate && !(Meta{ObservedUntil: NoDate}).PlausibleDates(today).Contains(ou) {
		return nil, fmt.Errorf("%s: observed_until %s is not plausible (want a date from %s to %d years after today)",
			filepath.Join(dir, MetaFile), ou, DefaultPlausibleFrom, PlausibleYearsAhead)
	}
	b.Dates = b.Meta.PlausibleDates(today)
	b.currency = &currencyCheck{declared: strings.ToUpper(strings.TrimSpace(b.Meta.Currency))}
	for _, t := range AllTables {
		files, err := tableFiles(dir, t)
		if err != nil {
			return nil, err
		}
		if len(files) > 0 {
			b.files[t] = files
		}
	}
	if !b.Has(Invoices) && !b.Has(Statements) && !b.Has(Customers) {
		return nil, fmt.Errorf("open book %s: no invoices, statements or customers table (want e.g. invoices.parquet or invoices/part-00000.parquet)", dir)
	}
	if b.Has(Customers) {
		if b.Schema, err = inferCustomerSchema(b.files[Customers][0]); err != nil {
			return nil, err
		}
	}
	if !opts.KeepOrder {
		if err := b.ensureOrder(context.Background(), opts); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Only returns a view of the book that reads just the given tables, for a
// pass that needs no more (counting attribute levels needs no invoices).
func (b *Book) Only(tables ...Table) *Book {
	v := *b
	v.files = map[Table][]string{}
	for _, t := range tables {
		if f := b.files[t]; f != nil {
			v.files[t] = f
		}
	}
	return &v
}

// rules are what the book asks of a reader of its tables.
func (b *Book) rules() readRules {
	return readRules{tolerant: b.Tolerant, log: b.Skipped, dates: b.Dates, currency: b.currency, ids: b.ids}
}

// Has reports whether the book holds table t.
func (b *Book) Has(t Table) bool { return len(b.files[t]) > 0 }

// Files lists the files of table t in reading order.
func (b *Book) Files(t Table) []string { return b.files[t] }

// SourceFiles lists the book's own files of table t: Files, unless the
// table is read from a sorted copy (then sorted is true).
func (b *Book) SourceFiles(t Table) (files []string, sorted bool) {
	if f, ok := b.sources[t]; ok {
		return f, true
	}
	return b.files[t], false
}

// TableFiles lists the files of table t in the directory dir laid out as a
// book: dir/t.parquet (.csv, .csv.gz) or the part files of dir/t/, in
// reading order; none when the table is absent. It is for a directory that
// holds only some tables, such as a day's changes, which Open refuses
// without invoices, statements or customers.
func TableFiles(dir string, t Table) ([]string, error) { return tableFiles(dir, t) }

var tableExts = []string{".parquet", ".csv", ".csv.gz"}

// tableFiles finds dir/t.{parquet,csv,csv.gz} or the part files under
// dir/t/, descending into sub-folders such as Hive-style partitions
// (invoices/year=2024/part-0.parquet), in path order. A folder that holds
// no table file, or a sub-folder that cannot be read, is an error: a
// table must not vanish without a word.
func tableFiles(dir string, t Table) ([]string, error) {
	var found []string
	for _, ext := range tableExts {
		p := filepath.Join(dir, string(t)+ext)
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		}
	}
	sub := filepath.Join(dir, string(t))
	st, err := os.Stat(sub)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("book %s: table %s: %w", dir, t, err)
	}
	var parts []string
	if err == nil && st.IsDir() {
		if parts, err = partFiles(sub); err != nil {
			return nil, fmt.Errorf("book %s: table %s: %w", dir, t, err)
		}
		if len(parts) == 0 {
			return nil, &InputError{File: sub, Err: fmt.Errorf("%w: the folder of table %s holds no .parquet, .csv or .csv.gz file", ErrNoRows, t)}
		}
		found = append(found, sub)
	}
	if len(found) > 1 {
		return nil, fmt.Errorf("book %s: table %s is given more than once (%s)", dir, t, strings.Join(found, ", "))
	}
	if len(parts) > 0 {
		return parts, nil
	}
	return found, nil
}

// partFiles lists the table files under dir and its sub-folders, in path
// order, skipping names that start with . or _ and unfinished .tmp files.
func partFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || strings.HasSuffix(name, ".tmp") {
			continue
		}
		path := filepath.Join(dir, name)
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			st, err := os.Stat(path)
			if err != nil {
				return nil, err
			}
			isDir = st.IsDir()
		}
		if isDir {
			sub, err := partFiles(path)
			if err != nil {
				return nil, err
			}
			parts = append(parts, sub...)
			continue
		}
		if _, err := FormatOf(name); err == nil {
			parts = append(parts, path)
		}
	}
	slices.Sort(parts)
	return parts, nil
}

// csvSampleRows is how many rows decide whether a CSV customers column is
// numeric: a later value that does not parse is reported with its row.
const csvSampleRows = 1000

// inferCustomerSchema takes attribute kinds from Parquet types, or for CSV
// from whether the first rows' non-empty values all parse as numbers.
func inferCustomerSchema(path string) (CustomerSchema, error) {
	src, cols, err := openSource(context.Background(), path, nil)
	if err != nil {
		return CustomerSchema{}, err
	}
	defer src.Close()
	var s CustomerSchema
	hasID := false
	format, _ := FormatOf(path)
	numeric := make([]bool, len(cols))
	if format == FormatParquet {
		for i, c := range cols {
			numeric[i] = c.Numeric
		}
	} else {
		b, err := src.Next()
		if err != nil && !errors.Is(err, io.EOF) {
			return s, &InputError{File: path, Err: err}
		}
		for i := range cols {
			numeric[i] = b != nil && csvNumeric(b.cols[i], min(b.n, csvSampleRows))
		}
	}
	for i, c := range cols {
		switch {
		case c.Name == "customer_id":
			hasID = true
		case numeric[i]:
			s.Numeric = append(s.Numeric, c.Name)
		default:
			s.Categorical = append(s.Categorical, c.Name)
		}
	}
	if !hasID {
		return s, &InputError{File: path, Column: "customer_id", Err: ErrMissingColumn}
	}
	return s, nil
}

func csvNumeric(c column, n int) bool {
	seen := false
	for i := 0; i < n; i++ {
		if c.Null(i) {
			continue
		}
		v, _ := c.String(i)
		if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return false
		}
		seen = true
	}
	return seen
}

// CustomerRows returns the number of rows of the customers table from its
// Parquet footers, without reading the table (for progress bars); 0 when
// it is unknown: no customers table, or CSV.
func (b *Book) CustomerRows() int64 {
	var n int64
	for _, path := range b.files[Customers] {
		if f, err := FormatOf(path); err != nil || f != FormatParquet {
			return 0
		}
		rdr, err := file.OpenParquetFile(path, false)
		if err != nil {
			return 0
		}
		n += rdr.NumRows()
		rdr.Close()
	}
	return n
}
