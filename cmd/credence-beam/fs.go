package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/atomicfile"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/scoring"
)

// Books and outputs live on local disk or on any filesystem Beam has
// linked (gs://, s3://, memfs://): a local path is read and written in
// place by Credence's own readers and writers; a remote one is copied to
// the worker's disk, a part at a time, and the output copied back.

// isRemote tells whether p names a file on a Beam filesystem rather than
// the local disk.
func isRemote(p string) bool { return strings.Contains(p, "://") }

// join joins path elements, with / on a remote filesystem.
func join(dir string, elem ...string) string {
	if isRemote(dir) {
		return strings.TrimSuffix(dir, "/") + "/" + path.Join(elem...)
	}
	return filepath.Join(append([]string{dir}, elem...)...)
}

// baseName is the last element of p.
func baseName(p string) string {
	if isRemote(p) {
		return path.Base(p)
	}
	return filepath.Base(p)
}

// dirName is p without its last element.
func dirName(p string) string {
	if isRemote(p) {
		return p[:strings.LastIndex(strings.TrimSuffix(p, "/"), "/")]
	}
	return filepath.Dir(p)
}

func openFS(ctx context.Context, p string) (filesystem.Interface, error) {
	fs, err := filesystem.New(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return fs, nil
}

// list returns the remote files matching glob, sorted.
func list(ctx context.Context, glob string) ([]string, error) {
	fs, err := openFS(ctx, glob)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	names, err := fs.List(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", glob, err)
	}
	slices.Sort(names)
	return names, nil
}

// download copies the remote file src to the local file dst.
func download(ctx context.Context, src, dst string) error {
	fs, err := openFS(ctx, src)
	if err != nil {
		return err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	defer r.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("read %s: %w", src, err)
	}
	return f.Close()
}

// upload copies the local file src to dst, local or remote.
func upload(ctx context.Context, src, dst string) error {
	if !isRemote(dst) {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.Rename(src, dst)
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fs, err := openFS(ctx, dst)
	if err != nil {
		return err
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, dst)
	if err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		w.Close()
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return nil
}

// writeFile writes data to p, local (atomically) or remote.
func writeFile(ctx context.Context, p string, data []byte) error {
	if !isRemote(p) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return atomicfile.WriteFile(p, data)
	}
	fs, err := openFS(ctx, p)
	if err != nil {
		return err
	}
	defer fs.Close()
	if err := filesystem.Write(ctx, fs, p, data); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// readFile reads p, local or remote; a missing file is os.ErrNotExist.
func readFile(ctx context.Context, p string) ([]byte, error) {
	if !isRemote(p) {
		return os.ReadFile(p)
	}
	names, err := list(ctx, p)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(names, p) {
		return nil, fmt.Errorf("%s: %w", p, os.ErrNotExist)
	}
	fs, err := openFS(ctx, p)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	return filesystem.Read(ctx, fs, p)
}

// rename moves a file within one filesystem.
func rename(ctx context.Context, from, to string) error {
	if !isRemote(to) {
		return os.Rename(from, to)
	}
	fs, err := openFS(ctx, to)
	if err != nil {
		return err
	}
	defer fs.Close()
	if err := filesystem.Rename(ctx, fs, from, to); err != nil {
		return fmt.Errorf("rename %s to %s: %w", from, to, err)
	}
	return nil
}

// remove deletes a file; a missing one is no error.
func remove(ctx context.Context, p string) error {
	if !isRemote(p) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	fs, err := openFS(ctx, p)
	if err != nil {
		return err
	}
	defer fs.Close()
	rm, ok := fs.(filesystem.Remover)
	if !ok {
		return fmt.Errorf("remove %s: the filesystem cannot remove files", p)
	}
	names, err := fs.List(ctx, p)
	if err != nil || !slices.Contains(names, p) {
		return err
	}
	return rm.Remove(ctx, p)
}

// removeAll deletes a staging folder and what it holds.
func removeAll(ctx context.Context, dir string) error {
	if !isRemote(dir) {
		return os.RemoveAll(dir)
	}
	names, err := list(ctx, dir+"/*")
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		errs = append(errs, remove(ctx, n))
	}
	return errors.Join(errs...)
}

// remoteBook is a book on a Beam filesystem: its book.yaml (if any) and
// the files of each part, found as datasets.Open finds them on disk: a
// table is TABLE.parquet (.csv, .csv.gz) or the part files of TABLE/,
// and tables stored as parts with the same names make a partitioned book.
type remoteBook struct {
	Dir   string
	Meta  string     // book.yaml, "" when absent
	Parts [][]string // per part, its files
}

func listRemoteBook(ctx context.Context, dir string) (*remoteBook, error) {
	dir = strings.TrimSuffix(dir, "/")
	b := &remoteBook{Dir: dir}
	if names, err := list(ctx, join(dir, datasets.MetaFile)); err != nil {
		return nil, err
	} else if len(names) > 0 {
		b.Meta = names[0]
	}
	var whole []string        // single-file tables
	var partTables [][]string // tables stored as parts
	for _, t := range datasets.AllTables {
		var single []string
		var parts []string
		for _, ext := range []string{".parquet", ".csv", ".csv.gz"} {
			names, err := list(ctx, join(dir, string(t)+ext))
			if err != nil {
				return nil, err
			}
			single = append(single, names...)
			names, err = list(ctx, join(dir, string(t), "*"+ext))
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				base := path.Base(n)
				if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || strings.HasSuffix(base, ext+".gz") {
					continue
				}
				parts = append(parts, n)
			}
		}
		slices.Sort(parts)
		if len(single)+min(len(parts), 1) > 1 {
			return nil, fmt.Errorf("book %s: table %s is given more than once", dir, t)
		}
		if len(single) == 1 {
			whole = append(whole, single[0])
		} else if len(parts) > 0 {
			partTables = append(partTables, parts)
		}
	}
	if len(whole)+len(partTables) == 0 {
		return nil, fmt.Errorf("open book %s: no tables (want e.g. invoices.parquet or invoices/part-00000.parquet)", dir)
	}
	sameNames := len(whole) == 0 && len(partTables[0]) > 1
	for _, files := range partTables[min(1, len(partTables)):] {
		sameNames = sameNames && slices.EqualFunc(files, partTables[0], func(a, b string) bool {
			return stripExt(path.Base(a)) == stripExt(path.Base(b))
		})
	}
	if !sameNames {
		all := whole
		for _, files := range partTables {
			all = append(all, files...)
		}
		b.Parts = [][]string{all}
		return b, nil
	}
	for k := range partTables[0] {
		var files []string
		for _, t := range partTables {
			files = append(files, t[k])
		}
		b.Parts = append(b.Parts, files)
	}
	return b, nil
}

func stripExt(name string) string {
	for _, ext := range []string{".parquet", ".csv.gz", ".csv"} {
		if s, ok := strings.CutSuffix(name, ext); ok {
			return s
		}
	}
	return name
}

// stage copies part k of the book to the local folder dir, laid out as
// the book is, and opens it.
func (b *remoteBook) stage(ctx context.Context, k int, dir string) (*datasets.Book, error) {
	files := b.Parts[k]
	if b.Meta != "" {
		files = append([]string{b.Meta}, files...)
	}
	for _, f := range files {
		rel := strings.TrimPrefix(f, b.Dir+"/")
		if err := download(ctx, f, filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			return nil, err
		}
	}
	return datasets.Open(dir)
}

// units plans the book's units of work as planUnits plans a local
// book's, from a copy of its customers tables (and book.yaml) staged in a
// temporary folder; whole parts when --unit-customers is 0, the book has
// no customers table, or its customers alone do not split into the
// book's parts.
func (b *remoteBook) units(ctx context.Context, n int) ([]datasets.Unit, error) {
	if n == 0 {
		return wholeParts(len(b.Parts)), nil
	}
	var files []string
	for _, part := range b.Parts {
		for _, f := range part {
			rel := strings.TrimPrefix(f, b.Dir+"/")
			if strings.HasPrefix(rel, string(datasets.Customers)+"/") || stripExt(rel) == string(datasets.Customers) {
				files = append(files, f)
			}
		}
	}
	if len(files) == 0 {
		return wholeParts(len(b.Parts)), nil
	}
	tmp, err := os.MkdirTemp("", "credence-beam-plan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if b.Meta != "" {
		files = append(files, b.Meta)
	}
	for _, f := range files {
		rel := strings.TrimPrefix(f, b.Dir+"/")
		if err := download(ctx, f, filepath.Join(tmp, filepath.FromSlash(rel))); err != nil {
			return nil, err
		}
	}
	// The order is the workers' to check: any increasing boundaries
	// split the book.
	book, err := datasets.OpenWith(tmp, datasets.Options{KeepOrder: true})
	if err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), tmp, b.Dir))
	}
	if len(book.Partitions()) != len(b.Parts) {
		return wholeParts(len(b.Parts)), nil
	}
	units, err := planUnits(ctx, book, n)
	if err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), tmp, b.Dir))
	}
	return units, nil
}

// meta reads the book's book.yaml.
func (b *remoteBook) meta(ctx context.Context) (datasets.Meta, error) {
	tmp, err := os.MkdirTemp("", "credence-beam-meta-")
	if err != nil {
		return datasets.Meta{}, err
	}
	defer os.RemoveAll(tmp)
	if b.Meta != "" {
		if err := download(ctx, b.Meta, filepath.Join(tmp, datasets.MetaFile)); err != nil {
			return datasets.Meta{}, err
		}
	}
	return datasets.ReadMeta(tmp)
}

// openLaunched opens a local book for the launcher: as datasets.Open does,
// but a table that is not sorted by customer_id is refused rather than
// sorted into a copy on the launcher's disk, which the workers would not
// read: the parts are the units of work.
func openLaunched(dir string) (*datasets.Book, error) {
	book, err := datasets.Open(dir)
	if err != nil {
		return nil, err
	}
	for _, t := range datasets.AllTables {
		if _, sorted := book.SourceFiles(t); sorted {
			return nil, fmt.Errorf("book %s: table %s is not sorted by customer_id; credence-beam reads the parts as they are: write it sorted with `credence book sort`", dir, t)
		}
	}
	return book, nil
}

// openOnWorker opens a local book on a worker. The launcher checked that
// every table is sorted (openLaunched), so the worker does not read every
// file's ids again, as datasets.Open would, in each stage; a file changed
// since still stops its reader with datasets.ErrUnsorted.
func openOnWorker(dir string) (*datasets.Book, error) {
	return datasets.OpenWith(dir, datasets.Options{KeepOrder: true, Notices: io.Discard})
}

// openUnit opens unit u of the job's book: of local, the book open on
// this worker, or, for a book on a Beam filesystem (remote), of a copy of
// its part staged in tmp/book.
func openUnit(ctx context.Context, local *datasets.Book, remote *remoteBook, u datasets.Unit, tolerant bool, tmp string) (*datasets.Book, error) {
	if remote == nil {
		return local.OpenUnit(u)
	}
	book, err := remote.stage(ctx, u.Part, filepath.Join(tmp, "book"))
	if err != nil {
		return nil, nameRemote(remote, tmp, err)
	}
	book.Tolerant = tolerant
	if !u.Range.Open() {
		book = book.Range(u.Range)
	}
	return book, nil
}

// accumulatePortfolios counts the customers of book into the portfolio
// contexts at asOfs, encoded for the combine that merges the units'.
func accumulatePortfolios(ctx context.Context, book *datasets.Book, set *features.Set, rule features.DefaultRule, workers int, asOfs []datasets.Date) ([]byte, error) {
	acc, err := scoring.AccumulatePortfolios(ctx, book, set, rule, workers, asOfs, nil)
	if err != nil {
		return nil, err
	}
	return acc.MarshalBinary()
}
