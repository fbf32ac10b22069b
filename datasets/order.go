package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Options tune Open.
type Options struct {
	// Notices receives the line saying that an unsorted book is being
	// sorted; nil discards it.
	Notices io.Writer
	// CacheDir holds sorted copies of unsorted books. Empty: the
	// CREDENCE_CACHE_DIR environment variable, else the user's cache
	// directory (~/.cache/credence).
	CacheDir string
	// KeepOrder reads every table as it is, sorted or not (an unsorted
	// one then stops the reader with ErrUnsorted): for sorting a book.
	KeepOrder bool
	// SortRunRows bounds the rows sorted in memory at a time (0:
	// OpenSortRunRows).
	SortRunRows int
}

// OpenSortRunRows is how many rows Open sorts in memory at a time when it
// sorts a table on the side of another command's work: about 250 MB of
// invoices.
const OpenSortRunRows = 500_000

// CacheDirEnv names the environment variable that moves the cache of
// sorted copies.
const CacheDirEnv = "CREDENCE_CACHE_DIR"

func (o Options) cacheDir() string {
	if o.CacheDir != "" {
		return o.CacheDir
	}
	if d := os.Getenv(CacheDirEnv); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "credence")
	}
	return filepath.Join(os.TempDir(), "credence-cache")
}

// disorder finds the first row of files whose customer_id sorts before
// the row above it (see CompareIDs); nil when the table is in order. It
// reads the customer_id column alone. Files it cannot read are left to
// the table readers, which name the fault.
func disorder(ctx context.Context, files []string) (*InputError, error) {
	prev, have := "", false
	for _, path := range files {
		src, _, err := openSource(ctx, path, []string{"customer_id"})
		if err != nil {
			return nil, nil
		}
		var row int64
		for {
			b, err := src.Next()
			if err != nil {
				src.Close()
				if err == io.EOF {
					break
				}
				return nil, nil
			}
			col := b.cols[0]
			if col == nil {
				src.Close()
				return nil, nil
			}
			for i := 0; i < b.n; i++ {
				row++
				if col.Null(i) {
					continue
				}
				id, err := col.String(i)
				if err != nil {
					src.Close()
					return nil, nil
				}
				if have && CompareIDs(id, prev) < 0 {
					src.Close()
					return &InputError{File: path, Row: row, Column: "customer_id", Err: fmt.Errorf("%q after %q", id, prev)}, nil
				}
				if !have || id != prev {
					prev, have = strings.Clone(id), true
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// sortedCopyVersion changes when the layout of a sorted copy changes, so
// that older copies are not reused.
const sortedCopyVersion = "credence sorted copy 1"

// ensureOrder points every unsorted table of b at a sorted copy: reused
// from the cache when the book has not changed since, else written there
// in bounded memory (SortBook's runs), with a line to opts.Notices.
func (b *Book) ensureOrder(ctx context.Context, opts Options) error {
	var unsorted []Table
	var first *InputError
	for _, t := range AllTables {
		if len(b.files[t]) == 0 {
			continue
		}
		e, err := disorder(ctx, b.files[t])
		if err != nil {
			return err
		}
		if e != nil {
			unsorted = append(unsorted, t)
			if first == nil {
				first = e
			}
		}
	}
	if len(unsorted) == 0 {
		return nil
	}
	root := opts.cacheDir()
	bookKey, key, err := b.cacheKey()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, bookKey+"-"+key)
	log, err := readSortLog(dir)
	if err != nil {
		if log, err = b.writeSortedCopy(ctx, opts, unsorted, first, dir); err != nil {
			return fmt.Errorf("book %s is not sorted by customer_id (%v), and sorting a copy failed: %w", b.Dir, first, err)
		}
		removeStaleCopies(root, bookKey, dir)
	}
	b.sources = map[Table][]string{}
	for _, t := range unsorted {
		b.sources[t] = b.files[t]
		b.files[t] = []string{filepath.Join(dir, string(t)+".parquet")}
	}
	b.sortLog = log
	return nil
}

// cacheKey names the book (its absolute path) and its content (every
// table file's path, size and modification time, book.yaml, the
// plausible date range).
func (b *Book) cacheKey() (bookKey, contentKey string, err error) {
	absDir, err := filepath.Abs(b.Dir)
	if err != nil {
		return "", "", err
	}
	hb := sha256.Sum256([]byte(absDir))
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%d %d\n", sortedCopyVersion, absDir, b.Dates.From, b.Dates.Until)
	for _, t := range AllTables {
		for _, f := range b.files[t] {
			st, err := os.Stat(f)
			if err != nil {
				return "", "", err
			}
			fmt.Fprintf(h, "%s %s %d %d\n", t, f, st.Size(), st.ModTime().UnixNano())
		}
	}
	if meta, err := os.ReadFile(filepath.Join(b.Dir, MetaFile)); err == nil {
		h.Write(meta)
	}
	return hex.EncodeToString(hb[:8]), hex.EncodeToString(h.Sum(nil)[:12]), nil
}

const sortLogFile = "skips.json"

// writeSortedCopy sorts the tables into a temporary folder beside dir and
// renames it into place, so a copy is either complete or absent. Rows the
// sort cannot keep are recorded in the returned log (and its file), to be
// reported whenever the copy is read.
func (b *Book) writeSortedCopy(ctx context.Context, opts Options, tables []Table, first *InputError, dir string) (*SkipLog, error) {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = string(t)
	}
	if opts.Notices != nil {
		fmt.Fprintf(opts.Notices, "book %s: %s not sorted by customer_id (first at %s row %d); sorting a copy into %s\n",
			b.Dir, strings.Join(names, ", "), first.File, first.Row, dir)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	src := *b
	src.Tolerant = true // bad rows are recorded, and refused later unless the reader is tolerant
	src.Skipped = NewSkipLog()
	s := sorter{ctx: ctx, src: &src, out: tmp, runRows: opts.SortRunRows}
	if s.runRows <= 0 {
		s.runRows = OpenSortRunRows
	}
	var errs []error
	for _, t := range tables {
		errs = append(errs, sortOne(s, t))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	data, err := json.Marshal(src.Skipped.state())
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, sortLogFile), data, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another run may have finished the same copy first.
		if log, rerr := readSortLog(dir); rerr == nil {
			return log, nil
		}
		return nil, err
	}
	return src.Skipped, nil
}

// removeStaleCopies deletes the copies of the same book made before it
// changed.
func removeStaleCopies(root, bookKey, keep string) {
	matches, _ := filepath.Glob(filepath.Join(root, bookKey+"-*"))
	for _, m := range matches {
		if m != keep {
			os.RemoveAll(m)
		}
	}
}

func readSortLog(dir string) (*SkipLog, error) {
	data, err := os.ReadFile(filepath.Join(dir, sortLogFile))
	if err != nil {
		return nil, err
	}
	var st skipLogState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	return st.log(), nil
}
