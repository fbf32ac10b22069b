package importers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/credence-risk/credence/datasets"
)

// book writes the tables of one import into a directory. Each table goes to
// a temporary file that its writer renames into place on Close; commit
// closes them all and writes book.yaml last, and discard removes whatever
// this import wrote, so that a failed import leaves no table that looks
// complete.
type book struct {
	dir     string
	pending []interface {
		Close() error
		Abort()
	}
	paths   []string
	written []string // tables closed (renamed into place) so far
	done    bool
}

// newBook prepares dir for an import that writes tables. It refuses a
// directory that already holds some other table, in any format or layout,
// because a reader would take it as part of the new book.
func newBook(dir string, tables ...datasets.Table) (*book, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create book: %w", err)
	}
	for _, t := range datasets.AllTables {
		for _, name := range []string{string(t) + ".parquet", string(t) + ".csv", string(t) + ".csv.gz", string(t)} {
			if name == string(t)+".parquet" && slices.Contains(tables, t) {
				continue // replaced by this import
			}
			if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
				return nil, fmt.Errorf("create book: %s already holds %s, which this import would not replace; use an empty directory", dir, name)
			}
		}
	}
	return &book{dir: dir}, nil
}

func (b *book) path(t datasets.Table) string { return filepath.Join(b.dir, string(t)+".parquet") }

// addTable opens the writer of table t with open (one of the datasets
// New...Writer functions).
func addTable[T any](b *book, t datasets.Table, open func(path string) (*datasets.Writer[T], error)) (*datasets.Writer[T], error) {
	path := b.path(t)
	w, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	b.pending = append(b.pending, w)
	b.paths = append(b.paths, path)
	return w, nil
}

// commit finishes every table and then writes book.yaml.
func (b *book) commit(meta datasets.Meta) error {
	for i, w := range b.pending {
		if err := w.Close(); err != nil {
			return errors.Join(err, b.discard())
		}
		b.written = append(b.written, b.paths[i])
	}
	if err := datasets.WriteMeta(b.dir, meta); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", filepath.Join(b.dir, datasets.MetaFile), err), b.discard())
	}
	b.done = true
	return nil
}

// discard aborts the tables still being written and removes those already
// in place. It does nothing once the book is committed, so that it can be
// deferred.
func (b *book) discard() error {
	if b.done {
		return nil
	}
	b.done = true
	for _, w := range b.pending {
		w.Abort() // no-op for a writer already closed
	}
	var err error
	for _, p := range b.written {
		err = errors.Join(err, os.Remove(p))
	}
	return err
}

// writeAll writes rows in chunks of at most n, so that the writer's
// conversion buffer stays small.
func writeAll[T any](w *datasets.Writer[T], rows []T) error {
	const n = datasets.RowGroupRows
	for len(rows) > 0 {
		k := min(n, len(rows))
		if err := w.Write(rows[:k]); err != nil {
			return err
		}
		rows = rows[k:]
	}
	return nil
}

// customerWriter binds a schema to NewCustomerWriter.
func customerWriter(schema datasets.CustomerSchema) func(string) (*datasets.Writer[datasets.Customer], error) {
	return func(path string) (*datasets.Writer[datasets.Customer], error) {
		return datasets.NewCustomerWriter(path, schema)
	}
}

// writeTable opens table t in b and writes rows to it.
func writeTable[T any](b *book, t datasets.Table, open func(string) (*datasets.Writer[T], error), rows []T) error {
	w, err := addTable(b, t, open)
	if err != nil {
		return err
	}
	return writeAll(w, rows)
}
